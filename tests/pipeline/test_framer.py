"""The Framer end to end: a regulation file in, rules with exact sources, concepts, thresholds,
references, overrides and conflicts in the store; idempotent and incremental loading; bad input."""

from __future__ import annotations

import json
import shutil
from decimal import Decimal
from pathlib import Path

import pytest

from kg.store import graph_iri, open_store
from pipeline.cli import EXIT_ERROR, EXIT_OK, main
from pipeline.framers.loading import load_paths
from pipeline.framers.readers import read_document

ROOT = Path(__file__).resolve().parents[2]
DATA = ROOT / "tests" / "data"
CODE = DATA / "framer" / "supplier-code.md"
RULE_KEYS = ["id", "modality", "bearer", "action", "object", "conditions", "exceptions", "document", "provision", "source"]


def run(argv, capsys):
    code = main(argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def framed(tmp_path, capsys):
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(CODE), *store_arg], capsys)
    assert code == EXIT_OK, err
    return store_arg


def rules_of(store_arg, capsys) -> list[dict]:
    code, out, _ = run(["rules", "--format", "jsonl", *store_arg], capsys)
    assert code == EXIT_OK
    return [json.loads(line) for line in out.splitlines()]


def test_rules_have_exactly_the_issue_keys_and_exact_sources(framed, capsys):
    rules = rules_of(framed, capsys)
    assert rules and all(list(rule) == RULE_KEYS for rule in rules)
    text = read_document(CODE).text
    for rule in rules:
        source = rule["source"]
        assert text[source["start"] : source["end"]] == source["text"]
        assert rule["modality"] in ("obligation", "prohibition", "permission")
        assert rule["document"] == "supplier-code"
    gifts = next(r for r in rules if r["provision"] == "Article 2(1)")
    assert (gifts["modality"], gifts["bearer"], gifts["action"], gifts["object"]) == ("prohibition", "employee", "accept", "gift")
    assert gifts["exceptions"] == ["unless approved by their manager"]
    assert gifts["source"]["text"].startswith("Employees must not accept gifts worth more than $100")


def test_list_lead_in_is_distributed_and_not_a_rule_of_its_own(framed, capsys):
    rules = {r["provision"]: r for r in rules_of(framed, capsys)}
    assert "Article 3(2)" not in rules  # "The following practices shall be prohibited:" itself
    assert (rules["Article 3(2)(a)"]["modality"], rules["Article 3(2)(a)"]["action"], rules["Article 3(2)(a)"]["object"]) == (
        "prohibition", "offer", "payment",
    )
    assert rules["Article 3(2)(b)"]["source"]["text"] == "keeping records off the books."
    assert "Article 3(3)" not in rules  # "This Code shall apply to all employees." is constitutive


def test_thresholds_are_queryable_as_numbers(framed, capsys):
    query = """SELECT ?rule ?amount ?unit WHERE {
        ?rule pol:threshold ?t . ?t pol:amount ?amount ; pol:unit ?unit ; pol:comparator ?op .
        FILTER(?amount > 50 && ?op = <http://www.w3.org/ns/odrl/2/gt>) }"""
    code, out, _ = run(["query", query, "--format", "json", *framed], capsys)
    rows = json.loads(out)["results"]["bindings"]
    assert [(Decimal(r["amount"]["value"]), r["unit"]["value"]) for r in rows] == [(Decimal(100), "USD")]
    code, out, _ = run(["query", "SELECT ?a WHERE { ?t pol:unit 'day' ; pol:amount ?a }", "--format", "csv", *framed], capsys)
    assert out.split() == ["a", "30"]


