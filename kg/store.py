"""The policy store: one RDF dataset, a named graph per source document, behind one API.

Store URLs (``--store`` or the ``STUDIO_STORE`` environment variable):

``oxigraph:PATH``
    The embedded, persistent default (Oxigraph through pyoxigraph), ``oxigraph:.studio/store``
    relative to the working directory unless told otherwise. No server.
``memory:``
    In-memory Oxigraph, for tests and notebooks; gone when the process ends.
``http(s)://QUERY_URL[,UPDATE_URL]``
    A remote SPARQL 1.1 store. The update URL defaults to the query URL (or
    ``STUDIO_UPDATE_URL``); credentials in the URL (``http://user:pass@host/sparql-auth``) are sent
    with HTTP digest or basic authentication, whichever the server asks for.

Queries see the union of all named graphs as their default graph, so ``{ ?s ?p ?o }`` finds every
document's triples and ``GRAPH ?g { ... }`` tells which document they came from.

Every write of a graph is one transaction: the triples go into a staging graph first and one
SPARQL update ``MOVE``s them over the target graph, so after a crash or a kill the store holds the
old graph or the new one, never half of either. Leftover staging graphs are dropped on open.
"""

from __future__ import annotations

import hashlib
import os
import queue
import re
import threading
import time
import urllib.error
import urllib.parse
import urllib.request
import uuid
from abc import ABC, abstractmethod
from concurrent.futures import Future
from concurrent.futures import TimeoutError as FutureTimeout
from pathlib import Path
from typing import BinaryIO, Callable, Iterable, Iterator, Mapping, TypeVar

import pyoxigraph as ox
from rdflib import BNode, Dataset, Literal, URIRef
from rdflib.term import Node

from kg.errors import ParseError, QueryError, QueryTimeout, StoreError
from kg.results import QueryResult, parse_json_results
from kg.terms import check_iri, to_oxigraph, to_rdflib

DEFAULT_STORE_URL = "oxigraph:.studio/store"
STORE_ENV = "STUDIO_STORE"
UPDATE_URL_ENV = "STUDIO_UPDATE_URL"
GRAPH_BASE = "https://w3id.org/alignment-studio/graph/"
STAGING_PREFIX = "urn:studio:staging:"
# The core ontology lives in its own graph; the marker records which version of the file it is.
ONTOLOGY_GRAPH = URIRef("https://w3id.org/alignment-studio/policy")
ONTOLOGY_MARKER = URIRef("urn:studio:ontology-version")
RDF_VALUE = URIRef("http://www.w3.org/1999/02/22-rdf-syntax-ns#value")
# Graphs being written by the bulk loader are marked in this graph until they are complete.
LOADING_GRAPH = ox.NamedNode("urn:studio:loading")
LOADING_MARK = ox.NamedNode("urn:studio:loading-by-process")

# Prefixes every query may use without declaring them.
STANDARD_PREFIXES = {
    "pol": "https://w3id.org/alignment-studio/policy#",
    "rdf": "http://www.w3.org/1999/02/22-rdf-syntax-ns#",
    "rdfs": "http://www.w3.org/2000/01/rdf-schema#",
    "owl": "http://www.w3.org/2002/07/owl#",
    "xsd": "http://www.w3.org/2001/XMLSchema#",
    "skos": "http://www.w3.org/2004/02/skos/core#",
    "odrl": "http://www.w3.org/ns/odrl/2/",
    "eli": "http://data.europa.eu/eli/ontology#",
    "prov": "http://www.w3.org/ns/prov#",
    "dcterms": "http://purl.org/dc/terms/",
    "lrml": "http://docs.oasis-open.org/legalruleml/ns/v1.0/",
    "sh": "http://www.w3.org/ns/shacl#",
}

# File suffix -> pyoxigraph format, for import and export.
RDF_FORMATS = {
    "turtle": ox.RdfFormat.TURTLE,
    "ttl": ox.RdfFormat.TURTLE,
    "ntriples": ox.RdfFormat.N_TRIPLES,
    "nt": ox.RdfFormat.N_TRIPLES,
    "nquads": ox.RdfFormat.N_QUADS,
    "nq": ox.RdfFormat.N_QUADS,
    "trig": ox.RdfFormat.TRIG,
    "jsonld": ox.RdfFormat.JSON_LD,
    "json": ox.RdfFormat.JSON_LD,
    "rdfxml": ox.RdfFormat.RDF_XML,
    "rdf": ox.RdfFormat.RDF_XML,
    "owl": ox.RdfFormat.RDF_XML,
    "xml": ox.RdfFormat.RDF_XML,
    "n3": ox.RdfFormat.N3,
}
QUAD_FORMATS = (ox.RdfFormat.N_QUADS, ox.RdfFormat.TRIG, ox.RdfFormat.JSON_LD)

_LEADING_KEYWORD = re.compile(
    # Runs on text whose IRIs are blanked; no two adjacent \s* so it cannot backtrack badly.
    r"^\s*(?:(?:PREFIX\s*[^\s:]*:|BASE)\s*)*([A-Za-z]+)",
    re.IGNORECASE,
)
UPDATE_KEYWORDS = {"INSERT", "DELETE", "DROP", "CLEAR", "LOAD", "CREATE", "ADD", "MOVE", "COPY", "WITH"}
_SYNTAX_POSITION = re.compile(r"at (\d+):(\d+)")

