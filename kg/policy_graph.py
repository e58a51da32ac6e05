"""Read the policy graph: into the decision engine's structures (a few named queries, once),
and as the rule and document listings that `studio rules` and `studio documents` print."""

from __future__ import annotations

import dataclasses
import datetime
import re
import urllib.parse

from kg.errors import StudioError
from kg.labels import normalise_label
from kg.query_library import run_named
from kg.store import ONTOLOGY_GRAPH, graph_iri

STRATEGY_NAMES = {
    "DenyOverrides": "deny-overrides",
    "PermitOverrides": "permit-overrides",
    "FirstApplicable": "first-applicable",
    "OnlyOneApplicable": "only-one-applicable",
}
_DOC_ID = re.compile(r"/graph/([^/]+)$")
DERIVED_BASE = "https://w3id.org/alignment-studio/derived/"  # graphs computed from the documents


def _text(term) -> str | None:
    return None if term is None else str(term)


def _date(term) -> datetime.date | None:
    if term is None:
        return None
    try:
        return datetime.date.fromisoformat(str(term)[:10])
    except ValueError:
        return None


def read_policy(store, policy_cls, *, precedence=None, strategy=None):
    from kg.decision import PRINCIPLES, RuleInfo

    conditions: dict[str, list[str]] = {}
    exceptions: dict[str, list[str]] = {}
    for rule, kind, text in run_named(store, "rule-conditions").rows:
        target = conditions if str(kind) == "condition" else exceptions
        target.setdefault(str(rule), []).append(normalise_label(str(text)))
    rules = {}
    for row in run_named(store, "policy-rules").as_dicts():
        iri = str(row["rule"])
        if iri in rules:  # a rule reached through two labels or sources: keep the first
            continue
        document = _text(row.get("document"))
        rules[iri] = RuleInfo(
            iri=iri,
            rule_id=_text(row.get("ruleId")) or iri.rsplit("/", 1)[-1],
            modality=str(row["modality"]),  # type: ignore[arg-type]
            bearer=normalise_label(str(row["bearer"])),
            action=normalise_label(str(row["action"])),
            object=normalise_label(str(row["object"])) if row.get("object") is not None else None,
            conditions=tuple(sorted(set(conditions.get(iri, ())))),
            exceptions=tuple(sorted(set(exceptions.get(iri, ())))),
            source=document_id(document) if document else "",
            authority=int(row["authority"]) if row.get("authority") is not None else None,
            issued=_date(row.get("issued")),
            ordinal=int(row["ordinal"]) if row.get("ordinal") is not None else 0,
            provision=_text(row.get("provision")),
            text=_text(row.get("text")),
        )
    broader: dict[str, set[str]] = {}
    for narrower, wider in run_named(store, "concept-hierarchy").rows:
        broader.setdefault(normalise_label(str(narrower)), set()).add(normalise_label(str(wider)))
    overrides = {(str(w), str(l)) for w, l in run_named(store, "override-edges").rows}

    declared_strategies, declared_orders = set(), set()
    for row in run_named(store, "policy-settings").as_dicts():
        if row.get("strategy") is not None:
            declared_strategies.add(STRATEGY_NAMES.get(str(row["strategy"]), str(row["strategy"])))
        if row.get("precedence") is not None:
            declared_orders.add(tuple(str(row["precedence"]).split()))
    if strategy is None:
        if len(declared_strategies) > 1:
            raise StudioError(
                f"the loaded documents declare different fallback strategies ({', '.join(sorted(declared_strategies))}); "
                "choose one with --strategy"
            )
        strategy = next(iter(declared_strategies), "deny-overrides")
    if precedence is None:
        if len(declared_orders) > 1:
            raise StudioError(
                "the loaded documents declare different precedence orders; choose one with --precedence"
            )
        precedence = next(iter(declared_orders), PRINCIPLES)
    # first-applicable follows document order, then rule order within each document
    ordered = sorted(rules.values(), key=lambda r: (r.source, r.ordinal, r.iri))
    return policy_cls(
        rules=[dataclasses.replace(rule, ordinal=i) for i, rule in enumerate(ordered, 1)],
        broader=broader,
        overrides=overrides,
        precedence=tuple(precedence),
        strategy=strategy,
    )


def document_id(graph) -> str:
    """The document id of a named graph (its last path segment for studio's own graphs)."""
    match = _DOC_ID.search(str(graph))
    return urllib.parse.unquote(match.group(1)) if match else str(graph)


def list_rules(store, document: str | None = None) -> list[dict]:
    """Every rule as `studio rules` prints it, in document order; one document's if given."""
    wanted = None if document is None else str(graph_iri(document))
    conditions: dict[str, list[str]] = {}
    exceptions: dict[str, list[str]] = {}
    for rule, kind, text in run_named(store, "rule-conditions").rows:
        (conditions if str(kind) == "condition" else exceptions).setdefault(str(rule), []).append(str(text))
    rules, seen = [], set()
    for row in run_named(store, "rules").as_dicts():
        iri, graph = str(row["rule"]), str(row["document"])
        if (wanted is not None and graph != wanted) or (iri, graph) in seen:
            continue
        seen.add((iri, graph))
        rules.append(
            {
                "id": iri,
                "modality": str(row["modality"]),
                "bearer": str(row["bearer"]),
                "action": str(row["action"]),
                "object": _text(row.get("object")),
                "conditions": sorted(conditions.get(iri, [])),
                "exceptions": sorted(exceptions.get(iri, [])),
                "document": document_id(graph),
                "provision": _text(row.get("provision")),
                "source": {
                    "start": int(row["start"]) if row.get("start") is not None else None,
                    "end": int(row["end"]) if row.get("end") is not None else None,
                    "text": _text(row.get("text")),
                },
            }
        )
    return rules


def list_documents(store) -> list[dict]:
    """Each document (named graph) with its title, triple count and rules per modality."""
    counts: dict[str, dict[str, int]] = {}
    for graph, modality, n in run_named(store, "document-rules").rows:
        counts.setdefault(str(graph), {})[str(modality)] = int(n)
    documents = []
    for row in run_named(store, "documents").as_dicts():
        graph = str(row["graph"])
        if graph == str(ONTOLOGY_GRAPH) or graph.startswith(DERIVED_BASE):
            continue
        per_modality = counts.get(graph, {})
        documents.append(
            {
                "document": document_id(graph),
                "graph": graph,
                "title": _text(row.get("title")),
                "triples": int(row["triples"]),
                **{m: per_modality.get(m, 0) for m in ("obligation", "prohibition", "permission")},
            }
        )
    return documents
