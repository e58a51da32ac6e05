#!/usr/bin/env python
"""Decision benchmark: the decision engine against a naive one-SPARQL-query-per-decision baseline.

Run from the repository root::

    PYTHONPATH=. python bench/decide.py                         # 10,000 rules, 2,000 situations
    PYTHONPATH=. python bench/decide.py --rules 2000 --situations 500 --out bench-decide.json

stdout is one JSON object; progress goes to stderr.

What it does
------------
1. Builds a deterministic (seeded) policy graph of ``--rules`` rules shaped like ours
   (``pipeline/examples/acme-conduct.ttl``): three SKOS concept hierarchies (parties, actions,
   assets; five levels, a few concepts with two broader concepts) whose IRIs come from
   ``kg.labels.concept_iri`` and whose ``skos:prefLabel`` is the normalised label, in a
   ``vocabulary`` graph; ``--documents`` documents, each a ``pol:LegalSource`` with
   ``pol:authorityRank`` and ``pol:issued`` in its own named graph, with ``pol:Provision`` nodes
   and rules (``pol:Obligation`` / ``pol:Prohibition`` / ``pol:Permission`` with ``pol:ruleId``,
   ``pol:ordinal``, ``pol:bearer`` / ``pol:action`` / optional ``pol:object``, ``pol:inSource``,
   ``pol:derivedFromProvision``, ``pol:sourceText``, ``pol:hasCondition`` / ``pol:hasException``
   blank nodes whose ``pol:text`` comes from a pool of 50 fact names, some written with a capital
   and a full stop so that label normalisation matters). One rule in ten is a deliberate conflict:
   the opposite modality of another rule on the same bearer/action/object, on a narrower one
   (copying the other's conditions, so lex specialis can decide) or on a broader one, in the same
   document or another (lex superior / lex posterior). A fifth of the conflicts carry an explicit
   override (``pol:Override`` with ``pol:winner`` / ``pol:loser`` / ``pol:basis
   pol:ExplicitClause`` and the ``pol:overrides`` edge) and a few pairs override each other (a
   cycle: unresolved). Each graph is written with one ``store.replace_graph``.

2. Generates ``--situations`` situations: 40% from a rule (its concepts or narrower ones, so
   rules apply), 58% at random (weighted to the leaves), 2% with a concept no rule knows. Facts:
   the condition and exception facts of the rules that can apply (computed by this script's own
   matcher) get random true/false values; in about a third of the situations 1 to 3 of them are
   left unknown (so needs-info happens); a couple of irrelevant facts are added, and some keys
   are written in another case.

3. Times, in the same process and on the same store:
   (a) ``Policy.from_store`` (the four named queries plus building the structures), ``--read-repeat``
       times; (b) the engine: ``DecisionEngine(policy)`` once, one warm-up pass over every
       situation, then one timed pass with ``time.perf_counter_ns`` around each ``decide``;
   (c) the naive baseline: one SPARQL query per situation through ``store.query`` with the
       bearer, action and object labels as bindings. The query finds the rules whose bearer,
       action and object are the situation's or broader (``skos:broader*``; a rule without object
       applies to any object, a rule with one does not apply to a situation without), with their
       modality and their conditions and exceptions as rows; Python then applies the facts and
       deny-overrides: an applicable prohibition forbids, else an undecided rule gives needs-info,
       else obligation > permission > not-applicable. It ignores explicit overrides, lex
       superior / specialis / posterior and the engine's "would an unknown change the verdict"
       test. On Oxigraph the conditions/exceptions part is wrapped in ``LATERAL`` (Oxigraph's
       extension; 3x faster than the plain OPTIONAL, which it evaluates as a hash join over every
       rule's conditions); the standard-SPARQL form is timed too on ``--baseline-standard``
       situations. The baseline runs on every situation unless that would take over
       ``--baseline-budget`` seconds, then on as many of a seeded shuffle as fit (never fewer
       than ``--baseline-min``).

   Checks: the baseline's candidate rules (before facts) against ``DecisionEngine.candidates``
   for every situation the baseline ran; the verdicts on the situations where both semantics
   must agree ("clean": every fact of every candidate rule known and no conflict in the engine's
   decision; a disagreement there is a bug in one of them, examples are reported; agreement on
   the other situations is reported for information only); and every conflict the engine
   reports against the generator's own overrides, authority ranks, issue dates and hierarchy.

   Cost of unknown facts: ``--no-facts-sample`` situations decided again with no facts (time by
   number of unknown facts that matter, and how many the engine refuses: more than
   ``MAX_UNKNOWN_FACTS``), and a minimal policy of k conditional permissions.

4. Prints one JSON object: machine, sizes, policy read time, engine and baseline latency
   (p50/p95/p99 µs) and throughput, the speedup, the verdict distribution, the checks, and the
   target "p50 under 1 ms per decision after warm-up".
"""

from __future__ import annotations

from machine import machine_info as common_machine_info  # bench/ is on sys.path when run as a script
from machine import percentile

import argparse
import datetime
import gc
import hashlib
import json
import math
import random
import shutil
import statistics
import sys
import tempfile
import time
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.store import STANDARD_PREFIXES  # noqa: E402 (after the path set-up above)

POL = STANDARD_PREFIXES["pol"]
SKOS = STANDARD_PREFIXES["skos"]
XSD = STANDARD_PREFIXES["xsd"]
DATA = "https://w3id.org/alignment-studio/data/bench-decide/"

TARGET_P50_US = 1000.0
TARGET_NAME = "p50 under 1 ms per decision after warm-up"

# name: (class, root label, level-1 labels, branching below level 1)
SCHEMES = {
    "party": ("Party", "party", ["employee", "contractor", "supplier", "customer", "public official"], (4, 4, 3)),
    "action": ("Action", "act", ["use", "disclose", "transfer", "accept"], (3, 3, 2)),
    "asset": ("Asset", "asset", ["data", "gift", "document", "device", "funds"], (4, 3, 3)),
}
# How rules and situations pick a concept's level (0 = root .. 4 = leaf).
RULE_LEVEL_WEIGHTS = (0.02, 0.08, 0.2, 0.35, 0.35)
SITUATION_LEVEL_WEIGHTS = (0.01, 0.04, 0.1, 0.25, 0.6)
SYLLABLES = (
    "ka ra to mi ne lo su vi da pe fo gu zi an el or is um ba co de fi ho ju ly ma no pu re sa ti ve wo ya ze"
).split()
FACTS = [
    "gift value exceeds 100 usd", "manager approved", "compliance approved", "data is personal",
    "data is sensitive", "recipient is abroad", "recipient is a public official", "contract signed",
    "purpose is business", "consent given", "consent withdrawn", "request is written", "legal hold",
    "incident reported", "training completed", "background check passed", "asset is encrypted",
    "asset is classified", "during working hours", "on company premises", "customer is a minor",
    "amount exceeds limit", "invoice approved", "tender is open", "conflict of interest declared",
    "supplier is sanctioned", "supplier is assessed", "data is anonymised", "retention period over",
    "audit in progress", "emergency declared", "board approved", "two signatures", "payment is cash",
    "travel is international", "hospitality is customary", "event is public", "media enquiry",
    "account is privileged", "device is managed", "network is trusted", "backup verified",
    "license valid", "transfer mechanism in place", "subject request received", "breach suspected",
    "within notice period", "visitor escorted", "waiver granted", "value is nominal",
]
MODALITY_CLASSES = {"obligation": "Obligation", "prohibition": "Prohibition", "permission": "Permission"}


