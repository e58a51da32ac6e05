"""The extraction benchmark (bench/extraction.py): its metric functions on tiny hand-made cases,
its dataset readers on the real third-party files (when present), the gold-set harness end to end
with a predictor that returns the gold answer (and one that returns nothing), and one quick run of
the script against the real extractor."""

from __future__ import annotations

import importlib.util
import json
import subprocess
import sys
from argparse import Namespace
from pathlib import Path

import pytest

from conftest import ROOT
from pipeline.framers.statements import Span, Statement

sys.path.insert(0, str(ROOT / "bench"))  # the script imports its sibling machine.py
_spec = importlib.util.spec_from_file_location("bench_extraction", ROOT / "bench" / "extraction.py")
bench = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(bench)


# ---------------------------------------------------------------------------- scores


def test_prf_counts_and_zero_division():
    assert bench.prf(2, 1, 1) == {"tp": 2, "fp": 1, "fn": 1, "support": 3,
                                  "precision": 0.6667, "recall": 0.6667, "f1": 0.6667}
    assert bench.prf(0, 0, 0)["f1"] == 0.0
    assert bench.prf(0, 3, 0)["precision"] == 0.0


def test_multilabel_scores_per_label_micro_macro_and_ignored_labels():
    items = [
        ({"obligation"}, {"obligation"}),  # tp obligation
        ({"obligation", "permission"}, {"obligation"}),  # tp obligation, fn permission
        (set(), {"prohibition"}),  # fp prohibition
        ({"permission"}, {"obligation"}, {"permission"}),  # fp obligation; permission ignored
    ]
    scores = bench.multilabel_scores(items)
    per = scores["per_modality"]
    assert (per["obligation"]["tp"], per["obligation"]["fp"], per["obligation"]["fn"]) == (2, 1, 0)
    assert (per["prohibition"]["tp"], per["prohibition"]["fp"], per["prohibition"]["fn"]) == (0, 1, 0)
    assert (per["permission"]["tp"], per["permission"]["fp"], per["permission"]["fn"]) == (0, 0, 1)
    assert scores["micro"]["tp"] == 2 and scores["micro"]["fp"] == 2 and scores["micro"]["fn"] == 1
    assert scores["macro"]["f1"] == round((0.8 + 0 + 0) / 3, 4)
    assert scores["items"] == 4


def test_head_words_and_label_agreement():
    assert bench.head_word("The Covered Entities") == "entity"
    assert bench.head_word("controller of the data") == "controller"
    assert bench.head_word("the controller's representative") == "representative"
    assert bench.labels_agree("The Controller", "controller") == (True, True)
    assert bench.labels_agree("covered entity", "covered entities") == (False, True)
    assert bench.labels_agree("controller", "processor") == (False, False)
    assert bench.labels_agree("controller", None) == (False, False)
    # a serial comma is a matter of style, not of content
    assert bench.labels_agree("licensed importer, manufacturer, or dealer", "licensed importer, manufacturer or dealer") == (True, True)


def test_action_agreement_exact_and_shared_head_verb():
    assert bench.actions_agree("use or disclose", "Use or disclose") == (True, True)
    assert bench.actions_agree("use or disclose", "disclose") == (False, True)
    assert bench.actions_agree("to notify", "notify") == (True, True)
    assert bench.actions_agree("notify the authority", "inform") == (False, False)
    assert bench.action_verbs("collect, use and disclose") == {"collect", "use", "disclose"}


def test_token_f1_and_one_to_one_span_matching():
    assert bench.token_f1("unless the data subject objects", "unless the data subject objects") == 1.0
    assert bench.token_f1("if a breach occurs", "where consent is given") == 0.0
    assert 0.5 < bench.token_f1("where the processing is necessary", "where processing is necessary") < 1.0
    counts = bench.span_agreement(
        ["where the processing is necessary", "unless prohibited by law"],
        ["where processing is necessary", "unless prohibited by law,", "if asked"],
    )
    # Both gold spans match (one exactly, after trimming the comma); "if asked" is extra.
    assert counts == {"gold": 2, "pred": 3, "matched": 2, "exact": 1}
    # One predicted span can match only one gold span.
    assert bench.span_agreement(["if a", "if a"], ["if a"])["matched"] == 1
    assert bench.span_agreement(["if the data subject consents"], ["if"])["matched"] == 0


