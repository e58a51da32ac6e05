"""Real SPARQL 1.1 servers that the test-suite starts and stops by itself.

Plain Python (no pytest import): ``tests/conftest.py`` and ``tests/test_sparql_servers.py`` use
it, and ``python tests/sparql_servers.py`` runs a self-check that prints timings.

    server = start_oxigraph(tmp_path)            # or start_virtuoso(tmp_path)
    sparql_update(server, "INSERT DATA { GRAPH <urn:g> { <urn:s> <urn:p> 1 } }")
    sparql_query(server, "SELECT * WHERE { GRAPH ?g { ?s ?p ?o } }").json()
    server.stop()                                # also: ``with start_oxigraph(tmp) as server:``

Every server binds 127.0.0.1 only, on free ports picked at start, keeps its data under the
given directory, and is stopped at interpreter exit if the caller forgot (and, on Linux, when
the process that started it dies: PR_SET_PDEATHSIG; start servers from the main thread or a
thread that outlives them, since that signal follows the starting *thread*).

Oxigraph (PyPI ``oxigraph`` 0.5.13, ``oxigraph serve --location DIR --bind 127.0.0.1:PORT``)
-------------------------------------------------------------------------------------------
* query:  ``http://127.0.0.1:PORT/query``  (GET ``?query=``, POST form or application/sparql-query)
* update: ``http://127.0.0.1:PORT/update`` (POST form ``update=`` or application/sparql-update),
  no authentication; answers ``204 No Content`` with an empty body.
* Graph Store Protocol: ``/store?graph=IRI`` (``/store?default``).
* Ready 0.03-0.15 s after the process starts; stopped by SIGTERM (then SIGKILL) in 0.02 s.
* The default graph is a real, separate graph (not the union of the named graphs);
  ``INSERT DATA { <s> <p> <o> }`` without GRAPH writes there.
* Answers: SELECT/ASK ``application/sparql-results+json`` (also without an Accept header);
  CONSTRUCT ``application/n-triples`` when asked, but ``application/n-quads`` for ``*/*``.
* Errors: a syntax error is ``400 text/plain`` (``error at 1:25: expected ...``); ``DROP GRAPH``
  of a graph that does not exist is ``500 text/plain`` (``The graph <..> does not exist``).
* 20,000 triples in one INSERT DATA (one GRAPH block, 1.0 MB): fine, 0.2-0.5 s.

Virtuoso (Debian ``virtuoso-opensource`` 7.2.5, ``virtuoso-t +configfile INI +foreground``)
------------------------------------------------------------------------------------------
* query:  ``http://127.0.0.1:HTTPPORT/sparql`` -- anonymous; an update sent there is refused with
  ``500 text/plain`` "SR186: SECURITY: No permission to execute procedure
  DB.DBA.SPARQL_INSERT_DICT_CONTENT" (whether sent as ``update=`` or ``query=``).
* update: ``http://127.0.0.1:HTTPPORT/sparql-auth`` with HTTP **Digest** auth only (realm
  "SPARQL", qop=auth, MD5; Basic gets 401), user ``dba`` password ``dba`` on a fresh database.
  Both a form body ``update=...`` (application/x-www-form-urlencoded, SPARQL 1.1 protocol) and an
  ``application/sparql-update`` body work, with ``urllib.request.HTTPDigestAuthHandler``.
  Queries work on ``/sparql-auth`` too. An update answers ``200`` with a one-row result set
  (variable ``callret-0``, e.g. "Insert into <g>, 1 (or less) triples -- done") in the
  negotiated format (XML unless Accept asks for JSON).
* Graph Store Protocol: ``/sparql-graph-crud-auth?graph-uri=IRI`` (digest, same user).
* SQL (isql) port: ``ServerPort``; stop = ``isql-vt 127.0.0.1:PORT dba dba exec="shutdown;"``
  (0.05-0.5 s, checkpoints first), falling back to SIGTERM ("quick shutdown") and SIGKILL.
* Start-up: 1.75-2 s on a fresh database with the ini written here on an idle 2-core machine,
  up to 6.5 s under load. The Debian ini also names ``VADInstallDir`` (the first start then
  installs the Conductor web UI: 7.5 s) and ``DavRoot`` (WebDAV set-up, +1 s); we leave both
  out, the SPARQL endpoints do not need them.
* Limits the ini written here lifts: ``ResultSetMaxRows`` (Debian: 10,000 rows -- SELECT and
  CONSTRUCT answers are cut *silently*: ``200``, the only sign a ``X-SPARQL-MaxRows: N`` response
  header), ``MaxQueryExecutionTime`` (Debian: 60 s -- "anytime" queries then return partial
  results) and ``MaxQueryCostEstimationTime`` (400 s). ``start_virtuoso(max_rows=...)`` and
  ``extra_ini={"SPARQL": {...}}`` put limits back for tests of that behaviour.

Virtuoso gotchas (measured on 7.2.5.1, Debian bookworm)
-------------------------------------------------------
* At most **4,990 triples per ``GRAPH <g> { ... }`` block** in INSERT DATA: one more and the
  SPARQL parser fails with ``400`` "SP030: SPARQL compiler, line N: memory exhausted" (a parser
  stack limit, independent of triple size; openlink/virtuoso-opensource#581). Several GRAPH
  blocks of <= 4,000 triples in one INSERT DATA, or several ``;``-separated INSERT DATA
  operations in one request, are fine: 100,000 triples (4.9 MB) in one request took 5.5 s.
* Whole request body at most about **10 MB** (10,234,251 bytes failed, 9,979,195 worked):
  ``500`` "SR578: The expected result length of string concatenation is too large".
* **No blank nodes in INSERT DATA** (``_:b1`` or ``[]``): ``400`` "SP031: Blank node '_:b1' is not
  allowed in a constant clause". ``INSERT { GRAPH <g> { _:b1 ... } } WHERE {}`` works.
* No default graph for updates: ``INSERT DATA { <s> <p> <o> }`` without GRAPH is ``400`` "SP031:
  No plain default graph specified in the preamble". For queries the default graph is the
  *union of all graphs*, including Virtuoso's own (about 2,500 system triples in
  ``http://www.openlinksw.com/schemas/virtrdf#`` and two more graphs on a fresh database).
* ``DROP GRAPH <g>`` of a graph that only got its triples from INSERT (never ``CREATE GRAPH``)
  fails with ``500`` "SPARUL_DROP() failed: graph <g> has not been explicitly created before";
  ``DROP SILENT GRAPH`` and ``CLEAR GRAPH`` work. ``CREATE GRAPH`` twice is a 500 as well.
* Multi-operation updates (``DROP SILENT GRAPH <a> ; INSERT DATA { GRAPH <a> {...} }``) are
  accepted in one request by both servers.
* ``INSERT { ... } WHERE {}`` (the way to insert blank nodes) takes at most about 1,420 triples:
  then ``400`` "SP031: The length of generated SQL text has exceeded 10000 lines of code"
  (openlink/virtuoso-opensource#635). A blank node label may not appear in two operations of
  one request ("can not be used in two different basic graph patterns").
* Content negotiation depends on the Accept header only, not on the query form, and honours
  q-values: with ``application/sparql-results+json`` preferred, a CONSTRUCT comes back as a
  JSON *result set* with variables s, p, o; with ``application/n-triples`` preferred, a SELECT
  comes back as N-Triples of the rs: result-set vocabulary and an ASK is ``406 text/html``;
  ``application/json`` gives RDF/JSON (Talis) for a CONSTRUCT, with numbers as JSON numbers.
  Send Accept by query form: SELECT/ASK ``application/sparql-results+json``, CONSTRUCT/DESCRIBE
  ``application/n-triples``. (Oxigraph picks by query form and answers 406 to a SELECT that
  accepts only N-Triples.) Without Accept (or ``*/*``) Virtuoso answers SELECT/ASK in
  ``application/sparql-results+xml`` and CONSTRUCT in ``text/turtle``.
* ``VALUES`` after the query (``ASK { ... } VALUES (?x) { (...) }``) is a syntax error on
  Virtuoso ("syntax error at 'VALUES'"), and after a SELECT's WHERE it fails with ``500``
  "SQ200: No column x"; ``VALUES`` inside the group (``WHERE { VALUES ... ; ... }``) works.
* Errors are ``text/plain`` bodies starting ``Virtuoso 37000 Error SP030: SPARQL compiler, line 1:
  syntax error at '}' before '}'`` followed by the query text: syntax errors are ``400``,
  execution errors ``500``.
* JSON results use the SPARQL 1.0-draft term type ``"typed-literal"`` for datatyped literals
  (rdflib's JSON parser accepts it), ``xsd:boolean`` true comes back as value ``"1"`` in JSON
  (``"true"`` in N-Triples), blank nodes as ``nodeID://b10000``, plus non-standard
  ``"link": []``, ``"distinct"``/``"ordered"`` keys. ``"x"^^xsd:string`` stays distinct from
  ``"x"``. Turtle output writes an ``xsd:double`` 1.5 as ``1.5`` (reads back as a decimal):
  ask for N-Triples. ``Accept: application/n-quads`` on a CONSTRUCT returns ``text/html``.
* urllib gotcha (CPython gh-53907, not Virtuoso's): ``HTTPDigestAuthHandler`` counts retries
  and only resets the count when a request *succeeds*, so after 6 failing requests (400/500)
  through one handler every later request fails with ``401 digest auth failed``. Build a fresh
  handler per request (as :func:`sparql_update` does) or call ``handler.reset_retry_count()``
  before each one. Digest also costs a second round trip per request (the body is sent twice).
"""