Triple = tuple[Node, Node, Node]
T = TypeVar("T")


def graph_iri(name: str) -> URIRef:
    """The IRI of the named graph that holds document ``name`` (an id or a file name)."""
    if re.match(r"^[a-z][a-z0-9+.-]*:", name, re.IGNORECASE):
        return URIRef(check_iri(name, "graph"))
    return URIRef(GRAPH_BASE + urllib.parse.quote(name, safe="-._~"))


def resolve_store_url(url: str | None = None) -> str:
    return url or os.environ.get(STORE_ENV) or DEFAULT_STORE_URL


def open_store(
    url: str | None = None, *, update_url: str | None = None, read_only: bool = False
) -> "PolicyStore":
    """Open the store named by ``url`` (or ``$STUDIO_STORE``, or the embedded default).

    ``read_only`` opens an embedded store for reading even while another process (for example
    ``studio serve``) holds its write lock.
    """
    url = resolve_store_url(url)
    if url == "memory:":
        return OxigraphStore(None, url=url)
    if url.startswith("oxigraph:"):
        path = url[len("oxigraph:") :]
        if not path:
            raise StoreError(f"store URL {url!r} has no path; write oxigraph:PATH, e.g. oxigraph:.studio/store")
        return OxigraphStore(Path(path), url=url, read_only=read_only)
    if url.startswith(("http://", "https://")):
        query_url, _, inline_update = url.partition(",")
        return RemoteStore(
            query_url,
            update_url or inline_update or os.environ.get(UPDATE_URL_ENV) or None,
            read_only=read_only,
        )
    raise StoreError(
        f"unknown store URL {url!r}; use oxigraph:PATH (embedded, the default is "
        f"{DEFAULT_STORE_URL}), memory: (in memory), or http(s)://QUERY_URL[,UPDATE_URL] (a remote "
        "SPARQL 1.1 store)"
    )


def leading_keyword(sparql: str) -> str | None:
    """The first keyword after the prologue (SELECT, ASK, CONSTRUCT, INSERT ...), upper-cased."""
    match = _LEADING_KEYWORD.match(_blank_comments_and_strings(sparql))
    return match.group(1).upper() if match else None


def query_kind_hint(sparql: str) -> str | None:
    """The update keyword a text starts with (after its prologue), or None for a query."""
    keyword = leading_keyword(sparql)
    return keyword if keyword in UPDATE_KEYWORDS else None


def with_standard_prefixes(sparql: str) -> str:
    """Declare the standard prefixes a query uses but does not declare (for remote endpoints).

    They go on the query's first line so that line numbers in a server's error messages still
    match the user's text.
    """
    declared = {m.lower() for m in re.findall(r"PREFIX\s+([A-Za-z][\w-]*)?:", sparql, re.IGNORECASE)}
    needed = [
        f"PREFIX {p}: <{iri}>"
        for p, iri in STANDARD_PREFIXES.items()
        if p not in declared and re.search(rf"(?<![\w<#/]){p}:", sparql)
    ]
    return (" ".join(needed) + " " + sparql) if needed else sparql


class _DaemonWorkers:
    """Reusable daemon threads for queries with a timeout.

    Reuse saves a new thread per query (about 0.3 ms, as much as a whole point lookup). They are
    daemons, unlike ThreadPoolExecutor's, because the interpreter joins those at exit and a
    runaway query would then hold the process up for as long as it runs.
    """

    def __init__(self) -> None:
        self._tasks: queue.SimpleQueue = queue.SimpleQueue()
        self._idle = 0
        self._lock = threading.Lock()

    def submit(self, fn: Callable[..., T], *args: object) -> "Future[T]":
        future: Future = Future()
        self._tasks.put((future, fn, args))
        with self._lock:
            reuse = self._idle > 0
            if reuse:
                self._idle -= 1  # reserved: that thread's next get() takes a task
        if not reuse:
            threading.Thread(target=self._work, name="studio-query", daemon=True).start()
        return future

    def _work(self) -> None:
        while True:
            future, fn, args = self._tasks.get()
            if future.set_running_or_notify_cancel():
                try:
                    future.set_result(fn(*args))
                except BaseException as exc:  # handed to the waiting caller
                    future.set_exception(exc)
            with self._lock:
                self._idle += 1


_QUERY_WORKERS = _DaemonWorkers()


def _run_with_deadline(work: Callable[[float | None], T], timeout: float | None, label: str) -> T:
    """Run ``work(deadline)`` and give up after ``timeout`` seconds.

    Oxigraph releases the GIL while it evaluates, so the caller regains control on time. ``work``
    checks the deadline between result rows, which stops streaming queries early; a blocking
    operator (GROUP BY, ORDER BY) runs on in its worker thread until its first row, and the
    timeout is reported at once all the same, with that work as ``QueryTimeout.pending``.
    """
    if timeout is None:
        return work(None)
    if timeout <= 0:
        raise QueryError(f"{label}: the timeout must be a positive number of seconds, got {timeout}")
    deadline = time.monotonic() + timeout
    pending = _QUERY_WORKERS.submit(work, deadline)
    try:
        return pending.result(timeout)
    except (FutureTimeout, QueryTimeout) as exc:
        error = QueryTimeout(
            f"{label}: the query ran past its {timeout:g} s timeout; make it more selective "
            "(LIMIT, a narrower pattern) or allow it more time"
        )
        error.pending = pending  # still evaluating, maybe: a server keeps its slot until it ends
        raise error from exc


