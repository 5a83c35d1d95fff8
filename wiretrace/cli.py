"""The `wiretrace` command: run, tag, report, serve."""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from settings import API_START_SECONDS, DEFAULT_FEEDS, DEFAULT_SEEDS, SETTINGS, default_db


def _article_json(file: str, result) -> dict:
    from transforms.records import Failure

    if isinstance(result, Failure):
        return {"file": file, "error": f"{result.stage}: {result.reason}"}
    a = result.article
    return {
        "file": file,
        "url": a.url,
        "outlet": a.outlet,
        "title": a.title,
        "byline": a.byline,
        "published": a.published,
        "language": a.language,
        "text": a.text,
        "sources": [
            {
                "source": s.source,
                "kind": s.kind,
                "role": s.role,
                "evidence": s.evidence,
                "start": s.start,
                "end": s.end,
            }
            for s in result.sources
        ],
    }


def cmd_tag(args: argparse.Namespace) -> int:
    """Clean and tag files without touching the warehouse."""
    from flows.seeds import read_file, read_manifest
    from flows.workers import load_language_model
    from transforms.manifest import ManifestError
    from transforms.pipeline import process
    from transforms.records import Failure
    from transforms.registry import load_registry

    manifest, base = {}, None
    if args.manifest:
        try:
            manifest, base = read_manifest(Path(args.manifest)), Path(args.manifest).resolve().parent
        except ManifestError as exc:
            print(f"wiretrace tag: {exc}", file=sys.stderr)
            return 2
    registry = load_registry()
    load_language_model(SETTINGS)
    out, failed = [], 0
    for name in args.files:
        path = Path(name)
        entry = None
        if base is not None:
            try:
                entry = manifest.get(path.resolve().relative_to(base).as_posix())
            except ValueError:
                entry = None
        result = read_file(path, path.name, entry, SETTINGS.max_document_bytes)
        if not isinstance(result, Failure):
            if args.url:
                result = _with_url(result, args.url)
            result = process(result, registry, SETTINGS.max_document_bytes)
        failed += isinstance(result, Failure)
        out.append(_article_json(name, result))
    if args.json:
        json.dump(out, sys.stdout, ensure_ascii=False, indent=2)
        sys.stdout.write("\n")
    else:
        _print_tags(out)
    return 1 if failed else 0


def _with_url(raw, url: str):
    from dataclasses import replace

    return replace(raw, url=url)


def _print_tags(items: list[dict]) -> None:
    from rich.console import Console
    from rich.table import Table

    console = Console()
    for item in items:
        if "error" in item:
            console.print(f"[bold red]{item['file']}[/]: {item['error']}")
            continue
        console.print(f"[bold]{item['file']}[/]  {item['title'] or '(no title)'}")
        console.print(
            f"  outlet: {item['outlet']}  byline: {item['byline']}  published: {item['published']}"
            f"  language: {item['language']}  words: {len(item['text'].split())}"
        )
        table = Table("source", "kind", "role", "evidence", "offsets", box=None, padding=(0, 2))
        for s in item["sources"]:
            where = f"{s['start']}-{s['end']}" if s["start"] is not None else "outside text"
            table.add_row(s["source"], s["kind"], s["role"], s["evidence"][:80], where)
        console.print(table if item["sources"] else "  no sources credited")


