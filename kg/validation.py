"""SHACL validation of policy data against ``ontologies/shapes.ttl`` with pyshacl.

The ontology is mixed into the data (pyshacl's ``ont_graph``) so that shapes aimed at
``pol:Rule`` reach instances of ``pol:Obligation`` and ``sh:class pol:Rule`` accepts them: SHACL
follows ``rdfs:subClassOf`` in the data graph. RDFS inference is off by default because it
would infer the very types ``sh:class`` is meant to check from ``rdfs:range`` (a bearer would
always "be" a pol:Party) and it costs seconds on a few thousand triples.
"""

from __future__ import annotations

import time
from dataclasses import dataclass

from rdflib import Dataset, Graph
from rdflib.graph import ConjunctiveGraph
from rdflib.namespace import RDF, SH
from rdflib.term import BNode, Node

from kg.errors import ValidationError
from kg.namespaces import PREFIXES, ontology_path, shapes_path

__all__ = ["Violation", "ValidationReport", "validate_shapes"]

_INFERENCE_MODES = ("none", "rdfs", "owlrl", "both")


@dataclass(frozen=True)
class Violation:
    """One SHACL validation result.

    ``focus`` is the node that failed (an IRI, or ``_:id`` for a blank node), ``path`` the
    property (None for node-level results), ``severity`` one of ``Violation``, ``Warning``,
    ``Info``, ``shape`` the shape's IRI, ``value`` the offending value where there is one.
    """

    focus: str
    path: str | None
    message: str
    severity: str
    shape: str | None
    value: str | None

    def __str__(self) -> str:
        where = f" {_compact(self.path)}" if self.path else ""
        value = f" = {self.value}" if self.value is not None else ""
        focus = self.focus if self.focus.startswith("_:") else f"<{self.focus}>"
        return f"{self.severity}: {focus}{where}{value}: {self.message}"


@dataclass(frozen=True)
class ValidationReport:
    """``conforms`` is False only for results of severity Violation; warnings are listed too."""

    conforms: bool
    violations: list[Violation]
    seconds: float


def validate_shapes(data: Graph, *, inference: str = "none") -> ValidationReport:
    """Validate ``data`` against the project's SHACL shapes.

    ``data`` may be a Graph, or a Dataset / ConjunctiveGraph whose graphs are validated together.
    ``inference`` is passed to pyshacl ("none", "rdfs", "owlrl" or "both"). Raises
    ``ValidationError`` when the shapes or ontology cannot be read or pyshacl fails.
    """
    if inference not in _INFERENCE_MODES:
        raise ValidationError(
            f"unknown inference mode {inference!r}; use one of {', '.join(_INFERENCE_MODES)}"
        )
    start = time.perf_counter()
    import pyshacl

    shapes = _parse(shapes_path(), "SHACL shapes")
    ontology = _parse(ontology_path(), "ontology")
    data_graph = _single_graph(data)
    try:
        _, report, _ = pyshacl.validate(
            data_graph,
            shacl_graph=shapes,
            ont_graph=ontology,
            inference=inference,
            allow_warnings=True,
            abort_on_first=False,
            inplace=False,
        )
    except Exception as exc:  # pyshacl raises its own and rdflib's exception types
        raise ValidationError(
            f"SHACL validation against {shapes_path()} failed to run: {exc}"
        ) from exc
    violations = sorted(_results(report), key=lambda v: (v.focus, v.path or "", v.message))
    return ValidationReport(
        conforms=not any(v.severity == "Violation" for v in violations),
        violations=violations,
        seconds=time.perf_counter() - start,
    )


def _parse(path, what: str) -> Graph:
    graph = Graph()
    try:
        graph.parse(path, format="turtle")
    except FileNotFoundError as exc:
        raise ValidationError(
            f"{what} file {path} is missing; reinstall the package or restore the file"
        ) from exc
    except Exception as exc:  # rdflib raises parser-specific exception types
        raise ValidationError(f"cannot parse the {what} {path}: {exc}; fix the Turtle") from exc
    return graph


def _single_graph(data: Graph) -> Graph:
    # pyshacl validates each named graph of a Dataset separately; policy data spread over named
    # graphs (one per source) must be validated as one, or cross-source links look dangling.
    if isinstance(data, (Dataset, ConjunctiveGraph)):
        merged = Graph()
        for s, p, o, _ in data.quads((None, None, None, None)):
            merged.add((s, p, o))
        return merged
    return data


def _results(report: Graph) -> list[Violation]:
    results = []
    for result in report.subjects(RDF.type, SH.ValidationResult):
        severity = report.value(result, SH.resultSeverity)
        messages = [str(m) for m in report.objects(result, SH.resultMessage)]
        results.append(
            Violation(
                focus=_text(report.value(result, SH.focusNode)) or "",
                path=_path_text(report, report.value(result, SH.resultPath)),
                message=" ".join(sorted(set(messages))) or "(no message)",
                severity=str(severity).rsplit("#", 1)[-1] if severity else "Violation",
                shape=_text(report.value(result, SH.sourceShape)),
                value=_text(report.value(result, SH.value)),
            )
        )
    return results


def _compact(iri: str) -> str:
    for prefix, namespace in PREFIXES.items():
        if iri.startswith(str(namespace)) and len(iri) > len(str(namespace)):
            return f"{prefix}:{iri[len(str(namespace)):]}"
    return iri


def _text(node: Node | None) -> str | None:
    if node is None:
        return None
    if isinstance(node, BNode):
        return f"_:{node}"
    return str(node)


def _path_text(report: Graph, path: Node | None) -> str | None:
    if path is None:
        return None
    if isinstance(path, BNode):
        # A complex SHACL path; name it by its Turtle-ish description.
        inverse = report.value(path, SH.inversePath)
        if inverse is not None:
            return f"^{inverse}"
        return f"_:{path}"
    return str(path)