def test_provision_tree_definitions_and_references(framed, capsys):
    code, out, _ = run(["query", "SELECT ?id ?parent WHERE { ?p pol:provisionId ?id ; pol:partOf/pol:provisionId ?parent } ORDER BY ?id", "--format", "csv", *framed], capsys)
    pairs = {tuple(line.split(",")) for line in out.splitlines()[1:]}
    assert ("Article 2(1)", "Article 2") in pairs and ("Article 3(2)(a)", "Article 3(2)") in pairs
    code, out, _ = run(["query", "SELECT ?label ?genus WHERE { ?d pol:definesTerm/skos:prefLabel ?label . ?d pol:definesTerm/skos:broader/skos:prefLabel ?genus }", "--format", "csv", *framed], capsys)
    assert "supplier,third party" in out
    # "Notwithstanding paragraph 1" points at Article 2(1) and makes 2(2) override its rule
    code, out, _ = run(["query", "SELECT ?target WHERE { ?r pol:notwithstanding/pol:provisionId ?target }", "--format", "csv", *framed], capsys)
    assert out.splitlines() == ["target", "Article 2(1)"]
    code, out, _ = run(["conflicts", "--format", "jsonl", *framed], capsys)
    (conflict,) = [json.loads(line) for line in out.splitlines()]
    assert conflict["winner"].endswith("Article%202(2)-1")


def test_concepts_are_shared_and_form_a_hierarchy(framed, capsys):
    # "suppliers" and "a supplier" are one concept; "third parties such as suppliers" puts supplier under third party
    code, out, _ = run(["query", "SELECT ?narrow ?broad WHERE { ?n skos:broader ?b . ?n skos:prefLabel ?narrow . ?b skos:prefLabel ?broad }", "--format", "csv", *framed], capsys)
    pairs = {tuple(line.split(",")) for line in out.splitlines()[1:]}
    assert {("supplier", "third party"), ("consultant", "third party"), ("third party", "party")} <= pairs
    code, out, _ = run(["query", "SELECT (COUNT(DISTINCT ?c) AS ?n) WHERE { ?c skos:prefLabel 'supplier' }", "--format", "csv", *framed], capsys)
    assert out.split()[1] == "1"


def test_a_rule_about_third_parties_reaches_suppliers(framed, capsys):
    # Article 3(1): employees must not share confidential information with third parties such as suppliers.
    code, out, _ = run(["decide", "--bearer", "employee", "--action", "share", "--object", "confidential information", "--format", "json", *framed], capsys)
    assert json.loads(out)["verdict"] == "forbidden"


def test_loading_is_idempotent_and_a_change_replaces_the_graph(tmp_path, capsys):
    folder = tmp_path / "docs"
    folder.mkdir()
    target = folder / "supplier-code.md"
    shutil.copy(CODE, target)
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    assert run(["load", str(folder), *store_arg], capsys)[0] == EXIT_OK
    before = run(["export", "--format", "nquads", *store_arg], capsys)[1]
    code, out, _ = run(["load", str(folder), *store_arg], capsys)
    assert code == EXIT_OK and "unchanged" in out
    assert run(["export", "--format", "nquads", *store_arg], capsys)[1] == before
    target.write_text(CODE.read_text(encoding="utf-8").replace("within 30 days", "within 10 days"), encoding="utf-8")
    code, out, _ = run(["load", str(folder), *store_arg], capsys)
    assert code == EXIT_OK and "loaded" in out
    code, out, _ = run(["query", "SELECT ?a WHERE { ?t pol:unit 'day' ; pol:amount ?a }", "--format", "csv", *store_arg], capsys)
    assert out.split() == ["a", "10"]  # the old document's triples are gone


def test_a_new_document_is_checked_for_conflicts_against_what_is_loaded(framed, capsys):
    code, out, _ = run(["load", str(DATA / "framer" / "hospitality.yaml"), *framed], capsys)
    assert code == EXIT_OK and "2 conflicts" in out
    code, out, _ = run(["conflicts", "--format", "jsonl", *framed], capsys)
    documents = [sorted(r["document"] for r in json.loads(line)["rules"]) for line in out.splitlines()]
    assert ["hospitality", "supplier-code"] in documents
    code, out, _ = run(["documents", "--format", "jsonl", *framed], capsys)
    counts = {d["document"]: d for d in map(json.loads, out.splitlines())}
    assert counts["supplier-code"]["prohibition"] == 4 and counts["supplier-code"]["obligation"] == 1
    assert run(["remove", "hospitality", *framed], capsys)[0] == EXIT_OK
    code, out, _ = run(["conflicts", "--format", "jsonl", *framed], capsys)
    assert len(out.splitlines()) == 1


