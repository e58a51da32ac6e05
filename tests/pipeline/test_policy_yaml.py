"""Policy YAML loader: the real YAML parser, a real in-memory store, real SHACL and HermiT.

The bundled example loads, conforms and is consistent; loading is idempotent and a changed file
replaces its graph; documents share concepts; every kind of bad input is reported with the file,
the line and the key, and leaves the store as it was.
"""

from __future__ import annotations

import hashlib
from pathlib import Path

import pytest
from rdflib import Graph, Literal, URIRef

from kg.errors import ParseError
from kg.labels import concept_iri
from kg.namespaces import POL
from kg.reasoning import check_consistency
from kg.store import graph_iri, open_store
from kg.validation import validate_shapes
from pipeline.framers.policy_yaml import (
    PolicyDocument,
    PolicyYamlError,
    document_iri,
    jurisdiction_iri,
    load_policy_yaml,
    read_policy_yaml,
)

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE_YAML = ROOT / "pipeline" / "examples" / "acme-conduct.yaml"
EXAMPLE_TTL = ROOT / "pipeline" / "examples" / "acme-conduct.ttl"
ACME = document_iri("acme-conduct")


@pytest.fixture(scope="module")
def example() -> PolicyDocument:
    return read_policy_yaml(EXAMPLE_YAML)


@pytest.fixture(scope="module")
def example_graph(example) -> Graph:
    graph = Graph()
    for triple in example.triples:
        graph.add(triple)
    return graph


@pytest.fixture(scope="module")
def loaded_store(example):
    with open_store("memory:") as store:
        load_policy_yaml(store, EXAMPLE_YAML)
        yield store


def write(tmp_path: Path, text: str, name: str = "policy.yaml") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def snapshot(store) -> set:
    return set(store.quads())


MINIMAL = """\
source:
  id: {doc}
rules:
  - id: r1
    modality: prohibition
    bearer: {bearer}
    action: accept
"""


# ------------------------------------------------------------------------------------------------
# The bundled example


def test_example_reads(example):
    assert example.doc_id == "acme-conduct"
    assert example.path == EXAMPLE_YAML
    assert example.graph == graph_iri("acme-conduct")
    assert example.rule_count == 4
    assert example.content_hash == "sha256:" + hashlib.sha256(EXAMPLE_YAML.read_bytes()).hexdigest()
    assert example.source == ACME
    assert not example.unchanged
    assert len(example.triples) == len(set(example.triples)), "no duplicate triples"


def test_example_conforms_to_shapes(example_graph):
    report = validate_shapes(example_graph)
    assert report.conforms, [str(v) for v in report.violations]
    assert report.violations == [], "no warnings either (every concept is in a scheme)"


def test_example_is_owl_consistent(example_graph):
    report = check_consistency(example_graph)
    assert report.consistent, report.problems


@pytest.mark.parametrize(
    ("modality", "count"),
    [("Obligation", 1), ("Prohibition", 2), ("Permission", 1)],
    ids=["obligations", "prohibitions", "permissions"],
)
def test_rules_per_modality(loaded_store, modality, count):
    result = loaded_store.query(
        "SELECT (COUNT(DISTINCT ?r) AS ?n) WHERE { GRAPH ?g { ?r a ?cls ; pol:inSource ?doc } }",
        {"g": graph_iri("acme-conduct"), "cls": POL[modality], "doc": ACME},
    )
    assert int(result.rows[0][0]) == count