def _check_deadline(deadline: float | None) -> None:
    if deadline is not None and time.monotonic() > deadline:
        raise QueryTimeout("deadline passed")


class PolicyStore(ABC):
    """What every store offers; the rest of the project depends on this and nothing lower."""

    url: str
    read_only: bool
    _ontology_checked = False  # set once the core ontology graph is known to be current

    # -- reading ---------------------------------------------------------------------------
    @abstractmethod
    def query(
        self,
        sparql: str,
        bindings: Mapping[str, Node] | None = None,
        *,
        timeout: float | None = None,
        max_rows: int | None = None,
        name: str = "query",
    ) -> QueryResult:
        """Run a SPARQL query; ``bindings`` substitute variables (never by string formatting)."""

    @abstractmethod
    def graphs(self) -> dict[URIRef, int]:
        """Named graphs and their triple counts."""

    @abstractmethod
    def quads(self, graph: URIRef | None = None) -> Iterator[tuple[Node, Node, Node, URIRef | None]]:
        """Every quad, or those of one graph (the default graph appears as None)."""

    @property
    @abstractmethod
    def dataset(self) -> Dataset:
        """The same data through rdflib's Dataset API (for pyshacl, owlrl, rdflib users)."""

    def __len__(self) -> int:
        result = self.query("SELECT (COUNT(*) AS ?n) WHERE { { ?s ?p ?o } UNION { GRAPH ?g { ?s ?p ?o } } }")
        return int(result.rows[0][0])  # type: ignore[arg-type]

    def graph_triples(self, graph: URIRef) -> list[Triple]:
        return [(s, p, o) for s, p, o, _ in self.quads(graph)]

    # -- writing ---------------------------------------------------------------------------
    @abstractmethod
    def update(self, sparql: str, *, name: str = "update") -> None:
        """Run a SPARQL update as one transaction."""

    def ensure_ontology(self) -> bool:
        """Keep the current core ontology in its own graph, so queries can use its hierarchy
        and labels. Returns True when it was (re)written; a no-op when the file is unchanged."""
        from kg.namespaces import ontology_path

        path = ontology_path()
        digest = "sha256:" + hashlib.sha256(path.read_bytes()).hexdigest()
        present = self.query(
            "ASK { GRAPH ?g { ?marker rdf:value ?digest } }",
            {"g": ONTOLOGY_GRAPH, "marker": ONTOLOGY_MARKER, "digest": Literal(digest)},
            name="ontology check",
        )
        if present.boolean:
            return False
        triples = [
            (to_rdflib(q.subject), to_rdflib(q.predicate), to_rdflib(q.object))
            for q in ox.parse(path=str(path), format=ox.RdfFormat.TURTLE)
        ]
        triples.append((ONTOLOGY_MARKER, RDF_VALUE, Literal(digest)))
        self._replace_graphs_now({ONTOLOGY_GRAPH: triples})
        return True

    @abstractmethod
    def _insert_quads(self, quads: list[tuple[Node, Node, Node, URIRef]]) -> None:
        """Add quads (already validated) in as few transactions as the backend allows."""

    def replace_graphs(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> dict[URIRef, int]:
        """Replace each named graph by the given triples, all of them in one transaction.

        Returns the number of triples written per graph. Graphs that do not exist yet are written
        in place (one transaction, or the bulk loader guarded by loading marks); graphs that do are
        staged first and switched by one SPARQL update of MOVE operations. Either way a crash
        leaves every old graph or every new one, once the store is opened again.
        """
        self._require_writable("replace graphs")
        if not self._ontology_checked:
            self._ontology_checked = True
            self.ensure_ontology()
        return self._replace_graphs_now(graphs)

    def _replace_graphs_now(self, graphs: Mapping[URIRef, Iterable[Triple]]) -> dict[URIRef, int]:
        for target in graphs:
            check_iri(str(target), "graph")
        graphs = {target: list(triples) for target, triples in graphs.items()}
        counts = {g: len(t) for g, t in graphs.items()}
        direct = [(s, p, o, g) for g, triples in graphs.items() for s, p, o in triples]
        # Nothing to replace: staging and then copying over (a MOVE costs as much as the insert
        # again on disk) would be wasted when the new graphs can be written safely in place.
        if not any(self.has_graph(g) for g in graphs) and self._write_new_graphs(direct, list(graphs)):
            return counts
        staging = {target: URIRef(f"{STAGING_PREFIX}{uuid.uuid4()}") for target in graphs}
        quads = [(s, p, o, staging[g]) for g, triples in graphs.items() for s, p, o in triples]
        try:
            self._insert_quads(quads)
            moves = [
                f"MOVE SILENT <{stage}> TO <{target}>"
                if counts[target]
                else f"DROP SILENT GRAPH <{target}>"
                for target, stage in staging.items()
            ]
            self.update(" ;\n".join(moves), name="replace graphs")
        except BaseException:
            self._drop_staging(staging.values())
            raise
        return counts

    def replace_graph(self, graph: URIRef, triples: Iterable[Triple]) -> int:
        return self.replace_graphs({graph: triples})[graph]

    def has_graph(self, graph: URIRef) -> bool:
        """True when the named graph holds at least one triple."""
        return bool(self.query("ASK { GRAPH ?g { ?s ?p ?o } }", {"g": graph}, name="graph check").boolean)

    def _write_new_graphs(self, quads: list, targets: list[URIRef]) -> bool:
        """Write quads of graphs that do not exist yet, all or nothing, if this backend can do
        so without staging; False leaves the work to the staging path."""
        return False

    def drop_graph(self, graph: URIRef) -> bool:
        """Remove one named graph; False when it was not there."""
        self._require_writable("drop a graph")
        existed = self.has_graph(graph)
        self.update(f"DROP SILENT GRAPH <{check_iri(str(graph), 'graph')}>", name="drop graph")
        return existed

    def import_file(
        self, path: Path, graph: URIRef | None = None, fmt: str | None = None
    ) -> dict[URIRef, int]:
        """Parse an RDF file completely, then write it in one transaction.

        Triples go to ``graph`` (default: a graph named after the file); quads formats keep their
        own graph names and put default-graph triples in that graph. A file that does not parse
        changes nothing.
        """
        path = Path(path)
        rdf_format = rdf_format_for(path, fmt)
        target = graph or graph_iri(path.name)
        by_graph: dict[URIRef, list[Triple]] = {}
        try:
            with open(path, "rb") as handle:
                for quad in ox.parse(handle, format=rdf_format, base_iri=path.resolve().as_uri()):
                    g = quad.graph_name
                    name = target if isinstance(g, ox.DefaultGraph) else to_rdflib(g)
                    by_graph.setdefault(name, []).append(  # type: ignore[arg-type]
                        (to_rdflib(quad.subject), to_rdflib(quad.predicate), to_rdflib(quad.object))
                    )
        except FileNotFoundError as exc:
            raise ParseError(f"{path}: no such file; check the path") from exc
        except IsADirectoryError as exc:
            raise ParseError(f"{path}: is a directory; give the RDF files inside it") from exc
        except SyntaxError as exc:
            raise ParseError(
                f"{path}: does not parse as {rdf_format.name}: {exc.msg if hasattr(exc, 'msg') else exc}; "
                "fix the file, or give the right --format if the suffix misleads"
            ) from exc
        except (OSError, ValueError) as exc:
            raise ParseError(f"{path}: cannot be read as {rdf_format.name}: {exc}") from exc
        if not by_graph:
            raise ParseError(f"{path}: holds no triples; nothing was imported")
        return self.replace_graphs(by_graph)

    def export(self, out: BinaryIO, fmt: str = "nquads", graph: URIRef | None = None) -> int:
        """Write the store (or one graph) to ``out``; returns the number of statements written.

        Triple formats (turtle, ntriples, rdfxml) get the union of all graphs, or the one graph
        asked for; quad formats (nquads, trig, jsonld) keep the graph names.
        """
        if fmt not in RDF_FORMATS:
            raise StoreError(f"unknown export format {fmt!r}; use one of turtle, ntriples, nquads, trig, jsonld, rdfxml")
        rdf_format = RDF_FORMATS[fmt]
        if rdf_format in QUAD_FORMATS:
            items = [
                ox.Quad(
                    to_oxigraph(s),
                    to_oxigraph(p),
                    to_oxigraph(o),
                    ox.DefaultGraph() if g is None else to_oxigraph(g),
                )
                for s, p, o, g in self.quads(graph)
            ]
        else:
            seen: set[Triple] = set()
            items = []
            for s, p, o, _ in self.quads(graph):
                if (s, p, o) not in seen:
                    seen.add((s, p, o))
                    items.append(ox.Triple(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o)))
        ox.serialize(items, out, format=rdf_format, prefixes=dict(STANDARD_PREFIXES))
        return len(items)

    # -- housekeeping ----------------------------------------------------------------------
    def _require_writable(self, what: str) -> None:
        if self.read_only:
            raise StoreError(
                f"cannot {what}: the store {self.url} is open read-only (another process such as "
                "`studio serve` holds it, or no update URL was given); stop that process or give a "
                "writable store"
            )

    def _drop_staging(self, graphs: Iterable[URIRef]) -> None:
        drops = [f"DROP SILENT GRAPH <{g}>" for g in graphs]
        if drops:
            try:
                self.update(" ;\n".join(drops), name="drop staging graphs")
            except Exception:  # the original error matters more; staging is dropped on next open
                pass

    def close(self) -> None:
        """Release the store (the embedded store's lock); idempotent."""

    def __enter__(self) -> "PolicyStore":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