def test_user_concept_file_adds_to_the_hierarchy(tmp_path, capsys):
    concepts = tmp_path / "concepts.yaml"
    concepts.write_text("concepts:\n  employee: [staff]\n  gift: hospitality\n", encoding="utf-8")
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, _, err = run(["load", str(CODE), "--concepts", str(concepts), *store_arg], capsys)
    assert code == EXIT_OK, err
    code, out, _ = run(["query", "SELECT ?b WHERE { ?n skos:prefLabel 'gift' ; skos:broader/skos:prefLabel ?b }", "--format", "csv", *store_arg], capsys)
    assert "hospitality" in out.split()
    bad = tmp_path / "bad-concepts.yaml"
    bad.write_text("- just\n- a list\n", encoding="utf-8")
    code, _, err = run(["load", str(CODE), "--concepts", str(bad), *store_arg], capsys)
    assert code != EXIT_OK and "bad-concepts.yaml" in err and "narrower" in err


def test_store_validates_after_framing(framed, capsys):
    code, out, err = run(["validate", *framed], capsys)
    assert code == EXIT_OK, out + err


BAD_CASES = {
    "binary.txt": (b"\x00\x01\x02PK\x03\x04" * 200, "binary data"),
    "latin1.txt": ("Les employés doivent déclarer les cadeaux.".encode("latin-1"), "not UTF-8"),
    "empty.md": (b"", "empty"),
    "blank.txt": (b"   \n\n  ", "empty"),
    "corrupt.pdf": (b"%PDF-1.4\n1 0 obj << /Type /Catalog", "PDF"),
    "xxe.xml": (
        b'<?xml version="1.0"?><!DOCTYPE a [<!ENTITY x SYSTEM "file:///etc/passwd">]><akomaNtoso>&x;</akomaNtoso>',
        "entities",
    ),
    "bomb.xml": (
        b'<?xml version="1.0"?><!DOCTYPE l [<!ENTITY a "aaaaaaaaaa"><!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">'
        b'<!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">]><akomaNtoso>&c;</akomaNtoso>',
        "entities",
    ),
    "page.html": (b"<html><body><script>var x = 1;</script></body></html>", "no text"),
}


def test_bad_documents_are_named_and_the_rest_of_the_batch_loads(tmp_path, capsys):
    folder = tmp_path / "batch"
    folder.mkdir()
    shutil.copy(CODE, folder / "supplier-code.md")
    for name, (data, _) in BAD_CASES.items():
        (folder / name).write_bytes(data)
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(folder), *store_arg], capsys)
    assert code == EXIT_ERROR
    assert "supplier-code.md: loaded" in out
    lines = err.splitlines()
    for name, (_, reason) in BAD_CASES.items():
        line = next((line for line in lines if name in line), None)
        assert line is not None, f"no error names {name}: {err}"
        assert reason.lower() in line.lower(), line
    code, out, _ = run(["documents", "--format", "jsonl", *store_arg], capsys)
    assert [json.loads(line)["document"] for line in out.splitlines()] == ["supplier-code"]


def test_a_document_over_the_size_limit_is_refused_before_reading(tmp_path, capsys):
    big = tmp_path / "huge.txt"
    with big.open("wb") as handle:  # sparse: 200 MB on paper, nothing on disk
        handle.truncate(200 * 2**20)
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(big), str(CODE), *store_arg], capsys)
    assert code == EXIT_ERROR
    assert "huge.txt: 200 MB is over the 50 MB limit" in err and "--max-size" in err
    assert "supplier-code.md: loaded" in out


