"""The Framer: a regulation document in, its rules, definitions and concepts as one named graph out.

``frame_document`` parses every block of a ``SourceDocument`` once (``nlp.pipe``), extracts the
statements of each sentence (list items get their lead-in's rule, see ``extraction``), settles
the concepts, resolves cross-references and writes triples; ``load_regulation`` reads a file and
replaces its document's graph in one transaction, or does nothing when the same content is
already loaded.

Graph mapping (graph ``kg.store.graph_iri(doc_id)``, document ``{DOC_BASE}{doc_id}``):

- the document: ``pol:LegalSource`` with ``pol:title``, ``pol:contentHash``, ``pol:issued``,
  ``pol:jurisdiction`` when the format gives them;
- each provision ``{doc}/provision/{id}``: ``pol:provisionId`` (as in the source),
  ``pol:provisionKind``, ``pol:title``, ``pol:partOf`` (parent provision or the document),
  ``pol:ordinal`` and its span ``pol:startOffset``/``pol:endOffset`` in the normalised text;
- rules come from the operative text only: recitals, citations, preambles and notes explain a
  text and bind no one, so their sentences give no rules;
- each rule ``{doc}/rule/{provision}-{n}``: its modality class, ``pol:bearer``/``pol:action``/
  ``pol:object``/``pol:purpose`` concepts, ``pol:sourceText`` (the sentence or list item verbatim)
  with its offsets, ``pol:derivedFromProvision``, conditions and exceptions as their own nodes
  (``pol:text`` verbatim plus offsets), thresholds (``pol:amount`` a typed decimal, ``pol:unit``,
  ``pol:comparator`` an ODRL operator), cross-references (``pol:subjectTo``,
  ``pol:notwithstanding``, ``pol:refersTo`` to the provision when it exists in the document);
- "notwithstanding X" / "by way of derogation from X" make the rule override the rules of X, and
  "subject to X" makes the rules of X override it (``pol:Override`` with basis
  ``pol:ExplicitClause``, plus the direct ``pol:overrides`` edge), skipping any edge that would
  close a cycle;
- each definition ``{doc}/definition/{n}``: ``pol:definesTerm`` the concept, ``pol:definitionText``;
- concepts (``kg.labels.concept_iri``, shared by all documents): parties, actions and assets with
  ``skos:prefLabel`` and ``skos:broader`` from head nouns ("covered entity" under "entity"),
  coordination ("covered entity" under "covered entity or business associate": a rule for either
  reaches both), "X such as Y" and "X, including Y", definitions' genus, and the user's concept
  file. Every party without a broader party sits under ``party``, which is also the bearer of a
  rule whose text names none ("Personal data shall be processed lawfully": binds whoever acts).
"""

from __future__ import annotations

import re
import urllib.parse
from collections import defaultdict
from dataclasses import dataclass, field
from pathlib import Path

from rdflib import Literal, Namespace, URIRef
from rdflib.namespace import RDF, SKOS, XSD

from kg.labels import concept_iri, normalise_label
from kg.namespaces import POL
from kg.store import PolicyStore, graph_iri
from pipeline.framers.document import SourceDocument
from pipeline.framers.extraction import (
    Frame,
    PartyLeadIn,
    conditional_lead_in,
    infer_bearers,
    item_statements,
    lead_in_reading,
    load_model,
    noun_label,
)
from pipeline.framers.policy_yaml import already_loaded, document_iri, jurisdiction_iri, reaches
from pipeline.framers.statements import Span, Statement

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
MODALITY_CLASSES = {"obligation": POL.Obligation, "prohibition": POL.Prohibition, "permission": POL.Permission}
ANY_PARTY = "party"
ANY_ACTION = "act"


@dataclass
class FramedDocument:
    document: SourceDocument
    rules: list[tuple[Statement, str]]  # (statement, provision id)
    definitions: list[tuple[Statement, str]]
    triples: list[tuple]
    unchanged: bool = False
    counts: dict = field(default_factory=dict)

    @property
    def graph(self) -> URIRef:
        return graph_iri(self.document.doc_id)


def _quote(text: str) -> str:
    return urllib.parse.quote(text, safe="-._~()")


