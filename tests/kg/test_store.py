"""The store contract, run on every backend: embedded on disk, in memory, and real SPARQL servers."""

from __future__ import annotations

import io
import json
import os
import signal
import subprocess
import sys
import time
import uuid

import pytest
from rdflib import Literal, URIRef

from conftest import EXAMPLE_TTL, ROOT, remote_store_url
from kg.errors import ParseError, QueryError, QueryTimeout, StoreError
from kg.store import (
    ONTOLOGY_GRAPH,
    STAGING_PREFIX,
    bind_with_values,
    graph_iri,
    open_store,
    query_kind_hint,
)

EX = "https://example.org/t/"


def triples(n: int, tag: str = "x"):
    return [(URIRef(f"{EX}s{i}"), URIRef(f"{EX}p"), Literal(f"{tag}{i}")) for i in range(n)]


@pytest.fixture(params=["memory", "oxigraph-disk", "oxigraph-server", "virtuoso"])
def store(request, tmp_path):
    """A store of each kind; remote ones are shared, so every test uses fresh graph names."""
    kind = request.param
    if kind == "memory":
        s = open_store("memory:")
    elif kind == "oxigraph-disk":
        s = open_store(f"oxigraph:{tmp_path / 'store'}")
    elif kind == "oxigraph-server":
        s = open_store(remote_store_url(request.getfixturevalue("oxigraph_server")))
    else:
        s = open_store(remote_store_url(request.getfixturevalue("virtuoso_server")))
    yield s
    s.close()


def fresh_graph() -> URIRef:
    return URIRef(f"{EX}graph/{uuid.uuid4()}")


# -- store URLs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "url, fragment",
    [
        ("foo:bar", "unknown store URL"),
        ("/plain/path", "unknown store URL"),
        ("oxigraph:", "has no path"),
        ("sqlite:///x.db", "use oxigraph:PATH"),
    ],
    ids=["unknown-scheme", "bare-path", "empty-path", "other-db"],
)
def test_bad_store_urls_are_refused_with_the_forms_that_work(url, fragment):
    with pytest.raises(StoreError, match=fragment) as info:
        open_store(url)
    assert url in str(info.value) or fragment == "has no path"


def test_default_store_comes_from_the_environment(tmp_path, monkeypatch):
    monkeypatch.setenv("STUDIO_STORE", f"oxigraph:{tmp_path / 'envstore'}")
    with open_store() as s:
        assert s.url == f"oxigraph:{tmp_path / 'envstore'}"
    assert (tmp_path / "envstore" / "CURRENT").exists()


def test_unreachable_remote_store_names_the_url():
    with pytest.raises(StoreError, match=r"cannot reach the SPARQL endpoint http://127\.0\.0\.1:9/sparql"):
        open_store("http://127.0.0.1:9/sparql")


# -- the contract on every backend -------------------------------------------------------------


def test_replace_graph_writes_reads_and_replaces(store):
    g = fresh_graph()
    assert store.replace_graph(g, triples(50)) == 50
    assert store.graphs()[g] == 50
    assert store.replace_graph(g, triples(20, "y")) == 20  # replaces, never appends
    assert store.graphs()[g] == 20
    rows = store.query("SELECT ?o WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": g}).rows
    assert sorted(str(r[0]) for r in rows) == sorted(f"y{i}" for i in range(20))
    assert store.drop_graph(g) is True
    assert g not in store.graphs()
    assert store.drop_graph(g) is False


def test_writes_bring_the_core_ontology_along(store):
    store.replace_graph(fresh_graph(), triples(1))
    ask = store.query("ASK { pol:Obligation rdfs:subClassOf pol:Rule }")
    assert ask.boolean is True
    assert ONTOLOGY_GRAPH in store.graphs()


