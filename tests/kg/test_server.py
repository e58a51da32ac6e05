"""The SPARQL 1.1 Protocol endpoint (kg.server), exercised over real HTTP with real clients.

No mocks: an in-memory store from open_store, a server on a free port in a thread, and
SPARQLWrapper, rdflib's SPARQLStore, urllib and http.client as the clients.
"""

from __future__ import annotations

import http.client
import json
import os
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from contextlib import contextmanager
from pathlib import Path
from xml.dom.minidom import Document

import pytest
from rdflib import RDFS, Graph, Literal, Namespace, URIRef
from rdflib.plugins.stores.sparqlstore import SPARQLStore
from SPARQLWrapper import CSV, JSON, POST, POSTDIRECTLY, TSV, TURTLE, URLENCODED, XML, SPARQLWrapper

from kg.errors import StudioError
from kg.server import ServerConfig, SparqlServer
from kg.store import open_store

EX = Namespace("urn:ex:")
DATA = URIRef("urn:ex:graph")
TOKEN = "s3cret-token-for-tests"
TRIPLES = [
    (EX.alice, EX.knows, EX.bob),
    (EX.alice, RDFS.label, Literal("Alice", lang="en")),
    (EX.bob, RDFS.label, Literal("Bob")),
    (EX.bob, EX.age, Literal(42)),
]
PROLOGUE = "PREFIX ex: <urn:ex:>\nPREFIX rdfs: <http://www.w3.org/2000/01/rdf-schema#>\n"
NAMES = PROLOGUE + "SELECT ?name WHERE { GRAPH <urn:ex:graph> { ?s rdfs:label ?name } } ORDER BY ?name"
ASK = PROLOGUE + "ASK { GRAPH <urn:ex:graph> { ex:alice ex:knows ex:bob } }"
CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <urn:ex:graph> { ?s ?p ?o } }"
INSERT = "INSERT DATA { GRAPH <urn:ex:graph> { <urn:ex:carol> <http://www.w3.org/2000/01/rdf-schema#label> \"Carol\" } }"
ALL_ROWS = "SELECT ?s ?p ?o WHERE { GRAPH <urn:ex:graph> { ?s ?p ?o } }"
# RDF/XML cannot write a predicate IRI that has no XML-name ending (here: all digits).
ODD = URIRef("urn:ex:odd")
ODD_TRIPLES = [(EX.alice, URIRef("http://example.org/article/7"), Literal("first"))]
ODD_CONSTRUCT = "CONSTRUCT { ?s ?p ?o } WHERE { GRAPH <urn:ex:odd> { ?s ?p ?o } }"

# A two-way self-join over HEAVY_TRIPLES triples whose FILTER never holds: nothing streams out,
# so the deadline can only be noticed from outside; it costs about 1 s of CPU (4 million pairs).
HEAVY_TRIPLES = 2000
HEAVY = (
    "SELECT ?a ?b WHERE { GRAPH <urn:ex:heavy> { ?a <urn:ex:n> ?x . ?b <urn:ex:n> ?y } "
    "FILTER(?x + ?y < 0) }"
)


# -- fixtures and helpers --------------------------------------------------------------------
@contextmanager
def running(store, **config):
    config.setdefault("quiet", True)
    server = SparqlServer(store, ServerConfig(port=0, **config))
    server.start_in_thread()
    try:
        yield server
    finally:
        server.shutdown()


@pytest.fixture(scope="module")
def store():
    store = open_store("memory:")
    store.replace_graphs({DATA: TRIPLES, ODD: ODD_TRIPLES})
    yield store
    store.close()


@pytest.fixture(scope="module")
def server(store):
    with running(store) as server:
        yield server


@pytest.fixture
def update_server():
    store = open_store("memory:")
    store.replace_graph(DATA, TRIPLES)
    with running(store, allow_update=True, token=TOKEN) as server:
        yield server
    store.close()


