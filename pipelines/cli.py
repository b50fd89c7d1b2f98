"""The `sightline` command: demo, sync, init, ui, query, report, digest, schema, new-connector."""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import logging
import os
import shutil
import sys
from collections.abc import Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

from pipelines.config import ConfigError, Portfolio, load_portfolio
from pipelines.instance import DAGSTER_YAML, instance_home

if TYPE_CHECKING:
    from pipelines.run import SyncReport

__all__ = ["DAGSTER_YAML", "main"]

REPO_ROOT = Path(__file__).resolve().parents[1]
DEMO_CONFIG = REPO_ROOT / "examples" / "portfolio.yaml"
DEFAULT_CONFIG = Path("portfolio.yaml")
EXIT_CONFIG = 2
EXIT_LOCKED = 4  # another writer held the writer lock for longer than --wait
DEFAULT_WAIT = 600.0  # pipelines.writer_lock.DEFAULT_WAIT_SECONDS, without importing it before it is needed


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="sightline", description="One line of sight over every project.")
    commands = parser.add_subparsers(dest="command", required=True)
    demo_parser = commands.add_parser("demo", help="run the pipeline on the sample portfolio, print the program rollup "
                                      "and write the report")
    demo_parser.add_argument("--open", action="store_true", help="open the report in the default browser")
    sync = commands.add_parser("sync", help="run the whole pipeline once, in-process")
    _config_argument(sync)
    sync.add_argument("--full-refresh", action="store_true", help="reload incremental sources (Jira) whole")
    sync.add_argument("--wait", type=float, default=DEFAULT_WAIT, metavar="SECONDS",
                      help=f"how long to wait for another writer to finish (default {DEFAULT_WAIT:g}); "
                      f"then exit {EXIT_LOCKED}")
    sync.add_argument("--dq-errors-exit", type=int, choices=(0, 1, 3), default=3, metavar="CODE",
                      help="exit code when the warehouse is published with data-quality errors "
                      "(default 3; 0 for nightly jobs that only alert on failures)")
    init = commands.add_parser("init", help="write a starter portfolio.yaml and folders")
    init.add_argument("directory", type=Path)
    ui = commands.add_parser("ui", help="start the Dagster UI on this portfolio")
    _config_argument(ui)
    ui.add_argument("--port", type=int, default=3000)
    query = commands.add_parser("query", help="run read-only SQL on the published warehouse")
    _config_argument(query)
    query.add_argument("--format", choices=["table", "csv", "json"], default="table")
    query.add_argument("--raw", action="store_true",
                       help="csv: write text cells as they are (no ' before a leading = + - @ tab or CR)")
    query.add_argument("sql")
    report = commands.add_parser("report", help="write the static HTML portfolio report of the published warehouse")
    _config_argument(report)
    report.add_argument("--out", type=Path, help="folder to write (default: report/ beside the warehouse)")
    report.add_argument("--open", action="store_true", help="open it in the default browser")
    digest = commands.add_parser("digest", help="print the weekly status digest per program")
    _config_argument(digest)
    digest.add_argument("--program", metavar="ID", help="only this program (default: every program)")
    digest.add_argument("--format", choices=["md", "html"], default="md")
    commands.add_parser("schema", help="print the JSON Schema of portfolio.yaml (for editor completion)")
    scaffold = commands.add_parser("new-connector", help="write a connector package that passes the contract tests")
    scaffold.add_argument("name", help="the new source kind, e.g. asana")
    scaffold.add_argument("--dir", type=Path, default=Path("."), help="where to create sightline-<name>/ (default: .)")
    args = parser.parse_args(argv)

    try:
        if args.command == "demo":
            return demo(open_report=args.open)
        if args.command == "sync":
            return sync_command(load_portfolio(args.config), full_refresh=args.full_refresh,
                                wait_seconds=args.wait, dq_errors_exit=args.dq_errors_exit)
        if args.command == "init":
            return init_command(args.directory)
        if args.command == "schema":
            return schema_command()
        if args.command == "report":
            return report_command(load_portfolio(args.config), args.out, open_report=args.open)
        if args.command == "digest":
            return digest_command(load_portfolio(args.config), args.program, args.format)
        if args.command == "new-connector":
            return new_connector_command(args.name, args.dir)
        if args.command == "ui":
            return ui_command(load_portfolio(args.config), args.port)
        return query_command(load_portfolio(args.config), args.sql, args.format, raw=args.raw)
    except ConfigError as exc:
        print(exc, file=sys.stderr)
        return EXIT_CONFIG


