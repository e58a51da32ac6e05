"""OWL consistency with the real HermiT (owlready2's bundled jar, real Java)."""

from __future__ import annotations

import tempfile

import owlready2
import pytest
from rdflib import Dataset, Graph, URIRef

from kg.errors import ReasoningError
from kg.reasoning import ConsistencyReport, check_consistency

EX = "http://example.org/reasoning#"

PREFIXES = """
@prefix pol:  <https://w3id.org/alignment-studio/policy#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix owl:  <http://www.w3.org/2002/07/owl#> .
@prefix rdfs: <http://www.w3.org/2000/01/rdf-schema#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix ex:   <http://example.org/reasoning#> .
"""

SAMPLE = """
ex:code a pol:LegalSource ; pol:title "Code of Conduct"@en ; pol:authorityRank 20 ;
    pol:issued "2024-03-01"^^xsd:date ; pol:inForceFrom "2024-04-01"^^xsd:date ;
    pol:contentHash "sha256:ab12" .
ex:sec3 a pol:Provision ; pol:provisionId "sec_3__para_1" ; pol:inSource ex:code ;
    pol:partOf ex:code ; pol:startOffset 0 ; pol:endOffset 200 .
ex:employee a pol:Party ; skos:prefLabel "employee" ; skos:broader ex:staff .
ex:staff a pol:Party ; skos:prefLabel "staff" .
ex:accept a pol:Action ; skos:prefLabel "accept" .
ex:gift a pol:Asset ; skos:prefLabel "gift" .
# The same concept used as a party and as an asset must not be a contradiction.
ex:supplier a pol:Party, pol:Asset ; skos:prefLabel "supplier" .
ex:noGifts a pol:Prohibition ; pol:ruleId "3.1" ; pol:bearer ex:employee ;
    pol:action ex:accept ; pol:object ex:gift ; pol:threshold ex:limit ;
    pol:hasException ex:approved ; pol:derivedFromProvision ex:sec3 ; pol:inSource ex:code ;
    pol:sourceText "Employees must not accept gifts worth more than $100 unless approved." ;
    pol:startOffset 0 ; pol:endOffset 70 .
ex:limit a pol:Threshold ; pol:amount 100.00 ; pol:unit "USD" ; pol:comparator odrl:gt .
ex:deadline a pol:Threshold ; pol:amount "P3D"^^xsd:duration ; pol:comparator odrl:lteq .
ex:approved a pol:Exception ; pol:text "approved by their manager" .
ex:mayAccept a pol:Permission ; pol:bearer ex:employee ; pol:action ex:accept ; pol:object ex:gift .
ex:conflict a pol:Conflict ; pol:conflictingRule ex:noGifts, ex:mayAccept ; pol:resolvedBy ex:ov .
ex:ov a pol:Override ; pol:winner ex:mayAccept ; pol:loser ex:noGifts ; pol:basis pol:LexSpecialis .
ex:mayAccept pol:overrides ex:noGifts .
ex:giftDef a pol:Definition ; pol:definesTerm ex:gift ; pol:definitionText "anything of value" .
ex:scenario a pol:Scenario ; pol:exercisesRule ex:noGifts ; pol:expectedVerdict pol:Forbidden .
"""


def graph(ttl: str) -> Graph:
    return Graph().parse(data=PREFIXES + ttl, format="turtle")


@pytest.fixture(scope="module")
def ontology_alone() -> ConsistencyReport:
    return check_consistency()


def test_ontology_alone_is_consistent(ontology_alone):
    assert ontology_alone.consistent, ontology_alone.problems
    assert ontology_alone.problems == []
    assert 0 < ontology_alone.seconds < 30


def test_empty_data_graph_is_consistent():
    report = check_consistency(Graph())
    assert report.consistent and report.problems == []


def test_well_formed_sample_is_consistent():
    report = check_consistency(graph(SAMPLE))
    assert report.consistent, report.problems


def test_data_in_named_graphs_is_checked():
    dataset = Dataset()
    dataset.graph(URIRef(EX + "g1")).parse(
        data=PREFIXES + "ex:x a pol:Obligation .", format="turtle"
    )
    dataset.graph(URIRef(EX + "g2")).parse(
        data=PREFIXES + "ex:x a pol:Prohibition .", format="turtle"
    )
    report = check_consistency(dataset)
    assert not report.consistent
    assert any(f"<{EX}x>" in p for p in report.problems)