# --------------------------------------------------------------------------------------------
# Synthetic policy
# --------------------------------------------------------------------------------------------


@dataclass
class Concept:
    label: str
    scheme: str
    level: int
    parents: list[str] = field(default_factory=list)
    children: list[str] = field(default_factory=list)


@dataclass
class Rule:
    iri: str
    rule_id: str
    doc: str
    modality: str
    bearer: str
    action: str
    object: str | None
    conditions: list[str]  # fact names as written in the graph (not normalised)
    exceptions: list[str]
    ordinal: int = 0


@dataclass
class Document:
    doc_id: str
    authority: int
    issued: str
    rules: list[Rule] = field(default_factory=list)


def make_concepts(rng: random.Random) -> dict[str, dict[str, Any]]:
    """Per scheme: concepts by label and the labels per level."""
    used: set[str] = set()

    def word() -> str:
        while True:
            w = "".join(rng.choice(SYLLABLES) for _ in range(rng.randint(2, 3)))
            if w not in used:
                used.add(w)
                return w

    schemes: dict[str, dict[str, Any]] = {}
    for name, (_, root, level1, branching) in SCHEMES.items():
        concepts = {root: Concept(root, name, 0)}
        levels = [[root], []]
        for label in level1:
            concepts[label] = Concept(label, name, 1, [root])
            concepts[root].children.append(label)
            levels[1].append(label)
        for depth, fan in enumerate(branching, start=2):
            levels.append([])
            for parent in levels[depth - 1]:
                head = parent.split()[-1] if depth > 2 else parent
                for _ in range(fan):
                    label = f"{word()} {head}"
                    concepts[label] = Concept(label, name, depth, [parent])
                    concepts[parent].children.append(label)
                    levels[depth].append(label)
        # A few concepts with a second broader concept in another branch (poly-hierarchy).
        for depth in range(2, len(levels)):
            for label in levels[depth]:
                if rng.random() < 0.03:
                    other = rng.choice(levels[depth - 1])
                    if other not in concepts[label].parents:
                        concepts[label].parents.append(other)
                        concepts[other].children.append(label)
        schemes[name] = {"concepts": concepts, "levels": levels}
    return schemes


def ancestors_map(schemes) -> dict[str, frozenset[str]]:
    out: dict[str, frozenset[str]] = {}
    for scheme in schemes.values():
        concepts = scheme["concepts"]
        for label in concepts:
            seen, todo = {label}, [label]
            while todo:
                for parent in concepts[todo.pop()].parents:
                    if parent not in seen:
                        seen.add(parent)
                        todo.append(parent)
            out[label] = frozenset(seen)
    return out


def pick_level(rng: random.Random, levels: list[list[str]], weights) -> str:
    depth = rng.choices(range(len(levels)), weights[: len(levels)])[0]
    return rng.choice(levels[depth])


def written_fact(rng: random.Random, fact: str) -> str:
    """The fact as a document might write it: sometimes capitalised with a full stop."""
    return fact[0].upper() + fact[1:] + "." if rng.random() < 0.1 else fact


def build_policy(n_rules: int, n_docs: int, seed: int) -> dict[str, Any]:
    rng = random.Random(seed)
    schemes = make_concepts(rng)
    anc = ancestors_map(schemes)
    docs = []
    ranks = [100, 50, 50, 20, 20, 10, 10, 10]
    for i in range(n_docs):
        issued = datetime.date(2018, 1, 1) + datetime.timedelta(days=rng.randrange(0, 6 * 365))
        if i % 4 == 3:  # some documents issued the same day as another: lex posterior cannot decide
            issued = datetime.date.fromisoformat(docs[i - 1].issued)
        docs.append(Document(f"bench-doc-{i + 1:02d}", ranks[i % len(ranks)], issued.isoformat()))

    def new_rule(doc: Document, modality, bearer, action, obj, conditions, exceptions) -> Rule:
        n = len(doc.rules) + 1
        rule = Rule(
            iri=f"{DATA}rule/{doc.doc_id}/r{n}", rule_id=f"{doc.doc_id}-R{n:05d}", doc=doc.doc_id,
            modality=modality, bearer=bearer, action=action, object=obj,
            conditions=conditions, exceptions=exceptions, ordinal=n,
        )
        doc.rules.append(rule)
        return rule

    n_conflicts = n_rules // 10
    base: list[Rule] = []
    for _ in range(n_rules - n_conflicts):
        modality = rng.choices(["obligation", "prohibition", "permission"], [0.35, 0.35, 0.3])[0]
        bearer = pick_level(rng, schemes["party"]["levels"], RULE_LEVEL_WEIGHTS)
        action = pick_level(rng, schemes["action"]["levels"], RULE_LEVEL_WEIGHTS)
        obj = None if rng.random() < 0.2 else pick_level(rng, schemes["asset"]["levels"], RULE_LEVEL_WEIGHTS)
        k = rng.choices([0, 1, 2], [0.5, 0.35, 0.15])[0]
        conditions = [written_fact(rng, f) for f in rng.sample(FACTS, k)]
        exceptions = [written_fact(rng, rng.choice(FACTS))] if rng.random() < 0.25 else []
        base.append(new_rule(rng.choice(docs), modality, bearer, action, obj, conditions, exceptions))

    conflicts = Counter()
    pairs: list[tuple[Rule, Rule]] = []
    for _ in range(n_conflicts):
        seed_rule = rng.choice(base)
        if seed_rule.modality == "prohibition":
            modality = "permission" if rng.random() < 0.7 else "obligation"
        else:
            modality = "prohibition"
        bearer, obj = seed_rule.bearer, seed_rule.object
        conditions = list(seed_rule.conditions)
        exceptions = list(seed_rule.exceptions) if rng.random() < 0.5 else []
        shape = rng.choices(["same-scope", "narrower", "broader"], [0.45, 0.35, 0.2])[0]
        concepts = {**schemes["party"]["concepts"], **schemes["asset"]["concepts"]}
        if shape == "narrower":
            which = "object" if obj is not None and rng.random() < 0.4 else "bearer"
            children = concepts[obj if which == "object" else bearer].children
            if not children:
                shape = "same-scope"
            elif which == "object":
                obj = rng.choice(children)
            else:
                bearer = rng.choice(children)
            if rng.random() < 0.3:
                extra = written_fact(rng, rng.choice(FACTS))
                if extra not in conditions:
                    conditions.append(extra)
        elif shape == "broader":
            parents = concepts[bearer].parents
            if not parents:
                shape = "same-scope"
            else:
                bearer = rng.choice(parents)
                conditions = conditions[:1] if rng.random() < 0.5 else []
        doc = next(d for d in docs if d.doc_id == seed_rule.doc) if rng.random() < 0.5 else rng.choice(docs)
        conflicts[shape] += 1
        conflicts["cross-document" if doc.doc_id != seed_rule.doc else "same-document"] += 1
        pairs.append((seed_rule, new_rule(doc, modality, bearer, seed_rule.action, obj, conditions, exceptions)))

    overrides: list[tuple[Rule, Rule]] = []  # (winner, loser)
    for a, b in pairs:
        if rng.random() < 0.2:
            overrides.append((a, b) if rng.random() < 0.5 else (b, a))
    cycle_pairs = rng.sample(pairs, min(5, len(pairs)))
    for a, b in cycle_pairs:
        if (a, b) not in overrides:
            overrides.append((a, b))
        if (b, a) not in overrides:
            overrides.append((b, a))
    cycles = len(cycle_pairs)
    rules = [r for d in docs for r in d.rules]
    return {
        "schemes": schemes,
        "ancestors": anc,
        "docs": docs,
        "rules": rules,
        "pairs": pairs,
        "overrides": overrides,
        "cycle_pairs": cycle_pairs,
        "conflicts": {
            "deliberate_pairs": len(pairs),
            **{k.replace("-", "_"): v for k, v in sorted(conflicts.items())},
            "explicit_override_records": len(overrides),
            "mutual_override_pairs": cycles,
        },
    }