def _config_argument(command: argparse.ArgumentParser) -> None:
    command.add_argument("--config", type=Path, default=DEFAULT_CONFIG,
                         help=f"portfolio.yaml (default: ./{DEFAULT_CONFIG})")


def _progress_to_stderr() -> None:
    logger = logging.getLogger("sightline.progress")
    if not logger.handlers:
        handler = logging.StreamHandler(sys.stderr)
        handler.setFormatter(logging.Formatter("  %(asctime)s  %(message)s", "%H:%M:%S"))
        logger.addHandler(handler)
        logger.setLevel(logging.INFO)
        logger.propagate = False


def sync_command(
    portfolio: Portfolio, *, full_refresh: bool = False, wait_seconds: float = DEFAULT_WAIT, dq_errors_exit: int = 3
) -> int:
    from pipelines.run import run_sync
    from pipelines.writer_lock import Holder, WriterLockTimeout, waiting_line

    _progress_to_stderr()
    print(f"sightline sync: {portfolio.path}", file=sys.stderr)

    def tell(holder: Holder | None) -> None:
        print(f"sightline sync: {waiting_line(portfolio.var_dir / 'writer.lock', holder, wait_seconds)}",
              file=sys.stderr, flush=True)

    try:
        report = run_sync(portfolio, full_refresh=full_refresh, wait_seconds=wait_seconds, on_wait=tell)
    except WriterLockTimeout as exc:
        print(f"sightline sync: {exc} (--wait SECONDS)", file=sys.stderr)
        return EXIT_LOCKED
    _print_summary(report)
    return report.exit_code(dq_errors_exit)


def _print_summary(report: SyncReport) -> None:
    print("\nRows per published table:")
    for table, rows in report.table_rows.items():
        print(f"  {table:<40} {rows:>10}")
    _print_sources(report)
    _print_findings(report)
    if report.failed_sources:
        print("\nFailed sources (last good data kept, marked stale):")
        for source_id, reason in report.failed_sources.items():
            print(f"  {source_id}: {reason}")
    for step in report.failed_steps:
        print(f"\nFailed step: {step} (the error is above; in full in `sightline ui`, run {report.run_id})")
    for check in report.failed_checks:
        print(f"Failed check: {check}")
    if report.published_this_run:
        print(f"\nPublished: {report.published}")
    else:
        print(f"\nNOT published: the last good warehouse is left in place at {report.published}")
    print(f"Run {report.run_id}: in `sightline ui` under Runs")


def _print_sources(report: SyncReport) -> None:
    print("\nSources:")
    print(f"  {'source':<24} {'kind':<12} {'status':<8} {'loaded':>8} {'quarantined':>11} "
          f"{'dq errors':>9} {'dq warnings':>11}")
    for s in report.sources:
        loaded = "-" if s.rows_loaded is None or s.status != "ok" else str(s.rows_loaded)
        status = s.status.upper() if s.status != "ok" else s.status
        print(f"  {s.source_id:<24} {s.kind:<12} {status:<8} {loaded:>8} {s.quarantined:>11} "
              f"{s.dq_errors:>9} {s.dq_warnings:>11}")


def _print_findings(report: SyncReport) -> None:
    if not report.published_this_run:
        return
    print(f"\nData quality (marts.data_quality): {report.dq_errors} error(s), {report.dq_warnings} warning(s)")
    for f in report.findings:
        print(f"  {f.severity:<8} {f.check_name:<28} x{f.count:<5} e.g. {f.example}")


def demo(*, open_report: bool = False) -> int:
    if not DEMO_CONFIG.exists():
        print(f"the sample portfolio is not at {DEMO_CONFIG}; run the demo from a checkout of the repository",
              file=sys.stderr)
        return 2
    portfolio = load_portfolio(DEMO_CONFIG)
    if not has_earlier_snapshot(portfolio):
        # The watermelon check compares two snapshots running: a fresh sample gets the day before first.
        day_before = portfolio.today() - dt.timedelta(days=1)
        print(f"First a snapshot as of {day_before}, so the watermelon check has two snapshots to compare:")
        _sync_as_of(portfolio, day_before)
        print()
    code = sync_command(portfolio, dq_errors_exit=0)  # the sample carries data-quality errors on purpose
    for title, sql in DEMO_VIEWS:
        print(f"\n{title}")
        query_command(portfolio, sql, "table")
    print()
    report_command(portfolio, None, open_report=open_report, reuse=True)
    return code