from __future__ import annotations

import atexit
import contextlib
import functools
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

__all__ = [
    "RunningServer",
    "Response",
    "start_oxigraph",
    "start_virtuoso",
    "oxigraph_binary",
    "oxigraph_available",
    "virtuoso_available",
    "sparql_query",
    "sparql_update",
    "port_is_open",
]

HOST = "127.0.0.1"
VIRTUOSO_USER = "dba"
VIRTUOSO_PASSWORD = "dba"  # a fresh database's dba password
SKIP_VIRTUOSO_ENV = "STUDIO_SKIP_VIRTUOSO"  # set to 1 to skip Virtuoso even when installed
_VIRTUOSO_DIRS = ("/usr/bin", "/usr/local/bin", "/usr/local/virtuoso-opensource/bin", "/opt/virtuoso-opensource/bin")
_RUNNING: list["RunningServer"] = []


# -- the running server ------------------------------------------------------------------------
@dataclass
class RunningServer:
    """A SPARQL server process started by this module."""

    name: str  # "oxigraph" | "virtuoso"
    query_url: str  # SPARQL 1.1 query endpoint
    update_url: str  # SPARQL 1.1 update endpoint
    username: str | None  # HTTP digest user for updates (virtuoso: dba); None if not needed
    password: str | None
    graph_store_url: str | None = None  # SPARQL 1.1 Graph Store Protocol endpoint
    ports: tuple[int, ...] = ()  # every port the server listens on (HTTP first)
    workdir: Path | None = None  # database files, generated config, log
    log_path: Path | None = None  # the process's stdout and stderr
    startup_seconds: float = 0.0  # from spawning the process to the first answered query
    process: subprocess.Popen | None = field(default=None, repr=False)
    _shutdown: Callable[["RunningServer"], None] | None = field(default=None, repr=False)

    @property
    def port(self) -> int:
        """The HTTP port."""
        return self.ports[0]

    @property
    def running(self) -> bool:
        return self.process is not None and self.process.poll() is None

    def stop(self) -> None:
        """Stop the server (idempotent); returns once the process is gone."""
        process = self.process
        if process is None:
            return
        try:
            if process.poll() is None:
                try:
                    if self._shutdown is None:
                        process.terminate()
                    else:
                        self._shutdown(self)  # graceful, server specific
                except Exception:  # noqa: BLE001 - the fallback below still stops it
                    with contextlib.suppress(ProcessLookupError):
                        process.terminate()
            _wait_or_kill(process)
        finally:
            self.process = None
            with contextlib.suppress(ValueError):
                _RUNNING.remove(self)

    def log_tail(self, lines: int = 20) -> str:
        if self.log_path is None or not self.log_path.exists():
            return ""
        return "\n".join(self.log_path.read_text(errors="replace").splitlines()[-lines:])

    def __enter__(self) -> "RunningServer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()


