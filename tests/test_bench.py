"""The benchmarks still run and agree with their baselines, at a tiny size (not timed here)."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from conftest import ROOT


@pytest.mark.parametrize(
    "script, args",
    [
        ("sparql.py", ["--triples", "3000", "--repeat", "2", "--min-repeat", "1", "--diag-repeat", "0", "--backends", "oxigraph-disk,memory,rdflib"]),
        ("decide.py", ["--rules", "300", "--situations", "60"]),
    ],
    ids=["sparql", "decide"],
)
def test_benchmark_runs_and_its_backends_agree(script, args, tmp_path):
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / script), *args, "--out", str(tmp_path / "out.json")],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result == json.loads((tmp_path / "out.json").read_text(encoding="utf-8"))
    if script == "sparql.py":
        assert result["result_counts_check"]["ok"] and not result["errors"]
    else:
        agreement = result["checks"]["verdict_agreement"]["clean"]
        assert agreement["rate"] == 1.0 and result["situations"]["engine_errors"] == 0


def test_framer_benchmark_runs_on_a_small_regulation():
    out = subprocess.run(
        [sys.executable, str(ROOT / "bench" / "framer.py"), "--file", str(ROOT / "tests" / "data" / "framer" / "supplier-code.md"), "--repeat", "1"],
        capture_output=True, text=True, cwd=ROOT, timeout=300,
    )
    assert out.returncode == 0, out.stderr[-2000:]
    result = json.loads(out.stdout)
    assert result["words"] > 50 and result["rules"]["prohibition"] >= 3
    assert result["raw_spacy"]["words_per_second"] > 0 and result["framer"]["words_per_second"] > 0
    assert set(result["stages_seconds"]) >= {"read", "parse", "write", "conflicts"}