# ------------------------------------------------------------------------------------------------
# Extraction over a whole document


def extract_document(document: SourceDocument, nlp) -> tuple[list[tuple[Statement, str]], list[tuple[Statement, str]], dict]:
    """(rules, definitions, narrower->broader labels from 'such as') of a document; one parse per
    block of the operative text."""
    informative = _informative_provisions(document)
    # Recitals and notes give no rules: they are not parsed at all (a third of the GDPR's words).
    # Table rows ("Above 500 | Not permitted | Not permitted") are cells, not sentences.
    wanted = [
        i for i, block in enumerate(document.blocks)
        if block.provision not in informative and document.block_text(block).count(" | ") < 2
    ]
    docs: list = [None] * len(document.blocks)
    for index, doc in zip(wanted, nlp.pipe((document.block_text(document.blocks[i]) for i in wanted), batch_size=64)):
        docs[index] = doc
    frames: dict[int, object] = {}
    for block in document.blocks:
        if block.lead_in is not None and block.lead_in not in frames and docs[block.lead_in] is not None:
            sents = list(docs[block.lead_in].sents)
            frames[block.lead_in] = lead_in_reading(sents[-1], document.blocks[block.lead_in].start) if sents else None
    # Nested lead-ins: "a covered entity must— (ii) If X is not reasonable— (A) Document why ...":
    # a conditional lead-in with no rule of its own passes on its own lead-in's rule, as a condition.
    for index in sorted(frames, key=lambda i: document.blocks[i].start):
        lead = document.blocks[index]
        text = document.block_text(lead)
        if frames[index] is None and lead.lead_in is not None and conditional_lead_in(text):
            parent = frames.get(lead.lead_in)
            if isinstance(parent, Frame) and parent.statement is not None:
                frames[index] = parent.with_condition(Span(lead.start, lead.start + len(text.rstrip(" :—–-")), text.rstrip(" :—–-")))
    rules: list[tuple[Statement, str]] = []
    definitions: list[tuple[Statement, str]] = []
    examples: dict[str, set[str]] = defaultdict(set)
    distributed = {index for index, frame in frames.items() if frame is not None and not isinstance(frame, PartyLeadIn)}
    for index, (block, doc) in enumerate(zip(document.blocks, docs)):
        if doc is None:
            continue  # recitals and citations explain the law; they bind no one
        lead = frames.get(block.lead_in) if block.lead_in is not None else None
        lead_text = document.lead_in_text(block)
        sents = list(doc.sents)
        for position, sent in enumerate(sents):
            if index in distributed and position == len(sents) - 1:
                continue  # a lead-in's rule is given to each of its items instead
            for statement in item_statements(sent, block.start, lead, lead_text, position == 0):
                if statement.kind == "definition":
                    statement.genus = _genus(sent)
                    definitions.append((statement, block.provision))
                elif statement.modality:
                    rules.append((statement, block.provision))
        _such_as(doc, examples)
    infer_bearers([s for s, _ in rules], [f"{document.doc_id}|{_top_provision(document, p)}" for _, p in rules])
    return rules, definitions, examples


# Provision kinds that explain or introduce a text rather than lay down its rules (AKN, USLM and
# our text readers' names): "(39) Personal data should be processed ..." in a recital binds no one.
INFORMATIVE_KINDS = {
    "recital", "recitals", "citation", "citations", "preamble", "preface", "note", "notes", "footnote", "toc",
    # text an amending act inserts into another act: its rules are that act's, not this one's
    "quotedstructure", "quotedtext",
}


def _informative_provisions(document: SourceDocument) -> set[str]:
    """Ids of the provisions inside recitals, citations, preambles and notes."""
    kinds = {p.id: p.kind for p in document.provisions}
    parents = {p.id: p.parent for p in document.provisions}
    out = set()
    for provision in document.provisions:
        current = provision.id
        while current is not None:
            if kinds.get(current, "").lower() in INFORMATIVE_KINDS:
                out.add(provision.id)
                break
            current = parents.get(current)
    return out


def _top_provision(document: SourceDocument, provision_id: str) -> str:
    """The article or section a provision belongs to: the group whose rules lend it a bearer."""
    current = document.provision(provision_id)
    while current is not None:
        if current.kind in ("article", "section", "regulation", "rule") or current.parent is None:
            return current.id
        current = document.provision(current.parent)
    return provision_id


