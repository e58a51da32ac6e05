"""A SPARQL 1.1 Protocol endpoint over the policy store, on the standard library alone.

``studio serve`` runs one of these; tests and notebooks start one in a thread::

    server = SparqlServer(open_store("memory:"), ServerConfig(port=0))
    server.start_in_thread()
    ...  # query server.url with SPARQLWrapper, rdflib's SPARQLStore, curl ...
    server.shutdown()

What it speaks (https://www.w3.org/TR/sparql11-protocol/):

* queries by ``GET ?query=``, ``POST`` of an ``application/x-www-form-urlencoded`` form with
  ``query=``, or ``POST`` of an ``application/sparql-query`` body;
* updates, when the server allows them, by ``POST`` of a form with ``update=`` or of an
  ``application/sparql-update`` body, with ``Authorization: Bearer TOKEN``;
* content negotiation from the ``Accept`` header (q-values and wildcards), or a ``format`` (or
  ``output``) parameter such as ``format=csv`` that overrides it. SELECT and ASK answers come as
  SPARQL JSON (the default), XML, CSV or TSV; CONSTRUCT and DESCRIBE answers as Turtle (the
  default), N-Triples, JSON-LD or RDF/XML;
* an optional ``timeout`` parameter (seconds) that can shorten, never lengthen, the configured
  per-query timeout.

The default graph of every query is the union of the store's named graphs. ``default-graph-uri``
and ``named-graph-uri`` (and ``using-graph-uri`` / ``using-named-graph-uri`` for updates) are
refused with 400, since the store cannot narrow a query's dataset that way; name the graph with
``GRAPH <iri> { ... }`` in the query instead.

Status codes: 200 answer; 400 malformed request or query (the message names line and column);
401 wrong or missing token; 403 updates disabled; 404 other paths; 405 other methods; 406 no
acceptable format; 411/413 body without length or too large; 415 unsupported content type;
500 store failure (the message; a traceback goes only to the server's stderr); 503 query timeout or
server busy. When the preferred format cannot hold an answer (RDF/XML cannot write every predicate
IRI) the next acceptable one is used. One line per request goes to stderr unless ``quiet``.

Concurrency: at most ``max_concurrent`` queries and updates are evaluated at once; a request that
finds every slot taken waits up to ``queue_wait`` seconds, then gets 503 with ``Retry-After``.
A query that times out is answered 503 at once, but the store cannot always stop it: Oxigraph
checks the deadline between result rows, so a blocking operator (GROUP BY, ORDER BY, a join that
yields nothing for a long while) keeps computing in its worker thread (see
``kg.store._run_with_deadline``). Such a query keeps its slot until its worker really ends, so a
client cannot pile up runaway queries by retrying: the CPU stays bounded by ``max_concurrent``.
"""

from __future__ import annotations

import codecs
import hmac
import html
import itertools
import math
import re
import socket
import sys
import threading
import time
import traceback
import urllib.parse
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Callable, Mapping, TypeVar

from kg.errors import QueryError, QueryTimeout, StudioError
from kg.results import MEDIA_TYPES, QueryResult
from kg.store import PolicyStore

MAX_BODY_BYTES = 10 * 1024 * 1024
T = TypeVar("T")

# Media types offered per kind of answer, in the server's order of preference: the first one a
# client accepts as much as any other wins, so */* gets the default. (media type, format name
# for QueryResult.serialize, Content-Type sent back).
_RESULT_OFFERS: list[tuple[str, str, str]] = [
    ("application/sparql-results+json", "json", MEDIA_TYPES["json"]),
    ("application/sparql-results+xml", "xml", MEDIA_TYPES["xml"]),
    ("text/csv", "csv", MEDIA_TYPES["csv"]),
    ("text/tab-separated-values", "tsv", MEDIA_TYPES["tsv"]),
    ("application/json", "json", "application/json"),
    ("application/xml", "xml", "application/xml"),
    ("text/xml", "xml", "text/xml; charset=utf-8"),
]
_GRAPH_OFFERS: list[tuple[str, str, str]] = [
    ("text/turtle", "turtle", MEDIA_TYPES["turtle"]),
    ("application/n-triples", "ntriples", MEDIA_TYPES["ntriples"]),
    ("application/ld+json", "jsonld", MEDIA_TYPES["jsonld"]),
    ("application/rdf+xml", "rdfxml", MEDIA_TYPES["rdfxml"]),
    ("application/turtle", "turtle", "application/turtle"),
    ("application/x-turtle", "turtle", "application/x-turtle"),
    ("application/x-json+ld", "jsonld", "application/x-json+ld"),
    ("application/json", "jsonld", "application/json"),
    ("application/xml", "rdfxml", "application/xml"),
]
_OFFERS = {"select": _RESULT_OFFERS, "ask": _RESULT_OFFERS, "graph": _GRAPH_OFFERS}

