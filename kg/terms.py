"""Conversions between rdflib terms, pyoxigraph terms and user-typed values.

rdflib is the API the rest of the project speaks; pyoxigraph is the engine under the embedded
store. Crossing between them happens only here so that literal datatypes and languages survive.
"""

from __future__ import annotations

import re
from typing import Mapping

import pyoxigraph as ox
from rdflib import BNode, Literal, URIRef
from rdflib.term import Node

from kg.errors import QueryError

XSD_STRING = "http://www.w3.org/2001/XMLSchema#string"
RDF_LANG_STRING = "http://www.w3.org/1999/02/22-rdf-syntax-ns#langString"

# Characters RFC 3987 forbids in an IRI; allowing them would let a bound value close the IRI
# and write SPARQL of its own when a remote store needs the value spelled out in the query.
_BAD_IRI_CHARS = re.compile(r'[\x00-\x20<>"{}|^`\\]')


def check_iri(value: str, what: str = "IRI") -> str:
    """Return ``value`` when it is a syntactically safe absolute IRI, raise otherwise."""
    if not value or _BAD_IRI_CHARS.search(value) or ":" not in value:
        raise QueryError(
            f"{what} {value!r} is not a valid absolute IRI (it must contain a scheme such as "
            "'https:' or 'urn:' and no spaces or any of <>\"{{}}|^`\\); fix the value"
        )
    return value


def to_oxigraph(term: Node) -> ox.NamedNode | ox.BlankNode | ox.Literal:
    if isinstance(term, URIRef):
        return ox.NamedNode(check_iri(str(term)))
    if isinstance(term, BNode):
        return ox.BlankNode(str(term))
    if isinstance(term, Literal):
        if term.language:
            return ox.Literal(str(term), language=term.language)
        if term.datatype is not None:
            return ox.Literal(str(term), datatype=ox.NamedNode(str(term.datatype)))
        return ox.Literal(str(term))
    raise QueryError(f"cannot store the term {term!r}: only IRIs, blank nodes and literals")


def to_rdflib(term: object) -> Node | None:
    if term is None:
        return None
    if isinstance(term, ox.NamedNode):
        return URIRef(term.value)
    if isinstance(term, ox.BlankNode):
        return BNode(term.value)
    if isinstance(term, ox.Literal):
        if term.language:
            return Literal(term.value, lang=term.language)
        datatype = term.datatype.value
        if datatype == XSD_STRING:
            return Literal(term.value)
        return Literal(term.value, datatype=URIRef(datatype))
    if isinstance(term, ox.DefaultGraph):
        return None
    raise QueryError(f"unsupported RDF term from the store: {term!r} (RDF-star triples are not used)")


def parse_binding(text: str, prefixes: Mapping[str, str]) -> tuple[str, Node]:
    """Turn a ``--bind var=value`` argument into a variable name and a term.

    ``<iri>`` and ``prefix:local`` (for a known prefix) become IRIs; ``"text"``, ``'text'`` and
    anything else become a plain string literal. Nothing is spliced into query text.
    """
    name, sep, value = text.partition("=")
    name = name.strip().lstrip("?$")
    if not sep or not re.fullmatch(r"[A-Za-z_][A-Za-z0-9_]*", name):
        raise QueryError(
            f"binding {text!r} is not of the form NAME=VALUE (for example bearer=supplier or "
            "rule=<https://example.org/rule/1>)"
        )
    if value.startswith("<") and value.endswith(">"):
        return name, URIRef(check_iri(value[1:-1], f"binding {name}"))
    if len(value) >= 2 and value[0] == value[-1] and value[0] in "\"'":
        return name, Literal(value[1:-1])
    prefix, colon, local = value.partition(":")
    if colon and prefix in prefixes and not local.startswith("//"):
        return name, URIRef(check_iri(prefixes[prefix] + local, f"binding {name}"))
    return name, Literal(value)
