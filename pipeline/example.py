"""The main job on the bundled example: frame a real code of conduct, load a hand-authored policy
beside it, check the graph, ask it a few questions and decide a few situations.

Later stages (scenarios, instructors, auditors) will grow this into the full cycle.
"""

from __future__ import annotations

from pathlib import Path

from kg.checks import check_store
from kg.query_library import get_query, run_named
from rdflib import URIRef

from kg.results import QueryResult
from kg.labels import CONCEPT_BASE
from kg.store import GRAPH_BASE, STANDARD_PREFIXES, PolicyStore
from kg.terms import parse_binding

EXAMPLE = Path(__file__).resolve().parent / "examples" / "acme-conduct.yaml"
REGULATION = Path(__file__).resolve().parent / "examples" / "gitlab" / "gitlab-code-of-conduct.md"

DISPLAY_PREFIXES = {
    "acme": "https://w3id.org/alignment-studio/doc/acme-conduct/",
    "concept": CONCEPT_BASE,
    "conflict": "https://w3id.org/alignment-studio/conflict/",
    "derived": "https://w3id.org/alignment-studio/derived/",
    "graph": GRAPH_BASE,
    **STANDARD_PREFIXES,
}

# (named query, bindings): questions a compliance engineer asks of a new policy.
QUESTIONS = [
    ("documents", []),
    ("rules-by-bearer", ["bearer=sales employee"]),
    ("concepts-under", ["concept=third party"]),
    ("rules-of-provision", ["provision=3"]),
    ("conflicts", []),
    ("overrides", []),
]


def run_example(store: PolicyStore) -> int:
    from rich.console import Console

    console = Console()
    if not console.is_terminal:  # piped or in CI: room for the tables instead of 80 columns
        console = Console(width=160)
    from kg.conflicts import record_conflicts
    from pipeline.framers.policy_yaml import load_policy_yaml

    from pipeline.framers.framer import load_regulation

    with console.status(f"framing {REGULATION.name} (spaCy parse, rule extraction) into {store.url}"):
        framed = load_regulation(store, REGULATION)
    if framed.unchanged:
        console.print(f"[bold]Framed[/] {REGULATION.name}: unchanged (already loaded)")
    else:
        counts = framed.counts
        console.print(
            f"[bold]Framed[/] {REGULATION.name}: {counts['obligation']} obligations, {counts['prohibition']} prohibitions, "
            f"{counts['permission']} permissions from {len(framed.document.provisions)} provisions, "
            f"{len(framed.triples)} triples"
        )
    with console.status(f"loading {EXAMPLE.name} into {store.url}"):
        document = load_policy_yaml(store, EXAMPLE)
        conflicts = record_conflicts(store)
    state = "unchanged (already loaded)" if document.unchanged else f"{len(document.triples)} triples"
    console.print(f"[bold]Loaded[/] {EXAMPLE.name}: {document.rule_count} rules, {state}, into {store.url}")
    console.print(f"{len(conflicts)} conflict(s) found between rules, within and across the two documents")
    console.print("\n[bold]Rules the Framer read from the code of conduct (first 8), each with its source sentence[/]")
    console.print("$ studio rules --document gitlab-code-of-conduct", style="dim")
    console.print(framed_rules_table(store, "gitlab-code-of-conduct", limit=8))
    with console.status("validating (SHACL shapes, OWL consistency with HermiT, override cycles)"):
        report = check_store(store)
    console.print(report.summary(), end="", markup=False, highlight=False)
    for name, binds in QUESTIONS:
        bindings = dict(parse_binding(b, {}) for b in binds)
        console.print(f"\n[bold]{get_query(name).summary}[/]")
        console.print(f"$ studio query --name {name}" + "".join(f" --bind '{b}'" for b in binds), style="dim")
        result = run_named(store, name, bindings)
        console.print(rich_table(result, hide=[b.split("=")[0] for b in binds]))
    console.print("\n[bold]Decisions: the engine that answers scenarios and probes[/]")
    console.print(decision_table(store))
    return 0 if report.ok else 1


# Situations a compliance engineer would put to the example policy: one per kind of answer.
SITUATIONS = [
    {"bearer": "employee", "action": "accept", "object": "gift",
     "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": False}},
    {"bearer": "employee", "action": "accept", "object": "gift",
     "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": True}},
    {"bearer": "employee", "action": "accept", "object": "gift", "facts": {}},
    {"bearer": "sales employee", "action": "accept", "object": "hospitality",
     "facts": {"gift value exceeds 100 USD": True, "manager approved the gift": False}},
    {"bearer": "sales employee", "action": "report", "object": "hospitality", "facts": {}},
    {"bearer": "supplier", "action": "offer", "object": "gift", "facts": {}},
]


def decision_table(store: PolicyStore):
    from rich.table import Table

    from kg.decision import DecisionEngine, Policy, Situation

    engine = DecisionEngine(Policy.from_store(store))
    table = Table(header_style="bold", show_lines=True)
    for column in ("situation", "verdict", "why"):
        table.add_column(column, overflow="fold")
    for data in SITUATIONS:
        decision = engine.decide(Situation.from_dict(data))
        facts = ", ".join(f"{k}={'yes' if v else 'no'}" for k, v in data["facts"].items()) or "no facts given"
        why = "\n".join(decision.explanation[1:-1])
        table.add_row(f"{data['bearer']} / {data['action']} / {data['object']}\n({facts})", decision.verdict, why)
    return table


def framed_rules_table(store: PolicyStore, document: str, limit: int):
    from rich.table import Table

    from kg.policy_graph import list_rules

    table = Table(header_style="bold", show_lines=True)
    for column in ("provision", "modality", "bearer / action / object", "source sentence"):
        table.add_column(column, overflow="fold")
    rules = list_rules(store, document)
    for rule in rules[:limit]:
        roles = f"{rule['bearer']} / {rule['action']} / {rule['object'] or '-'}"
        source = rule["source"]
        table.add_row(rule["provision"] or "", rule["modality"], roles, f"[{source['start']}:{source['end']}] {source['text']}")
    table.caption = f"{len(rules)} rules in all"
    return table


def rich_table(result: QueryResult, hide: list[str] = ()):
    """A terminal table with IRIs shortened to prefixed names, for people rather than pipes.

    Columns in ``hide`` (the bound parameters, the same on every row) are left out.
    """
    from rich.table import Table

    table = Table(show_lines=False, header_style="bold")
    shown = [i for i, var in enumerate(result.variables) if var not in hide]
    for i in shown:
        long_text = result.variables[i] == "text"
        if long_text:
            table.add_column(result.variables[i], no_wrap=True, overflow="ellipsis", max_width=60)
        else:
            table.add_column(result.variables[i], overflow="fold")
    for row in result.rows:
        table.add_row(*(_compact(row[i]) for i in shown))
    table.caption = f"{len(result.rows)} row{'s' if len(result.rows) != 1 else ''}"
    return table


def _compact(term) -> str:
    text = "" if term is None else str(term)
    if isinstance(term, URIRef):
        for prefix, namespace in DISPLAY_PREFIXES.items():
            if text.startswith(namespace):
                return f"{prefix}:{text[len(namespace):]}"
    return text
