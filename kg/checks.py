"""``studio validate``: every check of the policy graph in one report.

SHACL shapes (is each rule, provision, concept, conflict and override well formed), OWL
consistency under HermiT (for example a resource typed both obligation and prohibition), and
override cycles (rule A overrides B and B overrides A leaves nothing to decide by).
"""

from __future__ import annotations

import time
from dataclasses import asdict, dataclass, field

from rdflib import Graph

from kg.query_library import run_named
from kg.reasoning import check_consistency
from kg.store import ONTOLOGY_GRAPH, PolicyStore
from kg.validation import Violation, validate_shapes

@dataclass
class CheckReport:
    shacl: list[Violation] = field(default_factory=list)
    owl_problems: list[str] = field(default_factory=list)
    owl_checked: bool = False
    override_cycles: list[list[str]] = field(default_factory=list)
    triples: int = 0
    seconds: float = 0.0

    @property
    def ok(self) -> bool:
        return (
            not any(v.severity == "Violation" for v in self.shacl)
            and not self.owl_problems
            and not self.override_cycles
        )

    def as_dict(self) -> dict:
        return {
            "ok": self.ok,
            "triples": self.triples,
            "seconds": round(self.seconds, 3),
            "shacl": [asdict(v) for v in self.shacl],
            "owl": {"checked": self.owl_checked, "problems": self.owl_problems},
            "override_cycles": self.override_cycles,
        }

    def summary(self) -> str:
        lines = []
        errors = [v for v in self.shacl if v.severity == "Violation"]
        lines.append(
            f"SHACL: {len(errors)} violation{'s' if len(errors) != 1 else ''}"
            + (f", {len(self.shacl) - len(errors)} warnings" if len(self.shacl) > len(errors) else "")
        )
        for v in self.shacl:
            lines.append(f"  - focus {v.focus}" + (f", path {v.path}" if v.path else "") + f": {v.message}")
        if self.owl_checked:
            lines.append("OWL (HermiT): " + ("consistent" if not self.owl_problems else "INCONSISTENT"))
            lines += [f"  - {p}" for p in self.owl_problems]
        else:
            lines.append("OWL (HermiT): skipped")
        lines.append(f"Override cycles: {len(self.override_cycles)}")
        lines += [f"  - {' -> '.join(cycle)}" for cycle in self.override_cycles]
        verdict = "OK" if self.ok else "PROBLEMS FOUND"
        lines.append(f"{verdict}: {self.triples} triples checked in {self.seconds:.1f} s")
        return "\n".join(lines) + "\n"


def policy_data(store: PolicyStore) -> Graph:
    """The store's data, all documents merged, without the core ontology's own graph."""
    graph = Graph()
    for s, p, o, g in store.quads():
        if g != ONTOLOGY_GRAPH:
            graph.add((s, p, o))
    return graph


def override_cycles(store: PolicyStore) -> list[list[str]]:
    """Each cycle of overrides once, as the list of rule IRIs around it."""
    import networkx as nx

    edges = run_named(store, "override-edges").rows
    graph = nx.DiGraph((str(w), str(l)) for w, l in edges)
    cycles = []
    for component in nx.strongly_connected_components(graph):
        members = sorted(component)
        if len(members) > 1 or graph.has_edge(members[0], members[0]):
            cycle = nx.find_cycle(graph.subgraph(members), source=members[0])
            cycles.append([a for a, _ in cycle] + [cycle[0][0]])
    return sorted(cycles)


def check_store(store: PolicyStore, *, owl: bool = True) -> CheckReport:
    started = time.perf_counter()
    data = policy_data(store)
    report = CheckReport(triples=len(data))
    report.shacl = validate_shapes(data).violations
    if owl:
        report.owl_checked = True
        report.owl_problems = check_consistency(data).problems
    report.override_cycles = override_cycles(store)
    report.seconds = time.perf_counter() - started
    return report
