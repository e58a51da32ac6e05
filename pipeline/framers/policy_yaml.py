"""Hand-authored policy YAML files: read, check every key with its line, and load as one graph.

A policy file names its source, its rules, the concept hierarchy and the precedence settings::

    source:
      id: acme-conduct            # the document's id (required)
      title: ACME Code of Conduct
      authority: 10               # rank for lex superior: higher wins (integer)
      issued: 2024-03-01          # for lex posterior (date)
      jurisdiction: US
    concepts:                     # narrower: [broader, ...]
      supplier: [third party]
    rules:                        # (required, non-empty list)
      - id: no-gifts              # required, unique in the file
        modality: prohibition     # obligation | prohibition | permission
        bearer: employee
        action: accept
        object: gift              # optional
        when: [gift value exceeds 100 USD]    # conditions: all must hold
        unless: [manager approved the gift]   # exceptions: any one defeats the rule
        text: Employees must not accept gifts worth more than $100 unless approved.
        provision: "3.1"
    overrides:                    # winner and loser are rule ids of this file
      - {winner: sales-hospitality, loser: no-gifts, basis: explicit}
    precedence: [explicit, lex-superior, lex-specialis, lex-posterior]
    strategy: deny-overrides

The file is composed with PyYAML's safe loader into nodes (never constructed with an unsafe
loader) and the node tree is walked here, so every problem is reported with the file, the line
and the key path, e.g. ``policy.yaml, line 12, rules[1].modality: 'forbidden' is not one of
obligation, prohibition, permission``. All problems of a file are reported together.

Graph mapping (one named graph ``kg.store.graph_iri(source.id)``):

- the document ``https://w3id.org/alignment-studio/doc/{id}``, a ``pol:LegalSource`` with its
  title, ``pol:authorityRank``, ``pol:issued``, ``pol:jurisdiction`` (a ``pol:Jurisdiction``
  concept), ``pol:contentHash`` (sha256 of the file's bytes), ``pol:fallbackStrategy`` and
  ``pol:precedenceOrder`` (the last two only when the file gives them);
- the concept scheme ``{doc}/concepts``; parties, actions and assets are ``skos:Concept``\\ s
  named by ``kg.labels.concept_iri`` (the same IRI in every document, so documents share them);
- each rule ``{doc}/rule/{id}`` with its conditions ``{rule}/condition/{n}``, exceptions
  ``{rule}/exception/{n}`` and provision ``{doc}/provision/{id}``;
- each override ``{doc}/override/{n}`` (a ``pol:Override``) plus the direct ``pol:overrides``
  edge from winner to loser.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import difflib
import hashlib
import re
import urllib.parse
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable

import yaml
from rdflib import Literal, URIRef
from rdflib.namespace import RDF, SKOS
from yaml.constructor import SafeConstructor

from kg.errors import ParseError
from kg.labels import concept_iri, normalise_label
from kg.namespaces import POL
from kg.store import PolicyStore, graph_iri

__all__ = [
    "DOC_BASE",
    "JURISDICTION_BASE",
    "PolicyDocument",
    "PolicyYamlError",
    "Problem",
    "already_loaded",
    "document_iri",
    "jurisdiction_iri",
    "load_policy_yaml",
    "read_policy_yaml",
]

DOC_BASE = "https://w3id.org/alignment-studio/doc/"
JURISDICTION_BASE = "https://w3id.org/alignment-studio/jurisdiction/"

MODALITIES = {
    "obligation": POL.Obligation,
    "prohibition": POL.Prohibition,
    "permission": POL.Permission,
}
BASES = {
    "explicit": POL.ExplicitClause,
    "lex-superior": POL.LexSuperior,
    "lex-specialis": POL.LexSpecialis,
    "lex-posterior": POL.LexPosterior,
    "policy-choice": POL.PolicyChoice,
}
DEFAULT_BASIS = "explicit"
STRATEGIES = {
    "deny-overrides": POL.DenyOverrides,
    "permit-overrides": POL.PermitOverrides,
    "first-applicable": POL.FirstApplicable,
    "only-one-applicable": POL.OnlyOneApplicable,
}
PRECEDENCE_NAMES = ("explicit", "lex-superior", "lex-specialis", "lex-posterior")

TOP_KEYS = ("source", "concepts", "rules", "overrides", "precedence", "strategy")
SOURCE_KEYS = ("id", "title", "authority", "issued", "jurisdiction")
RULE_KEYS = ("id", "modality", "bearer", "action", "object", "when", "unless", "text", "provision")
OVERRIDE_KEYS = ("winner", "loser", "basis")

# Document ids become graph names, IRIs and command-line arguments: no spaces, colons or slashes
# (graph_iri would take "acme:conduct" for an IRI).
_DOC_ID = re.compile(r"\w[\w.~-]*")
_ISO_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
_MAX_PROBLEMS = 50

_TAG = "tag:yaml.org,2002:"
_NULL, _INT, _TIMESTAMP = _TAG + "null", _TAG + "int", _TAG + "timestamp"


@dataclass(frozen=True)
class PolicyDocument:
    """A policy file read into triples for one named graph.

    ``unchanged`` is True only on a result of ``load_policy_yaml`` that found the same file
    (same content hash) already loaded and wrote nothing.
    """

    doc_id: str
    path: Path
    graph: URIRef
    triples: list[tuple]
    rule_count: int
    content_hash: str
    unchanged: bool = False

    @property
    def source(self) -> URIRef:
        """The IRI of the document (the ``pol:LegalSource``)."""
        return document_iri(self.doc_id)


@dataclass(frozen=True)
class Problem:
    """One problem in a policy file: 1-based line, key path (``rules[1].modality``), message."""

    line: int
    key: str
    message: str

    def format(self, file: str) -> str:
        where = f", {self.key}" if self.key else ""
        return f"{file}, line {self.line}{where}: {self.message}"


class PolicyYamlError(ParseError):
    """A policy file that cannot be read; ``problems`` lists every problem found, by line."""

    def __init__(self, file: str, problems: list[Problem]) -> None:
        self.file = file
        self.problems = problems
        lines = [p.format(file) for p in problems[:_MAX_PROBLEMS]]
        if len(problems) > _MAX_PROBLEMS:
            lines.append(f"{file}: ... and {len(problems) - _MAX_PROBLEMS} more problems")
        super().__init__("\n".join(lines))


def document_iri(doc_id: str) -> URIRef:
    """The IRI of the ``pol:LegalSource`` of document ``doc_id``."""
    return URIRef(DOC_BASE + _quote(doc_id))


def jurisdiction_iri(label: str) -> URIRef:
    """The one IRI of a jurisdiction (``pol:Jurisdiction``) in every document, by its label."""
    key = normalise_label(label)
    if not key:
        raise ValueError(f"cannot make a jurisdiction of the empty label {label!r}")
    return URIRef(JURISDICTION_BASE + _quote(key.replace(" ", "-")))


def read_policy_yaml(path: Path) -> PolicyDocument:
    """Read, check and map a policy YAML file; raises ``ParseError`` (``PolicyYamlError``) naming
    the file, line and key of every problem. Touches no store."""
    path = Path(path)
    label = str(path)
    try:
        data = path.read_bytes()
    except FileNotFoundError as exc:
        raise ParseError(f"{label}: no such file; check the path") from exc
    except IsADirectoryError as exc:
        raise ParseError(f"{label}: is a directory; give the policy YAML files inside it") from exc
    except OSError as exc:
        raise ParseError(f"{label}: cannot be read: {exc.strerror or exc}") from exc
    content_hash = "sha256:" + hashlib.sha256(data).hexdigest()
    root = _compose(label, data)
    policy = _Reader(label).policy(root)
    triples = _triples(policy, content_hash)
    return PolicyDocument(
        doc_id=policy.doc_id,
        path=path,
        graph=graph_iri(policy.doc_id),
        triples=triples,
        rule_count=len(policy.rules),
        content_hash=content_hash,
    )


_SAME_HASH = "ASK { GRAPH ?g { ?doc a pol:LegalSource ; pol:contentHash ?hash } }"


def already_loaded(store: PolicyStore, doc_id: str, content_hash: str) -> bool:
    """True when the document's graph already holds it with this content hash: loading it again
    would change nothing (policy files and regulations alike)."""
    answer = store.query(
        _SAME_HASH,
        {"g": graph_iri(doc_id), "doc": document_iri(doc_id), "hash": Literal(content_hash)},
        name="document content hash",
    )
    return bool(answer.boolean)


def load_policy_yaml(store: PolicyStore, path: Path) -> PolicyDocument:
    """Read a policy file and replace its document's graph with it, in one transaction.

    Idempotent: when the graph already holds this document with the same content hash, nothing
    is written and the result has ``unchanged=True``. A file with problems raises ``ParseError``
    before the store is touched.
    """
    document = read_policy_yaml(path)
    if already_loaded(store, document.doc_id, document.content_hash):
        return dataclasses.replace(document, unchanged=True)
    store.replace_graph(document.graph, document.triples)
    return document


# ------------------------------------------------------------------------------------------------
# Reading YAML into nodes


def _compose(label: str, data: bytes):
    if not data.strip():
        raise PolicyYamlError(label, [Problem(1, "", _EMPTY)])
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise PolicyYamlError(
            label,
            [Problem(line, "", f"is not UTF-8 text (byte 0x{data[exc.start]:02x} at column {column}); "
                               "save the file as UTF-8")],
        ) from exc
    try:
        root = yaml.compose(text, Loader=yaml.SafeLoader)
    except yaml.MarkedYAMLError as exc:
        mark = exc.problem_mark or exc.context_mark
        line = mark.line + 1 if mark else 1
        detail = "; ".join(str(x) for x in (exc.context, exc.problem) if x)
        raise PolicyYamlError(
            label, [Problem(line, "", f"is not valid YAML: {detail}; fix the syntax on or just before this line")]
        ) from exc
    except yaml.reader.ReaderError as exc:
        line = text.count("\n", 0, exc.position) + 1
        raise PolicyYamlError(
            label,
            [Problem(line, "", f"holds the character #x{exc.character:04x}, which YAML does not allow "
                               f"({exc.reason}); remove it")],
        ) from exc
    except yaml.YAMLError as exc:  # no position known
        raise PolicyYamlError(label, [Problem(1, "", f"is not valid YAML: {exc}; fix the syntax")]) from exc
    if root is None:
        raise PolicyYamlError(label, [Problem(1, "", _EMPTY)])
    return root


_EMPTY = (
    "the file holds no YAML document (it is empty or only comments); a policy needs at least "
    "'source: {id: ...}' and a non-empty 'rules:' list"
)


# ------------------------------------------------------------------------------------------------
# Checking the node tree


@dataclass
class _Rule:
    rule_id: str
    ordinal: int
    line: int
    modality: str | None = None
    bearer: str | None = None
    action: str | None = None
    object: str | None = None
    when: list[str] = field(default_factory=list)
    unless: list[str] = field(default_factory=list)
    text: str | None = None
    provision: str | None = None


@dataclass
class _Override:
    winner: str
    loser: str
    basis: str


@dataclass
class _Policy:
    doc_id: str
    title: str | None = None
    authority: int | None = None
    issued: dt.date | None = None
    jurisdiction: str | None = None
    concepts: dict[str, list[str]] = field(default_factory=dict)  # normalised narrower -> broader
    rules: list[_Rule] = field(default_factory=list)
    overrides: list[_Override] = field(default_factory=list)
    precedence: list[str] | None = None
    strategy: str | None = None


def _line(node) -> int:
    return node.start_mark.line + 1


def _kind(node) -> str:
    if isinstance(node, yaml.MappingNode):
        return "a mapping"
    if isinstance(node, yaml.SequenceNode):
        return "a list"
    if node.tag == _NULL:
        return "empty"
    kind = _SCALAR_KINDS.get(node.tag.rsplit(":", 1)[-1], "value")
    return f"the {kind} {node.value!r}"


_SCALAR_KINDS = {"str": "text", "int": "integer", "float": "number", "bool": "boolean", "timestamp": "date"}


def _key_path(parent: str, key: str) -> str:
    if re.fullmatch(r"[\w-]+", key):
        return f"{parent}.{key}" if parent else key
    return f"{parent}[{key!r}]"


def _suggest(word: str, choices: Iterable[str], template: str = "; did you mean {}?") -> str:
    close = difflib.get_close_matches(str(word).casefold(), list(choices), n=1, cutoff=0.6)
    return template.format(repr(close[0])) if close else ""


class _Reader:
    def __init__(self, file: str) -> None:
        self.file = file
        self.problems: list[Problem] = []

    def problem(self, node_or_line, key: str, message: str) -> None:
        line = node_or_line if isinstance(node_or_line, int) else _line(node_or_line)
        self.problems.append(Problem(line, key, message))

    # -- generic shapes ------------------------------------------------------------------------
    def mapping(self, node, key: str, allowed: tuple[str, ...] | None, what: str) -> dict | None:
        """The entries of a mapping as {key text: (key node, value node)}; problems for duplicate
        and (when ``allowed`` is given) unknown keys."""
        if not isinstance(node, yaml.MappingNode):
            subject = "" if key else "the top level "
            self.problem(node, key, f"{subject}must be {what}, not {_kind(node)}")
            return None
        entries: dict[str, tuple] = {}
        for key_node, value_node in node.value:
            if not isinstance(key_node, yaml.ScalarNode) or key_node.tag == _NULL:
                self.problem(key_node, key, f"has a key that is {_kind(key_node)}; keys must be plain names")
                continue
            name = key_node.value
            if allowed is not None and name not in allowed:
                self.problem(
                    key_node,
                    _key_path(key, name),
                    f"unknown key '{name}'{_suggest(name, allowed, ' (did you mean {}?)')}; "
                    f"the keys allowed here are {', '.join(allowed)}",
                )
                continue
            if name in entries:
                self.problem(
                    key_node,
                    _key_path(key, name),
                    f"duplicate key '{name}' (first at line {_line(entries[name][0])}); keep one of them",
                )
                continue
            entries[name] = (key_node, value_node)
        return entries

    def text(self, node, key: str, what: str) -> str | None:
        """A scalar taken verbatim as text (``3.10`` stays "3.10", ``yes`` stays "yes")."""
        if not isinstance(node, yaml.ScalarNode) or node.tag == _NULL:
            self.problem(node, key, f"must be {what}, not {_kind(node)}")
            return None
        if not node.value.strip():
            self.problem(node, key, f"is empty; give {what}")
            return None
        return node.value

    def label(self, node, key: str, what: str) -> str | None:
        """A concept label, normalised (``kg.labels.normalise_label``)."""
        value = self.text(node, key, what)
        if value is None:
            return None
        normal = normalise_label(value)
        if not normal:
            self.problem(node, key, f"{value!r} is an empty label once punctuation is dropped; give {what}")
            return None
        return normal

    def text_list(self, node, key: str, what: str, *, labels: bool = False) -> list[tuple[str, object]] | None:
        """A list of texts (or one text, read as a one-item list) with their nodes."""
        items = node.value if isinstance(node, yaml.SequenceNode) else [node]
        if isinstance(node, yaml.MappingNode) or (isinstance(node, yaml.ScalarNode) and node.tag == _NULL):
            self.problem(node, key, f"must be a list of {what} (or a single one), not {_kind(node)}")
            return None
        found = []
        for index, item in enumerate(items):
            item_key = f"{key}[{index}]" if isinstance(node, yaml.SequenceNode) else key
            value = (self.label if labels else self.text)(item, item_key, _singular(what))
            if value is not None:
                found.append((value, item))
        return found

    def choice(self, node, key: str, choices: dict | tuple) -> str | None:
        value = self.text(node, key, f"one of {', '.join(choices)}")
        if value is None:
            return None
        name = value.strip().casefold()
        if name not in choices:
            self.problem(node, key, f"{value!r} is not one of {', '.join(choices)}{_suggest(name, choices)}")
            return None
        return name

    # -- the policy ----------------------------------------------------------------------------
    def policy(self, root) -> _Policy:
        top = self.mapping(
            root, "", TOP_KEYS,
            "a mapping with the keys source, rules and optionally concepts, overrides, precedence, strategy",
        )
        if top is None:
            raise PolicyYamlError(self.file, self.problems)
        policy = _Policy(doc_id="")
        if "source" in top:
            self.source(top["source"][1], policy)
        else:
            self.problem(root, "source", "is missing; add 'source:' with at least 'id: <document id>'")
        if "rules" in top:
            self.rules(top["rules"][1], policy)
        else:
            self.problem(root, "rules", "is missing; add 'rules:' with at least one rule")
        if "concepts" in top:
            self.concepts(top["concepts"][1], policy)
        if "overrides" in top:
            self.overrides(top["overrides"][1], policy)
        if "precedence" in top:
            self.precedence(top["precedence"][1], policy)
        if "strategy" in top:
            policy.strategy = self.choice(top["strategy"][1], "strategy", STRATEGIES)
        if self.problems:
            raise PolicyYamlError(self.file, sorted(self.problems, key=lambda p: p.line))
        return policy

    def source(self, node, policy: _Policy) -> None:
        entries = self.mapping(node, "source", SOURCE_KEYS, "a mapping with at least 'id:'")
        if entries is None:
            return
        if "id" not in entries:
            self.problem(node, "source.id", "is missing; give the document's id, e.g. 'id: acme-conduct'")
        else:
            value_node = entries["id"][1]
            doc_id = self.text(value_node, "source.id", "the document's id")
            if doc_id is not None:
                if _DOC_ID.fullmatch(doc_id):
                    policy.doc_id = doc_id
                else:
                    example = re.sub(r"[^\w.~-]+", "-", doc_id).strip("-.~") or "my-policy"
                    self.problem(
                        value_node, "source.id",
                        f"{doc_id!r} may hold only letters, digits and '-', '_', '.', '~' (it names "
                        f"the document's graph); write it e.g. as '{example}'",
                    )
        if "title" in entries:
            policy.title = self.text(entries["title"][1], "source.title", "the document's title")
        if "authority" in entries:
            policy.authority = self.integer(entries["authority"][1], "source.authority")
        if "issued" in entries:
            policy.issued = self.date(entries["issued"][1], "source.issued")
        if "jurisdiction" in entries:
            policy.jurisdiction = self.label(
                entries["jurisdiction"][1], "source.jurisdiction", "the jurisdiction's name (e.g. US, EU)"
            )

    def integer(self, node, key: str) -> int | None:
        if isinstance(node, yaml.ScalarNode) and node.tag == _INT:
            return SafeConstructor().construct_yaml_int(node)
        quoted = isinstance(node, yaml.ScalarNode) and node.style in ("'", '"') and node.value.strip().lstrip("+-").isdigit()
        self.problem(
            node, key,
            f"must be a whole number (higher is more authoritative, e.g. 10), not {_kind(node)}"
            + ("; write it without quotes" if quoted else ""),
        )
        return None

    def date(self, node, key: str) -> dt.date | None:
        hint = "write the date as YYYY-MM-DD, e.g. 2024-03-01"
        if isinstance(node, yaml.ScalarNode) and node.tag == _TIMESTAMP:
            try:
                value = SafeConstructor().construct_yaml_timestamp(node)
            except ValueError as exc:
                self.problem(node, key, f"{node.value!r} is not a valid date ({exc}); {hint}")
                return None
            if isinstance(value, dt.datetime):
                self.problem(node, key, f"{node.value!r} has a time of day; give the date alone: {hint}")
                return None
            return value
        if isinstance(node, yaml.ScalarNode) and node.tag != _NULL and _ISO_DATE.match(node.value.strip()):
            try:
                return dt.date.fromisoformat(node.value.strip())
            except ValueError as exc:
                self.problem(node, key, f"{node.value!r} is not a valid date ({exc}); {hint}")
                return None
        self.problem(node, key, f"must be a date, not {_kind(node)}; {hint}")
        return None

    def rules(self, node, policy: _Policy) -> None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(node, "rules", f"must be a list of rules ('- id: ...'), not {_kind(node)}")
            return
        if not node.value:
            self.problem(node, "rules", "is empty; give at least one rule")
            return
        seen: dict[str, int] = {}
        for index, item in enumerate(node.value):
            key = f"rules[{index}]"
            entries = self.mapping(item, key, RULE_KEYS, "a mapping with id, modality, bearer and action")
            if entries is None:
                continue
            missing = [k for k in ("id", "modality", "bearer", "action") if k not in entries]
            for name in missing:
                self.problem(item, f"{key}.{name}", f"is missing; every rule needs {_RULE_NEEDS[name]}")
            rule_id = self.text(entries["id"][1], f"{key}.id", "the rule's id") if "id" in entries else None
            if rule_id is not None and rule_id in seen:
                self.problem(
                    entries["id"][1], f"{key}.id",
                    f"'{rule_id}' is already the id of the rule at line {seen[rule_id]}; rule ids must "
                    "be unique in the file",
                )
                rule_id = None
            elif rule_id is not None:
                seen[rule_id] = _line(item)
            rule = _Rule(rule_id or "", ordinal=index + 1, line=_line(item))
            if "modality" in entries:
                rule.modality = self.choice(entries["modality"][1], f"{key}.modality", MODALITIES)
            for name, what in (("bearer", "the party the rule binds"), ("action", "the action"),
                               ("object", "the object of the action")):
                if name in entries:
                    setattr(rule, name, self.label(entries[name][1], f"{key}.{name}", what))
            if "when" in entries:
                found = self.text_list(entries["when"][1], f"{key}.when", "conditions")
                rule.when = [text for text, _ in found or []]
            if "unless" in entries:
                found = self.text_list(entries["unless"][1], f"{key}.unless", "exceptions")
                rule.unless = [text for text, _ in found or []]
            if "text" in entries:
                rule.text = self.text(entries["text"][1], f"{key}.text", "the rule's source sentence")
            if "provision" in entries:
                rule.provision = self.text(
                    entries["provision"][1], f"{key}.provision", "the provision's id (e.g. \"3.2\")"
                )
            if rule_id is not None:
                policy.rules.append(rule)

    def concepts(self, node, policy: _Policy) -> None:
        entries = self.mapping(node, "concepts", None, "a mapping of 'narrower: [broader, ...]'")
        if entries is None:
            return
        first_line: dict[str, tuple[str, int]] = {}
        for name, (key_node, value_node) in entries.items():
            key = _key_path("concepts", name)
            narrower = self.label(key_node, key, "a concept name")
            if narrower is None:
                continue
            if narrower in first_line:
                other, line = first_line[narrower]
                self.problem(
                    key_node, key,
                    f"'{name}' is the same concept as '{other}' at line {line}; merge the two entries",
                )
                continue
            first_line[narrower] = (name, _line(key_node))
            broader: list[str] = []
            if not (isinstance(value_node, yaml.ScalarNode) and value_node.tag == _NULL):
                for label, item in self.text_list(value_node, key, "broader concept names", labels=True) or []:
                    if label == narrower:
                        self.problem(item, key, f"'{name}' cannot be broader than itself; remove it")
                    elif reaches(policy.concepts, label, narrower):
                        self.problem(
                            item, key,
                            f"'{label}' is already narrower than '{narrower}' (a cycle in the hierarchy); "
                            "remove one of the two links",
                        )
                    elif label not in broader:
                        broader.append(label)
            policy.concepts[narrower] = broader

    def overrides(self, node, policy: _Policy) -> None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                node, "overrides",
                f"must be a list of '{{winner: RULE, loser: RULE, basis: ...}}', not {_kind(node)}",
            )
            return
        rule_ids = [rule.rule_id for rule in policy.rules]
        known = set(rule_ids)
        pairs: dict[tuple[str, str], int] = {}
        edges: dict[str, list[str]] = {}
        for index, item in enumerate(node.value):
            key = f"overrides[{index}]"
            entries = self.mapping(item, key, OVERRIDE_KEYS, "a mapping with winner, loser and basis")
            if entries is None:
                continue
            ends: dict[str, str | None] = {}
            for end in ("winner", "loser"):
                if end not in entries:
                    self.problem(item, f"{key}.{end}", f"is missing; give the id of the rule that {_ENDS[end]}")
                    ends[end] = None
                    continue
                value_node = entries[end][1]
                rule_id = self.text(value_node, f"{key}.{end}", "a rule id of this file")
                if rule_id is not None and rule_id not in known:
                    listed = ", ".join(rule_ids[:12]) + (", ..." if len(rule_ids) > 12 else "")
                    self.problem(
                        value_node, f"{key}.{end}",
                        f"no rule of this file has the id '{rule_id}'{_suggest(rule_id, rule_ids)}; "
                        f"the rule ids are {listed or '(none)'}",
                    )
                    rule_id = None
                ends[end] = rule_id
            basis = DEFAULT_BASIS
            if "basis" in entries:
                basis = self.choice(entries["basis"][1], f"{key}.basis", BASES)
            winner, loser = ends["winner"], ends["loser"]
            if winner is None or loser is None or basis is None:
                continue
            if winner == loser:
                self.problem(
                    entries["loser"][1], f"{key}.loser",
                    f"the winner and the loser are both '{winner}'; a rule cannot override itself",
                )
                continue
            if (winner, loser) in pairs:
                self.problem(
                    item, key,
                    f"'{winner}' over '{loser}' is already declared at line {pairs[(winner, loser)]}; "
                    "keep one of them",
                )
                continue
            if reaches(edges, loser, winner):
                self.problem(
                    item, key,
                    f"'{loser}' already overrides '{winner}' (directly or through other overrides), so "
                    "this makes a cycle that leaves nothing to decide by; remove one of them",
                )
                continue
            pairs[(winner, loser)] = _line(item)
            edges.setdefault(winner, []).append(loser)
            policy.overrides.append(_Override(winner, loser, basis))

    def precedence(self, node, policy: _Policy) -> None:
        if not isinstance(node, yaml.SequenceNode):
            self.problem(
                node, "precedence",
                f"must be a list of principles in order (some of {', '.join(PRECEDENCE_NAMES)}), "
                f"not {_kind(node)}",
            )
            return
        if not node.value:
            self.problem(
                node, "precedence",
                f"is empty; list at least one of {', '.join(PRECEDENCE_NAMES)}, or remove the key for the "
                "default order",
            )
            return
        order: list[str] = []
        for index, item in enumerate(node.value):
            key = f"precedence[{index}]"
            name = self.choice(item, key, PRECEDENCE_NAMES)
            if name is None:
                continue
            if name in order:
                self.problem(item, key, f"'{name}' is listed twice; list each principle once")
                continue
            order.append(name)
        policy.precedence = order


_RULE_NEEDS = {
    "id": "an id, unique in the file (e.g. 'id: no-gifts')",
    "modality": "a modality: obligation, prohibition or permission",
    "bearer": "a bearer, the party it binds (e.g. 'bearer: employee')",
    "action": "an action (e.g. 'action: accept')",
}
_ENDS = {"winner": "prevails", "loser": "yields"}


def reaches(edges, start, goal) -> bool:
    """True when ``goal`` is reached from ``start`` (or is it) along ``edges`` (node -> next nodes):
    a broader concept, or a rule that overrides another; used to refuse cycles."""
    todo, seen = [start], set()
    while todo:
        current = todo.pop()
        if current == goal:
            return True
        if current not in seen:
            seen.add(current)
            todo.extend(edges.get(current, ()))
    return False


def _singular(what: str) -> str:
    return {
        "conditions": "a condition",
        "exceptions": "an exception",
        "broader concept names": "a broader concept name",
    }.get(what, what)


# ------------------------------------------------------------------------------------------------
# Mapping to triples


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="-._~")


def _triples(policy: _Policy, content_hash: str) -> list[tuple]:
    doc = document_iri(policy.doc_id)
    scheme = URIRef(f"{doc}/concepts")
    out: list[tuple] = [
        (doc, RDF.type, POL.LegalSource),
        (doc, POL.contentHash, Literal(content_hash)),
    ]
    if policy.title is not None:
        out.append((doc, POL.title, Literal(policy.title)))
    if policy.authority is not None:
        out.append((doc, POL.authorityRank, Literal(policy.authority)))
    if policy.issued is not None:
        out.append((doc, POL.issued, Literal(policy.issued)))
    if policy.strategy is not None:
        out.append((doc, POL.fallbackStrategy, STRATEGIES[policy.strategy]))
    if policy.precedence is not None:
        out.append((doc, POL.precedenceOrder, Literal(" ".join(policy.precedence))))
    out += [
        (scheme, RDF.type, POL.ConceptScheme),
        (scheme, SKOS.prefLabel, Literal(f"{policy.title or policy.doc_id} concepts")),
        (scheme, POL.inSource, doc),
    ]
    if policy.jurisdiction is not None:
        place = jurisdiction_iri(policy.jurisdiction)
        out += [
            (doc, POL.jurisdiction, place),
            (place, RDF.type, POL.Jurisdiction),
            (place, SKOS.prefLabel, Literal(policy.jurisdiction)),
            (place, SKOS.inScheme, scheme),
        ]

    # Concepts: the roles rules give them, else their nearest relatives' roles, else Party.
    order: list[str] = []  # first use: the rules, then the concepts section
    roles: dict[str, set[URIRef]] = {}
    for rule in policy.rules:
        for label, cls in ((rule.bearer, POL.Party), (rule.action, POL.Action), (rule.object, POL.Asset)):
            if label is not None:
                order.append(label)
                roles.setdefault(label, set()).add(cls)
    neighbours: dict[str, set[str]] = {}
    for narrower, broader in policy.concepts.items():
        order += [narrower, *broader]
        neighbours.setdefault(narrower, set()).update(broader)
        for label in broader:
            neighbours.setdefault(label, set()).add(narrower)
    order = list(dict.fromkeys(order))
    untyped = [label for label in order if label not in roles]
    while untyped:
        # one step out from the typed concepts at a time, so the nearest relatives decide
        found = {}
        for label in untyped:
            classes = set().union(*(roles[n] for n in neighbours.get(label, ()) if n in roles))
            if classes:
                found[label] = classes
        if not found:
            break
        roles.update(found)
        untyped = [label for label in untyped if label not in found]
    for label in untyped:
        roles[label] = {POL.Party}
    for label in order:
        iri = concept_iri(label)
        for cls in sorted(roles[label]):
            out.append((iri, RDF.type, cls))
        out += [(iri, SKOS.prefLabel, Literal(label)), (iri, SKOS.inScheme, scheme)]
        for broader in policy.concepts.get(label, ()):
            out.append((iri, SKOS.broader, concept_iri(broader)))

    rule_iris = {}
    for rule in policy.rules:
        iri = rule_iris[rule.rule_id] = URIRef(f"{doc}/rule/{_quote(rule.rule_id)}")
        out += [
            (iri, RDF.type, MODALITIES[rule.modality]),
            (iri, POL.ruleId, Literal(rule.rule_id)),
            (iri, POL.ordinal, Literal(rule.ordinal)),
            (iri, POL.inSource, doc),
            (iri, POL.bearer, concept_iri(rule.bearer)),
            (iri, POL.action, concept_iri(rule.action)),
        ]
        if rule.object is not None:
            out.append((iri, POL.object, concept_iri(rule.object)))
        if rule.text is not None:
            out.append((iri, POL.sourceText, Literal(rule.text)))
        if rule.provision is not None:
            provision = URIRef(f"{doc}/provision/{_quote(rule.provision)}")
            out += [
                (iri, POL.derivedFromProvision, provision),
                (provision, RDF.type, POL.Provision),
                (provision, POL.provisionId, Literal(rule.provision)),
                (provision, POL.inSource, doc),
            ]
        for kind, cls, link, texts in (
            ("condition", POL.Condition, POL.hasCondition, rule.when),
            ("exception", POL.Exception, POL.hasException, rule.unless),
        ):
            for number, text in enumerate(texts, 1):
                node = URIRef(f"{iri}/{kind}/{number}")
                out += [(iri, link, node), (node, RDF.type, cls), (node, POL.text, Literal(text))]

    for number, override in enumerate(policy.overrides, 1):
        node = URIRef(f"{doc}/override/{number}")
        winner, loser = rule_iris[override.winner], rule_iris[override.loser]
        out += [
            (node, RDF.type, POL.Override),
            (node, POL.winner, winner),
            (node, POL.loser, loser),
            (node, POL.basis, BASES[override.basis]),
            (winner, POL.overrides, loser),
        ]
    return list(dict.fromkeys(out))

