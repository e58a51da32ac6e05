"""OWL 2 consistency checking of the policy graph with HermiT (as bundled by owlready2).

``check_consistency`` answers two questions about the ontology plus some instance data: is it
consistent, and if not, which resources are to blame. HermiT's verdict never names a resource,
so quick rdflib checks run first and name the usual culprits: a resource with two disjoint
types (asserted, or implied by rdfs:subClassOf / rdfs:domain / rdfs:range), a rule that
overrides itself, an ill-typed literal or one outside the range of its property, two values of a
functional property. Each of these is an OWL 2 inconsistency on its own, so when they find one
HermiT is not started; otherwise HermiT decides, and also lists unsatisfiable classes.

HermiT is run directly from owlready2's bundled jar rather than through ``sync_reasoner``:
owlready2 leaves its N-Triples temp file in the system temp dir whenever HermiT reports an
inconsistency or fails, and it asks for full classification and realisation where a
satisfiability check (-k) and the unsatisfiable classes (-U) are all that is needed.
"""

from __future__ import annotations

import os
import subprocess
import tempfile
import time
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path

from rdflib import BNode, Dataset, Graph, Literal, URIRef
from rdflib.collection import Collection
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import OWL, RDF, RDFS, XSD
from rdflib.term import Node

from kg.errors import ReasoningError
from kg.namespaces import PREFIXES, ontology_path

__all__ = ["ConsistencyReport", "check_consistency"]

Triple = tuple[Node, Node, Node]

_HERMIT_MAIN = "org.semanticweb.HermiT.cli.CommandLine"
_NOTHING_HEADER = "Classes equivalent to"
# Below this size the JVM's startup dominates, and stopping the JIT at C1 saves about 0.4 s a
# run; above it HermiT's own work dominates and deserves the optimising compiler.
_SMALL_INPUT_TRIPLES = 50_000

_INTEGER_TYPES = frozenset(
    XSD[name]
    for name in (
        "integer", "int", "long", "short", "byte", "nonNegativeInteger", "positiveInteger",
        "nonPositiveInteger", "negativeInteger", "unsignedLong", "unsignedInt", "unsignedShort",
        "unsignedByte",
    )
)


@dataclass(frozen=True)
class ConsistencyReport:
    """Outcome of ``check_consistency``.

    ``consistent`` is False when HermiT finds the ontology plus the data inconsistent, when a
    named class is unsatisfiable (any instance of it would make the graph inconsistent), or when
    a literal is ill-typed. ``problems`` names the resources involved and what to change.
    """

    consistent: bool
    problems: list[str]
    seconds: float


def check_consistency(data: Graph | None = None, *, timeout: float = 300.0) -> ConsistencyReport:
    """Check ``ontologies/policy.ttl`` plus ``data`` for OWL 2 consistency with HermiT.

    ``data`` is instance data (a Dataset or ConjunctiveGraph contributes all its graphs).
    Problems come in a fixed order, so the same input gives the same report. Raises
    ``ReasoningError`` when the ontology cannot be read or HermiT cannot run (no Java, a Java
    error, ``timeout`` seconds exceeded).
    """
    start = time.perf_counter()
    merged = _load_ontology()
    if data is not None:
        for triple in _triples_of(data):
            merged.add(triple)

    problems = [
        f"{_name(s, full=True)} {_name(p)} {o.n3()} is not a valid {_name(o.datatype)} "
        "literal; fix its lexical form or its datatype"
        for s, p, o in merged
        if isinstance(o, Literal) and o.ill_typed
    ]
    problems += _diagnose(merged)
    if problems:
        # Every quick check finds only genuine OWL 2 inconsistencies, so HermiT could only
        # agree; skipping it saves the JVM's second or so.
        return ConsistencyReport(False, problems, time.perf_counter() - start)

    hermit_consistent, unsatisfiable, malformed = _run_hermit(merged, timeout)
    problems = [
        f"HermiT rejected the literal {literal}; fix its lexical form or its datatype"
        for literal in malformed
    ]
    problems += [
        f"class {_name(URIRef(c))} is unsatisfiable (equivalent to owl:Nothing): nothing can be "
        "an instance of it; check its rdfs:subClassOf and disjointness axioms"
        for c in unsatisfiable
    ]
    if not hermit_consistent and not problems:
        problems.append(
            "HermiT found the ontology plus the data inconsistent, but the quick checks (disjoint "
            "types, literal ranges, functional and irreflexive properties) did not find the "
            "cause; look for owl:sameAs / owl:differentFrom, cardinality or other schema axioms "
            "added in the data"
        )
    return ConsistencyReport(
        consistent=hermit_consistent and not problems,
        problems=problems,
        seconds=time.perf_counter() - start,
    )