def _sync_as_of(portfolio: Portfolio, day: dt.date) -> int:
    """Sync the portfolio as of another day."""
    with config_as_of(portfolio, day) as copy:
        return sync_command(load_portfolio(copy), dq_errors_exit=0)


@contextlib.contextmanager
def config_as_of(portfolio: Portfolio, day: dt.date) -> Iterator[Path]:
    """The portfolio's config file with ``as_of: day``. A run reads its config from the file, so the copy
    is written beside it (its relative paths, warehouse included, stay the same) and removed afterwards."""
    import re

    text = portfolio.path.read_text(encoding="utf-8")
    copy = portfolio.path.with_name(f".{portfolio.path.stem}.as-of-{day}.yaml")
    copy.write_text(re.sub(r"(?m)^as_of:.*$", f"as_of: {day}", text), encoding="utf-8")
    try:
        yield copy
    finally:
        copy.unlink(missing_ok=True)


def has_earlier_snapshot(portfolio: Portfolio) -> bool:
    """Whether the published warehouse already holds a health snapshot dated before the portfolio's today."""
    import duckdb

    if not portfolio.warehouse.exists():
        return False
    try:
        with duckdb.connect(str(portfolio.warehouse), read_only=True) as con:
            return bool(con.execute("SELECT count(*) FROM history.project_health_snapshots WHERE snapshot_date < ?",
                                    [portfolio.today()]).fetchone()[0])
    except duckdb.Error:  # an older or damaged warehouse: take the two-snapshot path
        return False


DEMO_VIEWS = (
    ("Program rollup (marts.program_rollup):",
     "SELECT program_id, projects_total AS projects, projects_red AS red, items_total AS items, "
     "items_done AS done, items_blocked AS blocked, round(pct_complete, 1) AS pct_complete, "
     "pct_complete_basis AS basis, milestones_late, overdue_items, open_risks_high AS high_risks, rag "
     "FROM marts.program_rollup ORDER BY program_id"),
    ("Why projects are not green (marts.project_health):",
     "SELECT project_id, rag, rag_reasons FROM marts.project_health WHERE rag <> 'green' "
     "ORDER BY rag DESC, project_id"),
    ("Reported status against computed RAG (marts.project_health; watermelon = reported green, computed "
     "red/amber two snapshots running for the same rules):",
     "SELECT project_id, reported_status AS reported, reported_at, rag, status_mismatch AS mismatch, watermelon, "
     "is_report_stale AS stale_report FROM marts.project_health "
     "ORDER BY watermelon DESC, status_mismatch DESC, project_id"),
    ("Effort against the strategy (marts.objective_investment):",
     "SELECT objective_id, round(target_share, 2) AS target, round(actual_share, 2) AS actual, "
     "round(drift, 2) AS drift, round(effort_hours) AS hours FROM marts.objective_investment ORDER BY drift"),
    ("Top cross-project linkages (marts.cross_project_linkages):",
     "SELECT project_id_a, project_id_b, linkage_type, round(strength, 1) AS strength, left(evidence, 70) AS evidence "
     "FROM marts.cross_project_linkages ORDER BY linkage_type = 'dependency' DESC, "
     "linkage_type = 'integration_point' DESC, strength DESC LIMIT 8"),
)


# A query runs with no file or network access at all (COPY TO, read_csv, glob, ATTACH, INSTALL,
# LOAD are refused by DuckDB itself), and the configuration is locked so SQL cannot undo that.
SANDBOX_CONFIG = {
    "enable_external_access": False,
    "autoload_known_extensions": False,
    "autoinstall_known_extensions": False,
    "allow_community_extensions": False,
}
# A spreadsheet opening the CSV would run a cell starting with one of these as a formula.
FORMULA_PREFIXES = ("=", "+", "-", "@", "\t", "\r")


def query_command(portfolio: Portfolio, sql: str, output: str, *, raw: bool = False) -> int:
    """Run ``sql`` on the published warehouse, read-only and sandboxed. Exit 1 when it fails or is refused."""
    import duckdb

    if not portfolio.warehouse.exists():
        print(f"no published warehouse at {portfolio.warehouse}; run `sightline sync --config {portfolio.path}` first",
              file=sys.stderr)
        return 1
    with duckdb.connect(str(portfolio.warehouse), read_only=True, config=SANDBOX_CONFIG) as con:
        con.execute("SET lock_configuration = true")
        try:
            frame = con.execute(sql).df()
        except duckdb.Error as exc:
            print(_query_error(exc), file=sys.stderr)
            return 1
    if output == "csv":
        # CRLF (RFC 4180) also makes the writer quote a cell holding a lone CR, which "\n" would not.
        (frame if raw else neutralise_formulas(frame)).to_csv(sys.stdout, index=False, lineterminator="\r\n")
    elif output == "json":
        print(frame.to_json(orient="records", date_format="iso"))
    else:
        print(frame.to_string(index=False) if len(frame) else "(no rows)")
    return 0