def _genus(sent) -> str | None:
    """'"processor" means a natural or legal person ...' -> 'person' (the first noun after 'means')."""
    means = next((t for t in sent if t.lower_ in ("means", "mean")), None)
    if means is None:
        return None
    for token in sent.doc[means.i + 1 : sent.end]:
        if token.pos_ in ("NOUN", "PROPN") and token.dep_ not in ("compound", "amod"):
            return noun_label(token)
    return None


def _such_as(doc, examples: dict[str, set[str]]) -> None:
    """'gifts such as meals or tickets' -> meal and ticket under gift; likewise 'X, including Y'.

    spaCy hangs "as" on the general noun with "such" under it (or just before it)."""
    for token in doc:
        if token.pos_ not in ("NOUN", "PROPN"):
            continue
        for prep in token.children:
            if prep.dep_ != "prep":
                continue
            such_as = prep.lower_ == "as" and (
                any(c.lower_ == "such" for c in prep.children) or (prep.i > 0 and doc[prep.i - 1].lower_ == "such")
            )
            if not (such_as or prep.lower_ == "including"):
                continue
            for item in prep.children:
                if item.dep_ != "pobj" or item.pos_ not in ("NOUN", "PROPN"):
                    continue
                for member in [item, *[c for c in item.conjuncts if c.pos_ in ("NOUN", "PROPN")]]:
                    narrow, broad = noun_label(member), noun_label(token)
                    if narrow and broad and narrow != broad:
                        examples[narrow].add(broad)


# ------------------------------------------------------------------------------------------------
# Concepts


class Concepts:
    """Labels of parties, actions and assets, their roles and their broader concepts."""

    def __init__(self, defined_terms: set[str], aliases: dict[str, str] | None = None) -> None:
        self.defined = defined_terms
        self.aliases = aliases or {}  # "clo" -> "chief legal officer", from the document's own definitions
        self.roles: dict[str, set[URIRef]] = defaultdict(set)
        self.broader: dict[str, set[str]] = defaultdict(set)

    def canonical(self, label: str) -> str:
        """The concept's label: normalised, with abbreviations the document defines spelled out
        ("CLO" -> "chief legal officer", also inside "CLO or Audit Committee")."""
        label = normalise_label(label)
        if label in self.aliases:
            return self.aliases[label]
        for joiner in (" or ", " and "):
            if joiner in label:
                return joiner.join(self.canonical(part) for part in label.split(joiner))
        return label

    def add(self, label: str, role: URIRef) -> str:
        label = self.canonical(label)
        self.roles[label].add(role)
        self._relate(label, role)
        return label

    def _relate(self, label: str, role: URIRef) -> None:
        # coordination: each conjunct under the coordinated concept
        for joiner in (" or ", " and "):
            if joiner in label:
                for part in label.split(joiner):
                    part = part.strip(" ,")
                    if part and part != label:
                        self.broader[part].add(label)
                        self.roles[part].add(role)
                        self._relate(part, role)
                return
        # head nouns: 'personal data breach' under 'data breach' under 'breach'
        words = label.split()
        if role != POL.Action and len(words) > 1:
            rest = " ".join(words[1:])
            self.broader[label].add(rest)
            self.roles[rest].add(role)
            self._relate(rest, role)

    def triples(self, scheme: URIRef) -> list[tuple]:
        out: list[tuple] = []
        labels = set(self.roles) | set(self.broader) | {b for bs in self.broader.values() for b in bs}
        # Roles for concepts only met as broader ones: their narrower concepts' roles.
        for label in labels:
            if not self.roles.get(label):
                for narrower, broader in self.broader.items():
                    if label in broader and self.roles.get(narrower):
                        self.roles[label] |= self.roles[narrower]
                if not self.roles.get(label):
                    self.roles[label].add(POL.Party)
        parties = {label for label in labels if POL.Party in self.roles[label]}
        if ANY_PARTY in labels or parties:
            self.roles[ANY_PARTY].add(POL.Party)
            labels.add(ANY_PARTY)
        for label in sorted(labels):
            iri = concept_iri(label)
            out += [(iri, RDF.type, cls) for cls in sorted(self.roles[label])]
            out += [(iri, SKOS.prefLabel, Literal(label)), (iri, SKOS.inScheme, scheme)]
            ups = self.broader.get(label, set()) - {label}
            for up in sorted(ups):
                out.append((iri, SKOS.broader, concept_iri(up)))
            if label in parties and label != ANY_PARTY and not any(up in parties for up in ups):
                out.append((iri, SKOS.broader, concept_iri(ANY_PARTY)))
        return out