# ------------------------------------------------------------------------------------------------
# Loading


def _load_ontology() -> Graph:
    path = ontology_path()
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise ReasoningError(
            f"ontology file {path} is missing; reinstall the package or restore the file"
        ) from exc
    except Exception as exc:  # rdflib raises parser-specific exception types
        raise ReasoningError(f"cannot parse the ontology {path}: {exc}; fix the Turtle") from exc
    return graph


def _triples_of(data: Graph) -> Iterator[Triple]:
    if isinstance(data, (Dataset, ConjunctiveGraph)):
        for s, p, o, _ in data.quads((None, None, None, None)):
            yield s, p, o
    else:
        yield from data.triples((None, None, None))


# ------------------------------------------------------------------------------------------------
# HermiT


def _run_hermit(graph: Graph, timeout: float) -> tuple[bool, list[str], list[str]]:
    """Return (consistent, unsatisfiable class IRIs, malformed literals HermiT rejected)."""
    import owlready2
    from owlready2 import reasoning as owl_reasoning

    hermit_dir = Path(owlready2.__file__).resolve().parent / "hermit"
    if not (hermit_dir / "HermiT.jar").is_file():
        raise ReasoningError(
            f"HermiT.jar is missing from {hermit_dir}; reinstall owlready2 (pip install "
            "--force-reinstall owlready2)"
        )
    java = owlready2.JAVA_EXE
    with tempfile.TemporaryDirectory(prefix="studio-hermit-") as tmp:
        source = Path(tmp) / "input.nt"
        graph.serialize(destination=source, format="nt", encoding="utf-8")
        command = [
            java,
            f"-Xmx{owl_reasoning.JAVA_MEMORY}M",
            f"-Djava.io.tmpdir={tmp}",
            "-XX:-UsePerfData",  # no hsperfdata file in the system temp dir
            "-XX:+UseSerialGC",
            *(["-XX:TieredStopAtLevel=1"] if len(graph) < _SMALL_INPUT_TRIPLES else []),
            "-cp",
            os.pathsep.join((str(hermit_dir), str(hermit_dir / "HermiT.jar"))),
            _HERMIT_MAIN,
            "-k",  # satisfiability of owl:Thing, i.e. consistency
            "-U",  # classes equivalent to owl:Nothing
            "-N",  # full IRIs in the output
            # OWL 2 has no xsd:date or xsd:duration; HermiT would abort on ELI dates.
            "--ignoreUnsupportedDatatypes",
            source.as_uri(),
        ]
        try:
            done = subprocess.run(
                command, capture_output=True, text=True, timeout=timeout, cwd=tmp, check=False
            )
        except FileNotFoundError as exc:
            raise ReasoningError(
                f"Java was not found (tried {java!r}); install a Java runtime (11 or later) or "
                "set owlready2.JAVA_EXE to the java executable"
            ) from exc
        except subprocess.TimeoutExpired as exc:
            raise ReasoningError(
                f"HermiT did not finish within {timeout:g} s on {len(graph)} triples; reason "
                "over a smaller graph or raise the timeout"
            ) from exc
        except OSError as exc:
            raise ReasoningError(f"cannot run Java ({java!r}): {exc}") from exc

    output = done.stdout + "\n" + done.stderr
    if done.returncode == 0:
        return True, _parse_unsatisfiable(done.stdout), []
    if "InconsistentOntologyException" in output:
        return False, [], []
    if "MalformedLiteralException" in output:
        literals = [
            line.split("Literal ", 1)[1].rsplit(" is malformed", 1)[0]
            for line in output.splitlines()
            if "MalformedLiteralException" in line and "Literal " in line
        ]
        return False, [], literals or ["(unnamed)"]
    # The exception and its message come first; the stack trace after them is noise here.
    head = "\n".join(output.strip().splitlines()[:8])
    raise ReasoningError(
        f"HermiT failed (exit status {done.returncode}) on {len(graph)} triples of ontology "
        f"plus data; Java said:\n{head}"
    )


