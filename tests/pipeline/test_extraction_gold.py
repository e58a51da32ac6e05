"""The hand-annotated rule-extraction gold set (tests/data/extraction-gold) is well formed.

gold.jsonl holds one unit (a sentence, or a list item with its lead-in) per line, annotated by
hand with the rules it states; GUIDELINES.md says how and holds the counts table this test checks.
The checks are the ones a scorer relies on: the file parses, ids are unique, modalities are the
extractor's, every condition, exception and definition is a verbatim span of its unit, and the
per-source counts are the documented ones. With the third-party data present, each unit's text
is also found verbatim in its source.
"""

from __future__ import annotations

import html
import json
import re
from collections import Counter
from pathlib import Path

import pytest

from pipeline.framers.document import normalise_text
from pipeline.framers.statements import MODALITIES

GOLD_DIR = Path(__file__).resolve().parent.parent / "data" / "extraction-gold"
GOLD = GOLD_DIR / "gold.jsonl"
GUIDELINES = GOLD_DIR / "GUIDELINES.md"
SOURCES = ("gdpr", "hipaa164", "gitlab")
UNIT_KEYS = {"id", "source", "provision", "text", "lead_in", "rules", "definition", "notes"}
RULE_KEYS = {"modality", "bearer", "action", "object", "conditions", "exceptions"}
COUNT_COLUMNS = ("units", "normative units", "non-normative units", "definitions", "rules",
                 "obligation", "prohibition", "permission")


def load_units() -> list[dict]:
    units = []
    for number, line in enumerate(GOLD.read_text(encoding="utf-8").splitlines(), 1):
        assert line.strip(), f"gold.jsonl line {number} is blank"
        units.append(json.loads(line))
    return units


def documented_counts() -> dict[str, dict[str, int]]:
    """The rows of the counts table in GUIDELINES.md: | source | units | ... |"""
    table = {}
    for line in GUIDELINES.read_text(encoding="utf-8").splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] in (*SOURCES, "total") and len(cells) == 1 + len(COUNT_COLUMNS):
            table[cells[0]] = dict(zip(COUNT_COLUMNS, map(int, cells[1:])))
    return table


def actual_counts(units: list[dict]) -> dict[str, dict[str, int]]:
    table = {}
    for source in (*SOURCES, "total"):
        chosen = [u for u in units if source == "total" or u["source"] == source]
        modalities = Counter(rule["modality"] for u in chosen for rule in u["rules"])
        table[source] = {
            "units": len(chosen),
            "normative units": sum(1 for u in chosen if u["rules"]),
            "non-normative units": sum(1 for u in chosen if not u["rules"]),
            "definitions": sum(1 for u in chosen if u["definition"]),
            "rules": sum(len(u["rules"]) for u in chosen),
            **{m: modalities[m] for m in ("obligation", "prohibition", "permission")},
        }
    return table


def unit_errors(u: dict) -> list[str]:
    """What is wrong with one unit; [] when nothing is."""
    errors = []
    if set(u) != UNIT_KEYS:
        return [f"keys {sorted(set(u) ^ UNIT_KEYS)}"]
    if u["source"] not in SOURCES:
        errors.append(f"source {u['source']!r}")
    if not u["provision"] or not u["text"]:
        errors.append("empty provision or text")
    # Text and lead-in are stored already folded, as an extractor receives them.
    for field in ("text", "lead_in"):
        if u[field] is not None and u[field] != normalise_text(u[field]):
            errors.append(f"{field} is not whitespace-folded")
    where = u["text"] + "\n" + (u["lead_in"] or "")
    for rule in u["rules"]:
        if set(rule) != RULE_KEYS:
            errors.append(f"rule keys {sorted(set(rule) ^ RULE_KEYS)}")
            continue
        if rule["modality"] not in MODALITIES:
            errors.append(f"modality {rule['modality']!r}")
        for field in ("bearer", "action", "object"):
            value = rule[field]
            if value is not None and (value != value.lower() or value != value.strip() or re.match(r"(the|a|an) ", value)):
                errors.append(f"{field} {value!r} is not a lowercase label without article")
        for span in rule["conditions"] + rule["exceptions"]:
            if not span or span not in where:
                errors.append(f"span not in text or lead-in: {span!r}")
    if u["definition"]:
        if u["definition"]["text"] not in u["text"]:
            errors.append("definition text not in text")
        if u["definition"]["term"] != u["definition"]["term"].lower():
            errors.append("definition term not lowercase")
    return errors


def test_units_are_well_formed() -> None:
    units = load_units()
    ids = Counter(u["id"] for u in units)
    assert [i for i, n in ids.items() if n > 1] == []
    assert {u["id"]: unit_errors(u) for u in units if unit_errors(u)} == {}


def test_unit_check_catches_broken_units() -> None:
    # The check above must be able to fail: break a real unit in the ways a hand edit could.
    unit = next(u for u in load_units() if any(r["conditions"] for r in u["rules"]))
    rule = next(r for r in unit["rules"] if r["conditions"])
    broken = json.loads(json.dumps(unit))
    broken_rule = next(r for r in broken["rules"] if r["conditions"])
    broken_rule["conditions"][0] = rule["conditions"][0] + " (paraphrased)"
    broken_rule["modality"] = "duty"
    broken_rule["bearer"] = "The Controller"
    broken["text"] = unit["text"].replace(" ", "  ", 1)
    errors = unit_errors(broken)
    assert any(e.startswith("span not in text") for e in errors)
    assert "modality 'duty'" in errors
    assert any(e.startswith("bearer") for e in errors)
    assert "text is not whitespace-folded" in errors


def test_counts_are_as_documented() -> None:
    documented = documented_counts()
    assert set(documented) == {*SOURCES, "total"}, "GUIDELINES.md counts table is missing rows"
    assert actual_counts(load_units()) == documented


def _folded_sources(shared: Path) -> dict[str, str]:
    """Each source as one folded string, rendered the way the units were transcribed."""
    def gdpr_texts(node):
        yield node.get("text") or ""
        for child in (node.get("contents") or []) + (node.get("subpoints") or []):
            yield from gdpr_texts(child)

    gdpr = json.loads((shared / "gdpr-gdprtext" / "gdpr.json").read_text(encoding="utf-8"))
    hipaa = (shared / "hipaa-goldcoin" / "regulations" / "subchapter-C_part-164.html").read_text(encoding="utf-8")
    gitlab_md = next((shared / "gitlab-code-of-conduct").glob("gitlab-code-of-business-conduct-*.md"))
    gitlab = re.sub(r"\[([^\]]+)\]\([^)]+\)", r"\1", gitlab_md.read_text(encoding="utf-8")).replace("**", "")
    return {
        "gdpr": normalise_text(" \n ".join(t for ch in gdpr["chapters"] for t in gdpr_texts(ch))),
        "hipaa164": normalise_text(html.unescape(re.sub(r"<[^>]+>", "", hipaa))),
        "gitlab": normalise_text(gitlab),
    }


def test_texts_are_verbatim_in_the_sources(shared_data: Path) -> None:
    sources = _folded_sources(shared_data)
    missing = [u["id"] for u in load_units() if u["text"] not in sources[u["source"]]]
    assert missing == []