@pytest.fixture(scope="session")
def linear_prologue():
    """rdflib's SPARQLStore sends ~30 PREFIX lines with every query. Should the store's query/update
    detection backtrack exponentially on such a prologue, fail here instead of hanging the run: a
    regular expression holds the GIL, so nothing in this process could time it out."""
    prologue = "".join(f"PREFIX p{i}: <http://example.org/{i}/>\n" for i in range(30))
    code = f"from kg.store import query_kind_hint; query_kind_hint({prologue + 'SELECT * WHERE {}'!r})"
    root = str(Path(__file__).resolve().parents[2])
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [root, os.environ.get("PYTHONPATH")]))}
    try:
        subprocess.run([sys.executable, "-c", code], env=env, timeout=15, capture_output=True)
    except subprocess.TimeoutExpired:
        pytest.fail("kg.store.query_kind_hint takes exponential time on a query with 30 PREFIX lines (regex backtracking)")


def call(url, *, method="GET", params=None, body=None, headers=None):
    """(status, headers, text) of one request; HTTP errors are answers like any other."""
    if params:
        url += "?" + urllib.parse.urlencode(params, doseq=True)
    data = body.encode("utf-8") if isinstance(body, str) else body
    request = urllib.request.Request(url, data=data, method=method, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=30) as response:
            return response.status, response.headers, response.read().decode("utf-8")
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers, exc.read().decode("utf-8")


def query(server, sparql, accept=None, **params):
    return call(server.url, params={"query": sparql, **params}, headers={"Accept": accept} if accept else {})


def post_form(server, fields, headers=None):
    return call(
        server.url,
        method="POST",
        body=urllib.parse.urlencode(fields),
        headers={"Content-Type": "application/x-www-form-urlencoded", **(headers or {})},
    )


def post_body(server, text, content_type, headers=None, params=None):
    return call(server.url, method="POST", body=text, params=params, headers={"Content-Type": content_type, **(headers or {})})


def names_from_json(text):
    return [b["name"]["value"] for b in json.loads(text)["results"]["bindings"]]


