"""The ontology file itself: it parses, documents every term, aligns to the standards, stays
OWL-DL-clean, and matches the POL namespace class term for term."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest
from rdflib import Graph, Literal, Namespace, URIRef
from rdflib.collection import Collection
from rdflib.namespace import DCTERMS, OWL, PROV, RDF, RDFS, SKOS

from kg.namespaces import ELI, LRML, ODRL, POL, POL_ONTOLOGY, ontology_path, shapes_path

ROOT = Path(__file__).resolve().parents[2]
# rdflib's XSD namespace object warns when pytest probes module attributes; a plain one does not.
XSD = Namespace("http://www.w3.org/2001/XMLSchema#")
POL_NS = str(POL._NS)

# Parsed at collection time because the parametrisation below is derived from the file.
ONTOLOGY = Graph().parse(ontology_path(), format="turtle")
TTL_TERMS = sorted(
    {
        str(node)[len(POL_NS):]
        for node in ONTOLOGY.all_nodes()
        if isinstance(node, URIRef) and str(node).startswith(POL_NS)
    }
)
ENTITY_TYPES = (
    OWL.Class,
    OWL.ObjectProperty,
    OWL.DatatypeProperty,
    OWL.AnnotationProperty,
    OWL.NamedIndividual,
)


def test_ontology_file_parses_and_declares_itself():
    assert ontology_path().is_file()
    assert ontology_path().parent == ROOT / "ontologies"
    assert shapes_path().is_file()
    assert (POL_ONTOLOGY, RDF.type, OWL.Ontology) in ONTOLOGY
    assert len(ONTOLOGY) > 300


@pytest.mark.parametrize("term", TTL_TERMS)
def test_every_term_has_english_label_and_comment(term):
    iri = POL[term]
    for prop in (RDFS.label, RDFS.comment):
        values = [v for v in ONTOLOGY.objects(iri, prop) if isinstance(v, Literal)]
        assert any(v.language == "en" and str(v).strip() for v in values), (
            f"pol:{term} lacks an English {prop}"
        )


@pytest.mark.parametrize("term", TTL_TERMS)
def test_every_term_has_exactly_one_owl_entity_type(term):
    kinds = [t for t in ONTOLOGY.objects(POL[term], RDF.type) if t in ENTITY_TYPES]
    assert len(kinds) == 1, f"pol:{term} has entity types {kinds}"


REQUIRED = {
    OWL.Class: [
        "LegalSource", "Provision", "Rule", "Obligation", "Prohibition", "Permission",
        "Definition", "Party", "Action", "Asset", "ConceptScheme", "Condition", "Exception",
        "Threshold", "Conflict", "Override", "PrecedenceBasis", "ConflictStrategy", "Scenario",
        "Probe",
    ],
    OWL.ObjectProperty: [
        "bearer", "action", "object", "purpose", "hasCondition", "hasException", "threshold",
        "derivedFromProvision", "inSource", "partOf", "definesTerm", "conflictingRule",
        "overrides", "winner", "loser", "basis", "comparator", "exercisesRule", "jurisdiction",
    ],
    OWL.DatatypeProperty: [
        "authorityRank", "contentHash", "title", "issued", "inForceFrom", "provisionId",
        "startOffset", "endOffset", "sourceText", "ruleId", "text", "amount", "unit",
        "definitionText",
    ],
    OWL.NamedIndividual: [
        "ExplicitClause", "LexSuperior", "LexSpecialis", "LexPosterior", "PolicyChoice",
        "DenyOverrides", "PermitOverrides", "FirstApplicable", "OnlyOneApplicable",
    ],
}


@pytest.mark.parametrize(
    ("kind", "term"),
    [(kind, term) for kind, terms in REQUIRED.items() for term in terms],
    ids=[f"{kind.fragment}-{term}" for kind, terms in REQUIRED.items() for term in terms],
)
def test_required_term_exists(kind, term):
    assert (POL[term], RDF.type, kind) in ONTOLOGY


RANGES = [
    *[(term, XSD.integer) for term in ("authorityRank", "startOffset", "endOffset")],
    *[
        (term, XSD.string)
        for term in ("sourceText", "text", "ruleId", "provisionId", "definitionText", "contentHash")
    ],
    *[
        (term, POL[cls])
        for term, cls in (
            ("bearer", "Party"), ("action", "Action"), ("object", "Asset"),
            ("hasCondition", "Condition"), ("hasException", "Exception"),
            ("threshold", "Threshold"), ("derivedFromProvision", "Provision"),
            ("inSource", "LegalSource"), ("winner", "Rule"), ("loser", "Rule"),
            ("basis", "PrecedenceBasis"), ("conflictingRule", "Rule"), ("exercisesRule", "Rule"),
        )
    ],
]


@pytest.mark.parametrize(("term", "range_"), RANGES, ids=[t for t, _ in RANGES])
def test_property_range(term, range_):
    assert (POL[term], RDFS.range, range_) in ONTOLOGY


@pytest.mark.parametrize(
    ("individual", "cls"),
    [
        ("ExplicitClause", "PrecedenceBasis"),
        ("LexSuperior", "PrecedenceBasis"),
        ("LexSpecialis", "PrecedenceBasis"),
        ("LexPosterior", "PrecedenceBasis"),
        ("PolicyChoice", "PrecedenceBasis"),
        ("DenyOverrides", "ConflictStrategy"),
        ("PermitOverrides", "ConflictStrategy"),
        ("FirstApplicable", "ConflictStrategy"),
        ("OnlyOneApplicable", "ConflictStrategy"),
    ],
    ids=lambda v: v,
)
def test_individuals_belong_to_their_class(individual, cls):
    assert (POL[individual], RDF.type, POL[cls]) in ONTOLOGY


ALIGNMENTS = [
    ("Rule", RDFS.subClassOf, ODRL.Rule),
    ("Obligation", RDFS.subClassOf, ODRL.Duty),
    ("Prohibition", RDFS.subClassOf, ODRL.Prohibition),
    ("Permission", RDFS.subClassOf, ODRL.Permission),
    ("Party", RDFS.subClassOf, ODRL.Party),
    ("Action", RDFS.subClassOf, ODRL.Action),
    ("Asset", RDFS.subClassOf, ODRL.Asset),
    ("Party", RDFS.subClassOf, SKOS.Concept),
    ("Action", RDFS.subClassOf, SKOS.Concept),
    ("Asset", RDFS.subClassOf, SKOS.Concept),
    ("ConceptScheme", RDFS.subClassOf, SKOS.ConceptScheme),
    ("Condition", RDFS.subClassOf, ODRL.Constraint),
    ("ConflictStrategy", RDFS.subClassOf, ODRL.ConflictTerm),
    ("bearer", RDFS.subPropertyOf, ODRL.assignee),
    ("action", RDFS.subPropertyOf, ODRL.action),
    ("object", RDFS.subPropertyOf, ODRL.target),
    ("hasCondition", RDFS.subPropertyOf, ODRL.constraint),
    ("comparator", RDFS.subPropertyOf, ODRL.operator),
    ("LegalSource", RDFS.subClassOf, ELI.LegalResource),
    ("Provision", RDFS.subClassOf, ELI.LegalResourceSubdivision),
    ("partOf", RDFS.subPropertyOf, ELI.is_part_of),
    ("issued", RDFS.subPropertyOf, ELI.date_document),
    ("inForceFrom", RDFS.subPropertyOf, ELI.first_date_entry_in_force),
    ("jurisdiction", RDFS.subPropertyOf, ELI.jurisdiction),
    ("Override", RDFS.subClassOf, LRML.Override),
    ("winner", RDFS.subPropertyOf, LRML.over),
    ("loser", RDFS.subPropertyOf, LRML.under),
    ("Authority", RDFS.subClassOf, LRML.Authority),
    ("Jurisdiction", RDFS.subClassOf, LRML.Jurisdiction),
    ("DefeasibleStrength", RDFS.subClassOf, LRML.DefeasibleStrength),
    ("Rule", RDFS.subClassOf, LRML.PrescriptiveStatement),
    ("Definition", RDFS.subClassOf, LRML.ConstitutiveStatement),
    ("derivedFromProvision", RDFS.subPropertyOf, PROV.wasDerivedFrom),
    ("title", RDFS.subPropertyOf, DCTERMS.title),
]


@pytest.mark.parametrize(
    ("term", "predicate", "standard"),
    ALIGNMENTS,
    ids=[f"{t}-{s.n3(ONTOLOGY.namespace_manager)}" for t, _, s in ALIGNMENTS],
)
def test_alignment_axiom(term, predicate, standard):
    assert (POL[term], predicate, standard) in ONTOLOGY


def test_deontic_rule_kinds_are_pairwise_disjoint():
    member_lists = [
        set(Collection(ONTOLOGY, members))
        for axiom in ONTOLOGY.subjects(RDF.type, OWL.AllDisjointClasses)
        for members in ONTOLOGY.objects(axiom, OWL.members)
    ]
    assert {POL.Obligation, POL.Prohibition, POL.Permission} in member_lists


def test_definition_is_disjoint_from_rules():
    assert (POL.Rule, OWL.disjointWith, POL.Definition) in ONTOLOGY
    for kind in (POL.Obligation, POL.Prohibition, POL.Permission):
        assert (kind, RDFS.subClassOf, POL.Rule) in ONTOLOGY


def test_concept_kinds_are_not_disjoint():
    # The same concept may be a party in one rule and an asset in another.
    kinds = {POL.Party, POL.Action, POL.Asset, POL.Purpose}
    for a, b in ONTOLOGY.subject_objects(OWL.disjointWith):
        assert not ({a, b} <= kinds)
    for axiom in ONTOLOGY.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in ONTOLOGY.objects(axiom, OWL.members):
            assert len(set(Collection(ONTOLOGY, members)) & kinds) < 2


def test_external_terms_are_declared_for_owl_dl():
    """Every non-pol IRI used as a superclass, superproperty, domain, range or as an
    individual's type is declared, so that OWL-DL tools know what kind of entity it is."""
    builtin = (str(OWL), str(RDF), str(RDFS), "http://www.w3.org/2001/XMLSchema#")
    used = set()
    for predicate in (RDFS.subClassOf, RDFS.subPropertyOf, RDFS.domain, RDFS.range):
        used |= {o for o in ONTOLOGY.objects(None, predicate) if isinstance(o, URIRef)}
    used |= {p for _, p, _ in ONTOLOGY if isinstance(p, URIRef)}
    used |= {o for o in ONTOLOGY.objects(None, RDF.type) if isinstance(o, URIRef)}
    external = {u for u in used if not str(u).startswith((POL_NS, *builtin))}
    undeclared = sorted(
        str(u)
        for u in external
        if not any((u, RDF.type, t) in ONTOLOGY for t in ENTITY_TYPES)
    )
    assert undeclared == []