INCONSISTENT = [
    pytest.param(
        "ex:x a pol:Obligation, pol:Prohibition .",
        "x",
        ["is typed both pol:Obligation and pol:Prohibition, which are disjoint"],
        id="obligation-and-prohibition",
    ),
    pytest.param(
        "ex:x a pol:Permission, pol:Prohibition .",
        "x",
        ["pol:Permission", "pol:Prohibition", "disjoint"],
        id="permission-and-prohibition",
    ),
    pytest.param(
        "ex:x a pol:Obligation, pol:Definition .",
        "x",
        ["pol:Definition", "pol:Obligation", "through pol:Definition and pol:Rule"],
        id="rule-and-definition",
    ),
    pytest.param(
        "ex:x a pol:Definition ; pol:bearer ex:employee .",
        "x",
        ["as subject of pol:bearer", "pol:Rule"],
        id="definition-with-bearer-via-domain",
    ),
    pytest.param(
        "ex:o a pol:Override ; pol:winner ex:d . ex:d a pol:Definition .",
        "d",
        ["as object of pol:winner"],
        id="definition-as-winner-via-range",
    ),
    pytest.param(
        "ex:x a pol:Obligation ; pol:overrides ex:x .",
        "x",
        ["pol:overrides itself", "irreflexive"],
        id="rule-overrides-itself",
    ),
    pytest.param(
        'ex:x a pol:Obligation ; pol:sourceText "Employees must report."@en .',
        "x",
        ["outside the range xsd:string", "without a language tag"],
        id="language-tagged-source-text",
    ),
    pytest.param(
        'ex:x a pol:Obligation ; pol:startOffset "12" .',
        "x",
        ["outside the range xsd:integer"],
        id="offset-as-string",
    ),
    pytest.param(
        'ex:x a pol:Obligation ; pol:endOffset "twelve"^^xsd:integer .',
        "x",
        ["is not a valid xsd:integer literal"],
        id="ill-typed-integer",
    ),
    pytest.param(
        "ex:s a pol:LegalSource ; pol:authorityRank 10, 20 .",
        "s",
        ["2 different values of pol:authorityRank", "functional"],
        id="two-authority-ranks",
    ),
    pytest.param(
        "ex:Odd a owl:Class ; rdfs:subClassOf pol:Obligation, pol:Permission .",
        "Odd",
        ["unsatisfiable"],
        id="unsatisfiable-class",
    ),
]


@pytest.mark.parametrize(("ttl", "local", "fragments"), INCONSISTENT)
def test_inconsistency_is_reported_naming_the_resource(ttl, local, fragments):
    report = check_consistency(graph(SAMPLE + ttl))
    assert not report.consistent
    naming = [p for p in report.problems if f"<{EX}{local}>" in p]
    assert naming, report.problems
    for fragment in fragments:
        assert any(fragment in p for p in naming), (fragment, naming)


def test_unexplained_inconsistency_is_still_reported_and_calls_do_not_interfere():
    # Two distinct precedence bases declared the same: only HermiT sees it.
    bad = check_consistency(graph("pol:LexSuperior owl:sameAs pol:LexPosterior ."))
    good = check_consistency(graph("ex:x a pol:Obligation ."))
    assert not bad.consistent
    assert len(bad.problems) == 1 and "HermiT found" in bad.problems[0]
    assert good.consistent and good.problems == []


def test_quick_checks_spare_hermit_when_they_find_the_cause(tmp_path, monkeypatch):
    # With no Java at all, a diagnosable inconsistency is still reported.
    monkeypatch.setattr(owlready2, "JAVA_EXE", str(tmp_path / "no-such-java"))
    report = check_consistency(graph("ex:x a pol:Obligation, pol:Prohibition ."))
    assert not report.consistent and report.problems


def test_temp_files_are_removed_even_when_hermit_finds_inconsistency(tmp_path, monkeypatch):
    # owlready2's own sync_reasoner leaves its input file behind in exactly this case.
    monkeypatch.setattr(tempfile, "tempdir", str(tmp_path))
    report = check_consistency(graph("pol:LexSuperior owl:sameAs pol:LexPosterior ."))
    assert not report.consistent
    assert list(tmp_path.iterdir()) == []


def test_missing_java_raises_reasoning_error(tmp_path, monkeypatch):
    monkeypatch.setattr(owlready2, "JAVA_EXE", str(tmp_path / "no-such-java"))
    with pytest.raises(ReasoningError, match="Java was not found"):
        check_consistency()


def test_the_ontology_loads_in_owlready2_and_hermit_finds_it_consistent(tmp_path):
    """owlready2's own loader and sync_reasoner, not only the jar: what users of owlready2 do."""
    from rdflib import Graph

    from kg.namespaces import POL, ontology_path

    nt = tmp_path / "policy.nt"
    Graph().parse(ontology_path(), format="turtle").serialize(nt, format="nt", encoding="utf-8")  # owlready2 reads no Turtle
    world = owlready2.World()
    onto = world.get_ontology(nt.as_uri()).load()
    names = {c.iri for c in onto.classes()}
    assert {str(POL.Rule), str(POL.Obligation), str(POL.Prohibition), str(POL.Permission), str(POL.Provision)} <= names
    with onto:
        owlready2.sync_reasoner_hermit(world, infer_property_values=False, debug=0)
    assert list(world.inconsistent_classes()) == []