def test_match_rules_prefers_the_same_bearer():
    gold = [
        {"modality": "obligation", "bearer": "processor", "action": "notify"},
        {"modality": "obligation", "bearer": "controller", "action": "notify"},
        {"modality": "permission", "bearer": "controller", "action": "refuse"},
    ]
    pred = [
        {"modality": "obligation", "bearer": "controllers", "action": "inform"},
        {"modality": "obligation", "bearer": "the processor", "action": "notify"},
        {"modality": "prohibition", "bearer": "controller", "action": "refuse"},
    ]
    pairs, counts = bench.match_rules(gold, pred)
    assert counts == {"obligation": [2, 0, 0], "prohibition": [0, 1, 0], "permission": [0, 0, 1]}
    assert {(g["bearer"], p["bearer"]) for g, p in pairs} == {("processor", "the processor"), ("controller", "controllers")}


def test_score_gold_units_rules_attributes_and_definitions():
    units = [
        {"source": "gdpr", "text": "…", "rules": [
            {"modality": "obligation", "bearer": "controller", "action": "notify", "object": "personal data breach",
             "conditions": ["where feasible"], "exceptions": ["unless the breach is unlikely to result in a risk"]},
        ]},
        {"source": "gdpr", "text": "…", "rules": [], "definition": {"term": "processor"}},
    ]
    predictions = [
        [{"kind": "rule", "modality": "obligation", "bearer": "the controller", "action": "notify without delay",
          "object": "breach", "conditions": ["where feasible"], "exceptions": []},
         {"kind": "rule", "modality": "permission", "bearer": "controller", "action": "delay", "object": None,
          "conditions": [], "exceptions": []}],
        [],
    ]
    scores = bench.score_gold_units(units, predictions)
    assert scores["per_modality"]["obligation"]["f1"] == 1.0
    assert scores["per_modality"]["permission"]["fp"] == 1
    assert scores["micro"]["precision"] == 0.5 and scores["micro"]["recall"] == 1.0
    agreement = scores["agreement"]
    assert agreement["pairs"] == 1
    assert agreement["bearer"] == {"n": 1, "exact": 1.0, "lenient": 1.0, "predicted_missing": 0}
    assert (agreement["action"]["exact"], agreement["action"]["lenient"]) == (0.0, 1.0)
    assert (agreement["object"]["exact"], agreement["object"]["lenient"]) == (0.0, 1.0)
    assert agreement["conditions"]["recall"] == 1.0 and agreement["conditions"]["exact_rate"] == 1.0
    assert agreement["exceptions"]["recall"] == 0.0 and agreement["exceptions"]["gold_spans"] == 1
    assert scores["definitions"]["fn"] == 1 and scores["definitions"]["tp"] == 0


def test_rule_modality_leaves_out_negated_requirements_and_definitions():
    span = Span(0, 5, "x")
    assert bench.rule_modality(Statement(kind="rule", sentence=span, modality="obligation")) == "obligation"
    assert bench.rule_modality(Statement(kind="rule", sentence=span, negated_requirement=True)) is None
    assert bench.rule_modality(Statement(kind="rule", sentence=span, modality="permission", negated_requirement=True)) is None
    assert bench.rule_modality(Statement(kind="definition", sentence=span, term="processor")) is None
    rule = bench.statement_rule(Statement(kind="rule", sentence=span, modality="prohibition", bearer="tenant",
                                          conditions=[Span(3, 9, "if late")]))
    assert rule["modality"] == "prohibition" and rule["conditions"] == ["if late"]


# ---------------------------------------------------------------------------- LexDeMod


def test_detokenise_lexdemod_text():
    assert bench.detokenise(
        "Landlord 's third - party costs ( including $ 500 ) , 10 % of \" Rent \" and/or fees ."
    ) == 'Landlord\'s third-party costs (including $500), 10% of "Rent" and/or fees.'
    assert bench.detokenise("Tenant shall not ; provided , however") == "Tenant shall not; provided, however"
    assert bench.detokenise("\u201a\u00c4\u00faPremises\u201a\u00c4\u00f9 means") == "\u201cPremises\u201d means"


def test_bearer_is_party_by_word_with_synonyms():
    assert bench.bearer_is_party("Tenant", "tenant")
    assert bench.bearer_is_party("the Lessee", "tenant")
    assert bench.bearer_is_party("tenants and landlord", "landlord")
    assert not bench.bearer_is_party("subtenant", "tenant")
    assert bench.bearer_is_party("each party", "landlord") and bench.bearer_is_party("both parties", "tenant")
    assert not bench.bearer_is_party(None, "tenant")