RULE = f"{ACME}/rule/"
MAPPING_FACTS = [
    pytest.param(
        f"""<{ACME}> a pol:LegalSource ; pol:title "ACME Code of Conduct" ; pol:authorityRank 10 ;
            pol:issued "2024-03-01"^^xsd:date ; pol:fallbackStrategy pol:DenyOverrides ;
            pol:precedenceOrder "explicit lex-superior lex-specialis lex-posterior" ;
            pol:jurisdiction ?j . ?j a pol:Jurisdiction ; skos:prefLabel "us" ; skos:inScheme <{ACME}/concepts> .""",
        id="source",
    ),
    pytest.param(f"<{ACME}/concepts> a pol:ConceptScheme ; pol:inSource <{ACME}> .", id="scheme"),
    pytest.param(
        f"""<{RULE}no-gifts> a pol:Prohibition ; pol:ruleId "no-gifts" ; pol:ordinal 1 ;
            pol:bearer <{concept_iri("employee")}> ; pol:action <{concept_iri("accept")}> ;
            pol:object <{concept_iri("gift")}> ; pol:inSource <{ACME}> ;
            pol:sourceText "Employees must not accept gifts worth more than $100 unless their manager approves." .""",
        id="rule",
    ),
    pytest.param(
        f"""<{RULE}no-gifts> pol:hasCondition <{RULE}no-gifts/condition/1> ;
            pol:hasException <{RULE}no-gifts/exception/1> .
            <{RULE}no-gifts/condition/1> a pol:Condition ; pol:text "gift value exceeds 100 USD" .
            <{RULE}no-gifts/exception/1> a pol:Exception ; pol:text "manager approved the gift" .""",
        id="condition-exception",
    ),
    pytest.param(
        f"""<{RULE}no-gifts> pol:derivedFromProvision <{ACME}/provision/3.1> .
            <{ACME}/provision/3.1> a pol:Provision ; pol:provisionId "3.1" ; pol:inSource <{ACME}> .""",
        id="provision",
    ),
    pytest.param(
        f"""<{ACME}/override/1> a pol:Override ; pol:winner <{RULE}sales-hospitality> ;
            pol:loser <{RULE}no-gifts> ; pol:basis pol:ExplicitClause .
            <{RULE}sales-hospitality> pol:overrides <{RULE}no-gifts> .""",
        id="override",
    ),
    pytest.param(
        f"""<{concept_iri("government official")}> a pol:Party ; skos:prefLabel "government official" ;
            skos:broader <{concept_iri("third party")}>, <{concept_iri("public official")}> ;
            skos:inScheme <{ACME}/concepts> .""",
        id="concept-hierarchy",
    ),
    pytest.param(
        f"""<{concept_iri("hospitality")}> a pol:Asset ; skos:broader <{concept_iri("gift")}> .
            <{concept_iri("sales employee")}> a pol:Party ; skos:broader <{concept_iri("employee")}> .
            <{concept_iri("report")}> a pol:Action .""",
        id="concept-roles",
    ),
]


@pytest.mark.parametrize("pattern", MAPPING_FACTS)
def test_example_mapping(loaded_store, pattern):
    result = loaded_store.query(f"ASK {{ GRAPH ?g {{ {pattern} }} }}", {"g": graph_iri("acme-conduct")})
    assert result.boolean


@pytest.mark.parametrize(
    ("pattern", "expected"),
    [
        ("?c skos:prefLabel ?l", 1),  # exactly one label per concept
        ("?s pol:contentHash ?h", 1),
        ("?r pol:overrides ?l", 1),
    ],
    ids=["one-label-per-concept", "one-hash", "one-override-edge"],
)
def test_example_cardinalities(loaded_store, pattern, expected):
    result = loaded_store.query(
        f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH ?g {{ {pattern} }} }}",
        {"g": graph_iri("acme-conduct"), "c": concept_iri("supplier")},
    )
    assert int(result.rows[0][0]) == expected


RULE_SUMMARY = """
SELECT ?id ?cls ?bearer ?action ?object WHERE {
  ?r pol:ruleId ?id ; a ?cls ; pol:bearer/skos:prefLabel ?bearer ; pol:action/skos:prefLabel ?action ;
     pol:object/skos:prefLabel ?object .
  FILTER(?cls IN (pol:Obligation, pol:Prohibition, pol:Permission))
}"""


def test_example_says_what_the_turtle_example_says(loaded_store):
    with open_store("memory:") as ttl_store:
        ttl_store.import_file(EXAMPLE_TTL)
        expected = {tuple(map(str, row)) for row in ttl_store.query(RULE_SUMMARY).rows}
    assert {tuple(map(str, row)) for row in loaded_store.query(RULE_SUMMARY).rows} == expected
    assert len(expected) == 4