def rdf_format_for(path: Path, fmt: str | None = None) -> ox.RdfFormat:
    key = (fmt or path.suffix.lstrip(".")).lower()
    if key not in RDF_FORMATS:
        raise ParseError(
            f"{path}: cannot tell the RDF format from {'--format ' + fmt if fmt else 'the suffix ' + repr(path.suffix)}; "
            "give --format turtle|ntriples|nquads|trig|jsonld|rdfxml|n3"
        )
    return RDF_FORMATS[key]


class OxigraphStore(PolicyStore):
    """Embedded Oxigraph: on disk (persistent, locked by one writer) or in memory."""

    def __init__(self, path: Path | None, *, url: str, read_only: bool = False) -> None:
        self.url = url
        self.path = path
        self.read_only = read_only
        self._ox = self._open(path, read_only)
        self._dataset: Dataset | None = None
        if not self.read_only:
            self._drop_leftover_staging()

    def _open(self, path: Path | None, read_only: bool) -> ox.Store:
        if path is None:
            return ox.Store()
        if path.exists() and not path.is_dir():
            raise StoreError(f"store {self.url}: {path} is a file, not a store directory; choose another path")
        if path.is_dir() and any(path.iterdir()) and not (path / "CURRENT").exists():
            raise StoreError(
                f"store {self.url}: {path} is a non-empty directory that is not an Oxigraph store "
                "(no CURRENT file); give an empty or new directory"
            )
        if read_only and not (path / "CURRENT").exists():
            raise StoreError(f"store {self.url}: there is no store at {path} yet; load or import something first")
        if not read_only:
            try:
                path.mkdir(parents=True, exist_ok=True)  # RocksDB makes only the last level
            except OSError as exc:
                raise StoreError(f"store {self.url}: cannot create the directory {path}: {exc}; choose another path") from exc
        try:
            return ox.Store.read_only(str(path)) if read_only else ox.Store(str(path))
        except (OSError, RuntimeError) as exc:  # RocksDB reports corruption as RuntimeError
            text = str(exc)
            if "lock" in text.lower():
                raise StoreError(
                    f"store {self.url} is locked by another process (a running `studio serve` or "
                    f"another studio command): {text}. Stop that process, or query the running "
                    "server with --store http://HOST:PORT/sparql"
                ) from exc
            raise StoreError(
                f"store {self.url} at {path} cannot be opened, it looks corrupted: {text}. Restore "
                "it from a backup or an `studio export`, or move it aside and load the documents again"
            ) from exc

    def _drop_leftover_staging(self) -> None:
        """Drop what a killed write left: staging graphs, and graphs marked as still loading."""
        leftovers = [g for g in self._ox.named_graphs() if g.value.startswith(STAGING_PREFIX)]
        for graph in leftovers:
            self._ox.remove_graph(graph)
        self._drop_half_loaded()

    # -- reading ---------------------------------------------------------------------------
    @property
    def _store(self) -> ox.Store:
        if self._ox is None:
            raise StoreError(f"the store {self.url} is closed; open it again with open_store()")
        return self._ox

    def query(self, sparql, bindings=None, *, timeout=None, max_rows=None, name="query"):
        kind = query_kind_hint(sparql)
        if kind:
            raise QueryError(
                f"{name}: this is a SPARQL update ({kind}), not a query; queries only read the store"
            )
        store = self._store
        # Bindings go in as a VALUES block, as for remote stores: Oxigraph's own substitution
        # takes only projected variables and made a property-path query 13-39x slower.
        text = bind_with_values(sparql, bindings or {})
        started = time.perf_counter()

        def work(deadline: float | None) -> QueryResult:
            try:
                answer = store.query(text, use_default_graph_as_union=True, prefixes=STANDARD_PREFIXES)
            except SyntaxError as exc:
                raise QueryError(_syntax_message(name, exc)) from exc
            except OSError as exc:
                raise StoreError(f"{name}: the store {self.url} failed while reading: {exc}") from exc
            return _collect(answer, deadline, max_rows)

        result = _run_with_deadline(work, timeout, name)
        result.seconds = time.perf_counter() - started
        return result

    def graphs(self) -> dict[URIRef, int]:
        answer = self._store.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {URIRef(row["g"].value): int(row["n"].value) for row in answer}

    def quads(self, graph=None):
        pattern_graph = None if graph is None else ox.NamedNode(str(graph))
        for quad in self._store.quads_for_pattern(None, None, None, pattern_graph):
            yield (
                to_rdflib(quad.subject),
                to_rdflib(quad.predicate),
                to_rdflib(quad.object),
                to_rdflib(quad.graph_name),
            )

    def __len__(self) -> int:
        return len(self._store)

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            from oxrdflib import OxigraphStore as RdflibOxigraph

            self._dataset = Dataset(store=RdflibOxigraph(store=self._store), default_union=True)
        return self._dataset

    @property
    def oxigraph(self) -> ox.Store:
        """The pyoxigraph store itself, for bulk work that rdflib would slow down."""
        return self._store

    # -- writing ---------------------------------------------------------------------------
    def update(self, sparql: str, *, name: str = "update") -> None:
        self._require_writable("update")
        try:
            self._store.update(sparql, prefixes=STANDARD_PREFIXES)
        except SyntaxError as exc:
            raise QueryError(_syntax_message(name, exc)) from exc
        except OSError as exc:
            raise StoreError(f"{name}: the store {self.url} failed while writing: {exc}; nothing was changed") from exc

    def _insert_quads(self, quads) -> None:
        try:
            self._store.extend(
                ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g))
                for s, p, o, g in quads
            )
        except OSError as exc:
            raise StoreError(f"the store {self.url} failed while writing: {exc}; nothing was changed") from exc

    # Above this many quads the bulk loader (sorted files ingested whole) beats a transaction,
    # 2.6x at a million quads on disk, and holds far less in memory.
    bulk_threshold = 20_000

    def _write_new_graphs(self, quads: list, targets: list[URIRef]) -> bool:
        if len(quads) < self.bulk_threshold:
            self._insert_quads(quads)  # one transaction
        else:
            self._bulk_write_new(
                (ox.Quad(to_oxigraph(s), to_oxigraph(p), to_oxigraph(o), to_oxigraph(g)) for s, p, o, g in quads),
                [ox.NamedNode(str(t)) for t in targets],
            )
        return True

    def _bulk_write_new(self, quads: Iterable[ox.Quad], targets: list[ox.NamedNode]) -> None:
        """Bulk-load quads of new graphs. The bulk loader has no transaction, so the graphs are
        marked as loading first and unmarked after: a store opened with a mark left behind drops
        that half-written graph."""
        marks = [ox.Quad(t, LOADING_MARK, ox.Literal(str(os.getpid())), LOADING_GRAPH) for t in targets]
        store = self._store
        try:
            store.extend(marks)
            store.bulk_extend(quads)
            store.flush()
            for mark in marks:
                store.remove(mark)
        except (OSError, RuntimeError) as exc:
            self._drop_half_loaded()
            raise StoreError(f"the store {self.url} failed while writing: {exc}; nothing was kept") from exc

    def _drop_half_loaded(self) -> None:
        store = self._store
        for mark in list(store.quads_for_pattern(None, LOADING_MARK, None, LOADING_GRAPH)):
            store.remove_graph(mark.subject)
            store.remove(mark)

    def bulk_insert(self, quads: Iterable[ox.Quad]) -> None:
        """Add pyoxigraph quads without converting them to rdflib first, all or nothing.

        Into graphs that do not exist yet, large inputs take the bulk loader (guarded by loading
        marks); otherwise one transaction.
        """
        self._require_writable("insert")
        quads = list(quads)
        targets = list({q.graph_name for q in quads})
        is_new = all(isinstance(t, ox.NamedNode) and not self.has_graph(URIRef(t.value)) for t in targets)
        if is_new and len(quads) >= self.bulk_threshold:
            self._bulk_write_new(quads, targets)
        else:
            self._store.extend(quads)

    def close(self) -> None:
        if self._ox is not None and self.path is not None and not self.read_only:
            self._ox.flush()
        self._ox = None  # type: ignore[assignment]
        self._dataset = None