_ABBREVIATION = re.compile(r"\(\s*(?:the\s+)?[“\"'‘]?\**([A-Z][A-Z0-9&]{1,9})\**[”\"'’]?\s*\)")
_JOINERS = {"of", "and", "for", "the", "&"}


def abbreviations(text: str) -> dict[str, str]:
    """Abbreviations a document defines: 'Chief Legal Officer of GitLab ("CLO")' -> {"clo": "chief legal officer"}.

    The long form is the run of capitalised words just before the parenthesis whose initials
    spell the abbreviation (joining words such as "of" may sit inside it)."""
    found: dict[str, str] = {}
    for match in _ABBREVIATION.finditer(text):
        short = match.group(1)
        words = re.findall(r"[\w&'’-]+", text[max(0, match.start() - 160) : match.start()])[-10:]
        for end in range(len(words), 0, -1):
            for start in range(end - 1, -1, -1):
                window = words[start:end]
                if window[0].lower() in _JOINERS or window[-1].lower() in _JOINERS:
                    continue
                initials = "".join(w[0] for w in window if w.lower() not in _JOINERS and w[:1].isupper())
                if initials.upper() == short.upper() and all(w[:1].isupper() or w.lower() in _JOINERS for w in window):
                    found.setdefault(normalise_label(short), normalise_label(" ".join(window)))
                    break
            else:
                continue
            break
    return found


# ------------------------------------------------------------------------------------------------
# References

_CITE = re.compile(r"(?P<kind>Article|Articles|Art\.|paragraph|paragraphs|point|points|subparagraph|section|sections|§+|Chapter|Part|part|Subpart|subpart)\s*(?P<rest>.*)", re.IGNORECASE)
_PARENS = re.compile(r"\(([0-9A-Za-z]{1,4})\)")


class ReferenceResolver:
    """'Article 6', 'paragraph 2', 'point (a) of paragraph 1', 'section 164.508' -> provision ids."""

    def __init__(self, document: SourceDocument) -> None:
        self.last_candidates: list[str] = []  # the ids the last resolve() looked for
        self.ids = {p.id for p in document.provisions}
        self.by_label: dict[str, list[str]] = defaultdict(list)
        self.parent = {p.id: p.parent for p in document.provisions}
        self.kind = {p.id: p.kind for p in document.provisions}
        for provision in document.provisions:
            if provision.label:
                key = re.sub(r"[\s.]+$", "", provision.label.lower())
                self.by_label[key].append(provision.id)
                self.by_label[f"{provision.kind} {key.strip('()')}"].append(provision.id)

    def resolve(self, target: str, context: str) -> str | None:
        self.last_candidates = []
        this = re.match(r"this\s+(\w+)$", target.strip(), re.IGNORECASE)
        if this:
            # "except as permitted by this subpart": the enclosing provision of that kind
            kind = this.group(1).lower()
            return self._enclosing(context, (kind,) if kind != "paragraph" else ("paragraph", "point"))
        match = _CITE.match(target.strip())
        if not match:
            return None
        kind = match.group("kind").lower().rstrip("s.")
        rest = match.group("rest").strip()
        number = re.match(r"\(?([0-9]+[A-Za-z]?|[IVXLC]+)\)?((?:\.[0-9]+)*)", rest)
        if not number:
            return None
        head = number.group(1) + number.group(2)
        tail = "".join(f"({p})" for p in _PARENS.findall(rest[number.end():].split(" of ")[0]))
        candidates = []
        if kind in ("article", "art"):
            candidates += [f"Article {head}{tail}", f"Article {head}"]
        elif kind in ("section", "§", "§§"):
            candidates += [f"{head}{tail}", head, f"Section {head}{tail}", f"Section {head}"]
        elif kind in ("paragraph", "point", "subparagraph"):
            article = self._enclosing(context, ("article", "section"))
            if article:
                paragraph = f"({head})" if not head.startswith("(") else head
                candidates.append(f"{article}{paragraph}{tail}")
                if kind == "point":
                    parent_paragraph = self._enclosing(context, ("paragraph",))
                    if parent_paragraph:
                        candidates.append(f"{parent_paragraph}{paragraph}")
        elif kind in ("chapter",):
            candidates += [f"Chapter {head}"]
        elif kind in ("part",):
            candidates += [f"Part {head}", f"part-{head}"]
        self.last_candidates = candidates
        for candidate in candidates:
            if candidate in self.ids:
                return candidate
        for key in (f"{kind} {head}", f"{kind} {head}".replace("art ", "article "), head):
            found = self.by_label.get(key.lower())
            if found:
                return found[0]
        return None

    def _enclosing(self, provision_id: str, kinds: tuple[str, ...]) -> str | None:
        current = provision_id
        while current:
            if self.kind.get(current) in kinds:
                return current
            current = self.parent.get(current)
        return None

    def descendants(self, provision_id: str) -> set[str]:
        children = defaultdict(list)
        for child, parent in self.parent.items():
            if parent:
                children[parent].append(child)
        out, todo = set(), [provision_id]
        while todo:
            current = todo.pop()
            if current in out:
                continue
            out.add(current)
            todo += children.get(current, [])
        return out