def _wait_or_kill(process: subprocess.Popen, grace: float = 10.0) -> None:
    """Wait for a process asked to stop; SIGTERM it after ``grace`` seconds, SIGKILL 5 s later."""
    try:
        process.wait(timeout=grace)
        return
    except subprocess.TimeoutExpired:
        pass
    with contextlib.suppress(ProcessLookupError):
        process.terminate()
    try:
        process.wait(timeout=5)
    except subprocess.TimeoutExpired:
        with contextlib.suppress(ProcessLookupError):
            process.kill()
        process.wait(timeout=5)


@atexit.register
def _stop_all() -> None:
    for server in list(_RUNNING):
        with contextlib.suppress(Exception):
            server.stop()


# -- HTTP helpers (urllib only) ----------------------------------------------------------------
@dataclass
class Response:
    status: int
    content_type: str
    body: bytes
    seconds: float

    @property
    def ok(self) -> bool:
        return 200 <= self.status < 300

    @property
    def text(self) -> str:
        return self.body.decode("utf-8", "replace")

    def json(self) -> object:
        return json.loads(self.body)


def _opener(server: RunningServer | None) -> urllib.request.OpenerDirector:
    # A fresh digest handler per request: a shared one stops working after 6 failed requests
    # (CPython gh-53907, see the module docstring).
    if server is None or server.username is None:
        return urllib.request.build_opener()
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    passwords.add_password(None, server.update_url, server.username, server.password or "")
    passwords.add_password(None, server.query_url, server.username, server.password or "")
    return urllib.request.build_opener(urllib.request.HTTPDigestAuthHandler(passwords))


