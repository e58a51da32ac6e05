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
REGULATION_SUFFIXES = {".txt", ".text", ".md", ".markdown", ".html", ".htm", ".xhtml", ".pdf", ".xml"}


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


# Repository boilerplate found while walking a folder is not a regulation (named explicitly, it loads).
_BOILERPLATE = {"readme", "license", "licence", "source", "changelog", "contributing", "notice", "upstream_readme"}


def documents_under(paths: list[Path]) -> list[Path]:
    """The files named, and every loadable file under the folders named, in a stable order."""
    found: list[Path] = []
    for path in paths:
        if path.is_dir():
            found += sorted(
                p for p in path.rglob("*")
                if p.is_file() and _loadable(p) and p.stem.lower() not in _BOILERPLATE and not p.name.startswith(".")
            )
        else:
            found.append(path)
    return found


def _loadable(path: Path) -> bool:
    suffix = path.suffix.lower()
    return suffix in POLICY_SUFFIXES or suffix in REGULATION_SUFFIXES or suffix.lstrip(".") in RDF_FORMATS


def load_paths(
    store: PolicyStore,
    paths: list[Path],
    *,
    model: str | None = None,
    concepts: Path | None = None,
    max_bytes: int | None = None,
) -> LoadReport:
    """Load every document named or found under the folders named, each in its own transaction.

    Regulations (text, Markdown, HTML, PDF, Akoma Ntoso, USLM) go through the Framer with the
    spaCy ``model`` (loaded once, only when a regulation needs parsing); ``concepts`` is a YAML
    file of ``narrower: [broader, ...]`` applied to every regulation of the batch.
    """
    from rich.progress import Progress

    from pipeline.framers.policy_yaml import load_policy_yaml

    report = LoadReport()
    files = documents_under(paths)
    concept_file = read_concept_file(concepts) if concepts is not None else None
    nlp = None
    seen_ids: dict[str, Path] = {}
    with Progress(transient=True, disable=len(files) < 2) as progress:
        task = progress.add_task("loading", total=len(files))
        for path in files:
            progress.update(task, description=f"loading {path.name}")
            try:
                if path.suffix.lower() in POLICY_SUFFIXES:
                    document = load_policy_yaml(store, path)
                    report.loaded.append((path, _policy_summary(document)))
                elif path.suffix.lower() in REGULATION_SUFFIXES:
                    from pipeline.framers.document import document_id_for
                    from pipeline.framers.extraction import load_model
                    from pipeline.framers.framer import load_regulation

                    doc_id = document_id_for(path)
                    if doc_id in seen_ids:
                        raise StudioError(
                            f"{path}: its document id {doc_id!r} is also that of {seen_ids[doc_id]} in this batch, "
                            "and one would replace the other; rename one of the files"
                        )
                    seen_ids[doc_id] = path
                    if nlp is None:
                        nlp = load_model(model)
                    framed = load_regulation(store, path, nlp=nlp, concept_file=concept_file, max_bytes=max_bytes)
                    report.loaded.append((path, _regulation_summary(framed)))
                elif path.suffix.lstrip(".").lower() in RDF_FORMATS:
                    counts = store.import_file(path)
                    report.loaded.append((path, f"{sum(counts.values())} triples (RDF)"))
                else:
                    raise StudioError(
                        f"{path}: no framer reads {path.suffix or 'files without a suffix'}; give a regulation "
                        "(.txt, .md, .html, .pdf, Akoma Ntoso or USLM .xml), a policy YAML (.yaml) or an RDF file"
                    )
            except StudioError as exc:
                report.errors.append(str(exc))
            progress.advance(task)
    if any(not what.startswith("unchanged") for _, what in report.loaded):
        from kg.conflicts import record_conflicts

        # Every new or changed document is checked against everything already loaded.
        report.conflicts = len(record_conflicts(store))
    return report


def _regulation_summary(framed) -> str:
    if framed.unchanged:
        return f"unchanged (same content already loaded as <{framed.graph}>)"
    counts = framed.counts
    return (
        f"loaded, {counts['obligation']} obligations, {counts['prohibition']} prohibitions, "
        f"{counts['permission']} permissions, {counts['definitions']} definitions from "
        f"{len(framed.document.provisions)} provisions into <{framed.graph}>"
    )


def read_concept_file(path: Path) -> dict[str, list[str]]:
    """A user's concept hierarchy: a YAML mapping of narrower concept to a broader one or a list of them."""
    import yaml

    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise StudioError(f"{path}: cannot read the concept file ({exc.strerror}); check the path") from exc
    except (UnicodeDecodeError, yaml.YAMLError) as exc:
        raise StudioError(f"{path}: not a readable YAML concept file ({exc}); write it as 'narrower: [broader, ...]'") from exc
    if isinstance(data, dict) and set(data) == {"concepts"}:
        data = data["concepts"]
    if not isinstance(data, dict):
        raise StudioError(f"{path}: a concept file is a mapping 'narrower: [broader, ...]', not {type(data).__name__}")
    out: dict[str, list[str]] = {}
    for narrower, broader in data.items():
        items = broader if isinstance(broader, list) else [broader]
        if not isinstance(narrower, str) or not all(isinstance(b, str) and b.strip() for b in items):
            raise StudioError(f"{path}: {narrower!r}: concepts must be text, each narrower one mapped to broader ones")
        out[narrower] = items
    return out


def _policy_summary(document) -> str:
    state = "unchanged" if getattr(document, "unchanged", False) else "loaded"
    return f"{state}, {document.rule_count} rules into <{document.graph}>"
