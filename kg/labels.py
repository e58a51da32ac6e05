"""Canonical labels: how a party, action, asset, condition or fact is recognised as the same.

Hand-written policies, extracted rules and situations all name things in words; they meet in
the graph and in the decision engine through ``normalise_label`` (case folded, leading articles
dropped, spaces and end punctuation tidied), and concepts get their IRI from that label, so
"The Supplier" in one document and "supplier" in another are one concept.
"""

from __future__ import annotations

import re
import unicodedata
import urllib.parse

from rdflib import URIRef

CONCEPT_BASE = "https://w3id.org/alignment-studio/concept/"
_ARTICLES = re.compile(r"^(?:(?:a|an|the|any|every|each)\s+)+", re.IGNORECASE)
_SPACES = re.compile(r"\s+")
_QUOTES = str.maketrans({"\u2018": "'", "\u2019": "'", "\u201c": '"', "\u201d": '"'})


def normalise_label(text: str) -> str:
    """'  The Supplier.' -> 'supplier'; 'Gift value exceeds 100 USD' -> 'gift value exceeds 100 usd'."""
    text = unicodedata.normalize("NFKC", str(text)).translate(_QUOTES)
    text = _SPACES.sub(" ", text).strip().strip(".,;:!?\"'").strip()
    return _ARTICLES.sub("", text).casefold()


def concept_iri(label: str) -> URIRef:
    """The one IRI of the concept named ``label`` in every document."""
    key = normalise_label(label)
    if not key:
        raise ValueError(f"cannot make a concept of the empty label {label!r}")
    return URIRef(CONCEPT_BASE + urllib.parse.quote(key.replace(" ", "-"), safe="-._~"))