def _syntax_message(name: str, exc: SyntaxError) -> str:
    text = str(exc.args[0] if exc.args else exc)
    match = _SYNTAX_POSITION.search(text)
    detail = text.split(": ", 1)[1] if ": " in text else text
    if match:
        return f"{name}: SPARQL syntax error at line {match.group(1)}, column {match.group(2)}: {detail}"
    return f"{name}: SPARQL syntax error: {detail}"


def _collect(answer: object, deadline: float | None, max_rows: int | None) -> QueryResult:
    if isinstance(answer, ox.QueryBoolean):
        return QueryResult(kind="ask", boolean=bool(answer))
    # One answer repeats the same IRIs over and over: convert each once.
    cache: dict[object, Node | None] = {}

    def term(value: object) -> Node | None:
        if isinstance(value, ox.NamedNode):
            found = cache.get(value)
            if found is None:
                found = cache[value] = URIRef(value.value)
            return found
        return to_rdflib(value)

    items: list[tuple] = []
    truncated = False
    if isinstance(answer, ox.QuerySolutions):
        variables = [v.value for v in answer.variables]
        width = range(len(variables))
        kind = "select"
        converted = (tuple(term(solution[i]) for i in width) for solution in answer)
    else:  # QueryTriples
        variables, kind = [], "graph"
        converted = ((term(t.subject), term(t.predicate), term(t.object)) for t in answer)
    for item in converted:
        if max_rows is not None and len(items) >= max_rows:
            truncated = True
            break
        if len(items) % 256 == 0:
            _check_deadline(deadline)
        items.append(item)
    if kind == "select":
        return QueryResult(kind="select", variables=variables, rows=items, truncated=truncated)
    return QueryResult(kind="graph", triples=items, truncated=truncated)