def test_no_iri_is_both_data_and_object_or_annotation_property():
    kinds = (OWL.ObjectProperty, OWL.DatatypeProperty, OWL.AnnotationProperty)
    for subject in set(ONTOLOGY.subjects(RDF.type, None)):
        declared = [k for k in kinds if (subject, RDF.type, k) in ONTOLOGY]
        assert len(declared) <= 1, f"{subject} is declared as {declared}"


def test_namespace_lists_every_ontology_term():
    missing = sorted(set(TTL_TERMS) - set(POL.__annotations__))
    assert missing == [], f"terms in policy.ttl but not in kg.namespaces.POL: {missing}"


def test_ontology_defines_every_namespace_term():
    extra = sorted(set(POL.__annotations__) - set(TTL_TERMS))
    assert extra == [], f"terms in kg.namespaces.POL but not in policy.ttl: {extra}"


def test_every_namespace_term_is_typed_in_the_ontology():
    untyped = sorted(t for t in POL.__annotations__ if (POL[t], RDF.type, None) not in ONTOLOGY)
    assert untyped == []


@pytest.mark.parametrize("name", ["Obligaton", "rule", "Bearer", "hasExceptions"])
def test_namespace_refuses_unknown_terms(name):
    with pytest.raises(AttributeError):
        getattr(POL, name)


def test_namespace_module_imports_only_rdflib():
    code = (
        "import sys, kg.namespaces; "
        "heavy = [m for m in ('owlready2', 'pyshacl', 'pyoxigraph', 'spacy', 'torch', 'kg.store') "
        "if m in sys.modules]; print(','.join(heavy))"
    )
    done = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, check=True
    )
    assert done.stdout.strip() == ""
