"""The library of named SPARQL queries kept as files in ``kg/queries/*.rq``.

A query file starts with comment lines: a summary, then one ``# param NAME: description`` line per
value the query needs. Values are passed as bindings (substituted by the store as RDF terms),
never formatted into the query text.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Mapping

from rdflib.term import Node

from kg.errors import QueryError
from kg.results import QueryResult
from kg.store import PolicyStore

QUERY_DIR = Path(__file__).resolve().parent / "queries"
_PARAM = re.compile(r"^#\s*param\s+([A-Za-z_]\w*)\s*:\s*(.*)$")


@dataclass(frozen=True)
class NamedQuery:
    name: str
    path: Path
    summary: str
    params: dict[str, str]  # name -> description
    text: str


@lru_cache(maxsize=1)
def named_queries() -> dict[str, NamedQuery]:
    """Every query in the library, by name (the file name without ``.rq``)."""
    library = {}
    for path in sorted(QUERY_DIR.glob("*.rq")):
        text = path.read_text(encoding="utf-8")
        summary_lines, params = [], {}
        for line in text.splitlines():
            if not line.startswith("#"):
                break
            match = _PARAM.match(line)
            if match:
                params[match.group(1)] = match.group(2).strip()
            else:
                summary_lines.append(line.lstrip("#").strip())
        library[path.stem] = NamedQuery(path.stem, path, " ".join(summary_lines), params, text)
    return library


def get_query(name: str) -> NamedQuery:
    library = named_queries()
    if name not in library:
        raise QueryError(
            f"there is no named query {name!r}; available: {', '.join(library)} "
            "(studio query --list describes them)"
        )
    return library[name]


def run_named(
    store: PolicyStore,
    name: str,
    bindings: Mapping[str, Node] | None = None,
    *,
    timeout: float | None = None,
    max_rows: int | None = None,
) -> QueryResult:
    """Run the named query with its parameters bound; every declared parameter is required."""
    query = get_query(name)
    bindings = dict(bindings or {})
    unknown = sorted(set(bindings) - set(query.params))
    if unknown:
        expected = ", ".join(query.params) or "none"
        raise QueryError(f"query {name!r} has no parameter {', '.join(unknown)}; its parameters: {expected}")
    missing = [p for p in query.params if p not in bindings]
    if missing:
        described = "; ".join(f"{p}: {query.params[p]}" for p in missing)
        raise QueryError(f"query {name!r} needs --bind for {', '.join(missing)} ({described})")
    return store.query(query.text, bindings, timeout=timeout, max_rows=max_rows, name=f"query {name!r}")