# ------------------------------------------------------------------------------------------------
# Loading: idempotence, replacement, shared concepts


def test_loading_twice_writes_nothing(tmp_path):
    path = write(tmp_path, EXAMPLE_YAML.read_text(encoding="utf-8"))
    with open_store("memory:") as store:
        first = load_policy_yaml(store, path)
        before = snapshot(store)
        second = load_policy_yaml(store, path)
        assert not first.unchanged and second.unchanged
        assert second.content_hash == first.content_hash
        assert snapshot(store) == before
        assert set(store.graph_triples(first.graph)) == set(first.triples)


def test_a_changed_file_replaces_its_graph(tmp_path):
    text = EXAMPLE_YAML.read_text(encoding="utf-8")
    path = write(tmp_path, text)
    with open_store("memory:") as store:
        first = load_policy_yaml(store, path)
        # drop the last rule and change a modality
        changed = text.split("  - id: no-offers-to-officials")[0] + text[text.index("overrides:"):]
        changed = changed.replace("modality: obligation", "modality: permission")
        path.write_text(changed, encoding="utf-8")
        second = load_policy_yaml(store, path)
        assert not second.unchanged and second.content_hash != first.content_hash
        assert second.graph == first.graph and second.rule_count == 3
        assert set(store.graph_triples(second.graph)) == set(second.triples)
        hashes = store.query("SELECT ?h WHERE { ?s pol:contentHash ?h }").rows
        assert hashes == [(Literal(second.content_hash),)]
        gone = store.query("ASK { ?r pol:ruleId \"no-offers-to-officials\" }")
        assert not gone.boolean
        now = store.query("ASK { ?r pol:ruleId \"report-gifts\" ; a pol:Permission }")
        assert now.boolean


def test_documents_share_concepts(tmp_path):
    a = write(tmp_path, MINIMAL.format(doc="code-a", bearer="supplier"), "a.yaml")
    b = write(
        tmp_path,
        MINIMAL.format(doc="code-b", bearer="The Supplier") + "concepts:\n  Supplier: [third party]\n",
        "b.yaml",
    )
    with open_store("memory:") as store:
        load_policy_yaml(store, a)
        load_policy_yaml(store, b)
        rows = store.query(
            'SELECT DISTINCT ?c ?g WHERE { GRAPH ?g { ?c skos:prefLabel "supplier" } } ORDER BY ?g'
        ).rows
        assert rows == [(concept_iri("supplier"), graph_iri("code-a")), (concept_iri("supplier"), graph_iri("code-b"))]
        # both documents together still give each concept exactly one label
        report = validate_shapes(store.dataset)
        assert report.conforms, [str(v) for v in report.violations]


@pytest.mark.parametrize(
    ("concepts", "label", "expected"),
    [
        ("supplier: [third party]", "third party", {POL.Party}),
        ("gift card: [gift]", "gift card", {POL.Asset}),
        ("voucher: [gift card]\n  gift card: [gift]", "voucher", {POL.Asset}),
        ("accept: [receive]", "receive", {POL.Action}),
        ("alien: [stranger]", "stranger", {POL.Party}),
    ],
    ids=["party-default", "from-broader", "two-steps", "from-narrower", "unrelated-default"],
)
def test_concept_roles(tmp_path, concepts, label, expected):
    text = MINIMAL.format(doc="roles", bearer="employee") + "    object: gift\nconcepts:\n  " + concepts + "\n"
    document = read_policy_yaml(write(tmp_path, text))
    iri = concept_iri(label)
    types = {o for s, p, o in document.triples if s == iri and str(p).endswith("#type")}
    assert types == expected