def test_bindings_are_terms_and_a_hostile_value_cannot_change_the_query(store):
    g = fresh_graph()
    store.replace_graph(g, triples(5))
    hostile = 'x" } } ; DROP ALL ; SELECT * WHERE { ?s ?p "'
    # projected (substitution on Oxigraph) and not projected (VALUES block) variables
    for query in (
        "SELECT ?o ?s WHERE { ?s ?p ?o }",
        "SELECT ?s WHERE { ?s ?p ?o }",
    ):
        result = store.query(query, {"o": Literal(hostile)})
        assert result.rows == []
    assert store.graphs()[g] == 5
    found = store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"o": Literal("x3"), "g": g})
    assert [str(r[0]) for r in found.rows] == [f"{EX}s3"]


def test_hostile_iri_binding_is_rejected(store):
    with pytest.raises(QueryError, match="not a valid absolute IRI"):
        store.query("SELECT ?s WHERE { ?s ?p ?o }", {"p": URIRef("http://x> } DROP ALL { <http://y")})


def test_syntax_errors_name_line_and_column(store):
    with pytest.raises(QueryError) as info:
        store.query("SELECT ?s\nWHERE { ?s ?p }", name="my-query")
    message = str(info.value)
    assert "my-query" in message or "HTTP 400" in message
    if not store.url.startswith("http"):
        assert "line 2, column" in message


def test_updates_are_not_run_as_queries(store):
    g = fresh_graph()
    store.replace_graph(g, triples(3))
    with pytest.raises(QueryError, match="SPARQL update"):
        store.query(f"# a comment\nDROP GRAPH <{g}>")
    assert store.graphs()[g] == 3


def test_row_limit_truncates_and_says_so(store):
    g = fresh_graph()
    store.replace_graph(g, triples(30))
    result = store.query("SELECT ?s WHERE { GRAPH ?g { ?s ?p ?o } }", {"g": g}, max_rows=10)
    assert len(result.rows) == 10 and result.truncated


def test_import_and_export_round_trip(store, tmp_path):
    counts = store.import_file(EXAMPLE_TTL)
    graph = graph_iri(EXAMPLE_TTL.name)
    assert counts[graph] == store.graphs()[graph] > 100
    out = io.BytesIO()
    written = store.export(out, "nquads", graph)
    assert written == counts[graph]
    copy = open_store("memory:")
    dump = tmp_path / "dump.nq"
    dump.write_bytes(out.getvalue())
    assert copy.import_file(dump) == {graph: counts[graph]}


def test_a_file_that_does_not_parse_changes_nothing(store, tmp_path):
    g = fresh_graph()
    store.replace_graph(g, triples(4))
    before = store.graphs()
    bad = tmp_path / "broken.ttl"
    bad.write_text("@prefix e: <http://e/> .\ne:a e:b e:c .\ne:d e:e \n", encoding="utf-8")
    with pytest.raises(ParseError, match=r"broken\.ttl: does not parse as Turtle: .*line \d+"):
        store.import_file(bad, g)
    assert store.graphs() == before


# -- embedded store specifics ----------------------------------------------------------------


def test_a_new_store_path_is_created_with_its_parents(tmp_path):
    with open_store(f"oxigraph:{tmp_path / 'a' / 'b' / 'store'}") as s:
        s.replace_graph(graph_iri("doc"), triples(2))
    assert (tmp_path / "a" / "b" / "store" / "CURRENT").exists()


def test_disk_store_persists_across_reopen(disk_store_url):
    g = graph_iri("doc-a")
    with open_store(disk_store_url) as s:
        s.replace_graph(g, triples(10))
    with open_store(disk_store_url) as s:
        assert s.graphs()[g] == 10


