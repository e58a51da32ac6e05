"""Conflict detection over the real graph: within and across documents, through the hierarchy."""

from __future__ import annotations

import pytest

from kg.conflicts import CONFLICTS_GRAPH, record_conflicts
from kg.query_library import run_named
from kg.store import open_store
from pipeline.framers.policy_yaml import load_policy_yaml

HEAD = "source: {{id: {id}, authority: {authority}}}\n"
LOCAL = HEAD + """concepts:
  supplier: [third party]
rules:
  - {{id: suppliers-may-give, modality: permission, bearer: supplier, action: give, object: gift}}
  - {{id: report, modality: obligation, bearer: supplier, action: report}}
"""
GROUP = HEAD + """rules:
  - {{id: no-gifts, modality: prohibition, bearer: third party, action: give}}
  - {{id: no-bribes, modality: prohibition, bearer: third party, action: bribe}}
"""


@pytest.fixture
def store(tmp_path):
    s = open_store("memory:")
    for name, text, authority in (("local", LOCAL, 1), ("group", GROUP, 5)):
        path = tmp_path / f"{name}.yaml"
        path.write_text(text.format(id=name, authority=authority), encoding="utf-8")
        load_policy_yaml(s, path)
    return s


def conflict_pairs(store) -> set[frozenset[str]]:
    pairs: dict[str, set[str]] = {}
    for conflict, rule, *_ in run_named(store, "conflicts").rows:
        pairs.setdefault(str(conflict), set()).add(str(rule).rsplit("/", 1)[1])
    return {frozenset(p) for p in pairs.values()}


def test_conflicts_across_documents_through_the_hierarchy(store):
    conflicts = record_conflicts(store)
    assert [(c.prohibition.rule_id, c.other.rule_id) for c in conflicts] == [("no-gifts", "suppliers-may-give")]
    assert conflict_pairs(store) == {frozenset({"no-gifts", "suppliers-may-give"})}
    assert CONFLICTS_GRAPH in store.graphs()


def test_recording_again_replaces_rather_than_adds(store):
    record_conflicts(store)
    before = store.graphs()[CONFLICTS_GRAPH]
    record_conflicts(store)
    assert store.graphs()[CONFLICTS_GRAPH] == before


def test_removing_a_document_removes_its_conflicts(store):
    record_conflicts(store)
    from kg.store import graph_iri

    store.drop_graph(graph_iri("group"))
    assert record_conflicts(store) == []
    assert conflict_pairs(store) == set()