def test_lexdemod_mapping_with_and_without_entitlement():
    assert bench.lexdemod_gold({"obligation", "entitlement"}, masked=False) == ({"obligation", "permission"}, set())
    assert bench.lexdemod_gold({"entitlement"}, masked=True) == (set(), {"permission"})
    assert bench.lexdemod_gold({"entitlement", "permission"}, masked=True) == ({"permission"}, set())
    assert bench.lexdemod_gold({"no_obligation", "no_entitlement", "none"}, masked=False) == (set(), set())


def test_score_lexdemod_per_party_and_sentence_level():
    text = "Tenant shall pay Rent."
    rows = [
        {"party": "tenant", "text": text, "labels": {"obligation"}},
        {"party": "landlord", "text": text, "labels": {"entitlement"}},
    ]
    predicted = {text: [Statement(kind="rule", sentence=Span(0, 22, text), modality="obligation", bearer="tenant")]}
    scores = bench.score_lexdemod(rows, predicted)
    plain, masked = scores["entitlement_as_permission"], scores["entitlement_masked"]
    assert plain["per_party"]["per_modality"]["obligation"]["f1"] == 1.0
    assert plain["per_party"]["per_modality"]["permission"]["fn"] == 1  # the landlord's entitlement
    assert masked["per_party"]["micro"]["f1"] == 1.0
    assert plain["sentence_level"]["items"] == 1 and masked["sentence_level"]["micro"]["f1"] == 1.0


def test_lexdemod_label_order_matches_the_raw_annotations(shared_data):
    check = bench.check_label_order(shared_data / "lexdemod" / "test_annotated_data.csv")
    assert check["checked"] and check["rows"] > 1000 and check["consistent"] == check["rows"]
    rows = bench.read_lexdemod(shared_data / "lexdemod" / "lease_noisy_removed" / "dev.txt")
    assert len(rows) == 330 and {r["party"] for r in rows} >= {"tenant", "landlord"}


# ---------------------------------------------------------------------------- DAPRECO

_TINY_KB = """<?xml version="1.0"?>
<lrml:LegalRuleML xmlns:lrml="http://docs.oasis-open.org/legalruleml/ns/v1.0/" xmlns:ruleml="http://ruleml.org/spec">
  <lrml:LegalReferences>
    <lrml:LegalReference refersTo="gdprC2A9P1ref" refID="GDPR:art_9__para_1" />
    <lrml:LegalReference refersTo="gdprC2A6P1p2ref" refID="GDPR:art_6__para_1__content__list_1__point_b" />
    <lrml:LegalReference refersTo="gdprC4S1A28P1ref" refID="GDPR:art_28__para_1" />
    <lrml:LegalReference refersTo="gdprC4S1A28P1ref" refID="GDPR:art_28__para_10" />
  </lrml:LegalReferences>
  <lrml:Associations>
    <lrml:Association><lrml:appliesSource keyref="#gdprC2A9P1ref" /><lrml:toTarget keyref="#s1" /></lrml:Association>
    <lrml:Association><lrml:appliesSource keyref="#gdprC2A6P1p2ref" /><lrml:toTarget keyref="#s2" /></lrml:Association>
    <lrml:Association><lrml:appliesSource keyref="#gdprC4S1A28P10ref" /><lrml:toTarget keyref="#s3" /></lrml:Association>
  </lrml:Associations>
  <lrml:Statements key="s1"><lrml:PrescriptiveStatement key="s1f1"><ruleml:Rule><ruleml:if/><ruleml:then>
    <lrml:Obligation>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:RexistAtTime"/><ruleml:Var key=":en"/><ruleml:Var key=":t1"/></ruleml:Atom>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:not"/><ruleml:Var keyref=":en"/><ruleml:Var key=":ep"/></ruleml:Atom>
    </lrml:Obligation></ruleml:then></ruleml:Rule></lrml:PrescriptiveStatement></lrml:Statements>
  <lrml:Statements key="s2"><lrml:PrescriptiveStatement key="s2f1"><ruleml:Rule><ruleml:if/><ruleml:then>
    <lrml:Permission>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:RexistAtTime"/><ruleml:Var key=":a"/><ruleml:Var key=":t1"/></ruleml:Atom>
    </lrml:Permission></ruleml:then></ruleml:Rule></lrml:PrescriptiveStatement>
    <lrml:ConstitutiveStatement key="s2f2"/></lrml:Statements>
  <lrml:Statements key="s3"><lrml:PrescriptiveStatement key="s3f1"><ruleml:Rule><ruleml:if/><ruleml:then>
    <lrml:Obligation>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:RexistAtTime"/><ruleml:Var key=":a2"/><ruleml:Var key=":t2"/></ruleml:Atom>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:and"/><ruleml:Var keyref=":a2"/><ruleml:Var key=":e1"/><ruleml:Var key=":n1"/></ruleml:Atom>
      <ruleml:Atom><ruleml:Rel iri="rioOnto:not"/><ruleml:Var keyref=":n1"/><ruleml:Var key=":e2"/></ruleml:Atom>
    </lrml:Obligation></ruleml:then></ruleml:Rule></lrml:PrescriptiveStatement></lrml:Statements>
</lrml:LegalRuleML>
"""