def graph_triples(policy: dict[str, Any]) -> dict[str, list[tuple]]:
    """Per graph name (document id, or 'bench-vocabulary'), rdflib triples."""
    from rdflib import BNode, Literal, URIRef
    from rdflib.namespace import RDF, XSD as XSDNS

    from kg.labels import concept_iri

    P = lambda local: URIRef(POL + local)  # noqa: E731
    S = lambda local: URIRef(SKOS + local)  # noqa: E731
    iri = {}

    def c(label: str) -> URIRef:
        found = iri.get(label)
        if found is None:
            found = iri[label] = concept_iri(label)
        return found

    out: dict[str, list[tuple]] = {}
    vocab = out["bench-vocabulary"] = []
    for name, scheme in policy["schemes"].items():
        scheme_iri = URIRef(f"{DATA}scheme/{name}")
        vocab.append((scheme_iri, RDF.type, P("ConceptScheme")))
        vocab.append((scheme_iri, S("prefLabel"), Literal(f"bench {name} concepts")))
        for label, concept in scheme["concepts"].items():
            node = c(label)
            vocab.append((node, RDF.type, P(SCHEMES[name][0])))
            vocab.append((node, S("prefLabel"), Literal(label)))
            vocab.append((node, S("inScheme"), scheme_iri))
            for parent in concept.parents:
                vocab.append((node, S("broader"), c(parent)))
    by_doc: dict[str, list[tuple[Rule, Rule]]] = defaultdict(list)
    for winner, loser in policy["overrides"]:
        by_doc[winner.doc].append((winner, loser))
    for doc in policy["docs"]:
        triples = out[doc.doc_id] = []
        source = URIRef(f"{DATA}source/{doc.doc_id}")
        triples += [
            (source, RDF.type, P("LegalSource")),
            (source, P("title"), Literal(f"Benchmark policy {doc.doc_id}")),
            (source, P("authorityRank"), Literal(doc.authority, datatype=XSDNS.integer)),
            (source, P("issued"), Literal(doc.issued, datatype=XSDNS.date)),
        ]
        provision = None
        for rule in doc.rules:
            if provision is None or rule.ordinal % 4 == 1:
                pid = f"{(rule.ordinal - 1) // 4 + 1}"
                provision = URIRef(f"{DATA}provision/{doc.doc_id}/{pid}")
                triples += [
                    (provision, RDF.type, P("Provision")),
                    (provision, P("provisionId"), Literal(pid)),
                    (provision, P("inSource"), source),
                ]
            node = URIRef(rule.iri)
            verb = {"obligation": "must", "prohibition": "must not", "permission": "may"}[rule.modality]
            text = f"The {rule.bearer} {verb} {rule.action}" + (f" the {rule.object}" if rule.object else "")
            if rule.conditions:
                text += " if " + " and ".join(f.rstrip(".").lower() for f in rule.conditions)
            if rule.exceptions:
                text += " unless " + " or ".join(f.rstrip(".").lower() for f in rule.exceptions)
            triples += [
                (node, RDF.type, P(MODALITY_CLASSES[rule.modality])),
                (node, P("ruleId"), Literal(rule.rule_id)),
                (node, P("ordinal"), Literal(rule.ordinal, datatype=XSDNS.integer)),
                (node, P("bearer"), c(rule.bearer)),
                (node, P("action"), c(rule.action)),
                (node, P("inSource"), source),
                (node, P("derivedFromProvision"), provision),
                (node, P("sourceText"), Literal(text + ".")),
            ]
            if rule.object is not None:
                triples.append((node, P("object"), c(rule.object)))
            for kind, facts in (("Condition", rule.conditions), ("Exception", rule.exceptions)):
                for fact in facts:
                    blank = BNode()
                    triples += [
                        (node, P("has" + kind), blank),
                        (blank, RDF.type, P(kind)),
                        (blank, P("text"), Literal(fact)),
                    ]
        for winner, loser in by_doc.get(doc.doc_id, ()):
            record = URIRef(f"{DATA}override/{winner.rule_id}--{loser.rule_id}")
            triples += [
                (record, RDF.type, P("Override")),
                (record, P("winner"), URIRef(winner.iri)),
                (record, P("loser"), URIRef(loser.iri)),
                (record, P("basis"), P("ExplicitClause")),
                (URIRef(winner.iri), P("overrides"), URIRef(loser.iri)),
            ]
    return out


# --------------------------------------------------------------------------------------------
# Situations
# --------------------------------------------------------------------------------------------


class Matcher:
    """This script's own reading of applicability (used to pick the facts that matter)."""

    def __init__(self, policy: dict[str, Any]) -> None:
        from kg.labels import normalise_label

        self.anc = policy["ancestors"]
        self.by_action: dict[str, list[Rule]] = defaultdict(list)
        for rule in policy["rules"]:
            self.by_action[rule.action].append(rule)
        self.norm = normalise_label

    def candidates(self, bearer: str, action: str, obj: str | None) -> list[Rule]:
        b = self.anc.get(bearer, frozenset([bearer]))
        o = self.anc.get(obj, frozenset([obj])) if obj else frozenset()
        found = []
        for a in self.anc.get(action, frozenset([action])):
            for rule in self.by_action.get(a, ()):
                if rule.bearer in b and (rule.object is None or rule.object in o):
                    found.append(rule)
        return found

    def facts(self, rules: list[Rule]) -> list[str]:
        return sorted({self.norm(f) for r in rules for f in (*r.conditions, *r.exceptions)})