def _send(request: urllib.request.Request, opener: urllib.request.OpenerDirector, timeout: float) -> Response:
    started = time.perf_counter()
    try:
        with opener.open(request, timeout=timeout) as answer:
            body = answer.read()
            status, content_type = answer.status, answer.headers.get("Content-Type", "")
    except urllib.error.HTTPError as error:
        with contextlib.closing(error):
            body = error.read() if error.fp is not None else b""
        status, content_type = error.code, error.headers.get("Content-Type", "") if error.headers else ""
    return Response(status, content_type, body, time.perf_counter() - started)


def sparql_query(
    server: RunningServer,
    query: str,
    accept: str = "application/sparql-results+json",
    *,
    method: str = "POST",
    timeout: float = 60.0,
) -> Response:
    """Run a query on ``server.query_url`` (POST form, or GET); HTTP errors come back as a Response."""
    form = urllib.parse.urlencode({"query": query})
    headers = {"Accept": accept}
    if method.upper() == "GET":
        request = urllib.request.Request(f"{server.query_url}?{form}", headers=headers, method="GET")
    else:
        headers["Content-Type"] = "application/x-www-form-urlencoded"
        request = urllib.request.Request(server.query_url, data=form.encode(), headers=headers, method="POST")
    return _send(request, urllib.request.build_opener(), timeout)


def sparql_update(
    server: RunningServer,
    update: str,
    *,
    body: str = "form",
    accept: str = "application/sparql-results+json",
    timeout: float = 120.0,
    authenticate: bool = True,
) -> Response:
    """Run an update on ``server.update_url`` with digest auth when the server needs it.

    ``body="form"`` posts ``update=...`` (application/x-www-form-urlencoded); ``body="direct"``
    posts the update itself as application/sparql-update. ``authenticate=False`` sends no
    credentials (to check that anonymous updates are refused).
    """
    if body == "form":
        data, content_type = urllib.parse.urlencode({"update": update}).encode(), "application/x-www-form-urlencoded"
    elif body == "direct":
        data, content_type = update.encode(), "application/sparql-update"
    else:
        raise ValueError(f"body must be 'form' or 'direct', not {body!r}")
    request = urllib.request.Request(
        server.update_url, data=data, headers={"Content-Type": content_type, "Accept": accept}, method="POST"
    )
    return _send(request, _opener(server if authenticate else None), timeout)