# ------------------------------------------------------------------------------------------------
# Triples


_SECTION_ID = re.compile(r"\d+\.\d+[a-z]?(?:\([0-9A-Za-z]{1,4}\))*")


def frame_document(
    document: SourceDocument,
    nlp=None,
    *,
    concept_file: dict[str, list[str]] | None = None,
    external: dict[str, URIRef] | None = None,
) -> FramedDocument:
    """The document's graph; ``external`` maps section ids ("160.103") of other loaded documents
    to their provisions, for cross-references that leave the document (resolved when unique)."""
    external = external or {}
    nlp = nlp if nlp is not None else load_model()
    rules, definitions, examples = extract_document(document, nlp)
    doc = document_iri(document.doc_id)
    scheme = URIRef(f"{doc}/concepts")
    concepts = Concepts({s.term for s, _ in definitions if s.term}, abbreviations(document.text))
    out: list[tuple] = [
        (doc, RDF.type, POL.LegalSource),
        (doc, POL.contentHash, Literal(document.content_hash)),
        (scheme, RDF.type, POL.ConceptScheme),
        (scheme, SKOS.prefLabel, Literal(f"{document.title or document.doc_id} concepts")),
        (scheme, POL.inSource, doc),
    ]
    if document.title:
        out.append((doc, POL.title, Literal(document.title)))
    if document.metadata.get("issued") is not None:
        out.append((doc, POL.issued, Literal(document.metadata["issued"])))
    if document.metadata.get("jurisdiction"):
        place = jurisdiction_iri(document.metadata["jurisdiction"])
        out += [
            (doc, POL.jurisdiction, place),
            (place, RDF.type, POL.Jurisdiction),
            (place, SKOS.prefLabel, Literal(document.metadata["jurisdiction"])),
            (place, SKOS.inScheme, scheme),
        ]

    provision_iri = {p.id: URIRef(f"{doc}/provision/{_quote(p.id)}") for p in document.provisions}
    for provision in document.provisions:
        iri = provision_iri[provision.id]
        out += [
            (iri, RDF.type, POL.Provision),
            (iri, POL.provisionId, Literal(provision.id)),
            (iri, POL.provisionKind, Literal(provision.kind)),
            (iri, POL.inSource, doc),
            (iri, POL.partOf, provision_iri[provision.parent] if provision.parent else doc),
            (iri, POL.ordinal, Literal(provision.ordinal)),
            (iri, POL.startOffset, Literal(provision.start)),
            (iri, POL.endOffset, Literal(provision.end)),
        ]
        if provision.title:
            out.append((iri, POL.title, Literal(provision.title)))

    for narrower, broader in (concept_file or {}).items():
        for label in broader:
            concepts.broader[normalise_label(narrower)].add(normalise_label(label))
    for narrower, broader in examples.items():
        concepts.broader[narrower] |= broader
    for statement, _ in definitions:
        if statement.term and statement.genus and statement.genus != statement.term:
            concepts.broader[statement.term].add(statement.genus)

    resolver = ReferenceResolver(document)
    rules_of: dict[str, list[URIRef]] = defaultdict(list)
    modality_of: dict[URIRef, str] = {}
    rule_refs: list[tuple[URIRef, str, str]] = []  # (rule, kind, provision id)
    per_provision: dict[str, int] = defaultdict(int)
    rule_iri: dict[int, URIRef] = {}  # id(statement) -> its rule, for a correlative duty's right
    for ordinal, (statement, provision) in enumerate(rules):
        per_provision[provision] += 1
        rule_id = f"{provision or 'text'}-{per_provision[provision]}"
        iri = URIRef(f"{doc}/rule/{_quote(rule_id)}")
        rules_of[provision].append(iri)
        modality_of[iri] = statement.modality
        bearer = concepts.add(statement.bearer or ANY_PARTY, POL.Party)
        action = concepts.add(statement.action or ANY_ACTION, POL.Action)
        out += [
            (iri, RDF.type, MODALITY_CLASSES[statement.modality]),
            (iri, POL.ruleId, Literal(rule_id)),
            (iri, POL.ordinal, Literal(ordinal)),
            (iri, POL.inSource, doc),
            (iri, POL.bearer, concept_iri(bearer)),
            (iri, POL.action, concept_iri(action)),
            (iri, POL.sourceText, Literal(statement.sentence.text)),
            (iri, POL.startOffset, Literal(statement.sentence.start)),
            (iri, POL.endOffset, Literal(statement.sentence.end)),
        ]
        if provision in provision_iri:
            out.append((iri, POL.derivedFromProvision, provision_iri[provision]))
        rule_iri[id(statement)] = iri
        if statement.correlative_of is not None and id(statement.correlative_of) in rule_iri:
            out.append((iri, POL.correlativeOf, rule_iri[id(statement.correlative_of)]))
        if statement.object:
            out.append((iri, POL.object, concept_iri(concepts.add(statement.object, POL.Asset))))
        if statement.purpose:
            purpose = concept_iri(statement.purpose)
            out += [(iri, POL.purpose, purpose), (purpose, RDF.type, POL.Purpose),
                    (purpose, SKOS.prefLabel, Literal(normalise_label(statement.purpose))), (purpose, SKOS.inScheme, scheme)]
        for kind, cls, link, spans in (
            ("condition", POL.Condition, POL.hasCondition, statement.conditions),
            ("exception", POL.Exception, POL.hasException, statement.exceptions),
        ):
            for number, span in enumerate(spans, 1):
                node = URIRef(f"{iri}/{kind}/{number}")
                out += [
                    (iri, link, node), (node, RDF.type, cls), (node, POL.text, Literal(span.text)),
                    (node, POL.startOffset, Literal(span.start)), (node, POL.endOffset, Literal(span.end)),
                ]
        for number, threshold in enumerate(statement.thresholds, 1):
            node = URIRef(f"{iri}/threshold/{number}")
            out += [
                (iri, POL.threshold, node), (node, RDF.type, POL.Threshold),
                (node, POL.amount, Literal(threshold.amount, datatype=XSD.decimal)),
                (node, POL.unit, Literal(threshold.unit)),
                (node, POL.comparator, ODRL[threshold.comparator]),
                (node, POL.text, Literal(threshold.text)),
            ]
        for reference in statement.references:
            target = resolver.resolve(reference.target, provision)
            link = {
                "subjectTo": POL.subjectTo, "exceptAs": POL.subjectTo,
                "notwithstanding": POL.notwithstanding, "derogation": POL.notwithstanding,
            }.get(reference.kind, POL.refersTo)
            if target is None or target not in provision_iri:
                # "§ 160.103" from part 164: a section number another loaded document holds
                elsewhere = next((external[c] for c in resolver.last_candidates if _SECTION_ID.fullmatch(c) and c in external), None)
                if elsewhere is not None:
                    out.append((iri, link, elsewhere))
                continue
            out.append((iri, link, provision_iri[target]))
            if reference.kind in ("subjectTo", "exceptAs", "notwithstanding", "derogation"):
                rule_refs.append((iri, reference.kind, target))

    out += _overrides(doc, rule_refs, rules_of, resolver, modality_of)

    for number, (statement, provision) in enumerate(definitions, 1):
        iri = URIRef(f"{doc}/definition/{number}")
        term = concepts.add(statement.term, POL.Party)
        out += [
            (iri, RDF.type, POL.Definition),
            (iri, POL.definesTerm, concept_iri(term)),
            (iri, POL.definitionText, Literal(statement.definition)),
            (iri, POL.sourceText, Literal(statement.sentence.text)),
            (iri, POL.startOffset, Literal(statement.sentence.start)),
            (iri, POL.endOffset, Literal(statement.sentence.end)),
            (iri, POL.inSource, doc),
        ]
        if provision in provision_iri:
            out.append((iri, POL.derivedFromProvision, provision_iri[provision]))

    out += concepts.triples(scheme)
    counts = {m: sum(1 for s, _ in rules if s.modality == m) for m in MODALITY_CLASSES}
    counts["definitions"] = len(definitions)
    return FramedDocument(document, rules, definitions, list(dict.fromkeys(out)), counts=counts)