@pytest.mark.parametrize(
    ("snippet", "check"),
    [
        ("    when: a gift is offered\n", (URIRef(f"{document_iri('lenient')}/rule/r1/condition/1"), POL.text, Literal("a gift is offered"))),
        ("    provision: 3.10\n", (URIRef(f"{document_iri('lenient')}/provision/3.10"), POL.provisionId, Literal("3.10"))),
        ("    unless: []\n", None),
        ("    modality: Permission\n", None),
    ],
    ids=["single-string-when", "unquoted-provision-kept-verbatim", "empty-unless", "modality-any-case"],
)
def test_lenient_forms(tmp_path, snippet, check):
    text = MINIMAL.format(doc="lenient", bearer="employee")
    if "modality" in snippet:
        text = text.replace("    modality: prohibition\n", snippet)
    else:
        text += snippet
    document = read_policy_yaml(write(tmp_path, text))
    assert document.rule_count == 1
    if check is not None:
        assert check in document.triples


@pytest.mark.parametrize(
    ("issued", "expected"),
    [("2024-03-01", "2024-03-01"), ('"2024-03-01"', "2024-03-01")],
    ids=["date", "quoted-date"],
)
def test_issued_dates(tmp_path, issued, expected):
    text = MINIMAL.format(doc="dated", bearer="employee").replace("  id: dated\n", f"  id: dated\n  issued: {issued}\n")
    document = read_policy_yaml(write(tmp_path, text))
    dates = [o for s, p, o in document.triples if p == POL.issued]
    assert [str(d) for d in dates] == [expected]
    assert dates[0].datatype == URIRef("http://www.w3.org/2001/XMLSchema#date")


def test_jurisdictions_are_shared_nodes(tmp_path):
    text = MINIMAL.format(doc="j", bearer="employee").replace("  id: j\n", "  id: j\n  jurisdiction: EU\n")
    document = read_policy_yaml(write(tmp_path, text))
    assert (document.source, POL.jurisdiction, jurisdiction_iri("eu")) in document.triples


# ------------------------------------------------------------------------------------------------
# Bad input

GOOD = """\
source:
  id: acme
  title: ACME
  authority: 10
  issued: 2024-03-01
rules:
  - id: a
    modality: prohibition
    bearer: employee
    action: accept
    object: gift
    when: [gift value exceeds 100 USD]
  - id: b
    modality: permission
    bearer: sales employee
    action: accept
overrides:
  - {winner: b, loser: a, basis: explicit}
strategy: deny-overrides
"""


def bad(old: str, new: str) -> str:
    assert old in GOOD, old
    return GOOD.replace(old, new, 1)


