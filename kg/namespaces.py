"""Namespaces of the policy graph and where the ontology files live.

``POL`` lists every term of ``ontologies/policy.ttl`` and refuses any other name (``_fail``), so
a typo such as ``POL.Obligaton`` fails where it is written instead of silently minting an IRI
no query will ever match. tests/kg/test_ontology.py keeps the two in sync in both directions.
Only rdflib is imported here: this module is loaded by every command, including ``--help``.
"""

from __future__ import annotations

from pathlib import Path

from rdflib import Graph, Namespace, URIRef
from rdflib.namespace import (
    DCTERMS,
    OWL,
    PROV,
    RDF,
    RDFS,
    SH,
    SKOS,
    XSD,
    DefinedNamespace,
)

__all__ = [
    "POL",
    "POLSH",
    "ODRL",
    "ELI",
    "LRML",
    "PROV",
    "DCTERMS",
    "SKOS",
    "OWL",
    "RDF",
    "RDFS",
    "XSD",
    "SH",
    "POL_ONTOLOGY",
    "PREFIXES",
    "bind_prefixes",
    "ontology_path",
    "shapes_path",
]

ODRL = Namespace("http://www.w3.org/ns/odrl/2/")
ELI = Namespace("http://data.europa.eu/eli/ontology#")
LRML = Namespace("http://docs.oasis-open.org/legalruleml/ns/v1.0/")
POLSH = Namespace("https://w3id.org/alignment-studio/shapes#")

POL_ONTOLOGY = URIRef("https://w3id.org/alignment-studio/policy")


class POL(DefinedNamespace):
    """Alignment Studio policy ontology (``ontologies/policy.ttl``)."""

    _fail = True
    _NS = Namespace("https://w3id.org/alignment-studio/policy#")

    # Classes
    Action: URIRef
    Asset: URIRef
    Authority: URIRef
    ConceptScheme: URIRef
    Condition: URIRef
    Conflict: URIRef
    ConflictStrategy: URIRef
    DefeasibleStrength: URIRef
    Definition: URIRef
    Exception: URIRef
    Jurisdiction: URIRef
    LegalSource: URIRef
    Obligation: URIRef
    Override: URIRef
    Party: URIRef
    Permission: URIRef
    PrecedenceBasis: URIRef
    Probe: URIRef
    Prohibition: URIRef
    Provision: URIRef
    Purpose: URIRef
    Rule: URIRef
    Scenario: URIRef
    Statement: URIRef
    Threshold: URIRef
    Verdict: URIRef

    # Object properties
    action: URIRef
    basis: URIRef
    bearer: URIRef
    comparator: URIRef
    conflictingRule: URIRef
    definesTerm: URIRef
    derivedFromProvision: URIRef
    exercisesRule: URIRef
    expectedVerdict: URIRef
    fallbackStrategy: URIRef
    precedenceOrder: URIRef
    fromScenario: URIRef
    hasCondition: URIRef
    hasException: URIRef
    inSource: URIRef
    issuedBy: URIRef
    jurisdiction: URIRef
    loser: URIRef
    correlativeOf: URIRef
    notwithstanding: URIRef
    object: URIRef
    overrides: URIRef
    partOf: URIRef
    purpose: URIRef
    refersTo: URIRef
    resolvedBy: URIRef
    strength: URIRef
    subjectTo: URIRef
    threshold: URIRef
    winner: URIRef

    # Datatype properties
    amount: URIRef
    authorityRank: URIRef
    contentHash: URIRef
    definitionText: URIRef
    endOffset: URIRef
    inForceFrom: URIRef
    issued: URIRef
    provisionId: URIRef
    provisionKind: URIRef
    ruleId: URIRef
    ordinal: URIRef
    sourceText: URIRef
    startOffset: URIRef
    text: URIRef
    title: URIRef
    unit: URIRef

    # Named individuals: precedence bases
    ExplicitClause: URIRef
    LexPosterior: URIRef
    LexSpecialis: URIRef
    LexSuperior: URIRef
    PolicyChoice: URIRef

    # Named individuals: fallback conflict strategies
    DenyOverrides: URIRef
    FirstApplicable: URIRef
    OnlyOneApplicable: URIRef
    PermitOverrides: URIRef

    # Named individuals: defeasible strengths
    Defeasible: URIRef
    Defeater: URIRef
    Strict: URIRef

    # Named individuals: verdicts
    Forbidden: URIRef
    NeedsInfo: URIRef
    NotApplicable: URIRef
    Permitted: URIRef
    Required: URIRef


PREFIXES: dict[str, Namespace] = {
    "pol": Namespace(str(POL._NS)),
    "polsh": POLSH,
    "odrl": ODRL,
    "eli": ELI,
    "lrml": LRML,
    "prov": Namespace(str(PROV)),
    "dcterms": Namespace(str(DCTERMS)),
    "skos": Namespace(str(SKOS)),
    "owl": Namespace(str(OWL)),
    "rdf": Namespace(str(RDF)),
    "rdfs": Namespace(str(RDFS)),
    "xsd": Namespace(str(XSD)),
    "sh": Namespace(str(SH)),
}


def bind_prefixes(graph: Graph) -> Graph:
    """Bind the project's prefixes on ``graph`` (replacing other bindings of them) and return it."""
    for prefix, namespace in PREFIXES.items():
        graph.bind(prefix, namespace, override=True, replace=True)
    return graph


def _ontologies_dir() -> Path:
    # ontologies/ is a top-level sibling of kg/ both in a checkout and in the installed wheel.
    return Path(__file__).resolve().parent.parent / "ontologies"


def ontology_path() -> Path:
    """Path of the OWL ontology ``ontologies/policy.ttl``."""
    return _ontologies_dir() / "policy.ttl"


def shapes_path() -> Path:
    """Path of the SHACL shapes ``ontologies/shapes.ttl``."""
    return _ontologies_dir() / "shapes.ttl"