class RemoteStore(PolicyStore):
    """A SPARQL 1.1 endpoint over HTTP (Oxigraph server, Virtuoso, Fuseki, GraphDB ...)."""

    # Virtuoso's SPARQL parser fails past about 4,990 triples in one INSERT DATA block and
    # refuses request bodies of about 10 MB; staying under both keeps every server happy.
    insert_batch = 4000
    insert_bytes = 4_000_000

    def __init__(self, query_url: str, update_url: str | None, *, read_only: bool = False, timeout: float = 30.0) -> None:
        self.query_url, query_auth = _split_credentials(query_url)
        self.update_url, update_auth = _split_credentials(update_url or query_url)
        self.url = self.query_url if not update_url else f"{self.query_url},{self.update_url}"
        self.read_only = read_only
        self.timeout = timeout
        self._opener, self._digest = _opener_for([(self.query_url, query_auth), (self.update_url, update_auth)])
        self._dataset: Dataset | None = None
        self._ping()

    def _ping(self) -> None:
        try:
            self._post(self.query_url, {"query": "ASK { }"}, "application/sparql-results+json", timeout=10)
        except QueryError as exc:
            raise StoreError(f"the remote store {self.query_url} does not answer SPARQL queries: {exc}") from exc

    def _post(self, url: str, form: Mapping[str, str], accept: str, *, timeout: float | None = None) -> tuple[bytes, str, Mapping[str, str]]:
        body = urllib.parse.urlencode(form).encode()
        request = urllib.request.Request(
            url,
            data=body,
            headers={"Accept": accept, "Content-Type": "application/x-www-form-urlencoded"},
        )
        # CPython's digest handler gives up for good after a few failed requests (gh-53907)
        self._digest.reset_retry_count()
        try:
            with self._opener.open(request, timeout=timeout or self.timeout) as response:
                return response.read(), response.headers.get("Content-Type", ""), response.headers
        except urllib.error.HTTPError as exc:
            detail = exc.read().decode("utf-8", "replace").strip()[:500]
            if exc.code in (401, 403):
                raise QueryError(
                    f"{url} refused the request (HTTP {exc.code}): {detail or exc.reason}. For updates give "
                    "an update URL that accepts them, with credentials (http://user:pass@host/path)"
                ) from exc
            raise QueryError(f"{url} answered HTTP {exc.code}: {detail or exc.reason}") from exc
        except urllib.error.URLError as exc:
            raise StoreError(
                f"cannot reach the SPARQL endpoint {url}: {exc.reason}; start the server or check --store"
            ) from exc
        except TimeoutError as exc:
            raise QueryTimeout(f"{url} did not answer within {timeout or self.timeout:g} s") from exc

    def query(self, sparql, bindings=None, *, timeout=None, max_rows=None, name="query"):
        kind = query_kind_hint(sparql)
        if kind:
            raise QueryError(f"{name}: this is a SPARQL update ({kind}), not a query; queries only read the store")
        text = bind_with_values(with_standard_prefixes(sparql), bindings or {})
        started = time.perf_counter()
        # Some servers (Virtuoso) pick the answer's shape from Accept alone, so ask for the one
        # that fits the query form.
        graph_form = leading_keyword(sparql) in ("CONSTRUCT", "DESCRIBE")
        accept = "application/n-triples, text/turtle;q=0.8" if graph_form else "application/sparql-results+json"
        payload, content_type, headers = self._post(self.query_url, {"query": text}, accept, timeout=timeout)
        if graph_form:
            result = _parse_graph_answer(payload, content_type, self.query_url)
        else:
            result = parse_json_results(payload, self.query_url)
        if headers.get("X-SPARQL-MaxRows"):  # Virtuoso's only sign that it cut the answer
            result.truncated = True
        if max_rows is not None and len(result) > max_rows:
            result.rows = result.rows[:max_rows]
            result.triples = result.triples[:max_rows]
            result.truncated = True
        result.seconds = time.perf_counter() - started
        return result

    def update(self, sparql: str, *, name: str = "update") -> None:
        self._require_writable("update")
        self._post(self.update_url, {"update": with_standard_prefixes(sparql)}, "*/*")

    def _write_new_graphs(self, quads: list, targets: list[URIRef]) -> bool:
        # One INSERT DATA request is a transaction; more than one is not, so those go staged.
        if len(quads) > self.insert_batch:
            return False
        # escaping can grow a literal, so estimate with room to spare
        if sum(len(s) + len(p) + len(o) + 16 for s, p, o, _ in quads) * 2 > self.insert_bytes:
            return False
        self._insert_quads(quads)
        return True

    def _insert_quads(self, quads) -> None:
        by_graph: dict[URIRef, list[str]] = {}
        size = count = 0
        for s, p, o, g in quads:
            line = f"{_n3(s)} {_n3(p)} {_n3(o)} ."
            if count == self.insert_batch or size + len(line) > self.insert_bytes:
                self._insert_data(by_graph)
                by_graph, size, count = {}, 0, 0
            by_graph.setdefault(g, []).append(line)
            size += len(line) + 1
            count += 1
        if by_graph:
            self._insert_data(by_graph)

    def _insert_data(self, by_graph: dict[URIRef, list[str]]) -> None:
        blocks = "\n".join(f"GRAPH <{g}> {{\n" + "\n".join(lines) + "\n}" for g, lines in by_graph.items())
        self.update(f"INSERT DATA {{\n{blocks}\n}}", name="insert")

    def graphs(self) -> dict[URIRef, int]:
        result = self.query("SELECT ?g (COUNT(*) AS ?n) WHERE { GRAPH ?g { ?s ?p ?o } } GROUP BY ?g")
        return {row[0]: int(row[1]) for row in result.rows if isinstance(row[0], URIRef)}  # type: ignore[arg-type]

    def quads(self, graph=None):
        if graph is not None:
            result = self.query(f"SELECT ?s ?p ?o WHERE {{ GRAPH <{check_iri(str(graph), 'graph')}> {{ ?s ?p ?o }} }}")
            for s, p, o in result.rows:
                yield s, p, o, graph
            return
        result = self.query("SELECT ?s ?p ?o ?g WHERE { GRAPH ?g { ?s ?p ?o } }")
        yield from (tuple(row) for row in result.rows)  # type: ignore[misc]

    def __len__(self) -> int:
        return sum(self.graphs().values())

    @property
    def dataset(self) -> Dataset:
        if self._dataset is None:
            from rdflib.plugins.stores.sparqlstore import SPARQLUpdateStore

            store = SPARQLUpdateStore(self.query_url, self.update_url)
            self._dataset = Dataset(store=store, default_union=True)
        return self._dataset