BAD_INPUTS = [
    # (text, line, key path or None, a phrase of the message)
    pytest.param("source: [a\nrules: x\n", 2, None, "not valid YAML", id="not-yaml"),
    pytest.param("source:\n  id: a\n\tbad: tab\n", 3, None, "not valid YAML", id="tab-indent"),
    pytest.param("source:\n  id: a\x07\n", 2, None, "#x0007", id="control-character"),
    pytest.param("- a\n- b\n", 1, None, "top level must be a mapping", id="top-level-list"),
    pytest.param("just words\n", 1, None, "top level must be a mapping", id="top-level-scalar"),
    pytest.param("", 1, None, "holds no YAML document", id="empty-file"),
    pytest.param("# nothing here\n", 1, None, "holds no YAML document", id="only-comments"),
    pytest.param(GOOD + "---\nmore: 1\n", 20, None, "single document", id="two-documents"),
    pytest.param(bad("  id: acme\n", ""), 2, "source.id", "is missing", id="missing-source-id"),
    pytest.param(bad("  id: acme\n", "  id: acme:conduct\n"), 2, "source.id", "may hold only", id="source-id-colon"),
    pytest.param("rules:\n  - {id: a, modality: permission, bearer: x, action: y}\n", 1, "source", "is missing", id="missing-source"),
    pytest.param(GOOD.split("rules:")[0] + "strategy: deny-overrides\n", 1, "rules", "is missing", id="missing-rules"),
    pytest.param(GOOD.split("rules:")[0] + "rules: []\n", 6, "rules", "is empty", id="empty-rules"),
    pytest.param(GOOD.split("rules:")[0] + "rules: no-gifts\n", 6, "rules", "must be a list", id="rules-not-list"),
    pytest.param(bad("strategy:", "stratgy:"), 19, "stratgy", "did you mean 'strategy'", id="unknown-top-key"),
    pytest.param(bad("  title: ACME\n", "  titel: ACME\n"), 3, "source.titel", "id, title, authority", id="unknown-source-key"),
    pytest.param(bad("    when:", "    unles:"), 12, "rules[0].unles", "did you mean 'unless'", id="unknown-rule-key"),
    pytest.param(bad("basis: explicit}", "basis: explicit, why: x}"), 18, "overrides[0].why", "winner, loser, basis", id="unknown-override-key"),
    pytest.param(bad("    bearer: employee\n", "    bearer: employee\n    bearer: staff\n"), 10, "rules[0].bearer", "duplicate key", id="duplicate-key"),
    pytest.param(bad("modality: prohibition", "modality: forbidden"), 8, "rules[0].modality", "'forbidden' is not one of obligation, prohibition, permission", id="bad-modality"),
    pytest.param(bad("  - id: b\n    modality: permission\n", "  - id: b\n"), 13, "rules[1].modality", "is missing", id="missing-modality"),
    pytest.param(bad("    bearer: sales employee\n", ""), 13, "rules[1].bearer", "is missing", id="missing-bearer"),
    pytest.param(bad("    action: accept\n    object: gift\n", "    object: gift\n"), 7, "rules[0].action", "is missing", id="missing-action"),
    pytest.param(bad("  - id: b\n", "  - ident: b\n"), 13, "rules[1].id", "is missing", id="missing-rule-id"),
    pytest.param(bad("  - id: b\n", "  - id: a\n"), 13, "rules[1].id", "already the id of the rule at line 7", id="duplicate-rule-id"),
    pytest.param(bad("    bearer: employee\n", '    bearer: ""\n'), 9, "rules[0].bearer", "is empty", id="empty-bearer"),
    pytest.param(bad("    action: accept\n    object", "    action: '...'\n    object"), 10, "rules[0].action", "empty label", id="punctuation-label"),
    pytest.param(bad("    object: gift\n", "    object:\n"), 11, "rules[0].object", "not empty", id="null-object"),
    pytest.param(bad("    bearer: employee\n", "    bearer: [employee]\n"), 9, "rules[0].bearer", "not a list", id="bearer-list"),
    pytest.param(bad("[gift value exceeds 100 USD]", "{gift: 100}"), 12, "rules[0].when", "list of conditions", id="when-mapping"),
    pytest.param(bad("[gift value exceeds 100 USD]", "[[nested]]"), 12, "rules[0].when[0]", "must be a condition", id="when-nested-list"),
    pytest.param(bad("[gift value exceeds 100 USD]", '["", x]'), 12, "rules[0].when[0]", "is empty", id="empty-condition"),
    pytest.param(bad("{winner: b,", "{winner: c,"), 18, "overrides[0].winner", "no rule of this file has the id 'c'", id="unknown-winner"),
    pytest.param(bad("loser: a,", "loser: b,"), 18, "overrides[0].loser", "cannot override itself", id="winner-is-loser"),
    pytest.param(bad("basis: explicit", "basis: lex-inferior"), 18, "overrides[0].basis", "not one of explicit, lex-superior", id="bad-basis"),
    pytest.param(bad("basis: explicit}\n", "basis: explicit}\n  - {winner: a, loser: b}\n"), 19, "overrides[1]", "cycle", id="override-cycle"),
    pytest.param(bad("  - {winner", "  - [b, a]\n  - {winner"), 18, "overrides[0]", "must be a mapping", id="override-not-mapping"),
    pytest.param(bad("strategy: deny-overrides", "strategy: deny"), 19, "strategy", "not one of deny-overrides, permit-overrides", id="bad-strategy"),
    pytest.param(GOOD + "precedence: [explicit, lex-inferior]\n", 20, "precedence[1]", "not one of explicit, lex-superior", id="bad-precedence"),
    pytest.param(GOOD + "precedence: [explicit, explicit]\n", 20, "precedence[1]", "listed twice", id="repeated-precedence"),
    pytest.param(GOOD + "precedence: []\n", 20, "precedence", "is empty", id="empty-precedence"),
    pytest.param(GOOD + "precedence: explicit\n", 20, "precedence", "must be a list", id="precedence-not-list"),
    pytest.param(bad("authority: 10", "authority: ten"), 4, "source.authority", "whole number", id="authority-text"),
    pytest.param(bad("authority: 10", "authority: 1.5"), 4, "source.authority", "whole number", id="authority-float"),
    pytest.param(bad("authority: 10", 'authority: "10"'), 4, "source.authority", "without quotes", id="authority-quoted"),
    pytest.param(bad("issued: 2024-03-01", "issued: March 2024"), 5, "source.issued", "YYYY-MM-DD", id="issued-text"),
    pytest.param(bad("issued: 2024-03-01", "issued: 2024-02-30"), 5, "source.issued", "not a valid date", id="issued-impossible"),
    pytest.param(bad("issued: 2024-03-01", "issued: 2024-03-01 10:00:00"), 5, "source.issued", "time of day", id="issued-datetime"),
    pytest.param(GOOD + "concepts:\n  supplier: third party\n  third party: [supplier]\n", 22, "concepts['third party']", "cycle", id="concept-cycle"),
    pytest.param(GOOD + "concepts:\n  supplier: [supplier]\n", 21, "concepts.supplier", "broader than itself", id="concept-self"),
    pytest.param(GOOD + "concepts:\n  supplier: [\"\"]\n", 21, "concepts.supplier[0]", "is empty", id="concept-empty-broader"),
    pytest.param(GOOD + "concepts:\n  supplier: [x]\n  Supplier: [y]\n", 22, "concepts.Supplier", "same concept", id="concept-duplicate"),
    pytest.param(GOOD + "concepts: [supplier]\n", 20, "concepts", "must be a mapping", id="concepts-not-mapping"),
]


