"""Query results in one shape for every store, and their standard serialisations.

SELECT, ASK and CONSTRUCT/DESCRIBE answers from the embedded store and from remote endpoints
are all turned into ``QueryResult`` so that the CLI and the SPARQL server write them the same
way: a readable table, SPARQL 1.1 CSV / TSV / JSON / XML results, or RDF for graph answers.
"""

from __future__ import annotations

import csv
import io
import json
import re
from dataclasses import dataclass, field
from typing import Literal as TypingLiteral
from xml.sax.saxutils import escape, quoteattr

from rdflib import BNode, Graph, Literal, URIRef
from rdflib.term import Node

from kg.errors import QueryError

ResultKind = TypingLiteral["select", "ask", "graph"]

SELECT_FORMATS = ("table", "csv", "tsv", "json", "xml")
GRAPH_FORMATS = ("table", "turtle", "ntriples", "nquads", "jsonld", "json", "xml")

MEDIA_TYPES = {
    "json": "application/sparql-results+json",
    "xml": "application/sparql-results+xml",
    "csv": "text/csv; charset=utf-8",
    "tsv": "text/tab-separated-values; charset=utf-8",
    "turtle": "text/turtle; charset=utf-8",
    "ntriples": "application/n-triples",
    "jsonld": "application/ld+json",
    "rdfxml": "application/rdf+xml",
}


@dataclass
class QueryResult:
    """One answer: rows of rdflib terms (None where unbound), a boolean, or triples."""

    kind: ResultKind
    variables: list[str] = field(default_factory=list)
    rows: list[tuple[Node | None, ...]] = field(default_factory=list)
    boolean: bool | None = None
    triples: list[tuple[Node, Node, Node]] = field(default_factory=list)
    truncated: bool = False  # a row or triple limit cut the answer short
    seconds: float = 0.0

    def __len__(self) -> int:
        if self.kind == "select":
            return len(self.rows)
        if self.kind == "graph":
            return len(self.triples)
        return 1

    def as_dicts(self) -> list[dict[str, Node]]:
        """SELECT rows as dicts without the unbound variables (handy in Python and notebooks)."""
        return [
            {var: value for var, value in zip(self.variables, row) if value is not None}
            for row in self.rows
        ]

    def graph(self) -> Graph:
        g = Graph()
        for triple in self.triples:
            g.add(triple)
        return g

    def serialize(self, fmt: str) -> str:
        """Text in ``fmt``; raises QueryError naming the formats that fit this kind of answer."""
        if self.kind == "graph":
            return _serialize_graph(self, fmt)
        writers = {
            "table": to_table,
            "csv": to_csv,
            "tsv": to_tsv,
            "json": to_json,
            "xml": to_xml,
        }
        if fmt not in writers:
            raise QueryError(
                f"output format {fmt!r} does not fit a {self.kind.upper()} answer; "
                f"use one of {', '.join(SELECT_FORMATS)}"
            )
        return writers[fmt](self)


def _serialize_graph(result: QueryResult, fmt: str) -> str:
    rdflib_formats = {
        "turtle": "turtle",
        "ntriples": "nt",
        "nquads": "nquads",
        "jsonld": "json-ld",
        "json": "json-ld",
        "xml": "xml",
        "rdfxml": "xml",
    }
    if fmt == "table":
        return to_table(
            QueryResult(
                kind="select",
                variables=["subject", "predicate", "object"],
                rows=list(result.triples),
                truncated=result.truncated,
            )
        )
    if fmt not in rdflib_formats:
        raise QueryError(
            f"output format {fmt!r} does not fit a graph (CONSTRUCT/DESCRIBE) answer; "
            f"use one of {', '.join(GRAPH_FORMATS)}"
        )
    try:
        return result.graph().serialize(format=rdflib_formats[fmt])
    except ValueError as exc:  # RDF/XML cannot write a predicate it cannot split into a QName
        raise QueryError(
            f"the answer cannot be written as {fmt}: {exc}; choose turtle, ntriples or jsonld"
        ) from exc


def term_text(term: Node | None) -> str:
    """The plain value, as SPARQL CSV and the table show it."""
    return "" if term is None else str(term)


def term_ntriples(term: Node | None) -> str:
    """N-Triples spelling, as SPARQL TSV requires."""
    if term is None:
        return ""
    if isinstance(term, BNode):
        return f"_:{term}"
    return term.n3()


def to_csv(result: QueryResult) -> str:
    if result.kind == "ask":
        return f"_askResult\r\n{str(result.boolean).lower()}\r\n"
    out = io.StringIO()
    writer = csv.writer(out, lineterminator="\r\n")
    writer.writerow(result.variables)
    for row in result.rows:
        writer.writerow([term_text(t) for t in row])
    return out.getvalue()


