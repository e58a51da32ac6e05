"""The studio command line, run for real: in process through main() and as a subprocess."""

from __future__ import annotations

import csv
import io
import json
import os
import socket
import subprocess
import sys
import time
import urllib.request

import pyoxigraph as ox
import pytest
import rdflib

from conftest import EXAMPLE_TTL, ROOT
from pipeline.cli import EXIT_ERROR, EXIT_FINDINGS, EXIT_OK, main

STUDIO = [sys.executable, "-m", "pipeline.cli"]


def run(args, capsys):
    code = main(args)
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def loaded(tmp_path, capsys) -> list[str]:
    """--store arguments for an embedded store on disk holding the bundled example."""
    store = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, _ = run(["import", str(EXAMPLE_TTL), *store], capsys)
    assert code == EXIT_OK and "triples into" in out
    return store


# -- start-up --------------------------------------------------------------------------------


def test_help_is_fast_and_imports_nothing_heavy():
    probe = (
        "import sys, time\nt = time.perf_counter()\nfrom pipeline.cli import build_parser\n"
        "build_parser().format_help()\n"
        "heavy = [m for m in ('rdflib', 'pyoxigraph', 'spacy', 'torch', 'transformers', 'owlready2', 'pyshacl')"
        " if m in sys.modules]\nprint(heavy, time.perf_counter() - t)"
    )
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    heavy, seconds = out.stdout.rsplit(" ", 1)
    assert heavy == "[]"
    assert float(seconds) < 0.5
    started = time.perf_counter()
    subprocess.run([*STUDIO, "--help"], capture_output=True, check=True, cwd=ROOT)
    assert time.perf_counter() - started < 1.0


# -- query ---------------------------------------------------------------------------------


def test_query_text_with_predeclared_prefixes(loaded, capsys):
    code, out, _ = run(["query", "SELECT ?r WHERE { ?r a pol:Prohibition } ORDER BY ?r", *loaded, "-o", "csv"], capsys)
    assert code == EXIT_OK
    assert out.splitlines() == [
        "r",
        "https://example.org/acme-conduct/no-gifts",
        "https://example.org/acme-conduct/no-offers-to-officials",
    ]


def test_query_from_file_and_stdin(loaded, capsys, tmp_path, monkeypatch):
    q = tmp_path / "q.rq"
    q.write_text("ASK { ?r a pol:Obligation }", encoding="utf-8")
    assert run(["query", "--file", str(q), *loaded], capsys)[1] == "true\n"
    monkeypatch.setattr(sys, "stdin", io.StringIO("ASK { ?r a pol:Definition }"))
    assert run(["query", "--file", "-", *loaded], capsys)[1] == "false\n"


@pytest.mark.parametrize(
    "name, binds, expected",
    [
        ("rules-by-bearer", ["bearer=Sales Employee"], {"no-gifts", "no-offers-to-officials", "report-gifts", "sales-hospitality"}),
        ("rules-by-bearer", ["bearer=third party"], set()),
        ("rules-by-bearer", ["bearer=<https://example.org/acme-conduct/employee>"], {"no-gifts", "no-offers-to-officials", "report-gifts"}),
        ("rules-by-action", ["action=accept"], {"no-gifts", "sales-hospitality"}),
        ("rules-of-provision", ["provision=3"], {"no-gifts", "report-gifts", "sales-hospitality"}),
        ("rules-of-provision", ["provision=3.2"], {"report-gifts"}),
        ("conflicts", [], {"no-gifts", "sales-hospitality"}),
    ],
    ids=["bearer-narrower", "bearer-broader-gets-nothing", "bearer-iri", "action", "provision-tree", "provision-leaf", "conflicts"],
)
def test_named_queries_find_the_right_rules(loaded, capsys, name, binds, expected):
    args = ["query", "--name", name, *loaded, "--format", "json"]
    for b in binds:
        args += ["--bind", b]
    code, out, err = run(args, capsys)
    assert code == EXIT_OK, err
    rules = {b["rule"]["value"].rsplit("/", 1)[1] for b in json.loads(out)["results"]["bindings"]}
    assert rules == expected


