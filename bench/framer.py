#!/usr/bin/env python
"""Framer throughput: the whole Framer against raw spaCy ``nlp.pipe`` on the same text.

Run from the repository root::

    PYTHONPATH=. python bench/framer.py                  # the full GDPR (bundled Markdown)
    PYTHONPATH=. python bench/framer.py --file some.html --repeat 3

stdout is one JSON object; progress goes to stderr.

Both sides use the same spaCy pipeline (the configured model, NER excluded as the Framer loads
it) in the same process, each run ``--repeat`` times (best run reported):

- raw: ``list(nlp.pipe(texts))`` over the document's blocks (its paragraphs and list items;
  every sentence is in exactly one block), and over the operative blocks only (the Framer does
  not parse recitals, citations and notes, which give no rules);
- framer: ``load_regulation`` into a fresh on-disk store (read the file, parse, extract rules,
  normalise concepts, resolve references, write the named graph in one transaction) followed by
  ``record_conflicts`` over the store (conflict detection), i.e. what ``studio load`` does.

Reported: words (whitespace tokens of the blocks), seconds and words/s for both, the ratio
framer/raw throughput over the whole document (target at least 0.7) and over the operative text
alone (what parsing costs against everything else), and the time of each Framer stage
measured separately on one more run.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench.machine import machine_info  # noqa: E402

DEFAULT_FILE = Path(__file__).resolve().parents[1] / "pipeline" / "examples" / "gdpr" / "gdpr.md"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--file", type=Path, default=DEFAULT_FILE, help="regulation to frame (default: the bundled GDPR)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per side; the best is reported")
    parser.add_argument("--model", default=None, help="spaCy model (default as studio load)")
    args = parser.parse_args()

    from kg.conflicts import record_conflicts
    from kg.store import open_store
    from pipeline.framers.extraction import load_model, model_name
    from pipeline.framers.framer import _informative_provisions, extract_document, frame_document, load_regulation
    from pipeline.framers.readers import read_document

    nlp = load_model(args.model)
    document = read_document(args.file)
    texts = [document.block_text(block) for block in document.blocks]
    words = sum(len(text.split()) for text in texts)
    informative = _informative_provisions(document)
    operative = [document.block_text(b) for b in document.blocks if b.provision not in informative]
    operative_words = sum(len(text.split()) for text in operative)
    log(f"{args.file.name}: {len(document.provisions)} provisions, {len(texts)} blocks, {words} words")
    list(nlp.pipe(texts[:50]))  # warm-up: first calls allocate

    raw_times, operative_times, framer_times, result = [], [], [], None
    for run in range(args.repeat):
        start = time.perf_counter()
        list(nlp.pipe(texts, batch_size=64))
        raw_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        list(nlp.pipe(operative, batch_size=64))
        operative_times.append(time.perf_counter() - start)
        log(f"raw nlp.pipe run {run + 1}: {raw_times[-1]:.1f} s (operative text only: {operative_times[-1]:.1f} s)")
        with tempfile.TemporaryDirectory() as folder:
            store = open_store(f"oxigraph:{folder}/store")
            start = time.perf_counter()
            result = load_regulation(store, args.file, nlp=nlp)
            conflicts = record_conflicts(store)
            framer_times.append(time.perf_counter() - start)
            store.close()
        log(f"framer run {run + 1}: {framer_times[-1]:.1f} s")

    # Stages, measured once more, one at a time.
    stages = {}
    start = time.perf_counter()
    document = read_document(args.file)
    stages["read"] = time.perf_counter() - start
    start = time.perf_counter()
    docs = list(nlp.pipe(texts, batch_size=64))
    stages["parse"] = time.perf_counter() - start
    start = time.perf_counter()
    extract_document(document, nlp)
    stages["parse_and_extract"] = time.perf_counter() - start
    start = time.perf_counter()
    framed = frame_document(document, nlp)
    stages["frame_total_in_memory"] = time.perf_counter() - start
    with tempfile.TemporaryDirectory() as folder:
        store = open_store(f"oxigraph:{folder}/store")
        start = time.perf_counter()
        store.replace_graph(framed.graph, framed.triples)
        stages["write"] = time.perf_counter() - start
        start = time.perf_counter()
        record_conflicts(store)
        stages["conflicts"] = time.perf_counter() - start
        store.close()
    del docs

    raw, framer, raw_operative = min(raw_times), min(framer_times), min(operative_times)
    out = {
        "benchmark": "framer",
        "file": str(args.file),
        "model": model_name(args.model),
        "provisions": len(document.provisions),
        "blocks": len(texts),
        "words": words,
        "rules": result.counts,
        "triples": len(result.triples),
        "conflicts": len(conflicts),
        "raw_spacy": {"seconds": round(raw, 2), "words_per_second": round(words / raw)},
        "framer": {"seconds": round(framer, 2), "words_per_second": round(words / framer)},
        "framer_vs_raw_throughput": round(raw / framer, 3),
        # The Framer does not parse recitals, citations or notes (they give no rules); against raw
        # spaCy over just the text it parses, the ratio is the cost of everything but parsing.
        "operative_words": operative_words,
        "raw_spacy_operative_text": {"seconds": round(raw_operative, 2), "words_per_second": round(operative_words / raw_operative)},
        "framer_vs_raw_on_operative_text": round(raw_operative / framer, 3),
        "target": 0.7,
        "stages_seconds": {name: round(value, 3) for name, value in stages.items()},
        "runs": {"raw": [round(t, 2) for t in raw_times], "framer": [round(t, 2) for t in framer_times]},
        "machine": machine_info(spacy=__import__("spacy").__version__),
    }
    print(json.dumps(out, indent=2))


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