def to_tsv(result: QueryResult) -> str:
    if result.kind == "ask":
        return f"?_askResult\n{str(result.boolean).lower()}\n"
    lines = ["\t".join(f"?{v}" for v in result.variables)]
    lines += ["\t".join(term_ntriples(t) for t in row) for row in result.rows]
    return "\n".join(lines) + "\n"


def _json_term(term: Node) -> dict[str, str]:
    if isinstance(term, URIRef):
        return {"type": "uri", "value": str(term)}
    if isinstance(term, BNode):
        return {"type": "bnode", "value": str(term)}
    assert isinstance(term, Literal)
    item = {"type": "literal", "value": str(term)}
    if term.language:
        item["xml:lang"] = term.language
    elif term.datatype is not None:
        item["datatype"] = str(term.datatype)
    return item


def to_json(result: QueryResult) -> str:
    if result.kind == "ask":
        return json.dumps({"head": {}, "boolean": bool(result.boolean)})
    bindings = [
        {var: _json_term(value) for var, value in zip(result.variables, row) if value is not None}
        for row in result.rows
    ]
    return json.dumps({"head": {"vars": result.variables}, "results": {"bindings": bindings}})


# Characters XML 1.0 cannot carry at all, not even escaped.
_XML_ILLEGAL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ufffe\uffff]")


def _xml_text(text: str) -> str:
    return escape(_XML_ILLEGAL.sub("\ufffd", text))


def to_xml(result: QueryResult) -> str:
    out = ['<?xml version="1.0"?>', '<sparql xmlns="http://www.w3.org/2005/sparql-results#">']
    if result.kind == "ask":
        out += ["<head/>", f"<boolean>{str(result.boolean).lower()}</boolean>", "</sparql>"]
        return "\n".join(out) + "\n"
    out.append("<head>")
    out += [f"<variable name={quoteattr(v)}/>" for v in result.variables]
    out += ["</head>", "<results>"]
    for row in result.rows:
        out.append("<result>")
        for var, term in zip(result.variables, row):
            if term is None:
                continue
            if isinstance(term, URIRef):
                value = f"<uri>{_xml_text(str(term))}</uri>"
            elif isinstance(term, BNode):
                value = f"<bnode>{_xml_text(str(term))}</bnode>"
            elif term.language:
                value = f"<literal xml:lang={quoteattr(term.language)}>{_xml_text(str(term))}</literal>"
            elif term.datatype is not None:
                value = f"<literal datatype={quoteattr(str(term.datatype))}>{_xml_text(str(term))}</literal>"
            else:
                value = f"<literal>{_xml_text(str(term))}</literal>"
            out.append(f"<binding name={quoteattr(var)}>{value}</binding>")
        out.append("</result>")
    out += ["</results>", "</sparql>"]
    return "\n".join(out) + "\n"


def to_table(result: QueryResult, max_width: int = 60) -> str:
    """A plain aligned text table (no colour codes, so it can be piped and diffed)."""
    if result.kind == "ask":
        return f"{str(result.boolean).lower()}\n"
    header = list(result.variables)
    cells = [[_short(term_text(t), max_width) for t in row] for row in result.rows]
    widths = [len(h) for h in header]
    for row in cells:
        widths = [max(w, len(c)) for w, c in zip(widths, row)]
    line = "-+-".join("-" * w for w in widths)
    out = [
        " | ".join(h.ljust(w) for h, w in zip(header, widths)),
        line,
        *(" | ".join(c.ljust(w) for c, w in zip(row, widths)) for row in cells),
    ]
    count = f"({len(cells)} row{'s' if len(cells) != 1 else ''}"
    count += ", truncated by the row limit)" if result.truncated else ")"
    out.append(count)
    return "\n".join(out) + "\n"


def _short(text: str, width: int) -> str:
    text = text.replace("\n", " ")
    return text if len(text) <= width else text[: width - 1] + "…"


def parse_json_results(payload: bytes, source: str) -> QueryResult:
    """Read SPARQL 1.1 JSON results (from a remote endpoint) into a QueryResult."""
    try:
        data = json.loads(payload)
    except ValueError as exc:
        raise QueryError(f"{source} did not answer with SPARQL JSON results: {exc}") from exc
    if "boolean" in data:
        return QueryResult(kind="ask", boolean=bool(data["boolean"]))
    variables = list(data.get("head", {}).get("vars", []))
    rows = []
    for binding in data.get("results", {}).get("bindings", []):
        rows.append(tuple(_term_from_json(binding.get(var)) for var in variables))
    return QueryResult(kind="select", variables=variables, rows=rows)


def _term_from_json(item: dict | None) -> Node | None:
    if item is None:
        return None
    kind, value = item.get("type"), item.get("value", "")
    if kind == "uri":
        return URIRef(value)
    if kind == "bnode":
        return BNode(value)
    if "xml:lang" in item:
        return Literal(value, lang=item["xml:lang"])
    if item.get("datatype"):
        return Literal(value, datatype=URIRef(item["datatype"]))
    return Literal(value)