def _parse_unsatisfiable(stdout: str) -> list[str]:
    classes: list[str] = []
    in_list = False
    for line in stdout.splitlines():
        if line.startswith(_NOTHING_HEADER):
            in_list = True
            continue
        if in_list:
            if not line.startswith("\t"):
                break
            iri = line.strip().strip("<>")
            if iri and iri != str(OWL.Nothing):
                classes.append(iri)
    return sorted(classes)


# ------------------------------------------------------------------------------------------------
# Quick diagnostics with rdflib: name the resources HermiT will not name


def _diagnose(graph: Graph) -> list[str]:
    problems = _disjoint_type_problems(graph)
    problems += _irreflexive_problems(graph)
    problems += _literal_range_problems(graph)
    problems += _functional_data_problems(graph)
    return problems


def _closure(start: Node, edges: dict[Node, set[Node]]) -> set[Node]:
    """``start`` and everything reachable from it (reflexive-transitive closure)."""
    seen = {start}
    todo = [start]
    while todo:
        for nxt in edges.get(todo.pop(), ()):
            if nxt not in seen:
                seen.add(nxt)
                todo.append(nxt)
    return seen


def _super_edges(graph: Graph, predicate: URIRef, symmetric: Iterable[URIRef] = ()) -> dict:
    edges: dict[Node, set[Node]] = defaultdict(set)
    for sub, sup in graph.subject_objects(predicate):
        edges[sub].add(sup)
    for equivalence in symmetric:
        for a, b in graph.subject_objects(equivalence):
            edges[a].add(b)
            edges[b].add(a)
    return edges


def _disjoint_pairs(graph: Graph) -> set[frozenset[Node]]:
    pairs: set[frozenset[Node]] = set()
    for a, b in graph.subject_objects(OWL.disjointWith):
        if a != b:
            pairs.add(frozenset((a, b)))
    for axiom in graph.subjects(RDF.type, OWL.AllDisjointClasses):
        for members in graph.objects(axiom, OWL.members):
            classes = list(Collection(graph, members))
            for i, a in enumerate(classes):
                for b in classes[i + 1 :]:
                    if a != b:
                        pairs.add(frozenset((a, b)))
    return pairs


def _disjoint_type_problems(graph: Graph) -> list[str]:
    pairs = _disjoint_pairs(graph)
    if not pairs:
        return []
    disjoint_classes = set().union(*pairs)
    class_edges = _super_edges(graph, RDFS.subClassOf, (OWL.equivalentClass,))
    prop_edges = _super_edges(graph, RDFS.subPropertyOf, (OWL.equivalentProperty,))

    # Only classes that lead to a disjointness axiom can clash; cache that per class.
    marks_cache: dict[Node, frozenset[Node]] = {}

    def marks(cls: Node) -> frozenset[Node]:
        if cls not in marks_cache:
            marks_cache[cls] = frozenset(_closure(cls, class_edges) & disjoint_classes)
        return marks_cache[cls]

    domains: dict[Node, list[Node]] = {}
    ranges: dict[Node, list[Node]] = {}

    def implied(prop: Node, axiom: URIRef, cache: dict[Node, list[Node]]) -> list[Node]:
        if prop not in cache:
            cache[prop] = [
                c
                for p in _closure(prop, prop_edges)
                for c in graph.objects(p, axiom)
                if marks(c)
            ]
        return cache[prop]

    # resource -> class -> why the resource has that class
    types: dict[Node, dict[Node, str]] = defaultdict(dict)
    for s, p, o in graph:
        if p == RDF.type:
            if marks(o):
                types[s].setdefault(o, "")
            continue
        for cls in implied(p, RDFS.domain, domains):
            types[s].setdefault(cls, f"as subject of {_name(p)}")
        if not isinstance(o, Literal):
            for cls in implied(p, RDFS.range, ranges):
                types[o].setdefault(cls, f"as object of {_name(p)}")

    problems = []
    for resource, classes in types.items():
        found: set[frozenset[Node]] = set()
        items = sorted(classes.items(), key=lambda kv: (kv[1] != "", str(kv[0])))
        for i, (c1, why1) in enumerate(items):
            for c2, why2 in items[i + 1 :]:
                for a in marks(c1):
                    for b in marks(c2):
                        pair = frozenset((a, b))
                        if pair in pairs and pair not in found:
                            found.add(pair)
                            problems.append(_disjoint_message(resource, c1, why1, c2, why2, a, b))
    return sorted(problems)