def test_a_failed_write_leaves_no_partial_document(tmp_path):
    store = open_store(f"oxigraph:{tmp_path / 'store'}")
    try:
        report = load_paths(store, [CODE])
        assert not report.errors
        triples_before = len(store)

        class Boom(Exception):
            pass

        original = store.replace_graphs

        def failing(graphs):
            raise Boom("disk full")

        store.replace_graphs = failing
        changed = tmp_path / "supplier-code.md"
        changed.write_text(CODE.read_text(encoding="utf-8") + "\n4. Employees shall wear badges.\n", encoding="utf-8")
        with pytest.raises(Boom):
            load_paths(store, [changed])
        store.replace_graphs = original
        assert len(store) == triples_before
        assert store.has_graph(graph_iri("supplier-code"))
    finally:
        store.close()


def test_same_document_id_twice_in_a_batch_is_refused(tmp_path, capsys):
    for sub in ("a", "b"):
        (tmp_path / sub).mkdir()
        shutil.copy(CODE, tmp_path / sub / "supplier-code.md")
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(tmp_path / "a"), str(tmp_path / "b"), *store_arg], capsys)
    assert code == EXIT_ERROR and "rename one of the files" in err
    assert out.count(": loaded") == 1


def test_every_required_real_document_loads(shared_data, tmp_path, capsys):
    """The issue's list: the full GDPR, 45 CFR 160 and 164, the GitLab code, every AKN and USLM sample."""
    paths = [
        ROOT / "pipeline" / "examples" / "gdpr" / "gdpr.md",
        shared_data / "hipaa-goldcoin" / "regulations" / "subchapter-C_part-160.html",
        shared_data / "hipaa-goldcoin" / "regulations" / "subchapter-C_part-164.html",
        shared_data / "gitlab-code-of-conduct",
        shared_data / "legal-xml-samples",
    ]
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", *map(str, paths), *store_arg], capsys)
    assert code == EXIT_OK, err
    documents = {d["document"]: d for d in map(json.loads, run(["documents", "--format", "jsonl", *store_arg], capsys)[1].splitlines())}
    assert len(documents) == 11
    assert documents["gdpr"]["obligation"] > 300 and documents["gdpr"]["prohibition"] >= 15
    assert documents["subchapter-C_part-164"]["permission"] > 100
    for rule in rules_of(store_arg, capsys):
        assert rule["source"]["text"] and rule["source"]["end"] > rule["source"]["start"]
    # the GDPR's own RDF (the other form the issue names) imports beside it
    code, _, err = run(["load", str(shared_data / "gdpr-gdprtext" / "gdpr.ttl"), *store_arg], capsys)
    assert code == EXIT_OK, err


def test_abbreviations_the_document_defines_are_spelled_out():
    from pipeline.framers.framer import Concepts, abbreviations

    found = abbreviations("oversight rests with the Chief Legal Officer of GitLab (“CLO”). The Health Insurance "
                          "Portability and Accountability Act (HIPAA) applies. Nothing (NB) here.")
    assert found == {"clo": "chief legal officer", "hipaa": "health insurance portability and accountability act"}
    concepts = Concepts(set(), found)
    assert concepts.canonical("CLO") == "chief legal officer"
    assert concepts.canonical("the CLO or Audit Committee") == "chief legal officer or audit committee"


def test_rules_review_page_highlights_conditions_and_exceptions(framed, capsys):
    code, out, _ = run(["rules", "--format", "html", "--document", "supplier-code", *framed], capsys)
    assert code == EXIT_OK and out.startswith("<!doctype html>")
    assert "<mark class='exception'>unless approved by their manager</mark>" in out
    assert "<mark class='condition'>where the gift is a promotional item of nominal value</mark>" in out
    assert "Article 2(1)" in out and "4 prohibitions" in out
    from pipeline.framers.report import highlight

    assert highlight("a <b> if c", ["if c"], []) == "a &lt;b&gt; <mark class='condition'>if c</mark>"


