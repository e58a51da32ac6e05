"""The real SPARQL servers of tests/sparql_servers.py: start, SPARQL 1.1 over HTTP, stop.

One server start per kind (module-scoped fixture): Oxigraph about 0.1 s, Virtuoso about 2 s.
Virtuoso is skipped, with the reason, where it is not installed (.ci/install-virtuoso.sh).
"""

from __future__ import annotations

import pytest

from sparql_servers import (
    RunningServer,
    oxigraph_available,
    port_is_open,
    sparql_query,
    sparql_update,
    start_oxigraph,
    start_virtuoso,
    virtuoso_available,
)

GRAPH = "urn:test:servers"


def _bindings(answer) -> list[dict]:
    assert answer.status == 200, answer.text
    assert answer.content_type.startswith("application/sparql-results+json")
    return answer.json()["results"]["bindings"]


def _ask(server: RunningServer, where: str) -> bool:
    answer = sparql_query(server, f"ASK {{ {where} }}")
    assert answer.status == 200, answer.text
    return answer.json()["boolean"]


def _count(server: RunningServer, graph: str) -> int:
    rows = _bindings(sparql_query(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    return int(rows[0]["n"]["value"])


def _update_ok(server: RunningServer, update: str, **kwargs) -> None:
    answer = sparql_update(server, update, **kwargs)
    assert answer.ok, f"{server.name} refused the update (HTTP {answer.status}): {answer.text[:300]}"


@pytest.fixture(scope="module", params=["oxigraph", "virtuoso"])
def server(request, tmp_path_factory):
    name = request.param
    reason = oxigraph_available() if name == "oxigraph" else virtuoso_available()
    if reason:
        pytest.skip(reason)
    start = start_oxigraph if name == "oxigraph" else start_virtuoso
    running = start(tmp_path_factory.mktemp(name))
    assert port_is_open(running.port)
    yield running
    running.stop()
    assert not running.running
    still_open = [port for port in running.ports if port_is_open(port)]
    assert not still_open, f"{name} still listens on {still_open} after stop()"


def test_insert_select_ask_drop(server: RunningServer) -> None:
    _update_ok(server, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:test:a> <urn:test:p> "form" }} }}')
    _update_ok(server, f'INSERT DATA {{ GRAPH <{GRAPH}> {{ <urn:test:a> <urn:test:p> "direct" }} }}', body="direct")

    rows = _bindings(sparql_query(server, f"SELECT ?o WHERE {{ GRAPH <{GRAPH}> {{ <urn:test:a> ?p ?o }} }} ORDER BY ?o"))
    assert [row["o"]["value"] for row in rows] == ["direct", "form"]
    assert _ask(server, f"GRAPH <{GRAPH}> {{ <urn:test:a> <urn:test:p> \"form\" }}")

    # DROP SILENT: Virtuoso refuses a plain DROP of a graph that was never CREATEd (HTTP 500).
    _update_ok(server, f"DROP SILENT GRAPH <{GRAPH}>")
    assert not _ask(server, f"GRAPH <{GRAPH}> {{ ?s ?p ?o }}")


def test_construct_as_n_triples(server: RunningServer) -> None:
    graph = f"{GRAPH}:construct"
    _update_ok(server, f"INSERT DATA {{ GRAPH <{graph}> {{ <urn:test:a> <urn:test:p> 1, 2, 3 }} }}")
    answer = sparql_query(
        server, f"CONSTRUCT {{ ?s ?p ?o }} WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}", accept="application/n-triples"
    )
    assert answer.status == 200, answer.text
    assert answer.content_type.startswith("application/n-triples")
    lines = [line for line in answer.text.splitlines() if line.strip() and not line.startswith("#")]
    assert len(lines) == 3 and all(line.rstrip().endswith(".") for line in lines)


def test_multi_operation_update(server: RunningServer) -> None:
    graph = f"{GRAPH}:multi"
    for value in ("first", "second"):
        _update_ok(server, f'DROP SILENT GRAPH <{graph}> ; INSERT DATA {{ GRAPH <{graph}> {{ <urn:test:a> <urn:test:p> "{value}" }} }}')
    rows = _bindings(sparql_query(server, f"SELECT ?o WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    assert [row["o"]["value"] for row in rows] == ["second"]


def test_malformed_query_and_update_are_400(server: RunningServer) -> None:
    query = sparql_query(server, "SELECT * WHERE { ?s ?p }")
    update = sparql_update(server, "INSERT DATA { GRAPH <urn:test:x> { <urn:test:s> <urn:test:p> } }")
    for answer in (query, update):
        assert answer.status == 400
        assert answer.content_type.startswith("text/plain") and answer.text.strip()


def test_many_failed_updates_do_not_break_digest_auth(server: RunningServer) -> None:
    # urllib's HTTPDigestAuthHandler gives up for good after 6 failures when it is shared.
    for _ in range(7):
        assert sparql_update(server, "INSERT DATA { nonsense }").status == 400
    _update_ok(server, f"INSERT DATA {{ GRAPH <{GRAPH}:after> {{ <urn:test:a> <urn:test:p> 1 }} }}")


def test_bulk_insert_and_more_rows_than_virtuoso_default_limit(server: RunningServer) -> None:
    # 10,500 triples in GRAPH blocks of 4,000 (Virtuoso's parser fails above ~4,990 per block),
    # then all of them back: more than Debian's ResultSetMaxRows of 10,000, lifted by our ini.
    graph, total, per_block = f"{GRAPH}:bulk", 10_500, 4000
    lines = [f"<urn:test:s{i}> <urn:test:p> <urn:test:o{i % 10}> ." for i in range(total)]
    blocks = "\n".join(
        f"GRAPH <{graph}> {{\n" + "\n".join(lines[i : i + per_block]) + "\n}" for i in range(0, total, per_block)
    )
    _update_ok(server, f"INSERT DATA {{\n{blocks}\n}}", body="direct")
    assert _count(server, graph) == total
    rows = _bindings(sparql_query(server, f"SELECT ?s WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}"))
    assert len(rows) == total


def test_update_access(server: RunningServer) -> None:
    insert = f"INSERT DATA {{ GRAPH <{GRAPH}:anon> {{ <urn:test:a> <urn:test:p> 1 }} }}"
    anonymous = sparql_update(server, insert, authenticate=False)
    if server.username is None:  # oxigraph: no authentication at all
        assert anonymous.status == 204
        return
    assert anonymous.status == 401  # virtuoso: /sparql-auth wants digest credentials
    on_query_endpoint = RunningServer("anonymous", server.query_url, server.query_url, None, None)
    refused = sparql_update(on_query_endpoint, insert)
    assert refused.status == 500 and "SECURITY" in refused.text
    assert _count(server, f"{GRAPH}:anon") == 0


def test_oxigraph_stop_closes_port(tmp_path) -> None:
    if reason := oxigraph_available():
        pytest.skip(reason)
    with start_oxigraph(tmp_path) as running:
        assert running.startup_seconds < 10
        assert _ask(running, "")
        port = running.port
    assert not running.running
    assert not port_is_open(port)
    running.stop()  # idempotent
