"""studio decide: situations in from a file, stdin, flags or a batch; verdict JSON out."""

from __future__ import annotations

import io
import json
import sys

import pytest

from conftest import EXAMPLE_TTL
from pipeline.cli import EXIT_ERROR, EXIT_OK, main


@pytest.fixture
def store(tmp_path, capsys) -> list[str]:
    args = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    assert main(["import", str(EXAMPLE_TTL), *args]) == EXIT_OK
    capsys.readouterr()
    return args


def decide(args, capsys):
    code = main(["decide", *args])
    out, err = capsys.readouterr()
    return code, out, err


@pytest.mark.parametrize(
    "situation, verdict, missing",
    [
        ({"bearer": "employee", "action": "accept", "object": "gift",
          "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": False}}, "forbidden", []),
        ({"bearer": "employee", "action": "accept", "object": "gift",
          "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": True}}, "not-applicable", []),
        ({"bearer": "employee", "action": "accept", "object": "gift", "facts": {}}, "needs-info",
         ["gift value exceeds 100 usd", "manager approved the gift"]),
        ({"bearer": "Sales Employee", "action": "accept", "object": "hospitality",
          "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": False}}, "permitted", []),
        ({"bearer": "sales employee", "action": "report", "object": "hospitality"}, "required", []),
        ({"bearer": "supplier", "action": "offer", "object": "gift"}, "not-applicable", []),
    ],
    ids=["prohibited", "exception-defeats", "unknown-facts", "explicit-override", "hierarchy-obligation", "nobody-binds-suppliers"],
)
def test_decide_from_a_file(store, capsys, tmp_path, situation, verdict, missing):
    path = tmp_path / "situation.json"
    path.write_text(json.dumps(situation), encoding="utf-8")
    code, out, err = decide([str(path), *store], capsys)
    assert code == EXIT_OK, err
    result = json.loads(out)
    assert result["verdict"] == verdict
    assert result["missing"] == missing
    assert result["explanation"][-1] == f"Verdict: {verdict}"


def test_explicit_override_is_explained(store, capsys):
    code, out, _ = decide(
        ["--bearer", "sales employee", "--action", "accept", "--object", "hospitality",
         "--fact", "gift value exceeds 100 USD=true", "--fact", "manager approved the gift=false", *store],
        capsys,
    )
    result = json.loads(out)
    assert result["verdict"] == "permitted"
    [conflict] = result["conflicts"]
    assert conflict["principle"] == "explicit" and conflict["winner"].endswith("/sales-hospitality")
    assert any("explicit gives sales-hospitality" in step for step in result["explanation"])


def test_batch_answers_in_order_one_line_each(store, capsys, tmp_path):
    batch = tmp_path / "situations.jsonl"
    rows = [
        {"bearer": "employee", "action": "offer", "object": "gift"},
        {"bearer": "supplier", "action": "offer", "object": "gift"},
        {"bearer": "employee", "action": "report", "object": "gift"},
    ]
    batch.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    code, out, _ = decide(["--batch", str(batch), *store], capsys)
    assert code == EXIT_OK
    assert [json.loads(line)["verdict"] for line in out.splitlines()] == ["forbidden", "not-applicable", "required"]


def test_stdin_and_text_format(store, capsys, monkeypatch):
    monkeypatch.setattr(sys, "stdin", io.StringIO('{"bearer": "employee", "action": "offer", "object": "gift"}'))
    code, out, _ = decide(["-", "--format", "text", *store], capsys)
    assert code == EXIT_OK and out.splitlines()[-1] == "Verdict: forbidden"


def test_strategy_flag_overrides_the_policy(store, capsys):
    args = ["--bearer", "sales employee", "--action", "accept", "--object", "hospitality",
            "--fact", "gift value exceeds 100 USD=true", "--fact", "manager approved the gift=false", *store]
    code, out, _ = decide([*args, "--precedence", "lex-superior", "--strategy", "deny-overrides"], capsys)
    assert json.loads(out)["verdict"] == "forbidden"  # without the explicit principle, deny wins
    code, out, _ = decide([*args, "--precedence", "lex-superior", "--strategy", "only-one-applicable"], capsys)
    result = json.loads(out)
    assert result["verdict"] == "unresolved" and result["conflicts"][0]["status"] == "unresolved"


@pytest.mark.parametrize(
    "content, message",
    [
        ("{not json", "not valid JSON"),
        ('{"bearer": "employee"}', "'action' must be a non-empty string"),
        ('{"bearer": "employee", "action": "offer", "facts": {"x": "yes"}}', "fact 'x' must be true or false"),
        ('{"bearer": "employee", "action": "offer", "when": 1}', "unknown key 'when'"),
    ],
    ids=["not-json", "no-action", "fact-not-boolean", "unknown-key"],
)
def test_bad_situations_name_the_input(store, capsys, tmp_path, content, message):
    path = tmp_path / "bad.json"
    path.write_text(content, encoding="utf-8")
    code, _, err = decide([str(path), *store], capsys)
    assert code == EXIT_ERROR and message in err and str(path) in err


def test_bad_batch_line_names_the_line(store, capsys, tmp_path):
    batch = tmp_path / "b.jsonl"
    batch.write_text('{"bearer": "employee", "action": "offer"}\n{"bearer": 3}\n', encoding="utf-8")
    code, _, err = decide(["--batch", str(batch), *store], capsys)
    assert code == EXIT_ERROR and f"{batch}, line 2" in err