def test_read_dapreco_prohibitions_and_broken_references(tmp_path):
    path = tmp_path / "kb.xml"
    path.write_text(_TINY_KB, encoding="utf-8")
    kb = bench.read_dapreco(path)
    assert kb["provisions"] == {
        "art_9__para_1": {"prohibition"},
        "art_6__para_1__content__list_1__point_b": {"permission"},
        "art_28__para_10": {"obligation", "prohibition"},
    }
    assert kb["counts"]["ConstitutiveStatement"] == 1 and kb["counts"]["obligation_read_as_prohibition"] == 2
    assert [r["key"] for r in kb["reference_repairs"]] == ["gdprC4S1A28P10ref"]
    assert bench.eid_from_key("gdprC2A5P1p2ref") == "art_5__para_1__content__list_1__point_b"
    assert bench.eid_from_key("gdprC3S1A12P3ref") == "art_12__para_3"


def test_provision_texts_paragraphs_points_and_unnumbered_articles():
    gdpr = {"chapters": [{"type": "chapter", "contents": [
        {"type": "article", "number": "6", "contents": [
            {"type": "point", "number": "1", "text": "Processing shall be lawful only if:", "subpoints": [
                {"number": "a", "text": "the data subject has given consent;"},
                {"number": "b", "text": "processing is necessary for a contract."}]},
            {"type": "text", "number": None, "text": "Point (f) shall not apply to public authorities.", "subpoints": []},
            {"type": "point", "number": "2", "text": "Member States may maintain provisions.", "subpoints": []}]},
        {"type": "section", "contents": [
            {"type": "article", "number": "10", "contents": [
                {"type": "text", "number": None, "text": "Processing shall be carried out only under control.", "subpoints": []}]}]},
    ]}]}
    articles = bench.gdpr_articles(gdpr)
    lead = "Processing shall be lawful only if:"
    assert bench.provision_texts(articles, "art_6__para_1__content__list_1__point_b") == (
        [("processing is necessary for a contract.", lead)], "")
    units, _ = bench.provision_texts(articles, "art_6__para_1")
    assert units == [(lead, None), ("the data subject has given consent;", lead),
                     ("processing is necessary for a contract.", lead),
                     ("Point (f) shall not apply to public authorities.", None)]
    assert bench.provision_texts(articles, "art_10__para_1")[0] == [("Processing shall be carried out only under control.", None)]
    assert bench.provision_texts(articles, "art_6__para_3")[0] is None
    assert bench.provision_texts(articles, "art_6__para_1__content__list_1__point_f")[1] == "article 6(1) has no point (f)"
    assert bench.provision_texts(articles, "art_99__para_1")[1] == "no article 99 in gdpr.json"


def test_dapreco_joins_every_provision_of_the_real_files(shared_data):
    kb = bench.read_dapreco(shared_data / "gdpr-dapreco" / "rioKB_GDPR.xml")
    assert kb["counts"]["Obligation"] == 271 and kb["counts"]["Permission"] == 76
    articles = bench.gdpr_articles(json.loads((shared_data / "gdpr-gdprtext" / "gdpr.json").read_text(encoding="utf-8")))
    failures = [eid for eid in kb["provisions"] if bench.provision_texts(articles, eid)[0] is None]
    assert len(kb["provisions"]) == 275 and failures == []
    assert kb["provisions"]["art_9__para_1"] == {"prohibition"}