def test_locked_store_is_refused_for_writing_but_readable(disk_store_url):
    with open_store(disk_store_url) as s:
        s.replace_graph(graph_iri("doc-a"), triples(3))
        code = (
            "import sys\nfrom kg.store import open_store\nfrom kg.errors import StoreError\n"
            f"try:\n    open_store({disk_store_url!r})\nexcept StoreError as e:\n    print('LOCKED', e)\n"
            f"r = open_store({disk_store_url!r}, read_only=True)\nprint('READ', r.graphs())\n"
            "try:\n    r.drop_graph(next(iter(r.graphs())))\nexcept StoreError as e:\n    print('RO', e)\n"
        )
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, cwd=ROOT, timeout=60)
    assert "LOCKED" in out.stdout and "locked by another process" in out.stdout, out.stderr
    assert "READ {" in out.stdout and "doc-a" in out.stdout
    assert "RO cannot drop a graph" in out.stdout


@pytest.mark.parametrize("damage", ["garbage-files", "not-a-store", "a-file"])
def test_damaged_or_wrong_store_paths_are_named(tmp_path, damage):
    path = tmp_path / "store"
    if damage == "garbage-files":
        with open_store(f"oxigraph:{path}") as s:
            s.replace_graph(graph_iri("doc"), triples(100))
        for f in path.iterdir():
            if f.is_file() and f.name not in ("LOCK",):
                f.write_bytes(os.urandom(64))
        expected = "looks corrupted"
    elif damage == "not-a-store":
        path.mkdir()
        (path / "notes.txt").write_text("mine", encoding="utf-8")
        expected = "not an Oxigraph store"
    else:
        path.write_text("x", encoding="utf-8")
        expected = "is a file"
    with pytest.raises(StoreError, match=expected) as info:
        open_store(f"oxigraph:{path}")
    assert str(path) in str(info.value)


def test_timeout_stops_a_long_query(memory_store):
    memory_store.replace_graph(graph_iri("big"), triples(3000))
    started = time.monotonic()
    with pytest.raises(QueryTimeout, match="0.2 s timeout"):
        memory_store.query(
            "SELECT (COUNT(*) AS ?n) WHERE { ?a ?p ?x . ?b ?p ?y . ?c ?p ?z FILTER(?x < ?y && ?y < ?z) }",
            timeout=0.2,
        )
    assert time.monotonic() - started < 2


def test_leftover_staging_graphs_are_dropped_on_open(disk_store_url):
    with open_store(disk_store_url) as s:
        s.oxigraph.extend([])
        s._insert_quads([(URIRef(f"{EX}a"), URIRef(f"{EX}b"), Literal(1), URIRef(f"{STAGING_PREFIX}dead"))])
        assert any(str(g).startswith(STAGING_PREFIX) for g in s.graphs())
    with open_store(disk_store_url) as s:
        assert not any(str(g).startswith(STAGING_PREFIX) for g in s.graphs())


KILLED_LOADER = """
import sys
from rdflib import Literal, URIRef
from kg.store import open_store, graph_iri
n = int(sys.argv[2])
data = [(URIRef(f"https://example.org/k/s{i}"), URIRef("https://example.org/k/p"), Literal(i)) for i in range(n)]
store = open_store(sys.argv[1])
store.ensure_ontology()
if sys.argv[3] == "replace":
    store.replace_graph(graph_iri("victim"), data[:10])
print("loading", flush=True)
store.replace_graph(graph_iri("victim"), data)
print("done", flush=True)
"""


@pytest.mark.parametrize("mode", ["new", "replace"])
@pytest.mark.parametrize("delay", [0.1, 0.5, 1.2], ids=lambda d: f"kill-after-{d}s")
def test_a_killed_load_leaves_the_document_complete_or_absent(tmp_path, delay, mode):
    url = f"oxigraph:{tmp_path / 'store'}"
    n = 60_000
    child = subprocess.Popen(
        [sys.executable, "-c", KILLED_LOADER, url, str(n), mode], cwd=ROOT, stdout=subprocess.PIPE, text=True
    )
    assert child.stdout.readline().strip() == "loading"
    time.sleep(delay)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    with open_store(url) as s:
        count = s.graphs().get(graph_iri("victim"), 0)
        before = 0 if mode == "new" else 10
        assert count in (before, n), f"half a document survived the kill: {count} of {n} triples"
        assert not any(str(g).startswith(STAGING_PREFIX) for g in s.graphs())


