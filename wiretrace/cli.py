"""The `wiretrace` command: run, tag, report, serve."""

from __future__ import annotations

import argparse
import atexit
import json
import os
import sys
from pathlib import Path
from typing import NoReturn

from settings import API_START_SECONDS, DEFAULT_FEEDS, DEFAULT_SEEDS, MANIFEST_NAME, SETTINGS, default_db


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
    from clients.seedfiles import read_file, read_manifest
    from flows.workers import load_language_model
    from transforms.manifest import ManifestError
    from transforms.pipeline import process
    from transforms.records import Failure
    from transforms.registry import load_registry

    manifests: dict[Path, dict] = {}  # folder -> its manifest's entries ({} when it has none)
    if args.manifest:
        try:
            manifests[Path(args.manifest).resolve().parent] = read_manifest(Path(args.manifest))
        except ManifestError as exc:
            print(f"wiretrace tag: {exc}", file=sys.stderr)
            return 2

    def manifest_entry(path: Path):
        # --manifest names one manifest; otherwise each file's own folder's manifest.csv, as `run` reads it
        if args.manifest:
            base, entries = next(iter(manifests.items()))
        else:
            base = path.resolve().parent
            if base not in manifests:
                beside = base / MANIFEST_NAME
                try:
                    manifests[base] = read_manifest(beside) if beside.is_file() else {}
                except ManifestError as exc:
                    print(f"wiretrace tag: {exc} (tagging without it)", file=sys.stderr)
                    manifests[base] = {}
            entries = manifests[base]
        try:
            return entries.get(path.resolve().relative_to(base).as_posix())
        except ValueError:
            return None

    registry = load_registry()
    load_language_model(SETTINGS)
    out, failed = [], 0
    for name in args.files:
        path = Path(name)
        entry = manifest_entry(path)
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
        # an unknown value reads as the README's words for it, never as Python's None
        console.print(
            f"  outlet: {item['outlet'] or '(unknown)'}  byline: {item['byline'] or '(none)'}"
            f"  published: {item['published'] or 'undated'}  language: {item['language'] or '(unknown)'}"
            f"  words: {len(item['text'].split())}"
        )
        if item["url"]:
            console.print(f"  url: {item['url']}")
        table = Table("source", "kind", "role", "evidence", "offsets", box=None, padding=(0, 2))
        for s in item["sources"]:
            where = f"{s['start']}-{s['end']}" if s["start"] is not None else "outside text"
            table.add_row(s["source"], s["kind"], s["role"], s["evidence"][:80], where)
        console.print(table if item["sources"] else "  no sources credited")


def cmd_run(args: argparse.Namespace) -> int:
    """One flow run of the main job."""
    feeds = args.feeds or (str(DEFAULT_FEEDS) if DEFAULT_FEEDS.is_file() else None)
    from wiretrace.temporary_api import start_early

    api = start_early()  # first: Prefect's temporary API starts while the pipeline is imported
    try:
        from flows.preflight import StartupError, check_startup

        # an unwritable warehouse, no seeds folder, a bad --feeds: one line before the imports below
        check_startup(str(args.db), seeds_dir=str(args.seeds), feeds_file=args.feeds)
        from flows.ingest import run_main_job
        from wiretrace.report import print_summary

        result = run_main_job(
            seeds_dir=str(args.seeds), feeds_file=feeds, db_path=str(args.db), force=args.force, api=api
        )
    except StartupError as exc:  # one line that says what to do, no traceback
        print(f"wiretrace run: {exc}", file=sys.stderr)
        return 2
    finally:
        if api is not None:
            api.terminate()  # it shuts down while the summary is read and printed
    print_summary(result, args.db)
    if api is not None:
        api.stop()
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    """Terminal tables and the self-contained HTML report, from the warehouse (read-only)."""
    import duckdb

    from warehouse.report_queries import UnknownStory, report_data
    from wiretrace.html_report import write_report
    from wiretrace.report import print_report

    db_path = Path(args.db)
    # Read-only, like any analyst: it reads a snapshot, never waits for a run, and a run never waits for it.
    if (con := _read_only(args)) is None:
        return 2
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
    name = f"wiretrace-report-{data.story['story_id']}.html" if data.story else "wiretrace-report.html"
    path = write_report(data, args.out, name)
    print(f"HTML report: {path.resolve()}")
    return 0


def duckdb_shell() -> str | None:
    """The `duckdb` shell of this environment (the duckdb-cli package in .venv/bin), else one on PATH."""
    import shutil

    beside = Path(sys.executable).with_name("duckdb")
    return str(beside) if beside.is_file() else shutil.which("duckdb")


def _read_only(args: argparse.Namespace):
    """The warehouse, read-only; None after saying why there is none."""
    from wiretrace import WarehouseNotFound, open_warehouse

    try:
        return open_warehouse(args.db)
    except WarehouseNotFound as exc:
        print(f"wiretrace {args.command}: {exc}", file=sys.stderr)
        return None