def descend(rng: random.Random, concepts: dict[str, Concept], label: str) -> str:
    """The concept or one a few levels narrower."""
    while concepts[label].children and rng.random() < 0.6:
        label = rng.choice(concepts[label].children)
    return label


def narrowest(pair: tuple[Rule, Rule], anc: dict[str, frozenset[str]]) -> Rule:
    """The rule of the pair whose bearer and object are the other's or narrower."""
    for rule, other in (pair, pair[::-1]):
        if other.bearer in anc[rule.bearer] and (
            other.object is None or (rule.object is not None and other.object in anc[rule.object])
        ):
            return rule
    return pair[0]


def make_situations(policy: dict[str, Any], count: int, seed: int) -> list[dict[str, Any]]:
    rng = random.Random(seed + 7)
    schemes = policy["schemes"]
    matcher = Matcher(policy)
    out = []
    for i in range(count):
        roll = rng.random()
        pair = None
        if roll < 0.4:
            if roll < 0.01 and policy["cycle_pairs"]:  # both rules of an override cycle apply
                pair = rng.choice(policy["cycle_pairs"])
                rule = narrowest(pair, policy["ancestors"])
            else:
                rule = rng.choice(policy["rules"])
            bearer = descend(rng, schemes["party"]["concepts"], rule.bearer)
            action = descend(rng, schemes["action"]["concepts"], rule.action)
            if rule.object is None:
                obj = None if rng.random() < 0.3 else pick_level(rng, schemes["asset"]["levels"], SITUATION_LEVEL_WEIGHTS)
            else:
                obj = descend(rng, schemes["asset"]["concepts"], rule.object)
            origin = "from-override-cycle" if pair else "from-rule"
        else:
            bearer = pick_level(rng, schemes["party"]["levels"], SITUATION_LEVEL_WEIGHTS)
            action = pick_level(rng, schemes["action"]["levels"], SITUATION_LEVEL_WEIGHTS)
            obj = None if rng.random() < 0.1 else pick_level(rng, schemes["asset"]["levels"], SITUATION_LEVEL_WEIGHTS)
            origin = "random"
            if roll > 0.98:
                bearer = "unlisted visiting auditor"
                origin = "unknown-concept"
        relevant = matcher.facts(matcher.candidates(bearer, action, obj))
        unknown: set[str] = set()
        if relevant and rng.random() < 0.35:
            unknown = set(rng.sample(relevant, rng.randint(1, min(3, len(relevant)))))
        facts: dict[str, bool] = {}
        for fact in relevant:
            if fact not in unknown:
                key = fact.upper() if rng.random() < 0.05 else fact
                facts[key] = rng.random() < 0.55
        for fact in rng.sample(FACTS, rng.randint(0, 2)):
            if fact not in relevant:
                facts[fact] = rng.random() < 0.5
        if pair:
            for rule in pair:
                for kind, value in (("conditions", True), ("exceptions", False)):
                    for fact in getattr(rule, kind):
                        key = matcher.norm(fact)
                        unknown.discard(key)
                        facts.pop(key.upper(), None)
                        facts[key] = value
        out.append({
            "bearer": bearer, "action": action, "object": obj, "facts": facts,
            "origin": origin, "left_unknown": sorted(unknown), "relevant_facts": len(relevant),
        })
    return out


# --------------------------------------------------------------------------------------------
# The naive baseline: one SPARQL query per decision
# --------------------------------------------------------------------------------------------

_CANDIDATE_PATTERN = """
  ?b skos:prefLabel ?bearer .
  ?a skos:prefLabel ?action .
  ?a skos:broader* ?ra .
  ?rule pol:action ?ra .
  ?b skos:broader* ?rb .
  ?rule pol:bearer ?rb .
  ?rule a ?class .
  VALUES (?class ?modality) {
    (pol:Obligation "obligation") (pol:Prohibition "prohibition") (pol:Permission "permission")
  }
"""
_WITH_OBJECT = """  OPTIONAL { ?rule pol:object ?ro }
  FILTER(!BOUND(?ro) || EXISTS { ?o skos:prefLabel ?object . ?o skos:broader* ?ro })
"""
_NO_OBJECT = "  FILTER NOT EXISTS { ?rule pol:object ?ro }\n"
_FACTS_PATTERN = """  OPTIONAL {
    { ?rule pol:hasCondition/pol:text ?text . BIND("condition" AS ?kind) }
    UNION
    { ?rule pol:hasException/pol:text ?text . BIND("exception" AS ?kind) }
  }
"""
# Oxigraph evaluates that OPTIONAL as a hash join over every rule's conditions (about 30 ms a
# query at 10,000 rules); its LATERAL extension makes it a lookup per candidate rule, 3x faster
# overall. The timed baseline uses the faster form when the store accepts it.
_FACTS_LATERAL = "  LATERAL {\n" + _FACTS_PATTERN + "  }\n"


def _baseline_query(with_object: bool, lateral: bool) -> str:
    return (
        "SELECT ?rule ?modality ?kind ?text WHERE {"
        + _CANDIDATE_PATTERN
        + (_WITH_OBJECT if with_object else _NO_OBJECT)
        + (_FACTS_LATERAL if lateral else _FACTS_PATTERN)
        + "}"
    )


BASELINE_QUERIES = {
    (with_object, lateral): _baseline_query(with_object, lateral)
    for with_object in (True, False)
    for lateral in (True, False)
}


def baseline_candidates(store, situation: dict[str, Any], lateral: bool = True) -> dict[str, dict[str, Any]]:
    """One query: the candidate rules with their modality, conditions and exceptions."""
    from rdflib import Literal

    from kg.labels import normalise_label

    bindings = {"bearer": Literal(normalise_label(situation["bearer"])), "action": Literal(normalise_label(situation["action"]))}
    if situation["object"]:
        bindings["object"] = Literal(normalise_label(situation["object"]))
    query = BASELINE_QUERIES[(bool(situation["object"]), lateral)]
    rules: dict[str, dict[str, Any]] = {}
    for rule, modality, kind, text in store.query(query, bindings, name="baseline").rows:
        entry = rules.setdefault(str(rule), {"modality": str(modality), "condition": set(), "exception": set()})
        if kind is not None:
            entry[str(kind)].add(normalise_label(str(text)))
    return rules


def baseline_verdict(rules: dict[str, dict[str, Any]], facts: dict[str, bool]) -> str:
    """Facts applied, then deny-overrides; undecided rules give needs-info unless a prohibition
    applies for sure. No precedence principles."""
    applicable, undecided = set(), False
    for entry in rules.values():
        if any(facts.get(c) is False for c in entry["condition"]) or any(facts.get(e) is True for e in entry["exception"]):
            continue
        if all(facts.get(c) is True for c in entry["condition"]) and all(facts.get(e) is False for e in entry["exception"]):
            applicable.add(entry["modality"])
        else:
            undecided = True
    if "prohibition" in applicable:
        return "forbidden"
    if undecided:
        return "needs-info"
    if "obligation" in applicable:
        return "required"
    if "permission" in applicable:
        return "permitted"
    return "not-applicable"