# -- helpers -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "text, kind",
    [
        ("SELECT * WHERE { ?s ?p ?o }", None),
        ("# drop the table\nSELECT * WHERE { ?s ?p ?o }", None),
        ("PREFIX e: <http://e/>\nINSERT DATA { e:a e:b e:c }", "INSERT"),
        ("  drop all", "DROP"),
        ("ASK { ?s <http://e/with> ?o }", None),
    ],
    ids=["select", "comment-with-keyword", "insert", "drop", "keyword-in-iri"],
)
def test_query_kind_hint(text, kind):
    assert query_kind_hint(text) == kind


def test_values_block_goes_inside_the_where_group_not_into_strings_or_comments():
    text = '# WHERE { in a comment\nSELECT ?s WHERE { ?s ?p "WHERE {" }'
    bound = bind_with_values(text, {"s": URIRef("http://e/a")})
    assert bound.endswith('WHERE { VALUES (?s) { (<http://e/a>) }  ?s ?p "WHERE {" }')


def test_results_serialise_to_standard_formats(example_store):
    result = example_store.query("SELECT ?rule ?text WHERE { ?rule pol:sourceText ?text } ORDER BY ?rule")
    parsed = json.loads(result.serialize("json"))
    assert parsed["head"]["vars"] == ["rule", "text"] and len(parsed["results"]["bindings"]) == 4
    assert result.serialize("csv").splitlines()[0] == "rule,text"
    assert result.serialize("tsv").splitlines()[0] == "?rule\t?text"
    import xml.etree.ElementTree as ET

    root = ET.fromstring(result.serialize("xml"))
    assert len(root.findall(".//{http://www.w3.org/2005/sparql-results#}result")) == 4
    with pytest.raises(QueryError, match="does not fit"):
        result.serialize("turtle")


@pytest.mark.parametrize("server_fixture", ["oxigraph_server", "virtuoso_server"])
def test_an_update_sent_to_a_read_only_endpoint_is_refused_and_changes_nothing(request, server_fixture):
    server = request.getfixturevalue(server_fixture)
    g = fresh_graph()
    with open_store(remote_store_url(server)) as writable:
        writable.replace_graph(g, triples(3))
    # No update URL: updates go to the query endpoint, which does not accept them anonymously.
    with open_store(server.query_url) as s:
        with pytest.raises(QueryError, match="refused|HTTP 4|HTTP 5") as info:
            s.replace_graph(g, triples(7, "z"))
        assert server.query_url in str(info.value)
        assert s.graphs()[g] == 3
        assert not any(str(x).startswith(STAGING_PREFIX) for x in s.graphs())


def test_remote_named_queries_and_validation_match_the_embedded_store(tmp_path):
    from kg.checks import check_store
    from kg.query_library import run_named
    from sparql_servers import start_oxigraph

    server = start_oxigraph(tmp_path)  # its own, empty: the shared one holds other tests' data
    remote = open_store(remote_store_url(server))
    local = open_store("memory:")
    for s in (remote, local):
        s.import_file(EXAMPLE_TTL)
    for name, binds in [("rules-by-bearer", {"bearer": Literal("supplier")}), ("rules-by-bearer", {"bearer": Literal("sales employee")}), ("conflicts", {}), ("overrides", {})]:
        a = sorted(map(str, run_named(remote, name, binds).rows))
        b = sorted(map(str, run_named(local, name, binds).rows))
        assert a == b, name
    remote_report, local_report = check_store(remote, owl=False), check_store(local, owl=False)
    assert remote_report.ok and local_report.ok and remote_report.triples == local_report.triples
    server.stop()