def test_named_queries_cover_overrides_and_concepts(loaded, capsys):
    code, out, _ = run(["query", "-n", "overrides", *loaded, "-o", "csv"], capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert [(r["winner"].rsplit("/", 1)[1], r["loser"].rsplit("/", 1)[1], r["basis"]) for r in rows] == [
        ("sales-hospitality", "no-gifts", "ExplicitClause")
    ]
    code, out, _ = run(["query", "-n", "concepts-under", "-b", "concept=third party", *loaded, "-o", "tsv"], capsys)
    labels = {line.split("\t")[2] for line in out.splitlines()[1:]}
    assert labels == {'"third party"', '"supplier"', '"government official"'}


def test_query_list_describes_every_named_query(capsys):
    code, out, _ = run(["query", "--list"], capsys)
    assert code == EXIT_OK
    for name in ("rules-by-bearer", "rules-by-action", "rules-of-provision", "conflicts", "overrides", "concepts-under"):
        assert name in out
    assert "--bind bearer=..." in out


@pytest.mark.parametrize(
    "args, message",
    [
        (["query", "SELECT ?s WHERE {\n  ?s ?p\n}"], "SPARQL syntax error at line 3, column "),
        (["query", "--name", "rules-by-boss"], "no named query 'rules-by-boss'; available: concept-hierarchy, concepts-under, conflicts"),
        (["query", "--name", "rules-by-bearer"], "needs --bind for bearer"),
        (["query", "--name", "conflicts", "--bind", "x=1"], "has no parameter x"),
        (["query", "--bind", "no-equals", "ASK {}"], "is not of the form NAME=VALUE"),
        (["query", "DELETE WHERE { ?s ?p ?o }"], "this is a SPARQL update (DELETE)"),
        (["query", "--file", "/nonexistent/q.rq"], "cannot read the query file /nonexistent/q.rq"),
    ],
    ids=["syntax", "unknown-name", "missing-binding", "unknown-param", "bad-binding", "update", "missing-file"],
)
def test_query_errors_are_one_clear_line(loaded, capsys, args, message):
    code, out, err = run([*args, *loaded], capsys)
    assert code == EXIT_ERROR
    assert message in err and err.startswith("error: ") and "Traceback" not in err
    assert out == ""


def test_query_timeout_exits_non_zero_quickly(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    big = tmp_path / "big.ttl"
    big.write_text("".join(f"<http://e/s{i}> <http://e/p> {i} .\n" for i in range(3000)), encoding="utf-8")
    subprocess.run([*STUDIO, "import", str(big), "--store", store], check=True, cwd=ROOT, capture_output=True)
    started = time.perf_counter()
    out = subprocess.run(
        [*STUDIO, "query", "--timeout", "0.5", "--store", store,
         "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z FILTER(?x < ?y && ?y < ?z) }"],
        capture_output=True, text=True, cwd=ROOT,
    )
    assert out.returncode == EXIT_ERROR
    assert "ran past its 0.5 s timeout" in out.stderr
    assert time.perf_counter() - started < 5


def test_query_limit(loaded, capsys):
    code, out, err = run(["query", "SELECT ?s ?p ?o WHERE { ?s ?p ?o }", "--limit", "5", "-o", "csv", *loaded], capsys)
    assert len(out.splitlines()) == 6 and "cut at 5 rows" in err


# -- validate --------------------------------------------------------------------------------


def test_validate_clean_example(loaded, capsys):
    code, out, _ = run(["validate", *loaded], capsys)
    assert code == EXIT_OK, out
    assert "OWL (HermiT): consistent" in out and "SHACL: 0 violations" in out


BROKEN = """
@prefix pol: <https://w3id.org/alignment-studio/policy#> .
@prefix acme: <https://example.org/acme-conduct/> .
acme:report-gifts a pol:Prohibition .
acme:orphan a pol:Obligation ; pol:ruleId "orphan" .
acme:no-gifts pol:overrides acme:sales-hospitality .
"""


def test_validate_reports_disjoint_types_shape_violations_and_override_cycles(loaded, capsys, tmp_path):
    broken = tmp_path / "broken.ttl"
    broken.write_text(BROKEN, encoding="utf-8")
    assert run(["import", str(broken), *loaded], capsys)[0] == EXIT_OK
    code, out, _ = run(["validate", *loaded, "--format", "json"], capsys)
    assert code == EXIT_FINDINGS
    report = json.loads(out)
    assert not report["ok"]
    assert any("report-gifts" in p and "disjoint" in p for p in report["owl"]["problems"])
    assert any(v["focus"].endswith("/orphan") and "bearer" in (v["path"] or "") for v in report["shacl"])
    assert report["override_cycles"] and {"https://example.org/acme-conduct/no-gifts", "https://example.org/acme-conduct/sales-hospitality"} <= set(report["override_cycles"][0])
    code, text, _ = run(["validate", *loaded, "--no-owl"], capsys)
    assert code == EXIT_FINDINGS and "focus https://example.org/acme-conduct/orphan" in text and "OWL (HermiT): skipped" in text


# -- export and import -----------------------------------------------------------------------


@pytest.mark.parametrize(
    "fmt, parse",
    [
        ("turtle", lambda data: len(rdflib.Graph().parse(data=data, format="turtle"))),
        ("ntriples", lambda data: len(rdflib.Graph().parse(data=data, format="nt"))),
        ("rdfxml", lambda data: len(rdflib.Graph().parse(data=data, format="xml"))),
        ("nquads", lambda data: len(list(ox.parse(data, format=ox.RdfFormat.N_QUADS)))),
        ("trig", lambda data: len(list(ox.parse(data, format=ox.RdfFormat.TRIG)))),
        ("jsonld", lambda data: len(rdflib.Dataset().parse(data=data, format="json-ld"))),
    ],
    ids=lambda v: v if isinstance(v, str) else "",
)
def test_export_formats_parse_back(loaded, capsys, tmp_path, fmt, parse):
    target = tmp_path / f"out.{fmt}"
    code, _, err = run(["export", "--format", fmt, "--output", str(target), "--graph", "acme-conduct.ttl", *loaded], capsys)
    assert code == EXIT_OK, err
    written = int(err.split()[1])
    assert written > 100
    assert parse(target.read_bytes()) == written


def test_export_unknown_graph(loaded, capsys):
    code, _, err = run(["export", "--graph", "nope", *loaded], capsys)
    assert code == EXIT_ERROR and "there is no graph https://w3id.org/alignment-studio/graph/nope" in err


def test_import_keeps_going_past_a_bad_file_and_names_it(tmp_path, capsys):
    store = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    bad = tmp_path / "bad.ttl"
    bad.write_text("<http://e/a> <http://e/b> .", encoding="utf-8")
    binary = tmp_path / "binary.ttl"
    binary.write_bytes(os.urandom(200))
    code, out, err = run(["import", str(bad), str(binary), str(EXAMPLE_TTL), "--format", "turtle", *store], capsys)
    assert code == EXIT_ERROR
    assert f"{bad}: does not parse as Turtle" in err and f"{binary}:" in err
    assert "acme-conduct.ttl" in out
    code, out, _ = run(["query", "-n", "documents", "-o", "csv", *store], capsys)
    graphs = {row["graph"] for row in csv.DictReader(io.StringIO(out))}
    assert graphs == {"https://w3id.org/alignment-studio/graph/acme-conduct.ttl", "https://w3id.org/alignment-studio/policy"}


@pytest.mark.parametrize(
    "relative, graph_triples",
    [
        ("gdpr-gdprtext/gdpr.ttl", 10_000),
        ("ontologies/odrl/ODRL22.ttl", 1_000),
        ("ontologies/dpv/dpv.ttl", 10_000),
        ("ontologies/dpv/eu-gdpr.ttl", 1_000),
        ("ontologies/lkif-core/norm.owl", 100),
    ],
    ids=["gdpr", "odrl", "dpv", "dpv-eu-gdpr", "lkif-core"],
)
def test_third_party_rdf_imports_cleanly(shared_data, tmp_path, capsys, relative, graph_triples):
    path = shared_data / relative
    if not path.exists():
        pytest.skip(f"{path} is absent")
    code, out, err = run(["import", str(path), "--store", f"oxigraph:{tmp_path / 'store'}"], capsys)
    assert code == EXIT_OK, err
    assert int(out.split(": ")[1].split()[0]) >= graph_triples


# -- stores from the command line ------------------------------------------------------------


@pytest.mark.parametrize(
    "store, message",
    [
        ("ftp://x", "unknown store URL 'ftp://x'"),
        ("http://127.0.0.1:9/sparql", "cannot reach the SPARQL endpoint http://127.0.0.1:9/sparql"),
    ],
    ids=["unknown-scheme", "unreachable"],
)
def test_bad_stores_from_the_command_line(capsys, store, message):
    code, _, err = run(["query", "ASK {}", "--store", store], capsys)
    assert code == EXIT_ERROR and message in err


def test_store_from_environment(tmp_path, capsys, monkeypatch):
    monkeypatch.setenv("STUDIO_STORE", f"oxigraph:{tmp_path / 'env'}")
    assert run(["import", str(EXAMPLE_TTL)], capsys)[0] == EXIT_OK
    assert (tmp_path / "env" / "CURRENT").exists()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_serve_answers_standard_clients_while_the_cli_still_reads(loaded, tmp_path):
    from SPARQLWrapper import JSON, SPARQLWrapper

    port = free_port()
    server = subprocess.Popen(
        [*STUDIO, "serve", "--port", str(port), *loaded], cwd=ROOT, stderr=subprocess.PIPE, text=True
    )
    try:
        assert "SPARQL endpoint" in server.stderr.readline()
        url = f"http://127.0.0.1:{port}/sparql"
        for _ in range(50):
            try:
                urllib.request.urlopen(url, timeout=1)
                break
            except OSError:
                time.sleep(0.1)
        client = SPARQLWrapper(url)
        client.setQuery("SELECT ?r WHERE { ?r a pol:Permission }")
        client.setReturnFormat(JSON)
        rows = client.query().convert()["results"]["bindings"]
        assert [r["r"]["value"] for r in rows] == ["https://example.org/acme-conduct/sales-hospitality"]
        # The server holds the store's write lock; reading commands fall back to a read-only view.
        out = subprocess.run([*STUDIO, "query", "ASK { ?r a pol:Obligation }", *loaded], capture_output=True, text=True, cwd=ROOT)
        assert out.stdout == "true\n", out.stderr
        out = subprocess.run([*STUDIO, "import", str(EXAMPLE_TTL), *loaded], capture_output=True, text=True, cwd=ROOT)
        assert out.returncode == EXIT_ERROR and "locked by another process" in out.stderr
    finally:
        server.terminate()
        server.wait(timeout=10)


def test_serve_refuses_updates_without_a_token(loaded, capsys):
    code, _, err = run(["serve", "--allow-update", *loaded], capsys)
    assert code == EXIT_ERROR and "token" in err


def test_example_main_job(tmp_path):
    out = subprocess.run(
        [*STUDIO, "example", "--store", f"oxigraph:{tmp_path / 'store'}"], capture_output=True, text=True, cwd=ROOT
    )
    assert out.returncode == EXIT_OK, out.stdout + out.stderr
    assert "Loaded acme-conduct.yaml: 4 rules" in out.stdout
    assert "Framed gitlab-code-of-conduct.md: " in out.stdout and " obligations, " in out.stdout
    assert "OWL (HermiT): consistent" in out.stdout
    assert "acme:rule/sales-hospitality" in out.stdout and "ExplicitClause" in out.stdout
    for verdict in ("forbidden", "not-applicable", "needs-info", "permitted", "required"):
        assert verdict in out.stdout
    again = subprocess.run(
        [*STUDIO, "example", "--store", f"oxigraph:{tmp_path / 'store'}"], capture_output=True, text=True, cwd=ROOT
    )
    assert again.returncode == EXIT_OK and "unchanged (already loaded)" in again.stdout
    assert "Framed gitlab-code-of-conduct.md: unchanged" in again.stdout


def test_import_a_folder(shared_data, tmp_path, capsys):
    folder = shared_data / "ontologies" / "lkif-core"
    code, out, err = run(["import", str(folder), "--store", f"oxigraph:{tmp_path / 'store'}"], capsys)
    assert code == EXIT_OK, err
    assert len(out.splitlines()) == len(list(folder.glob("*.owl")))


@pytest.mark.parametrize("server_fixture", ["oxigraph_server", "virtuoso_server"])
def test_cli_against_a_remote_store(request, capsys, server_fixture, tmp_path):
    from conftest import remote_store_url

    server = request.getfixturevalue(server_fixture)
    store = ["--store", remote_store_url(server)]
    # a graph name of its own: the server is shared with other tests
    code, out, err = run(["import", str(EXAMPLE_TTL), "--graph", f"https://example.org/cli/{tmp_path.name}", *store], capsys)
    assert code == EXIT_OK, err
    code, out, err = run(["query", "-n", "rules-by-action", "-b", "action=offer", "-o", "csv", *store], capsys)
    assert code == EXIT_OK, err
    assert "https://example.org/acme-conduct/no-offers-to-officials" in out
    hostile = 'offer" } } ; DROP ALL ; SELECT * { ?s ?p "'
    code, out, err = run(["query", "-n", "rules-by-action", "-b", f"action={hostile}", "-o", "csv", *store], capsys)
    assert code == EXIT_OK and out.splitlines() == ["action,rule,modality,bearer,ruleAction,object,provision,text"]
    code, out, _ = run(["query", "ASK { ?r a pol:Prohibition }", *store], capsys)
    assert out == "true\n"


def test_hostile_binding_from_the_command_line_changes_nothing(loaded, capsys):
    before = run(["export", "--format", "nquads", *loaded], capsys)[1]
    hostile = 'supplier" } } ; DROP ALL ; SELECT * { ?s ?p "'
    code, out, _ = run(["query", "-n", "rules-by-bearer", "-b", f"bearer={hostile}", "-o", "json", *loaded], capsys)
    assert code == EXIT_OK and json.loads(out)["results"]["bindings"] == []
    assert run(["export", "--format", "nquads", *loaded], capsys)[1] == before


def test_load_a_folder_keeps_going_past_bad_documents(tmp_path, capsys):
    folder = tmp_path / "policies"
    folder.mkdir()
    (folder / "good.yaml").write_text((ROOT / "pipeline" / "examples" / "acme-conduct.yaml").read_text(encoding="utf-8"), encoding="utf-8")
    (folder / "bad.yaml").write_text("source: {id: bad}\nrules:\n  - id: r1\n    modality: forbidden\n", encoding="utf-8")
    (folder / "notes.docx").write_text("not loaded: no framer for Word files", encoding="utf-8")
    store = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    code, out, err = run(["load", str(folder), str(folder / "notes.docx"), *store], capsys)
    assert code == EXIT_ERROR
    assert "good.yaml: loaded, 4 rules" in out
    assert "bad.yaml, line 4" in err and "modality" in err
    assert "notes.docx: no framer reads .docx" in err
    code, out, _ = run(["query", "-n", "documents", "-o", "csv", *store], capsys)
    assert "graph/acme-conduct" in out and "graph/bad" not in out
    code, out, _ = run(["load", str(folder / "good.yaml"), *store], capsys)
    assert code == EXIT_OK and "unchanged" in out


def test_documents_rules_and_remove(tmp_path, capsys):
    store = ["--store", f"oxigraph:{tmp_path / 'store'}"]
    assert run(["load", str(ROOT / "pipeline" / "examples" / "acme-conduct.yaml"), *store], capsys)[0] == EXIT_OK
    assert run(["import", str(EXAMPLE_TTL), *store], capsys)[0] == EXIT_OK
    code, out, _ = run(["documents", "--format", "jsonl", *store], capsys)
    documents = {d["document"]: d for d in map(json.loads, out.splitlines())}
    assert set(documents) == {"acme-conduct", "acme-conduct.ttl"}
    assert (documents["acme-conduct"]["obligation"], documents["acme-conduct"]["prohibition"], documents["acme-conduct"]["permission"]) == (1, 2, 1)
    code, out, _ = run(["rules", "--document", "acme-conduct", "--format", "jsonl", *store], capsys)
    rules = [json.loads(line) for line in out.splitlines()]
    assert [r["id"].rsplit("/", 1)[1] for r in rules][:1] == ["no-gifts"] and len(rules) == 4
    assert set(rules[0]) == {"id", "modality", "bearer", "action", "object", "conditions", "exceptions", "document", "provision", "source"}
    no_gifts = rules[0]
    assert (no_gifts["modality"], no_gifts["bearer"], no_gifts["action"], no_gifts["object"]) == ("prohibition", "employee", "accept", "gift")
    assert no_gifts["conditions"] == ["gift value exceeds 100 USD"] and no_gifts["exceptions"] == ["manager approved the gift"]
    assert no_gifts["provision"] == "3.1" and no_gifts["source"]["text"].startswith("Employees must not accept gifts")
    code, _, err = run(["rules", "--document", "nope", *store], capsys)
    assert code == EXIT_ERROR and "no document 'nope'" in err
    code, out, err = run(["remove", "acme-conduct.ttl", "nope", *store], capsys)
    assert code == EXIT_ERROR and "removed acme-conduct.ttl" in out and "no document 'nope'" in err
    code, out, _ = run(["documents", "--format", "jsonl", *store], capsys)
    assert [json.loads(line)["document"] for line in out.splitlines()] == ["acme-conduct"]


def test_piping_into_a_closed_reader_is_quiet(tmp_path):
    store = f"oxigraph:{tmp_path / 'store'}"
    subprocess.run([*STUDIO, "import", str(EXAMPLE_TTL), "--store", store], check=True, cwd=ROOT, capture_output=True)
    out = subprocess.run(
        f"{sys.executable} -m pipeline.cli query 'SELECT * WHERE {{ ?s ?p ?o }}' --store {store} | head -1",
        shell=True, capture_output=True, text=True, cwd=ROOT,
    )
    assert "Traceback" not in out.stderr and out.stdout.strip()