# ---------------------------------------------------------------------------- gold harness

_GOLD = [
    {"id": "g1", "source": "gdpr", "provision": "Art. 33(1)", "lead_in": None,
     "text": "The controller shall notify the personal data breach to the supervisory authority, unless the breach is unlikely to result in a risk.",
     "rules": [{"modality": "obligation", "bearer": "controller", "action": "notify", "object": "personal data breach",
                "conditions": [], "exceptions": ["unless the breach is unlikely to result in a risk"]}], "definition": None},
    {"id": "g2", "source": "hipaa164", "provision": "164.502(a)", "lead_in": "A covered entity may disclose protected health information:",
     "text": "to the individual;",
     "rules": [{"modality": "permission", "bearer": "covered entity", "action": "disclose", "object": "protected health information",
                "conditions": [], "exceptions": []}], "definition": None},
    {"id": "g3", "source": "gitlab", "provision": "Gifts", "lead_in": None,
     "text": "Team members must not accept cash gifts if the value exceeds $100.",
     "rules": [{"modality": "prohibition", "bearer": "team member", "action": "accept", "object": "cash gift",
                "conditions": ["if the value exceeds $100"], "exceptions": []}], "definition": None},
    {"id": "g4", "source": "gdpr", "provision": "Art. 4(8)", "lead_in": None,
     "text": "'processor' means a natural or legal person which processes personal data on behalf of the controller;",
     "rules": [], "definition": {"term": "processor"}},
]


def _oracle(texts, *, parser, lead_ins=None, model=None):
    """Returns the gold answer of each known text (the warm-up sentence gets nothing)."""
    by_text = {unit["text"]: unit for unit in _GOLD}
    out = []
    for text in texts:
        unit = by_text.get(text, {"rules": [], "definition": None})
        span = Span(0, len(text), text)
        found = [Statement(kind="rule", sentence=span, modality=r["modality"], bearer=r["bearer"], action=r["action"],
                           object=r["object"], conditions=[Span(0, 0, c) for c in r["conditions"]],
                           exceptions=[Span(0, 0, e) for e in r["exceptions"]]) for r in unit["rules"]]
        if unit["definition"]:
            found.append(Statement(kind="definition", sentence=span, term=unit["definition"]["term"]))
        out.append(found)
    return out


def _gold_args(tmp_path: Path) -> Namespace:
    path = tmp_path / "gold.jsonl"
    path.write_text("".join(json.dumps(unit) + "\n" for unit in _GOLD), encoding="utf-8")
    return Namespace(gold=path, quick=True, parsers=["spacy", "patterns"], no_infer_bearers=False)


def test_gold_harness_scores_a_perfect_and_an_empty_predictor(tmp_path):
    args = _gold_args(tmp_path)
    errors: list[str] = []
    perfect = bench.run_gold(args, _oracle, errors)
    assert not errors
    assert perfect["data"]["per_source"] == {"gdpr": 2, "gitlab": 1, "hipaa164": 1}
    overall = perfect["results"]["spacy"]["overall"]
    assert overall["micro"]["f1"] == 1.0 and overall["macro"]["f1"] == 1.0
    assert all(overall["agreement"][f]["exact"] == 1.0 for f in ("bearer", "action", "object"))
    assert overall["agreement"]["exceptions"]["exact_rate"] == 1.0
    assert overall["definitions"]["f1"] == 1.0
    assert perfect["results"]["patterns"]["per_source"]["hipaa164"]["per_modality"]["permission"]["tp"] == 1

    empty = bench.run_gold(args, lambda texts, **_: [[] for _ in texts], errors)
    assert empty["results"]["spacy"]["overall"]["micro"]["recall"] == 0.0
    assert empty["results"]["spacy"]["overall"]["agreement"]["pairs"] == 0

    broken = bench.run_gold(args, lambda texts, **_: [], errors)  # wrong number of results
    assert "error" in broken["results"]["spacy"] and len(errors) == 2


def test_absent_data_is_skipped_with_a_reason(tmp_path):
    args = Namespace(gold=tmp_path / "none.jsonl", data=tmp_path, quick=True, parsers=["patterns"])
    for run in (bench.run_gold, bench.run_lexdemod, bench.run_dapreco):
        result = run(args, _oracle, [])
        assert set(result) == {"skipped"} and str(tmp_path) in result["skipped"]


