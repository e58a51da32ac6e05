"""Conflict detection: pairs of rules that can meet in one situation with incompatible outcomes.

A prohibition conflicts with a permission or an obligation when their bearers, actions and
objects overlap through the concept hierarchy (each pair equal, or one broader than the other; a
rule without an object overlaps every object), within a document or across documents. Conflicts
are derived data: they are recomputed over the whole graph after each load and kept in their own
named graph, so that a new document is checked against everything already there.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from dataclasses import dataclass

from rdflib import RDF, URIRef

from kg.decision import DecisionEngine, Policy, RuleInfo
from kg.namespaces import POL
from kg.policy_graph import DERIVED_BASE
from kg.store import PolicyStore

CONFLICTS_GRAPH = URIRef(DERIVED_BASE + "conflicts")
CONFLICT_BASE = "https://w3id.org/alignment-studio/conflict/"


@dataclass(frozen=True)
class Conflict:
    prohibition: RuleInfo
    other: RuleInfo  # the permission or obligation
    override: tuple[str, str] | None  # (winner, loser) when the text settles it explicitly

    @property
    def iri(self) -> URIRef:
        key = "|".join(sorted((self.prohibition.iri, self.other.iri)))
        return URIRef(CONFLICT_BASE + hashlib.sha256(key.encode()).hexdigest()[:20])


def detect_conflicts(policy: Policy) -> list[Conflict]:
    """Every prohibition against permission/obligation pair that can apply to one situation."""
    engine = DecisionEngine(policy)
    concepts = {c for r in policy.rules for c in (r.bearer, r.action, r.object) if c} | set(policy.broader)
    narrower: dict[str, set[str]] = defaultdict(set)
    for concept in concepts:
        for ancestor in engine.ancestors(concept):
            narrower[ancestor].add(concept)

    def overlap(x: str | None, y: str | None) -> bool:
        return x is None or y is None or y in engine.ancestors(x) or x in engine.ancestors(y)

    by_action: dict[str, list[RuleInfo]] = defaultdict(list)
    for rule in policy.rules:
        if rule.modality != "prohibition":
            by_action[rule.action].append(rule)
    found: dict[tuple[str, str], Conflict] = {}
    for p in (r for r in policy.rules if r.modality == "prohibition"):
        for action in engine.ancestors(p.action) | narrower[p.action]:
            for other in by_action.get(action, ()):
                if overlap(p.bearer, other.bearer) and overlap(p.object, other.object):
                    override = next(
                        (pair for pair in ((p.iri, other.iri), (other.iri, p.iri)) if pair in policy.overrides), None
                    )
                    found[(p.iri, other.iri)] = Conflict(p, other, override)
    return sorted(found.values(), key=lambda c: (c.prohibition.iri, c.other.iri))


def record_conflicts(store: PolicyStore) -> list[Conflict]:
    """Recompute the conflicts of everything loaded and replace the conflicts graph with them."""
    conflicts = detect_conflicts(Policy.from_store(store, precedence=(), strategy="deny-overrides"))
    triples = []
    for conflict in conflicts:
        triples += [
            (conflict.iri, RDF.type, POL.Conflict),
            (conflict.iri, POL.conflictingRule, URIRef(conflict.prohibition.iri)),
            (conflict.iri, POL.conflictingRule, URIRef(conflict.other.iri)),
        ]
        if conflict.override is not None:
            # the text settles it ("notwithstanding", "subject to", an explicit policy override)
            winner, loser = conflict.override
            resolution = URIRef(f"{conflict.iri}/resolution")
            triples += [
                (conflict.iri, POL.resolvedBy, resolution),
                (resolution, RDF.type, POL.Override),
                (resolution, POL.winner, URIRef(winner)),
                (resolution, POL.loser, URIRef(loser)),
                (resolution, POL.basis, POL.ExplicitClause),
            ]
    store.replace_graph(CONFLICTS_GRAPH, triples)
    return conflicts
