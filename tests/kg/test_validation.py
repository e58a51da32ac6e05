"""SHACL shapes with the real pyshacl: well-formed data conforms, each kind of malformed data is
caught and the result names the focus node."""

from __future__ import annotations

import pytest
from rdflib import Dataset, Graph, Namespace, URIRef
from rdflib.namespace import RDF, SH

from kg.errors import ValidationError
from kg.namespaces import POL, POLSH, shapes_path
from kg.validation import ValidationReport, Violation, validate_shapes

EX = Namespace("http://example.org/validation#")
POL_NS = str(POL._NS)

PREFIXES = """
@prefix pol:  <https://w3id.org/alignment-studio/policy#> .
@prefix skos: <http://www.w3.org/2004/02/skos/core#> .
@prefix xsd:  <http://www.w3.org/2001/XMLSchema#> .
@prefix odrl: <http://www.w3.org/ns/odrl/2/> .
@prefix ex:   <http://example.org/validation#> .
"""

# One of everything the shapes describe, all well-formed.
SAMPLE = """
ex:code a pol:LegalSource ; pol:title "Code of Conduct"@en ; pol:authorityRank 20 ;
    pol:issued "2024-03-01"^^xsd:date ; pol:contentHash "sha256:9f86d081" ;
    pol:fallbackStrategy pol:DenyOverrides .
ex:scheme a pol:ConceptScheme ; skos:prefLabel "Code concepts" ; pol:inSource ex:code .
ex:sec3 a pol:Provision ; pol:provisionId "sec_3" ; pol:provisionKind "section" ;
    pol:inSource ex:code ; pol:partOf ex:code ; pol:startOffset 0 ; pol:endOffset 400 .
ex:sec3-1 a pol:Provision ; pol:provisionId "sec_3__para_1" ; pol:inSource ex:code ;
    pol:partOf ex:sec3 ; pol:startOffset 10 ; pol:endOffset 200 .
ex:employee a pol:Party ; skos:prefLabel "employee"@en ; skos:inScheme ex:scheme .
ex:salesEmployee a pol:Party ; skos:prefLabel "sales employee"@en ; skos:broader ex:employee ;
    skos:inScheme ex:scheme .
ex:accept a pol:Action ; skos:prefLabel "accept"@en ; skos:inScheme ex:scheme .
ex:gift a pol:Asset ; skos:prefLabel "gift"@en ; skos:inScheme ex:scheme .
ex:noGifts a pol:Prohibition ; pol:ruleId "3.1-a" ;
    pol:bearer ex:employee ; pol:action ex:accept ; pol:object ex:gift ;
    pol:hasCondition ex:fromSupplier ; pol:hasException ex:approved ; pol:threshold ex:limit ;
    pol:derivedFromProvision ex:sec3-1 ; pol:inSource ex:code ;
    pol:sourceText "Employees must not accept gifts over $100 from suppliers unless approved." ;
    pol:startOffset 10 ; pol:endOffset 95 ; pol:strength pol:Defeasible .
ex:fromSupplier a pol:Condition ; pol:text "the gift comes from a supplier" .
ex:approved a pol:Exception ; pol:text "approved by their manager" .
ex:limit a pol:Threshold ; pol:amount 100.00 ; pol:unit "USD" ; pol:comparator odrl:gt .
ex:salesMay a pol:Permission ; pol:ruleId "3.1-b" ;
    pol:bearer ex:salesEmployee ; pol:action ex:accept ; pol:object ex:gift ;
    pol:derivedFromProvision ex:sec3-1 .
ex:conflict a pol:Conflict ; pol:conflictingRule ex:noGifts, ex:salesMay ; pol:resolvedBy ex:ov .
ex:ov a pol:Override ; pol:winner ex:salesMay ; pol:loser ex:noGifts ; pol:basis pol:LexSpecialis .
ex:salesMay pol:overrides ex:noGifts .
ex:giftDef a pol:Definition ; pol:ruleId "def-gift" ; pol:definesTerm ex:gift ;
    pol:definitionText "anything of value given without payment" ;
    pol:derivedFromProvision ex:sec3 .
ex:scenario a pol:Scenario ; pol:exercisesRule ex:noGifts ; pol:expectedVerdict pol:Forbidden .
ex:probe a pol:Probe ; pol:exercisesRule ex:noGifts ; pol:fromScenario ex:scenario ;
    pol:expectedVerdict pol:Forbidden .
"""


def sample(drop: str = "", add: str = "") -> Graph:
    """The sample minus the triples of ``drop`` plus those of ``add`` (both Turtle)."""
    graph = Graph().parse(data=PREFIXES + SAMPLE + add, format="turtle")
    for triple in Graph().parse(data=PREFIXES + drop, format="turtle"):
        graph.remove(triple)
    return graph


def violations_for(report: ValidationReport, focus: URIRef) -> list[Violation]:
    return [v for v in report.violations if v.focus == str(focus)]