@pytest.mark.parametrize(("text", "line", "key", "phrase"), BAD_INPUTS)
def test_bad_input_is_reported_with_file_line_and_key(tmp_path, text, line, key, phrase):
    path = write(tmp_path, text)
    with pytest.raises(ParseError) as caught:
        read_policy_yaml(path)
    message = str(caught.value)
    assert "policy.yaml" in message
    assert f"line {line}" in message, message
    assert phrase in message, message
    if key is not None:
        assert f"line {line}, {key}: " in message, message


@pytest.mark.parametrize(
    ("data", "line"),
    [(b"source:\n  id: caf\xe9\n", 2), (b"\xff\xfe" + "rules: []\n".encode("utf-16-le"), 1)],
    ids=["latin-1", "utf-16"],
)
def test_non_utf8_file(tmp_path, data, line):
    path = tmp_path / "policy.yaml"
    path.write_bytes(data)
    with pytest.raises(ParseError, match=rf"policy\.yaml, line {line}: is not UTF-8 text .*save the file as UTF-8"):
        read_policy_yaml(path)


@pytest.mark.parametrize(
    "make",
    [lambda tmp: tmp / "absent.yaml", lambda tmp: tmp],
    ids=["missing-file", "directory"],
)
def test_unreadable_path(tmp_path, make):
    with pytest.raises(ParseError, match=str(tmp_path)):
        read_policy_yaml(make(tmp_path))


def test_every_problem_is_reported_at_once(tmp_path):
    text = bad("modality: prohibition", "modality: forbidden").replace("authority: 10", "authority: ten")
    with pytest.raises(PolicyYamlError) as caught:
        read_policy_yaml(write(tmp_path, text))
    assert [(p.line, p.key) for p in caught.value.problems] == [(4, "source.authority"), (8, "rules[0].modality")]
    assert len(str(caught.value).splitlines()) == 2


@pytest.mark.parametrize("preload", [False, True], ids=["empty-store", "document-loaded"])
def test_a_bad_file_leaves_the_store_unchanged(tmp_path, preload):
    with open_store("memory:") as store:
        if preload:
            load_policy_yaml(store, write(tmp_path, GOOD, "good.yaml"))
        before = snapshot(store)
        broken = write(tmp_path, bad("modality: prohibition", "modality: forbidden"), "policy.yaml")
        with pytest.raises(ParseError):
            load_policy_yaml(store, broken)
        assert snapshot(store) == before