def port_is_open(port: int, host: str = HOST, timeout: float = 0.5) -> bool:
    """Whether something accepts TCP connections on host:port."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as sock:
        sock.settimeout(timeout)
        return sock.connect_ex((host, port)) == 0


# -- process plumbing --------------------------------------------------------------------------
def _free_ports(count: int = 1) -> list[int]:
    """Distinct ports that were free on 127.0.0.1 a moment ago (held open together while chosen)."""
    sockets = []
    try:
        for _ in range(count):
            sock = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
            sock.bind((HOST, 0))
            sockets.append(sock)
        return [sock.getsockname()[1] for sock in sockets]
    finally:
        for sock in sockets:
            sock.close()


def _die_with_parent() -> None:  # runs in the child between fork and exec
    if sys.platform.startswith("linux"):
        with contextlib.suppress(Exception):
            import ctypes

            ctypes.CDLL(None, use_errno=True).prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


def _spawn(command: list[str], log_path: Path, cwd: Path) -> subprocess.Popen:
    with open(log_path, "ab") as log:
        return subprocess.Popen(
            command,
            cwd=cwd,
            stdin=subprocess.DEVNULL,
            stdout=log,
            stderr=subprocess.STDOUT,
            preexec_fn=_die_with_parent if sys.platform.startswith("linux") else None,
        )


def _answers(query_url: str, timeout: float = 1.0) -> bool:
    url = query_url + "?" + urllib.parse.urlencode({"query": "ASK {}"})
    request = urllib.request.Request(url, headers={"Accept": "application/sparql-results+json"})
    try:
        with urllib.request.build_opener().open(request, timeout=timeout) as answer:
            return answer.status == 200
    except urllib.error.HTTPError as error:  # up, but not ready (or not a SPARQL endpoint)
        error.close()
        return False
    except OSError:  # URLError, connection refused or reset, timeout
        return False


def _wait_until_ready(
    server: RunningServer, process: subprocess.Popen, started: float, limit: float, interval: float
) -> None:
    deadline = started + limit
    while True:
        if process.poll() is not None:
            raise RuntimeError(
                f"{server.name} exited with code {process.returncode} during start-up; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        if _answers(server.query_url):
            server.startup_seconds = time.perf_counter() - started
            return
        if time.perf_counter() > deadline:
            raise TimeoutError(
                f"{server.name} did not answer {server.query_url} within {limit:g} s; "
                f"log {server.log_path}:\n{server.log_tail()}"
            )
        time.sleep(interval)


def _start(server: RunningServer, command: list[str], cwd: Path, limit: float, interval: float) -> RunningServer:
    started = time.perf_counter()
    process = _spawn(command, server.log_path, cwd)  # type: ignore[arg-type]
    server.process = process
    _RUNNING.append(server)
    try:
        _wait_until_ready(server, process, started, limit, interval)
    except BaseException:
        server.stop()  # kills it if it still runs; forgets it either way
        raise
    return server


# -- Oxigraph ----------------------------------------------------------------------------------
def oxigraph_binary() -> str | None:
    """The ``oxigraph`` server binary: on PATH, or next to this interpreter (an unactivated venv)."""
    found = shutil.which("oxigraph")
    if found:
        return found
    for candidate in (Path(sys.executable).parent / "oxigraph", Path(sys.prefix) / "bin" / "oxigraph"):
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def oxigraph_available() -> str | None:
    """None if the Oxigraph server can be started, else why not."""
    if oxigraph_binary() is None:
        return "the oxigraph server binary is not installed: run `pip install oxigraph` (or `pip install -e .[test]`)"
    return None


def start_oxigraph(
    tmpdir: Path, port: int | None = None, *, timeout: float = 10.0, union_default_graph: bool = True
) -> RunningServer:
    """Start ``oxigraph serve`` with its database in ``tmpdir/oxigraph``; waits until it answers.

    ``union_default_graph`` makes queries without GRAPH see every named graph, as the policy
    store expects of a remote store (Virtuoso does this by default).
    """
    binary = oxigraph_binary()
    if binary is None:
        raise FileNotFoundError(oxigraph_available())
    tmpdir = Path(tmpdir)
    tmpdir.mkdir(parents=True, exist_ok=True)
    attempts = 1 if port is not None else 3  # a free port can be taken between choosing and binding
    for attempt in range(attempts):
        http_port = port if port is not None else _free_ports(1)[0]
        base = f"http://{HOST}:{http_port}"
        server = RunningServer(
            name="oxigraph",
            query_url=f"{base}/query",
            update_url=f"{base}/update",
            username=None,
            password=None,
            graph_store_url=f"{base}/store",
            ports=(http_port,),
            workdir=tmpdir,
            log_path=tmpdir / "oxigraph.log",
        )
        command = [binary, "serve", "--location", str(tmpdir / "oxigraph"), "--bind", f"{HOST}:{http_port}"]
        if union_default_graph:
            command.append("--union-default-graph")
        try:
            return _start(server, command, tmpdir, timeout, 0.02)
        except RuntimeError:
            if attempt + 1 == attempts:
                raise
    raise AssertionError("unreachable")


# -- Virtuoso ----------------------------------------------------------------------------------
def _virtuoso_binary() -> str | None:
    found = shutil.which("virtuoso-t")
    if found:
        return found
    for folder in _VIRTUOSO_DIRS:
        candidate = Path(folder) / "virtuoso-t"
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def _isql_binary(virtuoso: str) -> str | None:
    # Debian calls Virtuoso's client isql-vt; upstream builds call it isql, a name that on
    # Debian belongs to unixODBC's isql, so only trust "isql" beside virtuoso-t itself.
    found = shutil.which("isql-vt")
    if found:
        return found
    for candidate in (Path(virtuoso).parent / "isql-vt", Path(virtuoso).parent / "isql"):
        if candidate == Path("/usr/bin/isql"):
            continue  # unixODBC's
        if candidate.is_file() and os.access(candidate, os.X_OK):
            return str(candidate)
    return None


def virtuoso_available() -> str | None:
    """None if Virtuoso can be started here, else a reason (for pytest.skip)."""
    if os.environ.get(SKIP_VIRTUOSO_ENV, "").strip() not in ("", "0"):
        return f"Virtuoso tests switched off by {SKIP_VIRTUOSO_ENV}={os.environ[SKIP_VIRTUOSO_ENV]}"
    if not sys.platform.startswith("linux"):
        return f"Virtuoso tests run on Linux only (this is {sys.platform})"
    if _virtuoso_binary() is None:
        return (
            "virtuoso-t not installed: run `apt-get install virtuoso-opensource` "
            "(or .ci/install-virtuoso.sh)"
        )
    return None


VIRTUOSO_INI = """\
; Generated by tests/sparql_servers.py for a throw-away test database.
[Database]
DatabaseFile       = {dir}/virtuoso.db
ErrorLogFile       = {dir}/virtuoso.log
LockFile           = {dir}/virtuoso.lck
TransactionFile    = {dir}/virtuoso.trx
xa_persistent_file = {dir}/virtuoso.pxa
ErrorLogLevel      = 7
FileExtend         = 200
MaxCheckpointRemap = 2000
Striping           = 0
TempStorage        = TempDatabase