def cmd_run(args: argparse.Namespace) -> int:
    """One flow run of the main job."""
    feeds = args.feeds or (str(DEFAULT_FEEDS) if DEFAULT_FEEDS.is_file() else None)
    from flows.ingest import StartupError, run_main_job
    from wiretrace.report import print_summary

    try:
        result = run_main_job(
            seeds_dir=str(args.seeds), feeds_file=feeds, db_path=str(args.db), force=args.force
        )
    except StartupError as exc:  # one line that says what to do, no traceback
        print(f"wiretrace run: {exc}", file=sys.stderr)
        return 2
    print_summary(result, args.db)
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Terminal tables and the self-contained HTML report, from the published warehouse (read-only)."""
    import duckdb

    from warehouse.report_queries import UnknownStory, report_data
    from wiretrace.html_report import write_report
    from wiretrace.report import print_report

    db_path = Path(args.db)
    if not db_path.is_file():
        print(f"wiretrace report: no warehouse at {db_path}: run `wiretrace run` first", file=sys.stderr)
        return 2
    # Read-only, like any analyst: it never waits for a run, and a run never waits for it.
    con = duckdb.connect(str(db_path), read_only=True)
    try:
        data = report_data(con, str(db_path), args.story)
    except UnknownStory:
        print(f"wiretrace report: no story {args.story!r} in {db_path}", file=sys.stderr)
        return 2
    except duckdb.CatalogException as exc:
        print(f"wiretrace report: {db_path} predates the report's views ({exc}); run `wiretrace run` once "
              "to migrate it", file=sys.stderr)  # fmt: skip
        return 2
    finally:
        con.close()
    print_report(data)
    name = f"wiretrace-report-{args.story}.html" if args.story else "wiretrace-report.html"
    path = write_report(data, args.out, name)
    print(f"HTML report: {path.resolve()}")
    return 0


def cmd_serve(args: argparse.Namespace) -> int:
    """A local Prefect server, the work pool, the deployments of prefect.yaml and a worker, until Ctrl-C."""
    from wiretrace.serve import serve

    return serve(port=args.port, home=args.home, worker=not args.no_worker, run_seeds=args.run_seeds)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wiretrace", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one flow run of the main job: seeds (and feeds) into the warehouse")
    run.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder (default: seeds/)")
    run.add_argument("--feeds", help="feeds config (default: feeds.yaml if present)")
    run.add_argument("--db", type=Path, default=None, help="warehouse file (default: $WIRETRACE_DB or "
                     "warehouse/wiretrace.duckdb)")  # fmt: skip
    run.add_argument("--force", action="store_true", help="process every input and poll every feed now")
    run.set_defaults(func=cmd_run)

    tag = sub.add_parser("tag", help="clean and tag files without touching the warehouse")
    tag.add_argument("files", nargs="+", metavar="FILE", help=".txt, .html/.htm, or either gzip-compressed")
    tag.add_argument("--json", action="store_true", help="print a JSON array, one object per FILE")
    tag.add_argument("--url", help="the URL the files were fetched from")
    tag.add_argument("--manifest", help="manifest.csv giving url/outlet/published per file")
    tag.set_defaults(func=cmd_tag)

    report = sub.add_parser("report", help="coverage tables in the terminal and a self-contained HTML report")
    report.add_argument("--db", type=Path, default=None, help="published warehouse to read (default: "
                        "$WIRETRACE_DB or warehouse/wiretrace.duckdb)")  # fmt: skip
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder of the HTML report "
                        "(default: reports/)")  # fmt: skip
    report.add_argument("--story", help="report on one story (a story_id of the Stories table)")
    report.set_defaults(func=cmd_report)

    serve = sub.add_parser("serve", help="scheduled mode: local Prefect server, deployments and a worker")
    serve.add_argument("--port", type=int, default=4200, help="port of the Prefect UI and API (default 4200)")
    serve.add_argument("--home", type=Path, default=Path(".prefect"), help="PREFECT_HOME of the server: its "
                       "database and logs (default: .prefect/)")  # fmt: skip
    serve.add_argument("--no-worker", action="store_true", help="deploy only; start no worker")
    serve.add_argument("--run-seeds", action="store_true", help="trigger the seed-ingest deployment now")
    serve.set_defaults(func=cmd_serve)
    return parser


def main(argv: list[str] | None = None) -> int:
    # Prefect's telemetry writes to its database from a second thread and logs "database is locked".
    os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
    os.environ.setdefault("PREFECT_SERVER_EPHEMERAL_STARTUP_TIMEOUT_SECONDS", str(API_START_SECONDS))
    args = build_parser().parse_args(argv)
    if getattr(args, "db", "unset") is None:
        args.db = default_db()
    try:
        return args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1


if __name__ == "__main__":
    sys.exit(main())