SKOLEM_BASE = "https://w3id.org/alignment-studio/.well-known/genid/"


def _n3(term: Node) -> str:
    if isinstance(term, URIRef):
        return f"<{check_iri(str(term))}>"
    if isinstance(term, BNode):
        # Written as a skolem IRI (RDF 1.1, section 3.5): blank nodes are refused in INSERT DATA by
        # some servers (Virtuoso), and their labels would not join across batched requests.
        return f"<{SKOLEM_BASE}{re.sub(r'[^A-Za-z0-9_-]', '', str(term))}>"
    return term.n3()


_WHERE_OPEN = re.compile(r"\bWHERE\s*\{", re.IGNORECASE)


def bind_with_values(sparql: str, bindings: Mapping[str, Node]) -> str:
    """Bind variables with a VALUES block as the first element of the WHERE group.

    Placed there, the values are joined before the group's BIND and FILTER run, which is what
    substitution means; terms are escaped by rdflib and IRIs checked, so a value can never end
    the block and add SPARQL of its own. Without a WHERE keyword the block goes at the end.
    """
    if not bindings:
        return sparql
    names = " ".join(f"?{k}" for k in bindings)
    values = " ".join(_n3(v) for v in bindings.values())
    block = f" VALUES ({names}) {{ ({values}) }} "
    blanked = _blank_comments_and_strings(sparql)
    match = _WHERE_OPEN.search(blanked)
    if match:
        return sparql[: match.end()] + block + sparql[match.end() :]
    if leading_keyword(sparql) in ("SELECT", "ASK"):
        # WHERE is optional there: the group is the first brace (IRIs and strings are blanked)
        brace = blanked.find("{")
        if brace >= 0:
            return sparql[: brace + 1] + block + sparql[brace + 1 :]
    return sparql + "\n" + block