# Values of the ``format``/``output`` parameter -> format name, per kind of answer. Media types
# from the offers above are accepted too (SPARQLWrapper sends both ``tsv`` and the media type).
_RESULT_FORMAT_NAMES = {"json": "json", "srj": "json", "xml": "xml", "srx": "xml", "csv": "csv", "tsv": "tsv"}
_GRAPH_FORMAT_NAMES = {
    "turtle": "turtle",
    "ttl": "turtle",
    "n3": "turtle",  # Turtle is a subset of N3
    "ntriples": "ntriples",
    "nt": "ntriples",
    "n-triples": "ntriples",
    "jsonld": "jsonld",
    "json-ld": "jsonld",
    "json": "jsonld",
    "rdfxml": "rdfxml",
    "rdf+xml": "rdfxml",
    "rdf": "rdfxml",
    "xml": "rdfxml",
}
_FORMAT_NAMES = {"select": _RESULT_FORMAT_NAMES, "ask": _RESULT_FORMAT_NAMES, "graph": _GRAPH_FORMAT_NAMES}
_CANONICAL = {
    fmt: next(o for o in offers if o[1] == fmt)
    for offers in (_RESULT_OFFERS, _GRAPH_OFFERS)
    for fmt in {o[1] for o in offers}
}

# The prologue (BASE, PREFIX, comments) is skipped one token at a time with patterns that cannot
# backtrack into each other, so a long prologue costs linear time, never exponential.
_PROLOGUE_TOKEN = re.compile(r"\s+|#[^\n]*|PREFIX\s*[^\s:<>]*:\s*<[^<>]*>|BASE\s*<[^<>]*>", re.IGNORECASE)
_KEYWORD = re.compile(r"[A-Za-z]+")
_FORM_KIND = {"SELECT": "select", "ASK": "ask", "CONSTRUCT": "graph", "DESCRIBE": "graph"}
_UPDATE_WORDS = {"INSERT", "DELETE", "DROP", "CLEAR", "LOAD", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_TOKEN_CHARS = re.compile(r"^[\x21-\x7e]+$")


@dataclass
class ServerConfig:
    """How ``SparqlServer`` listens and what it allows; every field is checked on creation."""

    host: str = "127.0.0.1"
    port: int = 7878  # 0 = pick a free port
    path: str = "/sparql"
    timeout: float = 30.0  # per-query seconds; a request's ``timeout`` parameter may only lower it
    max_rows: int = 100_000  # rows or triples per answer; cut answers carry X-Studio-Truncated: true
    allow_update: bool = False
    token: str | None = None  # Authorization: Bearer TOKEN, required for updates
    max_concurrent: int = 4  # queries and updates evaluated at once
    queue_wait: float = 2.0  # seconds a request waits for a free slot before 503
    max_body: int = MAX_BODY_BYTES  # request bodies above this get 413
    quiet: bool = False  # no per-request log lines on stderr

    def __post_init__(self) -> None:
        if not isinstance(self.host, str) or not self.host.strip():
            raise ValueError(f"host must be a host name or address, got {self.host!r}")
        if not _is_int(self.port) or not 0 <= self.port <= 65535:
            raise ValueError(f"port must be an integer from 0 (any free port) to 65535, got {self.port!r}")
        if not isinstance(self.path, str) or not self.path.startswith("/") or re.search(r"[\s?#]", self.path):
            raise ValueError(f"path must start with '/' and hold no spaces, '?' or '#', got {self.path!r}")
        if not _is_positive_number(self.timeout):
            raise ValueError(f"timeout must be a positive number of seconds, got {self.timeout!r}")
        if not _is_int(self.max_rows) or self.max_rows < 1:
            raise ValueError(f"max_rows must be a positive integer, got {self.max_rows!r}")
        if not _is_int(self.max_concurrent) or self.max_concurrent < 1:
            raise ValueError(f"max_concurrent must be a positive integer, got {self.max_concurrent!r}")
        if not (_is_positive_number(self.queue_wait) or self.queue_wait == 0) or isinstance(self.queue_wait, bool):
            raise ValueError(f"queue_wait must be zero or a positive number of seconds, got {self.queue_wait!r}")
        if not _is_int(self.max_body) or self.max_body < 1:
            raise ValueError(f"max_body must be a positive number of bytes, got {self.max_body!r}")
        if self.token is not None:
            if not isinstance(self.token, str) or not _TOKEN_CHARS.match(self.token):
                raise ValueError("token must be printable ASCII without spaces")
            if len(self.token) < 16:
                raise ValueError(
                    f"token is too short ({len(self.token)} characters); use at least 16, e.g. "
                    "python -c 'import secrets; print(secrets.token_urlsafe(32))'"
                )
        if self.allow_update and self.token is None:
            raise ValueError("allow_update needs a token (at least 16 characters) that update requests must carry")


def _is_int(value: object) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _is_positive_number(value: object) -> bool:
    return (
        isinstance(value, (int, float))
        and not isinstance(value, bool)
        and math.isfinite(value)
        and value > 0
    )


class _HttpError(Exception):
    """A response to send instead of an answer: status, plain-text message, extra headers."""

    def __init__(self, status: int, message: str, headers: Mapping[str, str] | None = None, close: bool = False):
        super().__init__(message)
        self.status = status
        self.message = message
        self.headers = dict(headers or {})
        self.close = close


class SparqlServer:
    """The SPARQL endpoint; binds its socket on creation, so ``url`` is known before serving."""

    def __init__(self, store: PolicyStore, config: ServerConfig | None = None) -> None:
        self.store = store
        self.config = config or ServerConfig()
        if self.config.allow_update and getattr(store, "read_only", False):
            raise ValueError(f"the store {store.url} is open read-only, so the server cannot allow updates")
        self._slots = threading.Semaphore(self.config.max_concurrent)
        self._active = 0
        self._active_lock = threading.Lock()
        self._counter = itertools.count(1)
        self._serving = threading.Event()
        self._thread: threading.Thread | None = None
        self._closed = False
        server_class = _V6Server if ":" in self.config.host else _Server
        try:
            self._httpd = server_class((self.config.host, self.config.port), _Handler)
        except OSError as exc:
            raise StudioError(
                f"cannot listen on {self.config.host}:{self.config.port}: {exc.strerror or exc}; "
                "choose another port (0 picks a free one) or stop the process that holds it"
            ) from exc
        self._httpd.app = self

    # -- lifecycle -------------------------------------------------------------------------
    @property
    def port(self) -> int:
        return self._httpd.server_address[1]

    @property
    def url(self) -> str:
        host = self.config.host
        if host in ("0.0.0.0", ""):
            host = "127.0.0.1"
        elif host == "::":
            host = "::1"
        if ":" in host:
            host = f"[{host}]"
        return f"http://{host}:{self.port}{self.config.path}"

    @property
    def active(self) -> int:
        """Slots in use now, counting timed-out queries whose worker is still computing."""
        with self._active_lock:
            return self._active

    def serve_forever(self) -> None:
        """Answer requests until ``shutdown`` (from another thread) or KeyboardInterrupt."""
        if self._closed:
            raise StudioError("this server was shut down; create a new SparqlServer")
        self._serving.set()
        try:
            self._httpd.serve_forever(poll_interval=0.1)
        finally:
            self._serving.clear()
            self._httpd.server_close()

    def start_in_thread(self) -> None:
        """Serve from a daemon thread and return at once (tests, notebooks)."""
        if self._thread is not None:
            raise StudioError("this server is already running")
        self._thread = threading.Thread(target=self.serve_forever, name=f"sparql server {self.url}", daemon=True)
        self._thread.start()
        self._serving.wait(5)

    def shutdown(self) -> None:
        """Stop serving and release the port; idempotent. Running requests finish on their own."""
        if self._closed:
            return
        self._closed = True
        if self._serving.is_set():
            self._httpd.shutdown()  # waits for serve_forever's loop to end
        if self._thread is not None:
            self._thread.join(5)
        self._httpd.server_close()

    def __enter__(self) -> "SparqlServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.shutdown()

    # -- the work --------------------------------------------------------------------------
    def _next_label(self, what: str) -> str:
        return f"{what} #{next(self._counter)}"

    def _acquire(self) -> None:
        if not self._slots.acquire(timeout=self.config.queue_wait):
            raise _HttpError(
                503,
                f"the server is busy: {self.config.max_concurrent} queries are running already "
                "(timed-out queries hold their slot until they stop); try again shortly",
                {"Retry-After": "2"},
            )
        with self._active_lock:
            self._active += 1

    def _release(self) -> None:
        with self._active_lock:
            self._active -= 1
        self._slots.release()

    def _release_after(self, pending) -> None:
        """Release a timed-out query's slot once its work (if still running) ends."""
        if pending is None:
            self._release()
        else:
            pending.add_done_callback(lambda _: self._release())

    def run_query(self, sparql: str, timeout: float, render: Callable[[QueryResult], T]) -> T:
        """Evaluate in a slot and ``render`` the result there too (serialising costs CPU as well)."""
        label = self._next_label("query")
        self._acquire()
        released = False
        try:
            result = self.store.query(sparql, timeout=timeout, max_rows=self.config.max_rows, name=label)
            return render(result)
        except QueryTimeout as exc:
            released = True
            self._release_after(exc.pending)
            raise
        finally:
            if not released:
                self._release()

    def run_update(self, sparql: str) -> None:
        label = self._next_label("update")
        self._acquire()
        try:
            self.store.update(sparql, name=label)
        finally:
            self._release()

    # -- logging ---------------------------------------------------------------------------
    def log(self, line: str) -> None:
        if not self.config.quiet:
            sys.stderr.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {line}\n")
            sys.stderr.flush()


class _Server(ThreadingHTTPServer):
    daemon_threads = True
    app: SparqlServer


class _V6Server(_Server):
    address_family = socket.AF_INET6


class _Handler(BaseHTTPRequestHandler):
    server: _Server
    protocol_version = "HTTP/1.1"
    server_version = "AlignmentStudio-SPARQL/0.1"
    timeout = 60  # seconds a client may take to send its request

    # -- plumbing --------------------------------------------------------------------------
    @property
    def app(self) -> SparqlServer:
        return self.server.app

    def log_request(self, code: object = "-", size: object = "-") -> None:
        pass  # one line per request is written by _dispatch, with the time taken

    def log_message(self, format: str, *args: object) -> None:
        self.app.log(f"{self.client_address[0]} {format % args}")

    def do_GET(self) -> None:
        self._dispatch(self._get)

    def do_POST(self) -> None:
        self._dispatch(self._post)

    def do_HEAD(self) -> None:
        self._dispatch(self._get, head=True)

    def _not_allowed(self) -> None:
        self._dispatch(self._refuse_method)

    do_PUT = do_DELETE = do_PATCH = do_OPTIONS = _not_allowed

    def _refuse_method(self, _params: dict[str, list[str]]) -> None:
        raise _HttpError(405, f"{self.command} is not supported here; send queries with GET or POST", {"Allow": "GET, HEAD, POST"})

    def _dispatch(self, handler, head: bool = False) -> None:
        started = time.perf_counter()
        self._head = head
        self._status = 500
        # A body left unread would be taken for the next request on a kept-alive connection.
        self._body_pending = self.headers.get("Content-Length", "0").strip() not in ("", "0") or bool(
            self.headers.get("Transfer-Encoding")
        )
        try:
            url = urllib.parse.urlsplit(self.path)
            if url.path != self.app.config.path:
                raise _HttpError(404, f"nothing at {url.path}; the SPARQL endpoint is {self.app.config.path}")
            params = urllib.parse.parse_qs(url.query, keep_blank_values=True, strict_parsing=False)
            handler(params)
        except _HttpError as exc:
            self._send_text(exc.status, exc.message, exc.headers, close=exc.close)
        except QueryTimeout as exc:
            self._send_text(503, str(exc), {"Retry-After": "5"})
        except QueryError as exc:
            self._send_text(400, str(exc))
        except StudioError as exc:
            self._send_text(500, str(exc))
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True
            self._status = 499
        except Exception:  # a bug: the operator sees the traceback, the client never does
            sys.stderr.write(f"internal error while answering {self.command} {self.path[:200]}:\n{traceback.format_exc()}")
            self._send_text(500, "internal server error; the server log has the details")
        ms = (time.perf_counter() - started) * 1000
        self.app.log(f"{self.client_address[0]} {self.command} {urllib.parse.urlsplit(self.path).path} {self._status} {ms:.1f} ms")

    def _send(self, status: int, body: bytes, content_type: str, headers: Mapping[str, str] | None = None, close: bool = False) -> None:
        self._status = status
        try:
            self.send_response(status)
            self.send_header("Content-Type", content_type)
            self.send_header("Content-Length", str(len(body)))
            for name, value in (headers or {}).items():
                self.send_header(name, value)
            if close or self._body_pending:
                self.close_connection = True
                self.send_header("Connection", "close")
            self.end_headers()
            if not self._head:
                self.wfile.write(body)
        except (BrokenPipeError, ConnectionResetError):
            self.close_connection = True

    def _send_text(self, status: int, message: str, headers: Mapping[str, str] | None = None, close: bool = False) -> None:
        self._send(status, (message.rstrip("\n") + "\n").encode("utf-8"), "text/plain; charset=utf-8", headers, close)

    # -- requests --------------------------------------------------------------------------
    def _get(self, params: dict[str, list[str]]) -> None:
        if "update" in params:
            raise _HttpError(400, "updates must be sent with POST (update=... form or an application/sparql-update body), not GET")
        if "query" not in params:
            if any(k not in ("format", "output") for k in params):
                raise _HttpError(400, "missing the 'query' parameter; send ?query=SPARQL")
            self._describe()
            return
        self._answer_query(_single(params, "query"), params)

    def _post(self, params: dict[str, list[str]]) -> None:
        if "chunked" in self.headers.get("Transfer-Encoding", "").lower():
            raise _HttpError(411, "chunked request bodies are not supported; send a Content-Length", close=True)
        length_text = self.headers.get("Content-Length")
        if length_text is None:
            raise _HttpError(411, "a POST needs a Content-Length header", close=True)
        try:
            length = int(length_text)
            if length < 0:
                raise ValueError
        except ValueError:
            raise _HttpError(400, f"bad Content-Length {length_text!r}", close=True) from None
        if length > self.app.config.max_body:
            raise _HttpError(
                413, f"the request body ({length} bytes) is larger than the {self.app.config.max_body} bytes allowed", close=True
            )
        body = self.rfile.read(length)
        self._body_pending = False
        if len(body) < length:
            raise _HttpError(400, "the request body ended early", close=True)
        media, charset = _content_type(self.headers.get("Content-Type", ""))
        text = _decode(body, charset)
        for key in ("query", "update"):
            if key in params:
                raise _HttpError(400, f"put '{key}' in the request body of a POST, not in the URL")
        if media == "application/x-www-form-urlencoded":
            try:
                form = urllib.parse.parse_qs(text, keep_blank_values=True)
            except ValueError as exc:
                raise _HttpError(400, f"the form does not parse: {exc}") from None
            for key, values in form.items():
                params.setdefault(key, []).extend(values)
            if "query" in form and "update" in form:
                raise _HttpError(400, "send either 'query' or 'update', not both")
            if "query" in form:
                self._answer_query(_single(params, "query"), params)
            elif "update" in form:
                self._answer_update(_single(params, "update"), params)
            else:
                raise _HttpError(400, "the form has neither a 'query' nor an 'update' field")
        elif media == "application/sparql-query":
            self._answer_query(text, params)
        elif media == "application/sparql-update":
            self._answer_update(text, params)
        else:
            raise _HttpError(
                415,
                f"unsupported Content-Type {media or '(none)'!r}; POST application/sparql-query, "
                "application/sparql-update or application/x-www-form-urlencoded",
            )

    def _answer_query(self, sparql: str, params: dict[str, list[str]]) -> None:
        for key in ("default-graph-uri", "named-graph-uri"):
            if key in params:
                raise _HttpError(
                    400,
                    f"{key} is not supported: the default graph is always the union of all named "
                    "graphs; use GRAPH <iri> { ... } in the query to pick a graph",
                )
        operation, kind = _operation(sparql)
        if operation == "update":
            raise _HttpError(
                400,
                f"this is a SPARQL update ({kind}), not a query; POST it as update=... or with "
                "Content-Type application/sparql-update",
            )
        if not sparql.strip():
            raise _HttpError(400, "the query is empty")
        timeout = self._timeout(params)
        accept = self.headers.get("Accept", "")
        wanted = _format_override(params)
        if kind:  # refuse before evaluating when no format can fit
            _negotiate(kind, accept, wanted)
        else:
            _check_any_acceptable(accept, wanted)

        def render(result: QueryResult) -> tuple[bytes, str, bool]:
            body, content_type = _render(result, _negotiate(result.kind, accept, wanted))
            return body, content_type, result.truncated

        body, content_type, truncated = self.app.run_query(sparql, timeout, render)
        headers = {"Vary": "Accept", "Cache-Control": "no-store"}
        if truncated:
            headers["X-Studio-Truncated"] = "true"
        self._send(200, body, content_type, headers)

    def _answer_update(self, sparql: str, params: dict[str, list[str]]) -> None:
        config = self.app.config
        if not config.allow_update:
            raise _HttpError(
                403,
                "updates are disabled on this endpoint: it is read-only; start the server with updates "
                "allowed and a token to accept them",
            )
        self._check_token()
        for key in ("using-graph-uri", "using-named-graph-uri"):
            if key in params:
                raise _HttpError(400, f"{key} is not supported; use WITH <iri> or GRAPH <iri> in the update")
        if _operation(sparql)[0] == "query":
            raise _HttpError(
                400, "this is a SPARQL query, not an update; send it as query=... or with Content-Type application/sparql-query"
            )
        if not sparql.strip():
            raise _HttpError(400, "the update is empty")
        started = time.perf_counter()
        self.app.run_update(sparql)
        ms = (time.perf_counter() - started) * 1000
        self._send_text(200, f"update done in {ms:.1f} ms", {"Cache-Control": "no-store"})

    def _check_token(self) -> None:
        expected = self.app.config.token or ""
        challenge = {"WWW-Authenticate": 'Bearer realm="studio sparql update"'}
        header = self.headers.get("Authorization", "")
        scheme, _, given = header.strip().partition(" ")
        if not header:
            raise _HttpError(401, "updates need an Authorization: Bearer TOKEN header", challenge)
        if scheme.lower() != "bearer" or not hmac.compare_digest(
            given.strip().encode("utf-8", "replace"), expected.encode("utf-8")
        ):
            raise _HttpError(401, "the bearer token is wrong; updates need Authorization: Bearer TOKEN", challenge)

    def _timeout(self, params: dict[str, list[str]]) -> float:
        limit = self.app.config.timeout
        if "timeout" not in params:
            return limit
        text = _single(params, "timeout")
        try:
            value = float(text)
        except ValueError:
            value = math.nan
        if not _is_positive_number(value):
            raise _HttpError(400, f"timeout must be a positive number of seconds, got {text!r}")
        return min(value, limit)

    def _describe(self) -> None:
        app = self.app
        offers = [
            ("text/html", "html", "text/html; charset=utf-8"),
            ("text/plain", "text", "text/plain; charset=utf-8"),
            ("text/turtle", "turtle", MEDIA_TYPES["turtle"]),
        ]
        chosen = _best(offers, self.headers.get("Accept", "")) or offers[0]
        update = "allowed, with a bearer token" if app.config.allow_update else "disabled (read-only)"
        if chosen[1] == "turtle":
            languages = "sd:SPARQL11Query" + (", sd:SPARQL11Update" if app.config.allow_update else "")
            formats = ", ".join(
                f"<http://www.w3.org/ns/formats/{f}>"
                for f in ("SPARQL_Results_JSON", "SPARQL_Results_XML", "SPARQL_Results_CSV", "SPARQL_Results_TSV",
                          "Turtle", "N-Triples", "JSON-LD", "RDF_XML")
            )
            text = (
                "@prefix sd: <http://www.w3.org/ns/sparql-service-description#> .\n\n"
                f"<{app.url}> a sd:Service ;\n"
                f"    sd:endpoint <{app.url}> ;\n"
                f"    sd:supportedLanguage {languages} ;\n"
                f"    sd:resultFormat {formats} ;\n"
                "    sd:feature sd:UnionDefaultGraph .\n"
            )
        elif chosen[1] == "text":
            text = (
                f"Alignment Studio SPARQL 1.1 endpoint at {app.url}\n"
                f"store: {app.store.url}\n"
                "queries: GET ?query=..., POST query=... (form) or an application/sparql-query body\n"
                f"updates: {update}\n"
                "SELECT/ASK answers: application/sparql-results+json (default), application/sparql-results+xml, "
                "text/csv, text/tab-separated-values\n"
                "CONSTRUCT/DESCRIBE answers: text/turtle (default), application/n-triples, "
                "application/ld+json, application/rdf+xml\n"
                f"limits: {app.config.timeout:g} s per query, {app.config.max_rows} rows per answer\n"
            )
        else:
            e = html.escape
            text = f"""<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Alignment Studio SPARQL endpoint</title></head>
<body>
<h1>Alignment Studio SPARQL endpoint</h1>
<p>This is a <a href="https://www.w3.org/TR/sparql11-protocol/">SPARQL 1.1 Protocol</a> endpoint
over the policy store <code>{e(app.store.url)}</code>. The default graph is the union of all
named graphs (one per source document).</p>
<ul>
<li>Queries: <code>GET {e(app.config.path)}?query=...</code>, or <code>POST</code> a form with
<code>query=</code> or an <code>application/sparql-query</code> body.</li>
<li>Updates: {e(update)}.</li>
<li>SELECT/ASK answers: SPARQL JSON (default), XML, CSV, TSV. CONSTRUCT/DESCRIBE: Turtle
(default), N-Triples, JSON-LD, RDF/XML. Choose with the Accept header or <code>format=</code>.</li>
<li>Limits: {app.config.timeout:g} s per query, {app.config.max_rows} rows per answer.</li>
</ul>
<form method="get" action="{e(app.config.path)}">
<textarea name="query" rows="8" cols="80">SELECT ?g (COUNT(*) AS ?triples) WHERE {{ GRAPH ?g {{ ?s ?p ?o }} }} GROUP BY ?g</textarea><br>
<select name="format"><option>json</option><option>xml</option><option>csv</option><option>tsv</option>
<option>turtle</option><option>ntriples</option><option>jsonld</option></select>
<button type="submit">Run</button>
</form>
</body></html>
"""
        self._send(200, text.encode("utf-8"), chosen[2], {"Vary": "Accept"})


# -- helpers -------------------------------------------------------------------------------
def _operation(sparql: str) -> tuple[str | None, str | None]:
    """("query", "select"|"ask"|"graph"), ("update", KEYWORD) or (None, None) when unclear.

    Only the first keyword after the prologue is looked at; the store parses the whole text.
    """
    pos = 0
    while True:
        match = _PROLOGUE_TOKEN.match(sparql, pos)
        if not match or match.end() == pos:
            break
        pos = match.end()
    word = _KEYWORD.match(sparql, pos)
    keyword = word.group(0).upper() if word else ""
    if keyword in _FORM_KIND:
        return "query", _FORM_KIND[keyword]
    if keyword in _UPDATE_WORDS:
        return "update", keyword
    return None, None


def _single(params: Mapping[str, list[str]], key: str) -> str:
    values = params[key]
    if len(values) != 1:
        raise _HttpError(400, f"give exactly one '{key}' parameter, got {len(values)}")
    return values[0]


def _content_type(header: str) -> tuple[str, str | None]:
    media, *rest = header.split(";")
    charset = None
    for param in rest:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset":
            charset = value.strip().strip('"')
    return media.strip().lower(), charset


def _decode(body: bytes, charset: str | None) -> str:
    encoding = charset or "utf-8"
    try:
        codecs.lookup(encoding)
    except LookupError:
        raise _HttpError(415, f"unknown charset {encoding!r}; send UTF-8") from None
    try:
        return body.decode(encoding)
    except UnicodeDecodeError as exc:
        raise _HttpError(400, f"the request body is not valid {encoding}: {exc.reason} at byte {exc.start}") from None


def _parse_accept(header: str) -> list[tuple[str, str, float]]:
    """Media ranges of an Accept header as (type, subtype, q); malformed entries are skipped."""
    ranges = []
    for item in header.split(","):
        media, *params = item.split(";")
        media = media.strip().lower()
        if "/" not in media:
            continue
        main, _, sub = media.partition("/")
        q = 1.0
        for param in params:
            name, _, value = param.partition("=")
            if name.strip().lower() == "q":
                try:
                    q = float(value.strip())
                except ValueError:
                    q = -1.0
        if not 0 <= q <= 1 or not main or not sub:
            continue
        ranges.append((main, sub, q))
    return ranges


def _quality(media: str, ranges: list[tuple[str, str, float]]) -> float:
    """q of the most specific range that matches ``media`` (RFC 9110, 12.5.1); 0 if none."""
    main, _, sub = media.partition("/")
    best_specificity, q = -1, 0.0
    for r_main, r_sub, r_q in ranges:
        if r_main == main and r_sub == sub:
            specificity = 2
        elif r_main == main and r_sub == "*":
            specificity = 1
        elif r_main == "*" and r_sub == "*":
            specificity = 0
        else:
            continue
        if specificity > best_specificity:
            best_specificity, q = specificity, r_q
    return q


def _ranked(offers: list[tuple[str, str, str]], accept: str) -> list[tuple[str, str, str]]:
    """Acceptable offers, best first: highest q, ties to the server's order; [] if none."""
    ranges = _parse_accept(accept) if accept.strip() else []
    if not ranges:
        return list(offers)  # no Accept header (or one we cannot read): anything goes
    scored = [(_quality(offer[0], ranges), index, offer) for index, offer in enumerate(offers)]
    return [offer for q, _, offer in sorted(scored, key=lambda item: (-item[0], item[1])) if q > 0]


def _best(offers: list[tuple[str, str, str]], accept: str) -> tuple[str, str, str] | None:
    ranked = _ranked(offers, accept)
    return ranked[0] if ranked else None


def _format_override(params: Mapping[str, list[str]]) -> list[str]:
    return [v.strip().lower() for key in ("format", "output") for v in params.get(key, []) if v.strip()]


def _negotiate(kind: str, accept: str, wanted: list[str]) -> list[tuple[str, str]]:
    """(format name for QueryResult.serialize, Content-Type) pairs for an answer of ``kind``,
    best first; 406 when there is none."""
    offers = _OFFERS[kind]
    what = "SELECT/ASK" if kind != "graph" else "CONSTRUCT/DESCRIBE"
    if wanted:
        names = _FORMAT_NAMES[kind]
        for value in wanted:
            if value in names:
                return [(names[value], _CANONICAL[names[value]][2])]
            for media, fmt, content_type in offers:
                if value == media:
                    return [(fmt, content_type)]
        raise _HttpError(
            406,
            f"format {', '.join(wanted)} does not fit a {what} answer; use one of "
            f"{', '.join(sorted(set(names)))} or one of the media types {', '.join(o[0] for o in offers[:4])}",
        )
    ranked = _ranked(offers, accept)
    if not ranked:
        raise _HttpError(
            406,
            f"none of the accepted media types ({accept}) fits a {what} answer; accept one of "
            f"{', '.join(o[0] for o in offers[:4])}",
        )
    candidates: list[tuple[str, str]] = []
    for _, fmt, content_type in ranked:
        if fmt not in (c[0] for c in candidates):
            candidates.append((fmt, content_type))
    return candidates


def _render(result: QueryResult, candidates: list[tuple[str, str]]) -> tuple[bytes, str]:
    """The answer in the first candidate format that can hold it (RDF/XML cannot write every
    predicate IRI); 406 naming the reason when none can."""
    failures = []
    for fmt, content_type in candidates:
        try:
            return result.serialize(fmt).encode("utf-8"), content_type
        except (QueryError, ValueError, TypeError) as exc:  # rdflib's serializers refuse some data
            failures.append(f"{fmt}: {exc}")
    raise _HttpError(
        406,
        "the answer cannot be written in the accepted format(s) ("
        + "; ".join(failures)
        + "); ask for another one, e.g. text/turtle or application/n-triples",
    )


def _check_any_acceptable(accept: str, wanted: list[str]) -> None:
    """For queries whose form is not recognisable in advance: refuse if no kind could be served."""
    errors = []
    for kind in ("select", "graph"):
        try:
            _negotiate(kind, accept, wanted)
            return
        except _HttpError as exc:
            errors.append(exc)
    raise errors[0]