def test_well_formed_sample_conforms():
    report = validate_shapes(sample())
    assert report.conforms, [str(v) for v in report.violations]
    assert report.violations == []
    assert report.seconds > 0


MALFORMED = [
    pytest.param("ex:noGifts pol:bearer ex:employee .", "", EX.noGifts, POL.bearer,
                 id="rule-without-bearer"),
    pytest.param("", "ex:noGifts pol:bearer ex:salesEmployee .", EX.noGifts, POL.bearer,
                 id="rule-with-two-bearers"),
    pytest.param("", "ex:salesMay pol:bearer ex:nobody .", EX.salesMay, POL.bearer,
                 id="bearer-not-a-concept"),
    pytest.param("ex:noGifts pol:action ex:accept .", "", EX.noGifts, POL.action,
                 id="rule-without-action"),
    pytest.param("", "ex:noGifts pol:object ex:employee .", EX.noGifts, POL.object,
                 id="rule-with-two-objects"),
    pytest.param("ex:noGifts a pol:Prohibition .", "ex:noGifts a pol:Rule .", EX.noGifts, None,
                 id="rule-without-deontic-kind"),
    pytest.param("ex:noGifts pol:endOffset 95 .", "ex:noGifts pol:endOffset 5 .", EX.noGifts,
                 POL.startOffset, id="rule-start-after-end"),
    pytest.param("", "ex:noGifts pol:derivedFromProvision ex:code .", EX.noGifts,
                 POL.derivedFromProvision, id="rule-derived-from-two-one-not-a-provision"),
    pytest.param("", 'ex:salesMay pol:sourceText "Sales may."@en .', EX.salesMay,
                 POL.sourceText, id="source-text-with-language-tag"),
    pytest.param("", "ex:salesMay pol:hasCondition ex:approved .", EX.salesMay,
                 POL.hasCondition, id="condition-that-is-an-exception"),
    pytest.param("", "ex:salesMay pol:strength pol:LexSuperior .", EX.salesMay, POL.strength,
                 id="unknown-strength"),
    pytest.param("ex:sec3-1 pol:provisionId \"sec_3__para_1\" .", "", EX["sec3-1"],
                 POL.provisionId, id="provision-without-id"),
    pytest.param("ex:sec3-1 pol:inSource ex:code .", "", EX["sec3-1"], POL.inSource,
                 id="provision-without-source"),
    pytest.param("", 'ex:sec3 pol:startOffset "0" .', EX.sec3, POL.startOffset,
                 id="provision-offset-not-integer"),
    pytest.param("", "ex:sec3-1 pol:partOf ex:employee .", EX["sec3-1"], POL.partOf,
                 id="provision-part-of-a-concept"),
    pytest.param('ex:gift skos:prefLabel "gift"@en .', "", EX.gift,
                 URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
                 id="concept-without-label"),
    pytest.param("", 'ex:accept skos:prefLabel "take" .', EX.accept,
                 URIRef("http://www.w3.org/2004/02/skos/core#prefLabel"),
                 id="concept-with-two-labels"),
    pytest.param("", "ex:gift skos:broader ex:somethingUntyped .", EX.gift,
                 URIRef("http://www.w3.org/2004/02/skos/core#broader"),
                 id="broader-not-a-concept"),
    pytest.param("ex:giftDef pol:definesTerm ex:gift .", "", EX.giftDef, POL.definesTerm,
                 id="definition-without-term"),
    pytest.param('ex:approved pol:text "approved by their manager" .', "", EX.approved,
                 POL.text, id="exception-without-text"),
    pytest.param("ex:limit pol:comparator odrl:gt .", "ex:limit pol:comparator odrl:isA .",
                 EX.limit, POL.comparator, id="threshold-with-unknown-comparator"),
    pytest.param("ex:limit pol:amount 100.00 .", 'ex:limit pol:amount "a hundred" .', EX.limit,
                 POL.amount, id="threshold-amount-not-numeric"),
    pytest.param("ex:conflict pol:conflictingRule ex:salesMay .", "", EX.conflict,
                 POL.conflictingRule, id="conflict-with-one-rule"),
    pytest.param("", "ex:conflict2 a pol:Conflict ; pol:conflictingRule ex:noGifts, ex:gift .",
                 EX.conflict2, POL.conflictingRule, id="conflict-with-a-non-rule"),
    pytest.param("ex:ov pol:loser ex:noGifts .", "ex:ov pol:loser ex:salesMay .", EX.ov,
                 POL.winner, id="override-winner-is-loser"),
    pytest.param("ex:ov pol:loser ex:noGifts .", "", EX.ov, POL.loser,
                 id="override-without-loser"),
    pytest.param("ex:ov pol:basis pol:LexSpecialis .", "ex:ov pol:basis pol:Strict .", EX.ov,
                 POL.basis, id="override-with-unknown-basis"),
    pytest.param("ex:ov pol:basis pol:LexSpecialis .", "", EX.ov, POL.basis,
                 id="override-without-basis"),
    pytest.param("", "ex:noGifts pol:overrides ex:noGifts .", EX.noGifts, POL.overrides,
                 id="rule-overrides-itself"),
    pytest.param("", "ex:gift pol:overrides ex:noGifts .", EX.gift, None,
                 id="non-rule-overrides"),
    pytest.param("", "ex:code pol:authorityRank \"high\" .", EX.code, POL.authorityRank,
                 id="source-rank-not-integer"),
    pytest.param('ex:code pol:contentHash "sha256:9f86d081" .',
                 'ex:code pol:contentHash "9F86D081" .', EX.code, POL.contentHash,
                 id="source-hash-without-algorithm"),
    pytest.param("", 'ex:code pol:issued "March 2024" .', EX.code, POL.issued,
                 id="source-issued-not-a-date"),
    pytest.param("", "ex:probe pol:expectedVerdict pol:Permitted .", EX.probe,
                 POL.expectedVerdict, id="probe-with-two-verdicts"),
    pytest.param("", "ex:scenario pol:exercisesRule ex:gift .", EX.scenario, POL.exercisesRule,
                 id="scenario-exercises-a-non-rule"),
]