# --------------------------------------------------------------------------------------------
# Independent checks of the engine's conflict resolution, and the cost of unknown facts
# --------------------------------------------------------------------------------------------


def check_conflicts(decisions, policy_data: dict[str, Any]) -> dict[str, Any]:
    """Every conflict the engine reports against what the generator knows: the explicit overrides
    it wrote, the documents' authority and issue dates, and its own concept hierarchy, applied in
    the default order (explicit, lex superior, lex specialis, lex posterior, deny-overrides)."""
    from kg.labels import normalise_label

    rules = {r.iri: r for r in policy_data["rules"]}
    docs = {d.doc_id: d for d in policy_data["docs"]}
    overrides = {(w.iri, l.iri) for w, l in policy_data["overrides"]}
    anc = policy_data["ancestors"]

    def narrower_or_equal(a, b) -> bool:
        return True if b is None else False if a is None else b in anc.get(a, frozenset([a]))

    def more_specific(x: Rule, y: Rule) -> bool:
        cx = {normalise_label(c) for c in x.conditions}
        cy = {normalise_label(c) for c in y.conditions}
        return (
            narrower_or_equal(x.bearer, y.bearer) and narrower_or_equal(x.action, y.action)
            and narrower_or_equal(x.object, y.object) and cx >= cy
            and (x.bearer, x.action, x.object, cx) != (y.bearer, y.action, y.object, cy)
        )

    def expected(a: Rule, b: Rule) -> tuple[str, str | None]:
        ab, ba = (a.iri, b.iri) in overrides, (b.iri, a.iri) in overrides
        if ab and ba:
            return "explicit", None
        if ab or ba:
            return "explicit", a.iri if ab else b.iri
        ra, rb = docs[a.doc].authority, docs[b.doc].authority
        if ra != rb:
            return "lex-superior", a.iri if ra > rb else b.iri
        if more_specific(a, b):
            return "lex-specialis", a.iri
        if more_specific(b, a):
            return "lex-specialis", b.iri
        ia, ib = docs[a.doc].issued, docs[b.doc].issued
        if ia != ib:
            return "lex-posterior", a.iri if ia > ib else b.iri
        prohibition = a if a.modality == "prohibition" else b
        return "deny-overrides", prohibition.iri

    checked, wrong, pairs = Counter(), [], set()
    for d in decisions:
        if d is None:
            continue
        for c in d.conflicts:
            a, b = (rules[iri] for iri in c["rules"])
            principle, winner = expected(a, b)
            checked[principle] += 1
            pairs.add(frozenset(c["rules"]))
            if (c["principle"], c["winner"]) != (principle, winner):
                wrong.append({
                    "rules": [a.rule_id, b.rule_id],
                    "engine": {"principle": c["principle"], "winner": c["winner"]},
                    "expected": {"principle": principle, "winner": winner},
                })
    return {
        "what": "each conflict in the engine's decisions against the generator's own overrides, "
                "authority ranks, issue dates and hierarchy (default precedence order)",
        "conflicts_checked": sum(checked.values()),
        "distinct_rule_pairs": len(pairs),
        "by_expected_principle": dict(sorted(checked.items())),
        "wrong": len(wrong),
        "wrong_examples": wrong[:5],
    }


def unknown_fact_scaling(engine, situations: list[dict[str, Any]], indices: list[int]) -> dict[str, Any]:
    """Decide situations again with no facts at all: time by number of unknown facts that matter."""
    from kg.decision import DecisionError, Situation

    by_k: dict[int, list[float]] = defaultdict(list)
    errors = 0
    slowest = None
    for i in indices:
        s = situations[i]
        bare = Situation(s["bearer"], s["action"], s["object"], {})
        k = len({f for r in engine.candidates(bare) for f in (*r.conditions, *r.exceptions)})
        try:
            t = time.perf_counter_ns()
            engine.decide(bare)
            us = (time.perf_counter_ns() - t) / 1000
        except DecisionError:
            errors += 1
            continue
        by_k[k].append(us)
        if slowest is None or us > slowest["us"]:
            slowest = {"us": round(us, 1), "unknown_facts": k, "situation": {**situation_json(s), "facts": {}}}
    return {
        "what": "the sampled situations decided once more with no facts given",
        "situations": len(indices),
        "decision_errors_too_many_unknown": errors,
        "median_us_by_unknown_facts": {
            str(k): {"n": len(v), "median_us": round(statistics.median(v), 1), "max_us": round(max(v), 1)}
            for k, v in sorted(by_k.items())
        },
        "slowest": slowest,
    }


def unknown_fact_minimal(sizes=(4, 6, 8, 10, 12)) -> dict[str, Any]:
    """A minimal policy: k permissions for one bearer and action, each with its own condition,
    and a situation that gives no facts (verdict needs-info, every condition missing)."""
    from kg.decision import DecisionEngine, Policy, RuleInfo, Situation

    out = {}
    for k in sizes:
        rules = [
            RuleInfo(iri=f"urn:r{i}", rule_id=f"r{i}", modality="permission", bearer="employee",
                     action="accept", conditions=(f"c{i}",), ordinal=i)
            for i in range(k)
        ]
        engine = DecisionEngine(Policy(rules=rules))
        situation = Situation("employee", "accept")
        engine.decide(situation)
        times = []
        for _ in range(3):
            t = time.perf_counter_ns()
            decision = engine.decide(situation)
            times.append((time.perf_counter_ns() - t) / 1000)
        out[str(k)] = {"median_us": round(statistics.median(times), 1), "verdict": decision.verdict,
                       "missing": len(decision.missing)}
    return {
        "what": "k permission rules (employee, accept), each with one condition c_i; situation "
                "{bearer: employee, action: accept, facts: {}}",
        "by_k": out,
    }


# --------------------------------------------------------------------------------------------
# Measuring
# --------------------------------------------------------------------------------------------


def latency_stats(ns: list[int]) -> dict[str, Any]:
    us = [n / 1000 for n in ns]
    total_s = sum(ns) / 1e9
    return {
        "decisions": len(us),
        "p50_us": round(statistics.median(us), 1),
        "p95_us": round(percentile(us, 0.95), 1),
        "p99_us": round(percentile(us, 0.99), 1),
        "mean_us": round(statistics.fmean(us), 1),
        "min_us": round(min(us), 1),
        "max_us": round(max(us), 1),
        "decisions_per_s": round(len(us) / total_s, 1) if total_s else None,
    }


def console():
    from rich.console import Console

    return Console(stderr=True, highlight=False)


def file_sha(relative: str) -> str | None:
    try:
        return hashlib.sha256((ROOT / relative).read_bytes()).hexdigest()[:16]
    except OSError:
        return None