def test_script_quick_gold_run_against_the_real_extractor(tmp_path):
    try:
        import pipeline.framers.extraction  # noqa: F401
    except Exception as error:  # written in parallel: not there (or not working) yet
        pytest.skip(f"pipeline.framers.extraction is not importable yet ({error})")
    args = _gold_args(tmp_path)
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "extraction.py"), "--quick", "--only", "gold", "--gold", str(args.gold),
         "--out", str(tmp_path / "out.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=120,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result == json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    assert result["errors"] == [] and "lexdemod" not in result and "dapreco" not in result
    assert {"cpu_count", "python", "spacy", "spacy_model"} <= set(result["machine"])
    assert result["gold"]["data"]["units"] == len(_GOLD)
    for parser in ("spacy", "patterns"):
        run = result["gold"]["results"][parser]
        assert run["timing"]["texts"] == len(_GOLD) and run["timing"]["seconds"] >= 0
        assert set(run["per_source"]) == {"gdpr", "hipaa164", "gitlab", "regulatory"}
        overall = run["overall"]
        assert set(overall["per_modality"]) == {"obligation", "prohibition", "permission"}
        for modality, scores in overall["per_modality"].items():
            assert scores["tp"] + scores["fn"] == sum(1 for u in _GOLD for r in u["rules"] if r["modality"] == modality)
            assert 0.0 <= scores["f1"] <= 1.0
        assert {"bearer", "action", "object", "conditions", "exceptions"} <= set(overall["agreement"])


# ---------------------------------------------------------------------------- DAPRECO adjudication


def test_read_adjudication_checks_modalities(tmp_path):
    path = tmp_path / "adjudication.jsonl"
    assert bench.read_adjudication(path) == {}  # absent: no adjudicated view
    path.write_text('{"eid": "art_9__para_1", "modalities": ["prohibition"], "reason": "r"}\n'
                    '{"eid": "art_11__para_1", "modalities": [], "reason": "a lifted duty"}\n', encoding="utf-8")
    assert bench.read_adjudication(path) == {"art_9__para_1": {"prohibition"}, "art_11__para_1": set()}
    path.write_text('{"eid": "art_9__para_1", "modalities": ["duty"], "reason": "r"}\n', encoding="utf-8")
    with pytest.raises(ValueError, match="unknown modalities"):
        bench.read_adjudication(path)


def test_shipped_adjudication_is_well_formed():
    rows = [json.loads(line) for line in bench.DEFAULT_ADJUDICATION.read_text(encoding="utf-8").splitlines() if line.strip()]
    assert len(rows) == len({row["eid"] for row in rows}) > 0
    assert all(bench._EID.match(row["eid"]) and set(row["modalities"]) <= set(bench.MODALITIES) and row["reason"] for row in rows)


def test_dapreco_adjudicated_view_on_the_real_files(shared_data, tmp_path):
    args = Namespace(data=shared_data, quick=True, parsers=["patterns"], adjudication=bench.DEFAULT_ADJUDICATION)
    result = bench.run_dapreco(args, bench.load_predictor(bench.DEFAULT_PREDICTOR), [])
    adjudication = result["data"]["adjudication"]
    assert adjudication["provisions"] > 0 and 0 <= adjudication["dapreco_upheld"] <= adjudication["provisions"]
    run = result["results"]["patterns"]
    assert {"provision_level", "provision_level_adjudicated", "unadjudicated_disagreements"} <= set(run)
    # without the file there is no adjudicated view
    args.adjudication = tmp_path / "none.jsonl"
    assert "provision_level_adjudicated" not in bench.run_dapreco(args, bench.load_predictor(bench.DEFAULT_PREDICTOR), [])["results"]["patterns"]


def test_gold_groups_are_the_framers_articles_and_sections():
    # the Framer lends bearers within an article or section (framer._top_provision); the scorer must too
    assert bench.gold_group({"source": "gdpr", "provision": "Article 5(1)(a)"}) == "gdpr|Article 5"
    assert bench.gold_group({"source": "hipaa164", "provision": "164.502(a)(1)"}) == "hipaa164|164.502"
    assert bench.gold_group({"source": "uk-act", "provision": "section 1(6)(a)(i)"}) == "uk-act|section 1"
    assert bench.gold_group({"source": "gitlab", "provision": "Loans"}) == "gitlab|Loans"
