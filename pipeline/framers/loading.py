"""``studio load``: every document of a batch to its framer, one bad document costing no other.

Each document is written in one transaction of its own, so a document that fails leaves the
store exactly as it was and the rest of the batch still loads.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

from kg.errors import StudioError
from kg.store import RDF_FORMATS, PolicyStore

POLICY_SUFFIXES = {".yaml", ".yml"}


@dataclass
class LoadReport:
    loaded: list[tuple[Path, str]] = field(default_factory=list)  # (path, what happened)
    errors: list[str] = field(default_factory=list)
    conflicts: int | None = None  # conflicts among all loaded rules, when they were recomputed

    def lines(self) -> list[str]:
        lines = [f"{path}: {what}" for path, what in self.loaded]
        if self.conflicts is not None:
            lines.append(f"{self.conflicts} conflicts among all loaded rules (studio conflicts lists them)")
        return lines


def documents_under(paths: list[Path]) -> list[Path]:
    """The files named, and every loadable file under the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(p for p in path.rglob("*") if p.is_file() and _loadable(p))
        else:
            found.append(path)
    return found


def _loadable(path: Path) -> bool:
    return path.suffix.lower() in POLICY_SUFFIXES or path.suffix.lstrip(".").lower() in RDF_FORMATS


def load_paths(store: PolicyStore, paths: list[Path]) -> LoadReport:
    from rich.progress import Progress

    from pipeline.framers.policy_yaml import load_policy_yaml

    report = LoadReport()
    files = documents_under(paths)
    with Progress(transient=True, disable=len(files) < 2) as progress:
        task = progress.add_task("loading", total=len(files))
        for path in files:
            progress.update(task, description=f"loading {path.name}")
            try:
                if path.suffix.lower() in POLICY_SUFFIXES:
                    document = load_policy_yaml(store, path)
                    report.loaded.append((path, _policy_summary(document)))
                elif path.suffix.lstrip(".").lower() in RDF_FORMATS:
                    counts = store.import_file(path)
                    report.loaded.append((path, f"{sum(counts.values())} triples (RDF)"))
                else:
                    raise StudioError(
                        f"{path}: no framer reads {path.suffix or 'files without a suffix'} yet; "
                        "give a policy YAML (.yaml) or an RDF file"
                    )
            except StudioError as exc:
                report.errors.append(str(exc))
            progress.advance(task)
    if any(not what.startswith("unchanged") for _, what in report.loaded):
        from kg.conflicts import record_conflicts

        # Every new or changed document is checked against everything already loaded.
        report.conflicts = len(record_conflicts(store))
    return report


def _policy_summary(document) -> str:
    state = "unchanged" if getattr(document, "unchanged", False) else "loaded"
    return f"{state}, {document.rule_count} rules into <{document.graph}>"