def machine_info() -> dict[str, Any]:
    return common_machine_info(
        kg_decision_sha256=file_sha("kg/decision.py"),
        kg_policy_graph_sha256=file_sha("kg/policy_graph.py"),
        kg_store_sha256=file_sha("kg/store.py"),
    )


def situation_json(s: dict[str, Any]) -> dict[str, Any]:
    return {"bearer": s["bearer"], "action": s["action"], "object": s["object"], "facts": s["facts"]}


def run(args: argparse.Namespace) -> dict[str, Any]:
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from kg.decision import DecisionEngine, DecisionError, Policy, Situation
    from kg.errors import QueryError
    from kg.labels import normalise_label
    from kg.query_library import get_query, run_named
    from kg.store import STANDARD_PREFIXES, graph_iri, open_store

    out = console()
    started_all = time.perf_counter()
    tmp = None
    store_url = args.store
    if store_url is None:
        tmp = Path(tempfile.mkdtemp(prefix="bench-decide-"))
        store_url = f"oxigraph:{tmp / 'store'}"
    try:
        # 1. the policy graph -----------------------------------------------------------------
        started = time.perf_counter()
        policy_data = build_policy(args.rules, args.documents, args.seed)
        graphs = graph_triples(policy_data)
        generated_triples = sum(len(t) for t in graphs.values())
        out.log(
            f"generated {len(policy_data['rules']):,} rules, {generated_triples:,} triples in "
            f"{len(graphs)} graphs in {time.perf_counter() - started:.1f} s"
        )
        store = open_store(store_url)
        started = time.perf_counter()
        for name, triples in graphs.items():
            store.replace_graph(graph_iri(name), triples)
        write_seconds = time.perf_counter() - started
        store_triples = len(store)
        out.log(f"wrote them into {store_url} in {write_seconds:.1f} s ({store_triples:,} triples in the store)")
        del graphs

        # 2. situations -----------------------------------------------------------------------
        situations = make_situations(policy_data, args.situations, args.seed)
        objs = [Situation(s["bearer"], s["action"], s["object"], s["facts"]) for s in situations]
        out.log(f"generated {len(situations):,} situations")

        # 3a. policy read ---------------------------------------------------------------------
        read_times = []
        policy = None
        for _ in range(args.read_repeat):
            gc.collect()
            t0 = time.perf_counter()
            policy = Policy.from_store(store)
            read_times.append(time.perf_counter() - t0)
        out.log(f"Policy.from_store: {', '.join(f'{t:.2f}' for t in read_times)} s ({len(policy.rules):,} rules)")
        named_query_seconds = {}
        for name in ("policy-rules", "rule-conditions", "concept-hierarchy", "override-edges", "policy-settings"):
            t0 = time.perf_counter()
            rows = len(run_named(store, name))
            named_query_seconds[name] = {"seconds": round(time.perf_counter() - t0, 3), "rows": rows}
        t0 = time.perf_counter()
        raw_rows = sum(1 for _ in store.oxigraph.query(
            get_query("policy-rules").text, use_default_graph_as_union=True, prefixes=STANDARD_PREFIXES
        )) if hasattr(store, "oxigraph") else None
        raw_policy_rules = round(time.perf_counter() - t0, 3) if raw_rows is not None else None

        # 3b. engine --------------------------------------------------------------------------
        t0 = time.perf_counter()
        engine = DecisionEngine(policy)
        build_seconds = time.perf_counter() - t0
        decisions: list[Any] = [None] * len(objs)
        errors: dict[int, str] = {}
        engine_ns: list[int] = []
        timed_index: list[int] = []
        perf_ns = time.perf_counter_ns
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=out, transient=True,
        ) as progress:
            task = progress.add_task("engine warm-up", total=len(objs))
            warm_started = time.perf_counter()
            for i, situation in enumerate(objs):
                try:
                    engine.decide(situation)
                except DecisionError as exc:
                    errors[i] = str(exc)
                if i % 100 == 0:
                    progress.update(task, completed=i)
            warm_seconds = time.perf_counter() - warm_started
            progress.remove_task(task)
            gc.collect()
            task = progress.add_task("engine timed", total=len(objs))
            timed_started = time.perf_counter()
            for i, situation in enumerate(objs):
                if i in errors:
                    continue
                t = perf_ns()
                decision = engine.decide(situation)
                engine_ns.append(perf_ns() - t)
                decisions[i] = decision
                timed_index.append(i)
                if i % 100 == 0:
                    progress.update(task, completed=i)
            timed_wall = time.perf_counter() - timed_started
            progress.remove_task(task)
        engine_stats = latency_stats(engine_ns)
        engine_stats["wall_decisions_per_s"] = round(len(engine_ns) / timed_wall, 1)
        out.log(
            f"engine: p50 {engine_stats['p50_us']} µs, p95 {engine_stats['p95_us']} µs, "
            f"p99 {engine_stats['p99_us']} µs, {engine_stats['decisions_per_s']:,} decisions/s"
        )

        # facts the engine sees as unknown among its candidates (for the categories)
        engine_candidates: dict[int, list[str]] = {}
        unknown_counts: dict[int, int] = {}
        for i, situation in enumerate(objs):
            cands = engine.candidates(situation)
            engine_candidates[i] = [r.iri for r in cands]
            known = {normalise_label(k) for k in situation.facts}
            unknown_counts[i] = len({f for r in cands for f in (*r.conditions, *r.exceptions)} - known)

        slowest = sorted(range(len(timed_index)), key=lambda j: engine_ns[j], reverse=True)[:5]
        slowest_report = []
        for j in slowest:
            i = timed_index[j]
            d = decisions[i]
            slowest_report.append({
                "us": round(engine_ns[j] / 1000, 1),
                "verdict": d.verdict,
                "candidates": len(engine_candidates[i]),
                "unknown_facts": unknown_counts[i],
                "applicable": len(d.applicable),
                "conflicts": len(d.conflicts),
                "situation": situation_json(situations[i]),
            })

        # 3c. baseline ------------------------------------------------------------------------
        baseline_ns: list[int] = []
        baseline_results: dict[int, tuple[dict, str]] = {}
        order = list(range(len(objs)))
        random.Random(args.seed + 11).shuffle(order)  # a random subset if the budget cuts it
        lateral = True
        try:
            baseline_candidates(store, situations[order[0]], lateral=True)
        except QueryError:
            lateral = False  # not Oxigraph: standard SPARQL only
        for i in order[: min(20, len(order))]:  # warm-up
            baseline_candidates(store, situations[i], lateral)
        with Progress(
            TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(),
            console=out, transient=True,
        ) as progress:
            limit = len(order) if args.baseline_situations is None else min(args.baseline_situations, len(order))
            task = progress.add_task("baseline (one SPARQL query per decision)", total=limit)
            base_started = time.perf_counter()
            for n, i in enumerate(order[:limit]):
                if n >= args.baseline_min and time.perf_counter() - base_started > args.baseline_budget:
                    break
                s = situations[i]
                t = perf_ns()
                rules = baseline_candidates(store, s, lateral)
                verdict = baseline_verdict(rules, {normalise_label(k): v for k, v in s["facts"].items()})
                baseline_ns.append(perf_ns() - t)
                baseline_results[i] = (rules, verdict)
                progress.update(task, completed=n + 1)
            base_wall = time.perf_counter() - base_started
        baseline_stats = latency_stats(baseline_ns)
        baseline_stats["wall_decisions_per_s"] = round(len(baseline_ns) / base_wall, 1)
        out.log(
            f"baseline: {len(baseline_ns)} situations, p50 {baseline_stats['p50_us']} µs, "
            f"p95 {baseline_stats['p95_us']} µs, {baseline_stats['decisions_per_s']:,} decisions/s"
        )

        # the same baseline in standard SPARQL (no LATERAL), on a few situations, for information
        standard_ns: list[int] = []
        standard_mismatch = 0
        if lateral and args.baseline_standard > 0:
            subset = [i for i in order if i in baseline_results][: args.baseline_standard]
            for i in subset:
                s = situations[i]
                t = perf_ns()
                rules = baseline_candidates(store, s, lateral=False)
                baseline_verdict(rules, {normalise_label(k): v for k, v in s["facts"].items()})
                standard_ns.append(perf_ns() - t)
                standard_mismatch += rules != baseline_results[i][0]
            out.log(f"baseline in standard SPARQL: p50 {statistics.median(standard_ns) / 1000:.0f} µs on {len(subset)} situations")

        out.log("checking conflict resolutions and the cost of unknown facts")
        conflict_check = check_conflicts(decisions, policy_data)
        scaling = unknown_fact_scaling(engine, situations, order[: args.no_facts_sample]) if args.no_facts_sample else None
        minimal = unknown_fact_minimal()

        # engine latency on exactly the baseline's situations, for a like-for-like ratio
        engine_on_subset = [engine_ns[j] for j, i in enumerate(timed_index) if i in baseline_results]

        # 4. checks -----------------------------------------------------------------------------
        candidate_mismatches = []
        categories = {
            "clean": Counter(), "conflict_only": Counter(), "unknown_only": Counter(), "conflict_and_unknown": Counter(),
        }
        clean_disagreements = []
        other_examples = defaultdict(list)
        for i, (rules, verdict) in baseline_results.items():
            if decisions[i] is None:
                continue
            if set(rules) != set(engine_candidates[i]):
                candidate_mismatches.append({
                    "situation": situation_json(situations[i]),
                    "engine_only": sorted(set(engine_candidates[i]) - set(rules))[:5],
                    "baseline_only": sorted(set(rules) - set(engine_candidates[i]))[:5],
                })
            d = decisions[i]
            has_conflict = bool(d.conflicts)
            has_unknown = unknown_counts[i] > 0
            cat = ("conflict_and_unknown" if has_unknown else "conflict_only") if has_conflict else (
                "unknown_only" if has_unknown else "clean")
            agree = d.verdict == verdict
            categories[cat]["compared"] += 1
            categories[cat]["agree"] += agree
            if not agree:
                categories[cat][f"engine {d.verdict} / baseline {verdict}"] += 1
                example = {"situation": situation_json(situations[i]), "engine": d.verdict, "baseline": verdict,
                           "engine_explanation": d.explanation}
                if cat == "clean":
                    clean_disagreements.append(example)
                elif len(other_examples[cat]) < 2:
                    other_examples[cat].append({k: v for k, v in example.items() if k != "engine_explanation"})
        agreement = {}
        for cat, counts in categories.items():
            compared = counts.pop("compared", 0)
            agreed = counts.pop("agree", 0)
            agreement[cat] = {
                "compared": compared,
                "agree": agreed,
                "rate": round(agreed / compared, 4) if compared else None,
                "disagreements_by_verdicts": dict(counts),
            }
        agreement["clean"]["must_agree"] = True
        agreement["clean"]["disagreement_examples"] = clean_disagreements[:5]
        for cat in ("conflict_only", "unknown_only", "conflict_and_unknown"):
            agreement[cat]["must_agree"] = False
            agreement[cat]["examples"] = other_examples.get(cat, [])
        agreement["definition"] = (
            "clean: every condition/exception fact of every candidate rule is given and the engine's "
            "decision has no conflict; there both must give the same verdict. conflict: the engine "
            "resolved or left unresolved a prohibition-vs-permission/obligation conflict (the baseline "
            "only knows deny-overrides). unknown: some fact of a candidate rule is not given (the baseline "
            "says needs-info whenever a rule is undecided, unless a prohibition applies for sure; the "
            "engine only when the verdict depends on it)."
        )

        verdicts = Counter(d.verdict for d in decisions if d is not None)
        situation_summary = {
            "count": len(situations),
            "by_origin": dict(Counter(s["origin"] for s in situations)),
            "without_object": sum(1 for s in situations if s["object"] is None),
            "with_facts_left_unknown": sum(1 for s in situations if s["left_unknown"]),
            "with_engine_conflicts": sum(1 for d in decisions if d is not None and d.conflicts),
            "with_unresolved_conflicts": sum(
                1 for d in decisions if d is not None and any(c["status"] == "unresolved" for c in d.conflicts)
            ),
            "conflict_principles_used": dict(Counter(
                c["principle"] for d in decisions if d is not None for c in d.conflicts
            )),
            "candidates_mean": round(statistics.fmean(len(c) for c in engine_candidates.values()), 2),
            "candidates_max": max(len(c) for c in engine_candidates.values()),
            "relevant_facts_mean": round(statistics.fmean(s["relevant_facts"] for s in situations), 2),
            "engine_errors": len(errors),
            "engine_error_examples": [
                {"situation": situation_json(situations[i]), "error": e} for i, e in list(errors.items())[:3]
            ],
        }

        rules_by_modality = Counter(r.modality for r in policy_data["rules"])
        concepts_by_scheme = {n: len(s["concepts"]) for n, s in policy_data["schemes"].items()}
        speedup_p50 = baseline_stats["p50_us"] / engine_stats["p50_us"] if engine_stats["p50_us"] else None
        subset_p50 = statistics.median(engine_on_subset) / 1000 if engine_on_subset else None
        report = {
            "benchmark": "bench/decide.py",
            "machine": machine_info(),
            "settings": {
                "rules": args.rules,
                "situations": args.situations,
                "documents": args.documents,
                "seed": args.seed,
                "store": store_url if args.store else "oxigraph:<temporary directory>",
                "read_repeat": args.read_repeat,
                "baseline_budget_s": args.baseline_budget,
                "baseline_min": args.baseline_min,
                "gc": "enabled during timing (as in use); gc.collect() before each timed pass",
            },
            "data": {
                "rules": len(policy_data["rules"]),
                "rules_by_modality": dict(rules_by_modality),
                "rules_with_conditions": sum(1 for r in policy_data["rules"] if r.conditions),
                "rules_with_exceptions": sum(1 for r in policy_data["rules"] if r.exceptions),
                "rules_without_object": sum(1 for r in policy_data["rules"] if r.object is None),
                "concepts": sum(concepts_by_scheme.values()),
                "concepts_by_scheme": concepts_by_scheme,
                "hierarchy_levels": 5,
                "concepts_with_two_broader": sum(
                    1 for s in policy_data["schemes"].values() for c in s["concepts"].values() if len(c.parents) > 1
                ),
                "fact_names": len(FACTS),
                "documents": args.documents,
                "named_graphs_written": args.documents + 1,
                "triples_generated": generated_triples,
                "triples_in_store": store_triples,
                "store_write_seconds": round(write_seconds, 2),
                "conflicts": policy_data["conflicts"],
            },
            "policy_read": {
                "what": "Policy.from_store(store): the four named queries and the Python structures",
                "runs": len(read_times),
                "first_s": round(read_times[0], 3),
                "median_s": round(statistics.median(read_times), 3),
                "min_s": round(min(read_times), 3),
                "rules_read": len(policy.rules),
                "concepts_with_broader": len(policy.broader),
                "override_pairs": len(policy.overrides),
                "engine_build_s": round(build_seconds, 4),
                "named_queries_through_store_query": named_query_seconds,
                "policy_rules_raw_pyoxigraph_s": raw_policy_rules,
                "note": "named queries run once more after the timed reads; the raw time is the policy-rules "
                        "query straight on pyoxigraph, rows not converted to rdflib terms",
            },
            "engine": {
                "what": "DecisionEngine(policy).decide(Situation), perf_counter_ns around each call",
                "warmup_pass_s": round(warm_seconds, 3),
                **engine_stats,
                "p50_us_on_baseline_subset": round(subset_p50, 1) if subset_p50 is not None else None,
                "slowest": slowest_report,
            },
            "baseline": {
                "what": "one SPARQL query per decision (store.query with bearer/action/object labels as "
                        "bindings), then facts and deny-overrides in Python",
                "semantics": "skos:broader* for bearer, action and object (rules without an object apply to "
                             "any object; with one, not to situations without); conditions must all hold, "
                             "no exception may hold; an applicable prohibition gives forbidden, else an "
                             "undecided rule gives needs-info, else obligation > permission > not-applicable",
                "not_implemented": [
                    "explicit overrides", "lex superior", "lex specialis", "lex posterior",
                    "unresolved verdicts (override cycles)",
                    "needs-info only when an unknown fact changes the verdict (it says needs-info whenever a rule is undecided)",
                    "explanations",
                ],
                "situations_timed": len(baseline_ns),
                "situations_total": len(situations),
                "subset": "a seeded random subset" if len(baseline_ns) < len(situations) else "all",
                "warmup_queries": min(20, len(order)),
                **baseline_stats,
                "query_form": "LATERAL (Oxigraph extension) around the conditions/exceptions OPTIONAL" if lateral
                else "standard SPARQL 1.1",
                "query_with_object": BASELINE_QUERIES[(True, lateral)],
                "query_without_object": BASELINE_QUERIES[(False, lateral)],
                "standard_sparql_form": (
                    {**latency_stats(standard_ns), "situations": len(standard_ns),
                     "same_rows_as_timed_form": len(standard_ns) - standard_mismatch,
                     "note": "the same query with a plain OPTIONAL instead of LATERAL (portable to other SPARQL stores)"}
                    if standard_ns else None
                ),
            },
            "comparison": {
                "speedup_p50": round(speedup_p50, 1) if speedup_p50 else None,
                "speedup_p50_same_situations": round(baseline_stats["p50_us"] / subset_p50, 1) if subset_p50 else None,
                "speedup_throughput": round(engine_stats["decisions_per_s"] / baseline_stats["decisions_per_s"], 1)
                if baseline_stats["decisions_per_s"] else None,
                "policy_read_amortised_after_decisions": (
                    math.ceil(read_times[0] / (baseline_stats["mean_us"] / 1e6 - engine_stats["mean_us"] / 1e6))
                    if baseline_stats["mean_us"] > engine_stats["mean_us"] else None
                ),
            },
            "verdicts": dict(sorted(verdicts.items())),
            "situations": situation_summary,
            "checks": {
                "candidate_sets": {
                    "what": "baseline query's rules vs DecisionEngine.candidates, before facts",
                    "compared": len(baseline_results),
                    "equal": len(baseline_results) - len(candidate_mismatches),
                    "mismatch_examples": candidate_mismatches[:5],
                },
                "verdict_agreement": agreement,
                "conflict_resolution": conflict_check,
                "ok": not candidate_mismatches and not clean_disagreements and not errors and not conflict_check["wrong"],
            },
            "unknown_facts_cost": {"no_facts_resample": scaling, "minimal_policy": minimal},
            "targets": {
                TARGET_NAME: {
                    "target": f"< {TARGET_P50_US:g} µs",
                    "p50_us": engine_stats["p50_us"],
                    "p99_us": engine_stats["p99_us"],
                    "holds": engine_stats["p50_us"] < TARGET_P50_US,
                }
            },
            "total_seconds": round(time.perf_counter() - started_all, 1),
        }
        store.close()
        return report
    finally:
        if tmp is not None:
            shutil.rmtree(tmp, ignore_errors=True)


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rules", type=int, default=10_000, help="rules in the policy graph (default 10,000)")
    parser.add_argument("--situations", type=int, default=2_000, help="situations to decide (default 2,000)")
    parser.add_argument("--seed", type=int, default=20261125)
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument(
        "--store", help="store URL (default: oxigraph: in a temporary directory, removed afterwards); "
                        "its graphs of the same names are replaced",
    )
    parser.add_argument("--documents", type=int, default=8, help="documents, one named graph each (default 8)")
    parser.add_argument("--read-repeat", type=int, default=3, help="times Policy.from_store is timed (default 3)")
    parser.add_argument("--baseline-situations", type=int, help="at most this many baseline decisions (default: all)")
    parser.add_argument(
        "--baseline-budget", type=float, default=90.0,
        help="stop timing the baseline after this many seconds (default 90) ...",
    )
    parser.add_argument("--baseline-min", type=int, default=200, help="... but not before this many decisions (default 200)")
    parser.add_argument(
        "--baseline-standard", type=int, default=100,
        help="also time the baseline in standard SPARQL (no LATERAL) on this many situations (default 100; 0 skips)",
    )
    parser.add_argument(
        "--no-facts-sample", type=int, default=200,
        help="decide this many situations again with no facts at all, to show the cost of unknown facts (default 200; 0 skips)",
    )
    args = parser.parse_args(argv)
    if args.rules < 10 or args.situations < 1 or args.documents < 1 or args.read_repeat < 1:
        parser.error("--rules must be at least 10, --situations, --documents and --read-repeat at least 1")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    report = run(args)
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n")
    return 0 if report["checks"]["ok"] else 1


if __name__ == "__main__":
    sys.exit(main())