def test_except_as_permitted_by_this_subpart_lets_the_subpart_win(tmp_path, capsys):
    regulation = tmp_path / "privacy.md"
    regulation.write_text(
        "# Privacy rule\n\n## Subpart E — Privacy\n\n### § 164.502 Uses and disclosures\n\n"
        "(a) A covered entity may not disclose protected health information, except as permitted by this subpart.\n\n"
        "(b) A covered entity may disclose protected health information to the individual.\n\n"
        "### § 164.530 Training\n\n(a) A covered entity must train all members of its workforce.\n",
        encoding="utf-8",
    )
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(regulation), *store_arg], capsys)
    assert code == EXIT_OK, err
    code, out, _ = run(["conflicts", "--format", "jsonl", *store_arg], capsys)
    (conflict,) = [json.loads(line) for line in out.splitlines()]
    permission = next(r for r in conflict["rules"] if r["modality"] == "permission")
    assert conflict["winner"] == permission["id"]


def test_references_to_sections_of_another_loaded_document_resolve(tmp_path, capsys):
    definitions = tmp_path / "part-160.md"
    definitions.write_text("# Part 160\n\n## § 160.103 Definitions\n\nA covered entity means a health plan.\n", encoding="utf-8")
    rules = tmp_path / "part-164.md"
    rules.write_text("# Part 164\n\n## § 164.502 Uses\n\n(a) A covered entity must keep records in accordance with section 160.103.\n", encoding="utf-8")
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    assert run(["load", str(definitions), *store_arg], capsys)[0] == EXIT_OK
    assert run(["load", str(rules), *store_arg], capsys)[0] == EXIT_OK
    query = "SELECT ?g WHERE { GRAPH ?g { ?p pol:provisionId '160.103' } ?r pol:refersTo ?p }"
    code, out, _ = run(["query", query, "--format", "csv", *store_arg], capsys)
    assert out.splitlines()[1:] == ["https://w3id.org/alignment-studio/graph/part-160"]


def test_nested_lead_ins_pass_their_rule_and_conditions_down():
    from pipeline.framers.framer import frame_document

    framed = frame_document(read_document(DATA / "framer" / "nested-lead-ins.md"))
    rules = {provision: statement for statement, provision in framed.rules}
    deepest = rules["164.306(d)(2)(ii)"]
    assert (deepest.modality, deepest.bearer, deepest.action) == ("obligation", "covered entity", "implement")
    assert [c.text for c in deepest.conditions][:2] == [
        "When a standard includes addressable implementation specifications",
        "If implementing the implementation specification is not reasonable and appropriate",
    ]
    assert rules["164.306(d)(1)"].action == "assess"


def test_a_claim_right_gives_its_correlative_duty(tmp_path, capsys):
    regulation = tmp_path / "rights.md"
    regulation.write_text(
        "# Rights\n\n## Article 17 Right to erasure\n\n"
        "1. The data subject shall have the right to obtain from the controller the erasure of personal data concerning "
        "him or her without undue delay.\n\n"
        "2. The data subject shall have the right to withdraw his or her consent at any time.\n",
        encoding="utf-8",
    )
    store_arg = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    assert run(["load", str(regulation), *store_arg], capsys)[0] == EXIT_OK
    rules = [(r["provision"], r["modality"], r["bearer"], r["action"]) for r in rules_of(store_arg, capsys)]
    assert ("Article 17(1)", "obligation", "controller", "erase") in rules  # the right to erasure binds the controller
    assert ("Article 17(1)", "permission", "data subject", "obtain") in rules
    # a liberty (withdrawing consent) binds no one else
    assert [r for r in rules if r[0] == "Article 17(2)"] == [("Article 17(2)", "permission", "data subject", "withdraw")]
    query = ("SELECT ?action WHERE { ?duty pol:correlativeOf ?right . ?right a pol:Permission . "
             "?duty pol:action/skos:prefLabel ?action }")
    code, out, _ = run(["query", query, "--format", "csv", *store_arg], capsys)
    assert code == EXIT_OK and out.splitlines()[1:] == ["erase"]