[TempDatabase]
DatabaseFile       = {dir}/virtuoso-temp.db
TransactionFile    = {dir}/virtuoso-temp.trx
MaxCheckpointRemap = 2000
Striping           = 0

[Parameters]
ServerPort           = {host}:{sql_port}
DisableUnixSocket    = 1
DisableTcpSocket     = 0
MaxClientConnections = 10
CheckpointInterval   = 60
O_DIRECT             = 0
CaseMode             = 2
MaxStaticCursorRows  = 5000
CheckpointAuditTrail = 0
AllowOSCalls         = 0
SchedulerInterval    = 10
; files that ld_dir()/DB.DBA.TTLP_MT_LOCAL_FILE may read: the test directory only
DirsAllowed          = ., {dir}
ThreadCleanupInterval = 0
ThreadThreshold      = 10
ResourcesCleanupInterval = 0
FreeTextBatchSize    = 100000
SingleCPU            = 0
; no VADInstallDir: the first start would install the Conductor web UI (+5 s)
PrefixResultNames    = 0
RdfFreeTextRulesSize = 100
IndexTreeMaps        = 64
MaxQueryMem          = 2G
VectorSize           = 1000
MaxVectorSize        = 1000000
AdjustVectorSize     = 0
ThreadsPerQuery      = 4
AsyncQueueMaxThreads = 10
NumberOfBuffers      = {buffers}
MaxDirtyBuffers      = {dirty_buffers}

[HTTPServer]
ServerPort           = {host}:{http_port}
ServerRoot           = {dir}/vsp
MaxClientConnections = 10
; no DavRoot: WebDAV set-up on the first start costs about 1 s
HTTPProxyEnabled     = 0
ServerThreads        = 10
MaxKeepAlives        = 10
KeepAliveTimeout     = 10
HTTPThreadSize       = 280000
HttpPrintWarningsInOutput = 0
Charset              = UTF-8
EnabledGzipContent   = 0

[AutoRepair]
BadParentLinks = 0

[Client]
SQL_PREFETCH_ROWS  = 100
SQL_PREFETCH_BYTES = 16000
SQL_QUERY_TIMEOUT  = 0
SQL_TXN_TIMEOUT    = 0

[URIQA]
DynamicLocal = 0
DefaultHost  = {host}:{http_port}