@pytest.mark.parametrize(("drop", "add", "focus", "path"), MALFORMED)
def test_malformed_data_is_reported_on_its_focus_node(drop, add, focus, path):
    report = validate_shapes(sample(drop, add))
    assert not report.conforms
    found = violations_for(report, focus)
    assert found, [str(v) for v in report.violations]
    matching = [v for v in found if v.path == (str(path) if path else None)]
    assert matching, [str(v) for v in found]
    for violation in matching:
        assert violation.severity == "Violation"
        assert violation.message and violation.message != "(no message)"
        assert violation.shape and violation.shape.startswith(str(POLSH))


def test_obligation_is_checked_by_the_rule_shape():
    """Targeting pol:Rule reaches subclass instances without RDFS inference."""
    report = validate_shapes(sample(add="ex:mustReport a pol:Obligation ."))
    paths = {v.path for v in violations_for(report, EX.mustReport)}
    assert {str(POL.bearer), str(POL.action)} <= paths


def test_missing_scheme_is_only_a_warning():
    report = validate_shapes(sample(drop="ex:gift skos:inScheme ex:scheme ."))
    assert report.conforms
    [warning] = report.violations
    assert warning.severity == "Warning" and warning.focus == str(EX.gift)


def test_violation_reads_as_one_line():
    report = validate_shapes(sample(drop="ex:noGifts pol:bearer ex:employee ."))
    [violation] = report.violations
    text = str(violation)
    assert text.startswith(f"Violation: <{EX.noGifts}>") and "pol:bearer" in text
    assert "\n" not in text


def test_dataset_graphs_are_validated_together():
    # Rules in one named graph, concepts and provisions in another: links must still resolve.
    whole = sample()
    dataset = Dataset()
    rules, rest = dataset.graph(EX.rules), dataset.graph(EX.rest)
    rule_subjects = {EX.noGifts, EX.salesMay}
    for s, p, o in whole:
        (rules if s in rule_subjects else rest).add((s, p, o))
    report = validate_shapes(dataset)
    assert report.conforms, [str(v) for v in report.violations]


def test_unknown_inference_mode_is_refused():
    with pytest.raises(ValidationError, match="unknown inference mode"):
        validate_shapes(sample(), inference="magic")


def test_rdfs_inference_mode_runs():
    report = validate_shapes(sample(drop="ex:noGifts pol:bearer ex:employee ."), inference="rdfs")
    assert [v.path for v in violations_for(report, EX.noGifts)] == [str(POL.bearer)]


# ------------------------------------------------------------------------------------------------
# The shapes file itself

SHAPES = Graph().parse(shapes_path(), format="turtle")
ALL_SHAPES = sorted(
    {s for s in SHAPES.subjects(RDF.type, SH.NodeShape)}
    | {s for s in SHAPES.subjects(RDF.type, SH.PropertyShape)}
    | {s for s in SHAPES.subjects(RDF.type, SH.SPARQLConstraint)},
    key=str,
)


@pytest.mark.parametrize("shape", ALL_SHAPES, ids=lambda s: str(s)[len(str(POLSH)):])
def test_every_shape_has_an_english_message(shape):
    assert isinstance(shape, URIRef) and str(shape).startswith(str(POLSH))
    messages = list(SHAPES.objects(shape, SH.message))
    assert any(m.language == "en" and str(m).strip() for m in messages)


def test_shapes_use_only_ontology_terms():
    used = {
        str(node)[len(POL_NS):]
        for node in SHAPES.all_nodes()
        if isinstance(node, URIRef) and str(node).startswith(POL_NS)
    }
    unknown = sorted(used - set(POL.__annotations__))
    assert unknown == [], f"shapes.ttl uses pol: terms that policy.ttl lacks: {unknown}"


def test_every_property_shape_is_attached_to_a_node_shape():
    attached = set(SHAPES.objects(None, SH.property))
    for shape in SHAPES.subjects(RDF.type, SH.PropertyShape):
        assert shape in attached, shape