def shell_argv(shell: str, db_path: str | Path) -> list[str]:
    """The stock `duckdb` command line that opens the warehouse read-only, attached and USEd."""
    from warehouse import lake

    if lake.is_legacy(db_path):
        return [shell, "-readonly", str(db_path)]
    where = lake.locate(db_path)
    return [shell, "-cmd", f"{where.attach_sql(read_only=True)}; USE {lake.ALIAS};"]


def _as_typed(argv: list[str]) -> str:
    """The command line as one would type it: the ATTACH in double quotes (its paths in single ones)."""
    import shlex

    return " ".join(
        f'"{a}"' if " " in a and not any(c in a for c in '"$`\\') else shlex.quote(a) for a in argv
    )


def cmd_sql(args: argparse.Namespace) -> int:
    """One query (-c), or an interactive DuckDB shell on the warehouse, read-only."""
    import duckdb

    from warehouse import lake

    if (con := _read_only(args)) is None:
        return 2
    if args.command_sql is None:
        con.close()
        shell = duckdb_shell()
        if shell is None:
            print("wiretrace sql: no duckdb shell found; `make setup` installs it (duckdb-cli) into "
                  ".venv/bin, or use -c SQL", file=sys.stderr)  # fmt: skip
            return 2
        # The stock shell autoloads the DuckLake extensions from DuckDB's extension folder.
        lake.install_extensions()
        argv = shell_argv(shell, args.db)
        print("wiretrace sql: " + _as_typed(["duckdb", *argv[1:]]), file=sys.stderr)
        # The shell replaces this process, so Ctrl-C and the terminal behave as in a plain `duckdb`.
        os.execv(shell, argv)
    try:
        result = con.sql(args.command_sql)
        if result is not None:
            result.show(max_rows=args.max_rows, max_width=10_000 if not sys.stdout.isatty() else None)
    except duckdb.Error as exc:
        print(f"wiretrace sql: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    return 0


def cmd_migrate(args: argparse.Namespace) -> int:
    """Convert a warehouse of the storage before DuckLake (one DuckDB file) into the lake at --db."""
    from warehouse.migrate import MigrateError, migrate_legacy

    try:
        counts = migrate_legacy(args.source, args.db)
    except MigrateError as exc:
        print(f"wiretrace migrate: {exc}", file=sys.stderr)
        return 2
    total = sum(counts.values())
    tables = ", ".join(f"{table} {rows}" for table, rows in counts.items() if rows)
    print(f"converted {args.source} into {args.db}: {total} rows in {len(counts)} tables ({tables}); "
          f"{args.source} is left as it was")  # fmt: skip
    return 0


def cmd_compact(args: argparse.Namespace) -> int:
    """Maintenance: flush inlined rows, merge small files, expire old snapshots, delete unused files."""
    from warehouse import db, lake

    if not lake.locate(args.db).exists():
        print(f"wiretrace compact: no warehouse at {args.db}", file=sys.stderr)
        return 2
    con = db.connect(args.db)
    try:
        done = lake.compact(con, args.days)
    except lake.CompactionFailed as failed:
        print(f"wiretrace compact: {failed}", file=sys.stderr)
        return 1
    finally:
        con.close()
    print("compacted: " + ", ".join(f"{k} {v}" for k, v in done.items()))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    """Articles, credits and reuse since a day, as CSV or Parquet, from the warehouse (read-only)."""
    import duckdb

    from warehouse.exports import export

    if (con := _read_only(args)) is None:
        return 2
    try:
        written = export(con, args.out, args.format, args.since)
    except (duckdb.Error, OSError) as exc:
        print(f"wiretrace export: {exc}", file=sys.stderr)
        return 1
    finally:
        con.close()
    for name, (path, rows) in written.items():
        print(f"{name}: {rows} rows -> {path}")
    return 0


def _day(value: str):
    from datetime import date

    try:
        return date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a day; write it as YYYY-MM-DD") from None


def cmd_serve(args: argparse.Namespace) -> int:
    """A local Prefect server, the work pool, the deployments of prefect.yaml and a worker, until Ctrl-C."""
    from wiretrace.serve import serve

    return serve(
        port=args.port,
        home=args.home,
        worker=not args.no_worker,
        run_seeds=args.run_seeds,
        workers=args.workers,
    )


DB_HELP = ("the warehouse's catalog (default: $WIRETRACE_DB or warehouse/wiretrace.sqlite; "
           "postgres:dbname=… host=… for a PostgreSQL catalog)")  # fmt: skip


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="wiretrace", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="one flow run of the main job: seeds (and feeds) into the warehouse")
    run.add_argument("--seeds", type=Path, default=DEFAULT_SEEDS, help="seeds folder (default: seeds/)")
    run.add_argument("--feeds", help="feeds config (default: feeds.yaml if present)")
    run.add_argument("--db", type=Path, default=None, help=DB_HELP)
    run.add_argument("--force", action="store_true", help="process every input and poll every feed now")
    run.set_defaults(func=cmd_run)

    tag = sub.add_parser("tag", help="clean and tag files without touching the warehouse")
    tag.add_argument("files", nargs="+", metavar="FILE", help=".txt, .html/.htm, or either gzip-compressed")
    tag.add_argument("--json", action="store_true", help="print a JSON array, one object per FILE")
    tag.add_argument("--url", help="the URL the files were fetched from")
    tag.add_argument("--manifest", help="manifest.csv giving url/outlet/published per file (default: the "
                     "manifest.csv in each file's folder, if any)")  # fmt: skip
    tag.set_defaults(func=cmd_tag)

    report = sub.add_parser("report", help="coverage tables in the terminal and a self-contained HTML report")
    report.add_argument("--db", type=Path, default=None, help=DB_HELP)
    report.add_argument("--out", type=Path, default=Path("reports"), help="folder of the HTML report "
                        "(default: reports/)")  # fmt: skip
    report.add_argument("--story", help="report on one story: its id in the Stories table (a unique start "
                        "of its story_id is enough)")  # fmt: skip
    report.set_defaults(func=cmd_report)

    sql = sub.add_parser("sql", help="SQL on the warehouse, read-only: one query (-c) or a shell")
    sql.add_argument("--db", type=Path, default=None, help=DB_HELP)
    sql.add_argument("-c", dest="command_sql", metavar="SQL", help="run this query, print its rows and exit")
    sql.add_argument("--max-rows", type=int, default=100, help="rows printed by -c (default 100)")
    sql.set_defaults(func=cmd_sql)

    exp = sub.add_parser("export", help="articles, credits and reuse since a day, as CSV or Parquet files")
    exp.add_argument("--format", choices=("csv", "parquet"), default="csv", help="file format (default csv)")
    exp.add_argument("--since", type=_day, required=True, metavar="DATE", help="articles published on or "
                     "after this day (YYYY-MM-DD); undated ones first seen on or after it")  # fmt: skip
    exp.add_argument("--out", type=Path, default=Path("exports"), help="folder (default: exports/)")
    exp.add_argument("--db", type=Path, default=None, help=DB_HELP)
    exp.set_defaults(func=cmd_export)

    mig = sub.add_parser(
        "migrate", help="convert a warehouse of the storage before DuckLake (a .duckdb file)"
    )
    mig.add_argument("--from", dest="source", type=Path, required=True, metavar="OLD.duckdb",
                     help="the old warehouse file (left as it is)")  # fmt: skip
    mig.add_argument("--db", type=Path, default=None, help="the new warehouse: " + DB_HELP)
    mig.set_defaults(func=cmd_migrate)

    compact = sub.add_parser("compact", help="maintenance: merge small files, expire old snapshots (daily)")
    compact.add_argument("--db", type=Path, default=None, help=DB_HELP)
    compact.add_argument("--days", type=float, default=None, help="keep this many days of snapshots for "
                         "time travel (default: $WIRETRACE_SNAPSHOT_DAYS or 7)")  # fmt: skip
    compact.set_defaults(func=cmd_compact)

    serve = sub.add_parser("serve", help="scheduled mode: local Prefect server, deployments and a worker")
    serve.add_argument("--port", type=int, default=4200, help="port of the Prefect UI and API (default 4200)")
    serve.add_argument("--home", type=Path, default=Path(".prefect"), help="PREFECT_HOME of the server: its "
                       "database and logs (default: .prefect/)")  # fmt: skip
    serve.add_argument("--no-worker", action="store_true", help="deploy only; start no worker")
    serve.add_argument("--workers", type=int, default=1, help="process workers in the pool (default 1); 2 "
                       "or more share feed polling by host (prefect.yaml's sharded deployments)")  # fmt: skip
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
        code = args.func(args)
    except KeyboardInterrupt:
        return 130
    except BrokenPipeError:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
        return 1
    if args.func is cmd_run and argv is None:  # `wiretrace run` as a command, not main() called in Python
        _leave(code)
    return code


def _leave(code: int) -> NoReturn:
    """End the process once a run is over, without the interpreter's teardown.

    The exit handlers still run (Prefect's, logging's flush) and the output is flushed; what is skipped
    is freeing every module and object the run loaded, one by one: about a second at load 5 (timed
    from main's return to the process's end), for nothing, since the process ends anyway.
    """
    atexit._run_exitfuncs()
    sys.stdout.flush()
    sys.stderr.flush()
    os._exit(code)


if __name__ == "__main__":
    sys.exit(main())