[SPARQL]
; Debian's ini: 10000 rows (cut silently) and 60 s (partial "anytime" answers); 400 s estimate
ResultSetMaxRows           = {max_rows}
MaxQueryExecutionTime      = 0
MaxQueryCostEstimationTime = 0
DefaultQuery               = SELECT DISTINCT ?Concept WHERE {{ [] a ?Concept }} LIMIT 100
DeferInferenceRulesInit    = 0
"""


def write_virtuoso_ini(
    dbdir: Path,
    http_port: int,
    sql_port: int,
    *,
    max_rows: int = 10_000_000,
    buffers: int = 10_000,
    extra: dict[str, dict[str, str]] | None = None,
) -> Path:
    """Write ``dbdir/virtuoso.ini`` whose paths all point into ``dbdir``; returns its path.

    ``extra`` sets or overrides keys: ``{"SPARQL": {"ResultSetMaxRows": "10"}}``. ``buffers`` is
    NumberOfBuffers (8 KB pages; 10,000 = about 80 MB of cache, Debian's default).
    """
    dbdir = Path(dbdir).resolve()
    (dbdir / "vsp").mkdir(parents=True, exist_ok=True)
    text = VIRTUOSO_INI.format(
        dir=dbdir,
        host=HOST,
        http_port=http_port,
        sql_port=sql_port,
        max_rows=max_rows,
        buffers=buffers,
        dirty_buffers=buffers * 3 // 5,
    )
    for section, values in (extra or {}).items():
        text = _ini_set(text, section, values)
    path = dbdir / "virtuoso.ini"
    path.write_text(text)
    return path


def _ini_set(text: str, section: str, values: dict[str, str]) -> str:
    lines = text.splitlines()
    header = f"[{section}]"
    if header not in lines:
        lines += ["", header]
    start = lines.index(header) + 1
    end = next((i for i in range(start, len(lines)) if lines[i].startswith("[")), len(lines))
    for key, value in values.items():
        for i in range(start, end):
            if lines[i].split("=", 1)[0].strip() == key:
                lines[i] = f"{key} = {value}"
                break
        else:
            lines.insert(end, f"{key} = {value}")
            end += 1
    return "\n".join(lines) + "\n"


def _virtuoso_shutdown(server: RunningServer) -> None:
    binary = _virtuoso_binary()
    isql = _isql_binary(binary) if binary else None
    if isql is None or len(server.ports) < 2:
        server.process.terminate()  # type: ignore[union-attr]  # "quick shutdown", no checkpoint
        return
    subprocess.run(
        [isql, f"{HOST}:{server.ports[1]}", server.username or VIRTUOSO_USER, server.password or VIRTUOSO_PASSWORD,
         "exec=shutdown;"],
        stdin=subprocess.DEVNULL,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        timeout=15,
        check=False,
    )


def start_virtuoso(
    tmpdir: Path,
    *,
    timeout: float = 90.0,
    max_rows: int = 10_000_000,
    extra_ini: dict[str, dict[str, str]] | None = None,
) -> RunningServer:
    """Start ``virtuoso-t`` on a fresh database in ``tmpdir/virtuoso``; waits until /sparql answers.

    Ports: HTTP and SQL both free ports on 127.0.0.1 (``server.ports == (http, sql)``).
    Raises FileNotFoundError when Virtuoso is not installed (see :func:`virtuoso_available`).
    """
    binary = _virtuoso_binary()
    if binary is None:
        raise FileNotFoundError(virtuoso_available() or "virtuoso-t not found")
    dbdir = Path(tmpdir).resolve() / "virtuoso"
    for attempt in range(3):  # a free port can be taken between choosing and binding
        if dbdir.exists():
            shutil.rmtree(dbdir)
        dbdir.mkdir(parents=True)
        http_port, sql_port = _free_ports(2)
        ini = write_virtuoso_ini(dbdir, http_port, sql_port, max_rows=max_rows, extra=extra_ini)
        base = f"http://{HOST}:{http_port}"
        server = RunningServer(
            name="virtuoso",
            query_url=f"{base}/sparql",
            update_url=f"{base}/sparql-auth",
            username=VIRTUOSO_USER,
            password=VIRTUOSO_PASSWORD,
            graph_store_url=f"{base}/sparql-graph-crud-auth",
            ports=(http_port, sql_port),
            workdir=dbdir,
            log_path=dbdir / "virtuoso.stdout",
            _shutdown=_virtuoso_shutdown,
        )
        try:
            return _start(server, [binary, "+configfile", str(ini), "+foreground"], dbdir, timeout, 0.1)
        except RuntimeError:
            if attempt == 2:
                raise
    raise AssertionError("unreachable")


# -- self-check: python tests/sparql_servers.py [oxigraph] [virtuoso] [--big=N] -----------------
def _triples(count: int) -> list[str]:
    return [f'<urn:check:s{i}> <urn:check:p{i % 7}> "value {i}"@en .' for i in range(count)]


def _graph_blocks(graph: str, lines: list[str], per_block: int) -> str:
    """One INSERT DATA holding ``lines`` in GRAPH blocks of at most ``per_block`` triples."""
    blocks = (
        f"GRAPH <{graph}> {{\n" + "\n".join(lines[i : i + per_block]) + "\n}"
        for i in range(0, len(lines), per_block)
    )
    return "INSERT DATA {\n" + "\n".join(blocks) + "\n}"


def _count(server: RunningServer, graph: str) -> int:
    answer = sparql_query(server, f"SELECT (COUNT(*) AS ?n) WHERE {{ GRAPH <{graph}> {{ ?s ?p ?o }} }}")
    return int(answer.json()["results"]["bindings"][0]["n"]["value"])  # type: ignore[index]


def _show(label: str, answer: Response, extra: str = "") -> Response:
    content_type = answer.content_type or "-"
    print(f"  {label:<46} {answer.status} {answer.seconds * 1000:8.1f} ms  {content_type:<46} {extra}")
    if not answer.ok:
        print(f"  {'':<46} body: {answer.text.strip().replace(chr(10), ' ')[:110]}")
    return answer


def self_check(name: str, big: int = 20_000) -> None:
    """Start one server, run the protocol checks, print status, timing and content type of each."""
    import tempfile

    g, multi = "urn:check:g", "urn:check:multi"
    every = f"{{ GRAPH <{g}> {{ ?s ?p ?o }} }}"
    construct = f"CONSTRUCT {{ ?s ?p ?o }} WHERE {every}"
    json_or_nt = "application/sparql-results+json, application/n-triples;q=0.9"
    with tempfile.TemporaryDirectory(prefix=f"sparql-{name}-") as tmp:
        started = time.perf_counter()
        server = start_oxigraph(Path(tmp)) if name == "oxigraph" else start_virtuoso(Path(tmp))
        with server:
            q = functools.partial(sparql_query, server)
            u = functools.partial(sparql_update, server)
            print(f"\n{name}: ready in {server.startup_seconds:.2f} s (ports {server.ports})")
            print(f"  query {server.query_url}  update {server.update_url}  user {server.username or '-'}")
            _show("INSERT DATA, form update=", u(f'INSERT DATA {{ GRAPH <{g}> {{ <urn:a> <urn:p> "one" }} }}'))
            _show("INSERT DATA, application/sparql-update",
                  u(f'INSERT DATA {{ GRAPH <{g}> {{ <urn:a> <urn:p> "two" }} }}', body="direct"))
            if server.username:
                insert = f"INSERT DATA {{ GRAPH <{g}> {{ <urn:x> <urn:x> <urn:x> }} }}"
                _show("INSERT DATA without credentials", u(insert, authenticate=False))
                anonymous = RunningServer("anonymous", server.query_url, server.query_url, None, None)
                _show("INSERT DATA on the query endpoint", sparql_update(anonymous, insert))
            select = _show("SELECT (JSON)", q(f"SELECT ?o WHERE {every} ORDER BY ?o"))
            values = [b["o"]["value"] for b in select.json()["results"]["bindings"]]  # type: ignore[index]
            print(f"  {'':<46} rows: {values}")
            _show("SELECT (GET, Accept */*)", q("SELECT * WHERE { ?s ?p ?o } LIMIT 1", accept="*/*", method="GET"))
            ask = _show("ASK (JSON)", q(f"ASK {every}"))
            print(f"  {'':<46} boolean: {ask.json()['boolean']}")  # type: ignore[index]
            nt = _show("CONSTRUCT (N-Triples)", q(construct, accept="application/n-triples"))
            print(f"  {'':<46} {len(nt.text.strip().splitlines())} lines")
            _show("CONSTRUCT (Accept */*)", q(construct, accept="*/*"))
            _show("CONSTRUCT (Accept results+json, n-triples)", q(construct, accept=json_or_nt))
            _show("SELECT (Accept application/n-triples)", q(f"SELECT * WHERE {every}", accept="application/n-triples"))
            _show("ASK (Accept application/n-triples)", q(f"ASK {every}", accept="application/n-triples"))
            _show("DROP GRAPH (graph made by INSERT)", u(f"DROP GRAPH <{g}>"))
            _show("DROP SILENT GRAPH", u(f"DROP SILENT GRAPH <{g}>"))
            gone = _show("ASK after drop", q(f"ASK {every}"))
            print(f"  {'':<46} boolean: {gone.json()['boolean']}")  # type: ignore[index]
            _show("malformed query", q("SELECT * WHERE { ?s ?p }"))
            _show("malformed update", u("INSERT DATA { GRAPH <urn:x> { <urn:s> <urn:p> } }"))
            for round_ in (1, 2):
                op = f'DROP SILENT GRAPH <{multi}> ; INSERT DATA {{ GRAPH <{multi}> {{ <urn:s> <urn:p> "r{round_}" }} }}'
                _show(f"DROP SILENT GRAPH; INSERT DATA (#{round_})", u(op), f"-> {_count(server, multi)} triple(s)")
            _show("INSERT DATA with a blank node", u(f'INSERT DATA {{ GRAPH <{multi}> {{ _:b <urn:p> "b" }} }}'))
            _show("INSERT { _:b ... } WHERE {}", u(f'INSERT {{ GRAPH <{multi}> {{ _:b <urn:p> "b" }} }} WHERE {{}}'))
            lines = _triples(big)
            one_block = _graph_blocks("urn:check:big1", lines, len(lines))
            _show(f"{big:,} triples, one GRAPH block ({len(one_block) / 1e6:.1f} MB)", u(one_block),
                  f"-> {_count(server, 'urn:check:big1'):,}")
            _show(f"{big:,} triples, GRAPH blocks of 4,000", u(_graph_blocks("urn:check:big2", lines, 4000)),
                  f"-> {_count(server, 'urn:check:big2'):,}")
            rows = _show(f"SELECT all {big:,} rows (JSON)", q("SELECT * { GRAPH <urn:check:big2> { ?s ?p ?o } }"))
            print(f"  {'':<46} rows: {len(rows.json()['results']['bindings']):,}")  # type: ignore[index]
            stopping = time.perf_counter()
        open_ports = [port for port in server.ports if port_is_open(port)]
        print(f"  stopped in {time.perf_counter() - stopping:.2f} s; ports still open: {open_ports}")
        print(f"  total {time.perf_counter() - started:.1f} s")


def main(argv: list[str]) -> int:
    names = [a for a in argv if not a.startswith("-")] or ["oxigraph", "virtuoso"]
    big = next((int(a.split("=", 1)[1]) for a in argv if a.startswith("--big=")), 20_000)
    for name in names:
        reason = oxigraph_available() if name == "oxigraph" else virtuoso_available()
        if reason:
            print(f"\n{name}: skipped: {reason}")
            continue
        self_check(name, big)
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