# -- clients: SPARQLWrapper --------------------------------------------------------------------
def test_sparqlwrapper_json(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(NAMES)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    assert [b["name"]["value"] for b in answer["results"]["bindings"]] == ["Alice", "Bob"]
    assert answer["results"]["bindings"][0]["name"]["xml:lang"] == "en"


def test_sparqlwrapper_xml(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(NAMES)
    client.setReturnFormat(XML)
    document = client.query().convert()
    assert isinstance(document, Document)
    literals = document.getElementsByTagName("literal")
    assert [node.firstChild.data for node in literals] == ["Alice", "Bob"]
    assert literals[0].getAttribute("xml:lang") == "en"


def test_sparqlwrapper_csv(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(NAMES)
    client.setReturnFormat(CSV)
    assert client.query().convert().decode() == "name\r\nAlice\r\nBob\r\n"


def test_sparqlwrapper_tsv(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(NAMES)
    client.setReturnFormat(TSV)  # sends format=tsv and format=text/tab-separated-values
    assert client.query().convert().decode() == '?name\n"Alice"@en\n"Bob"\n'


def test_sparqlwrapper_ask(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(ASK)
    client.setReturnFormat(JSON)
    assert client.query().convert()["boolean"] is True


def test_sparqlwrapper_construct_turtle(server):
    client = SPARQLWrapper(server.url)
    client.setQuery(CONSTRUCT)
    client.setReturnFormat(TURTLE)
    response = client.query()
    assert response.info()["content-type"].startswith("text/turtle")
    graph = Graph().parse(data=response.convert().decode(), format="turtle")
    assert set(graph) == set(TRIPLES)


@pytest.mark.parametrize("request_method", [URLENCODED, POSTDIRECTLY], ids=["form", "body"])
def test_sparqlwrapper_post(server, request_method):
    client = SPARQLWrapper(server.url)
    client.setMethod(POST)
    client.setRequestMethod(request_method)
    client.setQuery(NAMES)
    client.setReturnFormat(JSON)
    answer = client.query().convert()
    assert [b["name"]["value"] for b in answer["results"]["bindings"]] == ["Alice", "Bob"]


# -- clients: rdflib's SPARQLStore -----------------------------------------------------------
@pytest.mark.parametrize("method", ["GET", "POST", "POST_FORM"])
def test_rdflib_sparqlstore(server, method, linear_prologue):
    graph = Graph(store=SPARQLStore(server.url, method=method))
    rows = list(graph.query(NAMES))
    assert [row.name for row in rows] == [Literal("Alice", lang="en"), Literal("Bob")]
    assert graph.query(ASK).askAnswer is True


def test_rdflib_sparqlstore_construct(server, linear_prologue):
    graph = Graph(store=SPARQLStore(server.url))
    answer = graph.query(CONSTRUCT)
    assert set(answer.graph) == set(TRIPLES)


# -- raw protocol: the three ways to send a query ------------------------------------------------
def test_query_by_get(server):
    status, headers, text = query(server, NAMES)
    assert status == 200
    assert headers["Content-Type"] == "application/sparql-results+json"
    assert names_from_json(text) == ["Alice", "Bob"]


def test_query_by_post_form(server):
    status, headers, text = post_form(server, {"query": NAMES})
    assert status == 200
    assert names_from_json(text) == ["Alice", "Bob"]


def test_query_by_post_body(server):
    status, headers, text = post_body(server, NAMES, "application/sparql-query; charset=utf-8")
    assert status == 200
    assert names_from_json(text) == ["Alice", "Bob"]


def test_query_by_post_body_with_format_in_url(server):
    status, headers, text = post_body(server, NAMES, "application/sparql-query", params={"format": "csv"})
    assert status == 200
    assert headers["Content-Type"].startswith("text/csv")
    assert text == "name\r\nAlice\r\nBob\r\n"


# -- content negotiation ------------------------------------------------------------------------
def _graph_of(text, content_type):
    fmt = {
        "text/turtle": "turtle",
        "application/n-triples": "nt",
        "application/ld+json": "json-ld",
        "application/rdf+xml": "xml",
    }[content_type.split(";")[0]]
    return set(Graph().parse(data=text, format=fmt))


@pytest.mark.filterwarnings("ignore:ConjunctiveGraph is deprecated:DeprecationWarning")
@pytest.mark.parametrize(
    "sparql, accept, expected",
    [
        (NAMES, None, "application/sparql-results+json"),
        (NAMES, "*/*", "application/sparql-results+json"),
        (NAMES, "application/sparql-results+xml", "application/sparql-results+xml"),
        (NAMES, "text/csv", "text/csv"),
        (NAMES, "text/tab-separated-values", "text/tab-separated-values"),
        (NAMES, "text/csv;q=0.5, text/tab-separated-values", "text/tab-separated-values"),
        (NAMES, "text/*;q=0.9, application/sparql-results+xml;q=0.2", "text/csv"),
        (NAMES, "application/json", "application/json"),
        (NAMES, "application/sparql-results+json;q=0, */*;q=0.1", "application/sparql-results+xml"),
        (NAMES, "text/html,application/xhtml+xml,application/xml;q=0.9,*/*;q=0.8", "application/xml"),
        (ASK, "text/csv", "text/csv"),
        (CONSTRUCT, None, "text/turtle"),
        (CONSTRUCT, "*/*", "text/turtle"),
        (CONSTRUCT, "application/n-triples", "application/n-triples"),
        (CONSTRUCT, "application/ld+json", "application/ld+json"),
        (CONSTRUCT, "application/rdf+xml", "application/rdf+xml"),
        (CONSTRUCT, "application/sparql-results+json, text/turtle;q=0.5", "text/turtle"),
        (CONSTRUCT, "text/turtle;q=0.4, application/n-triples;q=0.8", "application/n-triples"),
    ],
    ids=[
        "select-default", "select-any", "select-xml", "select-csv", "select-tsv", "select-q",
        "select-text-wildcard", "select-application-json", "select-q0-excludes", "select-browser",
        "ask-csv", "construct-default", "construct-any", "construct-ntriples", "construct-jsonld",
        "construct-rdfxml", "construct-skips-results-type", "construct-q",
    ],
)
def test_content_negotiation(server, sparql, accept, expected):
    status, headers, text = query(server, sparql, accept)
    assert status == 200, text
    assert headers["Content-Type"].split(";")[0] == expected
    assert "Accept" in headers["Vary"]
    if sparql == CONSTRUCT:
        assert _graph_of(text, expected) == set(TRIPLES)
    elif sparql == ASK:
        assert text == "_askResult\r\ntrue\r\n"
    elif expected.endswith("json"):
        assert names_from_json(text) == ["Alice", "Bob"]
    else:
        assert "Alice" in text and "Bob" in text


@pytest.mark.parametrize(
    "sparql, fmt, expected",
    [
        (NAMES, "csv", "text/csv"),
        (NAMES, "tsv", "text/tab-separated-values"),
        (NAMES, "xml", "application/sparql-results+xml"),
        (NAMES, "text/tab-separated-values", "text/tab-separated-values"),
        (CONSTRUCT, "json", "application/ld+json"),
        (CONSTRUCT, "nt", "application/n-triples"),
        (CONSTRUCT, "xml", "application/rdf+xml"),
    ],
    ids=["csv", "tsv", "xml", "media-type", "construct-json-is-jsonld", "construct-nt", "construct-xml"],
)
def test_format_parameter_overrides_accept(server, sparql, fmt, expected):
    status, headers, _ = query(server, sparql, "application/sparql-results+json, text/turtle", format=fmt)
    assert status == 200
    assert headers["Content-Type"].split(";")[0] == expected


@pytest.mark.parametrize(
    "sparql, accept, params",
    [
        (NAMES, "image/png", {}),
        (NAMES, "application/sparql-results+json;q=0", {}),
        (CONSTRUCT, "text/csv, application/sparql-results+json", {}),
        (NAMES, None, {"format": "turtle"}),
        (CONSTRUCT, None, {"format": "csv"}),
    ],
    ids=["select-png", "select-q0", "construct-results-types", "select-format-turtle", "construct-format-csv"],
)
def test_not_acceptable(server, sparql, accept, params):
    status, headers, text = query(server, sparql, accept, **params)
    assert status == 406
    assert headers["Content-Type"].startswith("text/plain")
    assert "Traceback" not in text
    assert ("application/sparql-results+json" in text) or ("text/turtle" in text) or ("turtle" in text)


def test_falls_back_when_a_format_cannot_hold_the_answer(server):
    status, headers, text = query(server, ODD_CONSTRUCT, "application/rdf+xml, text/turtle;q=0.5")
    assert status == 200
    assert headers["Content-Type"].startswith("text/turtle")
    assert set(Graph().parse(data=text, format="turtle")) == set(ODD_TRIPLES)
    status, _, text = query(server, ODD_CONSTRUCT, "application/rdf+xml")
    assert status == 406
    assert "cannot be written" in text and "rdfxml" in text


def test_long_prologue_is_cheap(server, linear_prologue):
    prologue = "".join(f"# prefix {i} # of many\nPREFIX p{i}: <http://example.org/{i}/>\n" for i in range(40))
    started = time.monotonic()
    status, _, text = query(server, prologue + NAMES)
    assert status == 200, text
    assert names_from_json(text) == ["Alice", "Bob"]
    assert time.monotonic() - started < 2
    status, _, text = query(server, prologue + INSERT)
    assert status == 400 and "update (INSERT)" in text


# -- updates ------------------------------------------------------------------------------------


@pytest.mark.parametrize("how", ["form", "body"])
def test_update_refused_when_not_allowed(server, how):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    if how == "form":
        status, _, text = post_form(server, {"update": INSERT}, auth)
    else:
        status, _, text = post_body(server, INSERT, "application/sparql-update", auth)
    assert status == 403
    assert "read-only" in text and "updates are disabled" in text
    assert names_from_json(query(server, NAMES)[2]) == ["Alice", "Bob"]


@pytest.mark.parametrize(
    "authorization",
    [None, "Bearer wrong-token-wrong-token", f"Basic {TOKEN}", f"Bearer {TOKEN}x", "Bearer"],
    ids=["missing", "wrong", "wrong-scheme", "longer", "empty"],
)
def test_update_needs_the_token(update_server, authorization):
    headers = {"Authorization": authorization} if authorization else {}
    status, response_headers, text = post_body(update_server, INSERT, "application/sparql-update", headers)
    assert status == 401
    assert response_headers["WWW-Authenticate"].startswith("Bearer")
    assert "Bearer" in text
    assert names_from_json(query(update_server, NAMES)[2]) == ["Alice", "Bob"]


@pytest.mark.parametrize("how", ["form", "body"])
def test_update_with_token(update_server, how):
    auth = {"Authorization": f"Bearer {TOKEN}"}
    if how == "form":
        status, _, text = post_form(update_server, {"update": INSERT}, auth)
    else:
        status, _, text = post_body(update_server, INSERT, "application/sparql-update; charset=UTF-8", auth)
    assert status == 200, text
    assert names_from_json(query(update_server, NAMES)[2]) == ["Alice", "Bob", "Carol"]


def test_update_with_sparqlwrapper(update_server):
    client = SPARQLWrapper(update_server.url)
    client.setMethod(POST)
    client.addCustomHttpHeader("Authorization", f"Bearer {TOKEN}")
    client.setQuery(PROLOGUE + "DELETE WHERE { GRAPH <urn:ex:graph> { ex:bob rdfs:label ?name } }")
    client.query()
    assert names_from_json(query(update_server, NAMES)[2]) == ["Alice"]


def test_malformed_update(update_server):
    status, _, text = post_body(
        update_server, "INSERT DATA { <urn:a> <urn:b> }", "application/sparql-update", {"Authorization": f"Bearer {TOKEN}"}
    )
    assert status == 400
    assert "line 1" in text and "column" in text


def test_query_sent_as_update(update_server):
    status, _, text = post_body(update_server, NAMES, "application/sparql-update", {"Authorization": f"Bearer {TOKEN}"})
    assert status == 400
    assert "query, not an update" in text


@pytest.mark.parametrize("how", ["get", "form", "body"])
def test_update_sent_as_query(update_server, how):
    if how == "get":
        status, _, text = query(update_server, INSERT)
    elif how == "form":
        status, _, text = post_form(update_server, {"query": INSERT})
    else:
        status, _, text = post_body(update_server, INSERT, "application/sparql-query")
    assert status == 400
    assert "update (INSERT), not a query" in text
    assert names_from_json(query(update_server, NAMES)[2]) == ["Alice", "Bob"]


def test_update_by_get_is_refused(update_server):
    status, _, text = call(update_server.url, params={"update": INSERT})
    assert status == 400
    assert "POST" in text


def test_allow_update_on_read_only_store_is_refused(tmp_path):
    with open_store(f"oxigraph:{tmp_path / 'store'}") as writable:
        writable.replace_graph(DATA, TRIPLES)
    with open_store(f"oxigraph:{tmp_path / 'store'}", read_only=True) as read_only:
        with pytest.raises(ValueError, match="read-only"):
            SparqlServer(read_only, ServerConfig(port=0, allow_update=True, token=TOKEN))


# -- errors ----------------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "sparql, line",
    [("SELECT * WHERE { ?s ?p }", 1), (PROLOGUE + "SELECT ?s WHERE {\n  ?s ?p ?o\n  FILTER(\n}", 6)],
    ids=["one-line", "multi-line"],
)
def test_malformed_query(server, sparql, line):
    status, headers, text = query(server, sparql)
    assert status == 400
    assert headers["Content-Type"].startswith("text/plain")
    assert f"line {line}" in text and "column" in text
    assert "Traceback" not in text


@pytest.mark.parametrize("param", ["default-graph-uri", "named-graph-uri"])
def test_dataset_parameters_not_supported(server, param):
    status, _, text = query(server, NAMES, **{param: str(DATA)})
    assert status == 400
    assert f"{param} is not supported" in text


@pytest.mark.parametrize("value", ["0", "-1", "soon", "nan", "inf"])
def test_bad_timeout_parameter(server, value):
    status, _, text = query(server, NAMES, timeout=value)
    assert status == 400
    assert "timeout" in text


def test_description_page(server):
    status, headers, text = call(server.url, headers={"Accept": "text/html"})
    assert status == 200 and headers["Content-Type"].startswith("text/html")
    assert "SPARQL" in text and "<form" in text
    status, headers, text = call(server.url, headers={"Accept": "text/plain"})
    assert status == 200 and headers["Content-Type"].startswith("text/plain")
    assert server.url in text
    status, headers, text = call(server.url, headers={"Accept": "text/turtle"})
    assert status == 200
    description = Graph().parse(data=text, format="turtle")
    assert (URIRef(server.url), None, None) in description


@pytest.mark.parametrize(
    "method, path, body, headers, expected",
    [
        ("GET", "/elsewhere", None, {}, 404),
        ("PUT", "", "x", {"Content-Type": "text/plain"}, 405),
        ("DELETE", "", None, {}, 405),
        ("POST", "", NAMES, {"Content-Type": "text/plain"}, 415),
        ("POST", "", "format=json", {"Content-Type": "application/x-www-form-urlencoded"}, 400),
        ("POST", "", b"\xff\xfe", {"Content-Type": "application/sparql-query"}, 400),
        ("POST", "", NAMES, {"Content-Type": "application/sparql-query; charset=klingon"}, 415),
        ("GET", "?format=json&foo=bar", None, {}, 400),
    ],
    ids=["wrong-path", "put", "delete", "wrong-content-type", "form-without-query", "bad-utf8", "bad-charset", "no-query"],
)
def test_protocol_errors(server, method, path, body, headers, expected):
    base = server.url.rsplit("/", 1)[0] if path.startswith("/") else server.url
    status, response_headers, text = call(base + path, method=method, body=body, headers=headers)
    assert status == expected, text
    assert response_headers["Content-Type"].startswith("text/plain")
    if expected == 405:
        assert "POST" in response_headers["Allow"]


def test_body_too_large(store):
    with running(store, max_body=1000) as server:
        parts = urllib.parse.urlsplit(server.url)
        connection = http.client.HTTPConnection(parts.hostname, parts.port, timeout=10)
        try:
            connection.putrequest("POST", parts.path)
            connection.putheader("Content-Type", "application/sparql-query")
            connection.putheader("Content-Length", "20000000")
            connection.endheaders()  # the body is never sent: the server answers from the headers
            response = connection.getresponse()
            assert response.status == 413
            assert "20000000 bytes" in response.read().decode()
        finally:
            connection.close()
        assert query(server, NAMES)[0] == 200


def test_default_body_limit_is_ten_megabytes():
    assert ServerConfig().max_body == 10 * 1024 * 1024


def test_store_failure_is_500_without_traceback():
    broken = open_store("memory:")
    broken.close()  # every query on it now fails inside the store
    with running(broken) as server:
        status, headers, text = query(server, "ASK {}")
    assert status == 500
    assert headers["Content-Type"].startswith("text/plain")
    assert "Traceback" not in text and "File " not in text


def test_one_log_line_per_request(store, capfd):
    with running(store, quiet=False) as server:
        capfd.readouterr()
        query(server, NAMES)
        query(server, "SELECT * WHERE {")
        # The handler logs after the response is sent, so the client can be a moment ahead.
        err = ""
        deadline = time.monotonic() + 5
        while err.count("/sparql") < 2 and time.monotonic() < deadline:
            time.sleep(0.01)
            err += capfd.readouterr().err
    lines = [line for line in err.splitlines() if "/sparql" in line]
    assert len(lines) == 2
    assert " GET /sparql 200 " in lines[0] and lines[0].endswith(" ms")
    assert " GET /sparql 400 " in lines[1]
    assert "SELECT" not in err  # the query text stays out of the log


def test_quiet_server_logs_nothing(server, capfd):
    capfd.readouterr()
    query(server, NAMES)
    assert capfd.readouterr().err == ""


# -- limits ----------------------------------------------------------------------------------------
@pytest.fixture(scope="module")
def small_server(store):
    with running(store, max_rows=2) as server:
        yield server


@pytest.mark.parametrize(
    "sparql, accept, size, truncated",
    [
        (ALL_ROWS, "text/csv", 2, True),
        (ALL_ROWS + " LIMIT 2", "text/csv", 2, False),
        (CONSTRUCT, "application/n-triples", 2, True),
        (ASK, "text/csv", 1, False),
    ],
    ids=["select-cut", "select-fits", "construct-cut", "ask"],
)
def test_max_rows(small_server, sparql, accept, size, truncated):
    status, headers, text = query(small_server, sparql, accept)
    assert status == 200
    lines = [line for line in text.splitlines() if line]
    assert len(lines) - (1 if accept == "text/csv" else 0) == size
    assert headers.get("X-Studio-Truncated") == ("true" if truncated else None)


@pytest.fixture(scope="module")
def heavy_store():
    store = open_store("memory:")
    store.replace_graph(URIRef("urn:ex:heavy"), [(EX[f"s{i}"], EX.n, Literal(i)) for i in range(HEAVY_TRIPLES)])
    yield store
    store.close()


@pytest.mark.parametrize(
    "config_timeout, param",
    [(30.0, "0.2"), (0.2, "60")],
    ids=["request-parameter", "config-caps-parameter"],
)
def test_timeout(heavy_store, config_timeout, param):
    with running(heavy_store, timeout=config_timeout, max_concurrent=1, queue_wait=0.1) as server:
        started = time.monotonic()
        status, headers, text = query(server, HEAVY, timeout=param)
        answered = time.monotonic() - started
        assert status == 503, text
        assert "0.2 s timeout" in text
        assert "Traceback" not in text
        assert answered < 1.0  # answered at the deadline, not when the query gave up
        # The runaway query keeps computing in its worker and keeps its slot meanwhile.
        assert server.active == 1
        status, headers, text = query(server, "ASK {}")
        assert status == 503 and "busy" in text
        assert headers["Retry-After"]
        # It ends by itself within seconds; then the slot is free again.
        deadline = time.monotonic() + 20
        while server.active and time.monotonic() < deadline:
            time.sleep(0.05)
        assert server.active == 0
        assert query(server, ASK)[0] == 200


# -- configuration ---------------------------------------------------------------------------------
@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"port": -1}, "port"),
        ({"port": 65536}, "port"),
        ({"port": "7878"}, "port"),
        ({"port": True}, "port"),
        ({"host": ""}, "host"),
        ({"path": "sparql"}, "path"),
        ({"path": "/spa rql"}, "path"),
        ({"path": "/sparql?x"}, "path"),
        ({"timeout": 0}, "timeout"),
        ({"timeout": -1.5}, "timeout"),
        ({"timeout": float("inf")}, "timeout"),
        ({"max_rows": 0}, "max_rows"),
        ({"max_rows": 1.5}, "max_rows"),
        ({"max_concurrent": 0}, "max_concurrent"),
        ({"queue_wait": -1}, "queue_wait"),
        ({"max_body": 0}, "max_body"),
        ({"allow_update": True}, "token"),
        ({"allow_update": True, "token": "short"}, "too short"),
        ({"token": "fifteen-chars!!"}, "too short"),
        ({"token": "has spaces in the token"}, "token"),
    ],
    ids=[
        "port-negative", "port-too-big", "port-string", "port-bool", "host-empty", "path-no-slash",
        "path-space", "path-query", "timeout-zero", "timeout-negative", "timeout-infinite",
        "max-rows-zero", "max-rows-float", "max-concurrent-zero", "queue-wait-negative",
        "max-body-zero", "update-without-token", "update-short-token", "short-token", "token-spaces",
    ],
)
def test_config_validation(kwargs, message):
    with pytest.raises(ValueError, match=message):
        ServerConfig(**kwargs)


def test_config_defaults_and_valid_values():
    config = ServerConfig()
    assert (config.host, config.port, config.path, config.timeout) == ("127.0.0.1", 7878, "/sparql", 30.0)
    assert (config.max_rows, config.allow_update, config.token, config.max_concurrent) == (100_000, False, None, 4)
    ServerConfig(port=0, allow_update=True, token="x" * 16, path="/a/b", timeout=0.5)


def test_url_and_port_in_use(store):
    with running(store, path="/kg/sparql") as first:
        assert first.url == f"http://127.0.0.1:{first.port}/kg/sparql"
        assert query(first, ASK)[0] == 200
        with pytest.raises(StudioError, match="cannot listen"):
            SparqlServer(store, ServerConfig(port=first.port))


def test_shutdown_is_idempotent_and_frees_the_port(store):
    server = SparqlServer(store, ServerConfig(port=0, quiet=True))
    server.start_in_thread()
    port = server.port
    server.shutdown()
    server.shutdown()
    again = SparqlServer(store, ServerConfig(port=port, quiet=True))
    again.shutdown()  # never started: must not hang