def _query_error(exc: Exception) -> str:
    """One line: DuckDB's first line, and for a sandbox refusal what the user can do instead."""
    import duckdb

    first_line = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
    if isinstance(exc, duckdb.PermissionException) or "configuration has been locked" in first_line:
        return (f"query refused: {first_line}; `sightline query` reads only the published warehouse "
                "(no files, network, extensions or settings) - export with --format csv instead")
    return f"query failed: {first_line}"


def neutralise_formulas(frame: Any) -> Any:
    """A copy of ``frame`` whose text cells starting like a formula get a leading ' (numbers are left alone)."""
    import pandas as pd

    safe = frame.copy()
    for column in safe.columns:
        if pd.api.types.is_object_dtype(safe[column]) or pd.api.types.is_string_dtype(safe[column]):
            safe[column] = safe[column].map(_neutralise_cell).astype(object)
    return safe


def _neutralise_cell(value: Any) -> Any:
    if isinstance(value, str) and value.startswith(FORMULA_PREFIXES):
        return "'" + value
    return value


def report_command(portfolio: Portfolio, out: Path | None, *, open_report: bool = False, reuse: bool = False) -> int:
    """Write the report (``reuse``: keep the one the sync's report asset just wrote, when it is newer than the
    warehouse) and print where it is."""
    from reporting.site import default_out_dir, write_report
    from reporting.warehouse import ReportError

    index = (out or default_out_dir(portfolio.warehouse)) / "index.html"
    fresh = reuse and index.exists() and portfolio.warehouse.exists() and (
        index.stat().st_mtime >= portfolio.warehouse.stat().st_mtime)
    if not fresh:
        try:
            index = write_report(portfolio.warehouse, out)
        except ReportError as exc:
            print(f"sightline report: {exc}", file=sys.stderr)
            return 1
    print(f"Report: {index}")
    if open_report:
        import webbrowser

        webbrowser.open(index.resolve().as_uri())
    return 0


def digest_command(portfolio: Portfolio, program: str | None, output: str) -> int:
    from reporting.digest import write_digest
    from reporting.warehouse import ReportError

    try:
        print(write_digest(portfolio.warehouse, program, output))
    except ReportError as exc:
        print(f"sightline digest: {exc}", file=sys.stderr)
        return 1
    return 0


def init_command(directory: Path) -> int:
    from pipelines.starter import write_starter

    try:
        written = write_starter(directory)
    except FileExistsError as exc:
        print(f"{exc}: not overwriting; choose an empty directory", file=sys.stderr)
        return 1
    for path in written:
        print(f"wrote {path}")
    print(f"\nnext: edit {directory / 'portfolio.yaml'}, then `sightline sync --config {directory / 'portfolio.yaml'}`")
    return 0


def schema_command() -> int:
    import json

    from pipelines.config import portfolio_json_schema

    print(json.dumps(portfolio_json_schema(), indent=2))
    return 0


def new_connector_command(name: str, directory: Path) -> int:
    from sightline.scaffold import ScaffoldError, new_connector

    try:
        written = new_connector(name, directory)
    except ScaffoldError as exc:
        print(exc, file=sys.stderr)
        return 2
    for path in written:
        print(f"wrote {path}")
    root = next(path.parent for path in written if path.name == "pyproject.toml")
    print(f"\nnext: cd {root} && pip install -e '.[dev]' && python -m pytest   (docs/connectors.md says what to change)")
    return 0


def ui_command(portfolio: Portfolio, port: int) -> int:
    dagster_home = instance_home(portfolio)
    env = {**os.environ, "SIGHTLINE_CONFIG": str(portfolio.path), "DAGSTER_HOME": str(dagster_home)}
    dagster = shutil.which("dagster") or str(Path(sys.executable).with_name("dagster"))
    command = [dagster, "dev", "-m", "pipelines.definitions", "--port", str(port)]
    print(f"DAGSTER_HOME={dagster_home} SIGHTLINE_CONFIG={portfolio.path}\n{' '.join(command)}", file=sys.stderr)
    os.execve(dagster, command, env)
    return 0  # pragma: no cover - execve does not return


if __name__ == "__main__":
    sys.exit(main())