def _overrides(doc: URIRef, refs, rules_of, resolver: ReferenceResolver, modality_of: dict) -> list[tuple]:
    """Explicit overrides from 'notwithstanding'/'derogation' (this rule wins) and 'subject to' /
    'except as permitted by' (it yields); only between rules whose modalities can conflict."""
    edges: dict[URIRef, set[URIRef]] = defaultdict(set)
    out: list[tuple] = []

    number = 0
    for rule, kind, target in refs:
        others = [r for p in sorted(resolver.descendants(target)) for r in rules_of.get(p, []) if r != rule]
        for other in others:
            if (modality_of[rule] == "prohibition") == (modality_of[other] == "prohibition"):
                continue  # two duties, or two permissions, never conflict: nothing to settle
            winner, loser = (rule, other) if kind in ("notwithstanding", "derogation") else (other, rule)
            if loser in edges[winner] or reaches(edges, loser, winner):
                continue
            edges[winner].add(loser)
            number += 1
            node = URIRef(f"{doc}/override/{number}")
            out += [
                (node, RDF.type, POL.Override), (node, POL.winner, winner), (node, POL.loser, loser),
                (node, POL.basis, POL.ExplicitClause), (winner, POL.overrides, loser),
            ]
    return out


def load_regulation(store: PolicyStore, path: Path, *, nlp=None, concept_file=None, max_bytes: int | None = None) -> FramedDocument:
    """Read, frame and store one regulation document; nothing is written when it fails or is unchanged."""
    from pipeline.framers.readers import MAX_DOCUMENT_BYTES, read_document

    document = read_document(path, max_bytes=max_bytes or MAX_DOCUMENT_BYTES)
    graph = graph_iri(document.doc_id)
    if already_loaded(store, document.doc_id, document.content_hash) and not concept_file:
        return FramedDocument(document, [], [], [], unchanged=True)
    framed = frame_document(document, nlp, concept_file=concept_file, external=_external_sections(store, graph))
    store.replace_graph(graph, framed.triples)
    return framed


_SECTIONS = """SELECT ?id ?provision WHERE {
  GRAPH ?g { ?provision a pol:Provision ; pol:provisionId ?id }
  FILTER(?g != ?self && REGEX(STR(?id), "^[0-9]+[.][0-9]+"))
}"""


def _external_sections(store: PolicyStore, graph: URIRef) -> dict[str, URIRef]:
    """Section-numbered provisions ("160.103") of the other loaded documents, where unique."""
    seen: dict[str, set[URIRef]] = defaultdict(set)
    for provision_id, provision in store.query(_SECTIONS, {"self": graph}, name="section ids").rows:
        seen[str(provision_id)].add(provision)
    return {key: next(iter(values)) for key, values in seen.items() if len(values) == 1}