def _blank_comments_and_strings(sparql: str) -> str:
    """The query with comments, strings and IRIs blanked out, same length, for safe searching."""
    pattern = re.compile(r'#[^\n]*|"""(?:.|\n)*?"""|\'\'\'(?:.|\n)*?\'\'\'|"(?:\\.|[^"\\\n])*"|\'(?:\\.|[^\'\\\n])*\'|<[^<>\s]*>')
    return pattern.sub(lambda m: " " * len(m.group(0)), sparql)


def _parse_graph_answer(payload: bytes, content_type: str, source: str) -> QueryResult:
    media = content_type.split(";")[0].strip().lower()
    formats = {
        "application/n-triples": ox.RdfFormat.N_TRIPLES,
        "text/plain": ox.RdfFormat.N_TRIPLES,
        "text/turtle": ox.RdfFormat.TURTLE,
        "application/rdf+xml": ox.RdfFormat.RDF_XML,
        "application/ld+json": ox.RdfFormat.JSON_LD,
    }
    if media not in formats:
        raise QueryError(f"{source} answered with {content_type or 'no content type'}, which is not a SPARQL result format")
    try:
        triples = [
            (to_rdflib(t.subject), to_rdflib(t.predicate), to_rdflib(t.object))
            for t in ox.parse(payload, format=formats[media])
        ]
    except SyntaxError as exc:
        raise QueryError(f"{source} sent a graph answer that does not parse: {exc}") from exc
    return QueryResult(kind="graph", triples=triples)  # type: ignore[arg-type]


def _split_credentials(url: str) -> tuple[str, tuple[str, str] | None]:
    parts = urllib.parse.urlsplit(url)
    if parts.username is None:
        return url, None
    netloc = parts.hostname or ""
    if parts.port:
        netloc += f":{parts.port}"
    clean = urllib.parse.urlunsplit((parts.scheme, netloc, parts.path, parts.query, parts.fragment))
    return clean, (urllib.parse.unquote(parts.username), urllib.parse.unquote(parts.password or ""))


def _opener_for(
    endpoints: list[tuple[str, tuple[str, str] | None]],
) -> tuple[urllib.request.OpenerDirector, urllib.request.HTTPDigestAuthHandler]:
    passwords = urllib.request.HTTPPasswordMgrWithDefaultRealm()
    for url, auth in endpoints:
        if auth:
            passwords.add_password(None, url, *auth)
    digest = urllib.request.HTTPDigestAuthHandler(passwords)
    return urllib.request.build_opener(digest, urllib.request.HTTPBasicAuthHandler(passwords)), digest