def _disjoint_message(resource, c1, why1, c2, why2, a, b) -> str:
    first = _name(c1) + (f" ({why1})" if why1 else "")
    second = _name(c2) + (f" ({why2})" if why2 else "")
    via = "" if {a, b} == {c1, c2} else f" (through {_name(a)} and {_name(b)})"
    fix = (
        "remove one of the types"
        if not (why1 or why2)
        else "remove the type or the statement that implies it"
    )
    return (
        f"{_name(resource, full=True)} is typed both {first} and {second}, which are "
        f"disjoint{via}; {fix}"
    )


def _irreflexive_problems(graph: Graph) -> list[str]:
    irreflexive = set(graph.subjects(RDF.type, OWL.IrreflexiveProperty))
    irreflexive |= set(graph.subjects(RDF.type, OWL.AsymmetricProperty))
    if not irreflexive:
        return []
    prop_edges = _super_edges(graph, RDFS.subPropertyOf)
    problems = []
    for prop in {p for p in graph.predicates() if _closure(p, prop_edges) & irreflexive}:
        for s, o in graph.subject_objects(prop):
            if s == o:
                problems.append(
                    f"{_name(s, full=True)} {_name(prop)} itself, but {_name(prop)} is "
                    "irreflexive; remove that statement"
                )
    return sorted(problems)


def _literal_fits(literal: Literal, datatype: Node) -> bool | None:
    """Whether ``literal`` lies in ``datatype``'s value space; None when not checked here."""
    if datatype == RDFS.Literal:
        return True
    if datatype == XSD.string:
        return literal.language is None and literal.datatype in (None, XSD.string)
    if datatype == XSD.integer:
        if literal.datatype in _INTEGER_TYPES:
            return True
        if literal.datatype == XSD.decimal:
            value = literal.toPython()
            return not isinstance(value, str) and value == int(value)
        return False
    return None


def _literal_range_problems(graph: Graph) -> list[str]:
    prop_edges = _super_edges(graph, RDFS.subPropertyOf, (OWL.equivalentProperty,))
    range_cache: dict[Node, list[Node]] = {}
    problems = []
    for s, p, o in graph:
        if not isinstance(o, Literal):
            continue
        if p not in range_cache:
            range_cache[p] = [
                r for q in _closure(p, prop_edges) for r in graph.objects(q, RDFS.range)
            ]
        for datatype in range_cache[p]:
            if _literal_fits(o, datatype) is False:
                problems.append(
                    f"{_name(s, full=True)} {_name(p)} {o.n3()} is outside the range "
                    f"{_name(datatype)} of {_name(p)}; write the value as a {_name(datatype)} "
                    "literal"
                    + (" without a language tag" if o.language else "")
                )
    return sorted(problems)


def _functional_data_problems(graph: Graph) -> list[str]:
    problems = []
    for prop in set(graph.subjects(RDF.type, OWL.FunctionalProperty)):
        values: dict[Node, list[Literal]] = defaultdict(list)
        for s, o in graph.subject_objects(prop):
            if isinstance(o, Literal) and not any(o.eq(v) for v in values[s]):
                values[s].append(o)
        for s, distinct in values.items():
            if len(distinct) > 1:
                shown = ", ".join(sorted(v.n3() for v in distinct))
                problems.append(
                    f"{_name(s, full=True)} has {len(distinct)} different values of "
                    f"{_name(prop)} ({shown}), but it is functional; keep one"
                )
    return sorted(problems)


# ------------------------------------------------------------------------------------------------
# Naming


def _name(term: Node | None, full: bool = False) -> str:
    """A short readable name: ``pol:Rule`` for known namespaces, ``<iri>`` otherwise."""
    if term is None:
        return "(no datatype)"
    if isinstance(term, BNode):
        return f"_:{term}"
    if isinstance(term, Literal):
        return term.n3()
    text = str(term)
    if not full:
        for prefix, namespace in PREFIXES.items():
            if text.startswith(str(namespace)) and len(text) > len(str(namespace)):
                return f"{prefix}:{text[len(str(namespace)):]}"
    return f"<{text}>"
