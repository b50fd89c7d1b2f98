"""Dagster assets, built from the portfolio: config -> one extract per source -> staging -> core ->
intermediate -> marts -> history -> publish.

Every asset that writes the build file is in the ``sightline_duckdb`` pool: one writer at a time.
The first extract step of a run starts the extracts of every source the run will load, in threads
(they write landing files only); each source's own step then waits for its extract and merges it.
"""


import hashlib
import logging
import time
from collections.abc import Iterable, Iterator
from pathlib import Path

import dagster as dg
import duckdb

from connectors.base import SourceSpec
from connectors.registry import connector_class
from pipelines.config import Portfolio, PostgresTarget
from pipelines.extract import land_extract
from pipelines.portfolio_tables import config_tables, run_table
from pipelines.resources import DUCKDB_POOL, SightlineWarehouse
from warehouse.db import MACROS
from warehouse.docs import table_doc
from warehouse.metadata import table_summary
from warehouse.models import (
    Model,
    build_canonical_unions,
    build_kind_staging,
    build_model,
    discover_models,
    write_tables,
)
from warehouse.postgres import PostgresPublishError, publish_postgres
from warehouse.publish import publish
from warehouse.raw import previous_state

PROGRESS = logging.getLogger("sightline.progress")
CONFIG_KEY = dg.AssetKey(["config", "portfolio"])
CANONICAL_KEY = dg.AssetKey(["staging", "canonical"])
PUBLISHED_KEY = dg.AssetKey(["published", "warehouse"])
FRESH_LOAD_CHECK = "fresh_load"
SOURCES_FAILED = "sources failed in this run"
OWNERS = ["team:pmo-data"]


class ExtractConfig(dg.Config):
    """Run config of one source's extract: set it in the launchpad to reload that source whole."""

    full_refresh: bool = False  # ignore the saved sync state (Jira cursor): read everything again


def code_version(texts: Iterable[str]) -> str:
    """A short content hash: Dagster marks an asset changed when the code that builds it changes."""
    digest = hashlib.sha256()
    for text in texts:
        digest.update(text.encode("utf-8"))
        digest.update(b"\0")  # so ("ab", "c") and ("a", "bc") differ
    return digest.hexdigest()[:16]


def staging_code_version(kind: str) -> str:
    """The hash of a connector's staging SQL, names and contents."""
    folder: Path = connector_class(kind).staging_sql_dir()
    files = sorted(folder.glob("*.sql"))
    return code_version(text for f in files for text in (f.name, f.read_text(encoding="utf-8")))


def layer_tags(layer: str) -> dict[str, str]:
    return {"layer": layer}


def report(context: dg.AssetExecutionContext, message: str) -> None:
    """One progress line: in the Dagster event log, and on the console of `sightline sync`."""
    context.log.info(message)
    PROGRESS.info(message)


def source_key(source: SourceSpec) -> dg.AssetKey:
    return dg.AssetKey(["raw", source.id])


def model_key(model: Model) -> dg.AssetKey:
    return dg.AssetKey([model.schema, model.name])


def table_metadata(con, table: str) -> dict:
    count, columns, preview = table_summary(con, table)
    docs = doc.columns if (doc := table_doc(table)) else {}
    return {
        "dagster/row_count": count,
        "dagster/column_schema": dg.TableSchema(
            columns=[dg.TableColumn(name, kind, description=docs.get(name)) for name, kind in columns]
        ),
        "preview": dg.MetadataValue.md(preview),
    }


def config_asset() -> dg.AssetsDefinition:
    @dg.asset(
        key=CONFIG_KEY, group_name="config", kinds={"yaml", "duckdb"}, pool=DUCKDB_POOL,
        owners=OWNERS, tags=layer_tags("config"),
        description="The portfolio config (programs, projects, objectives, sources) as config.* tables.",
    )
    def portfolio_config(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        portfolio = sightline.portfolio
        with sightline.connect() as con:
            write_tables(con, "config", config_tables(portfolio))
            write_tables(con, "meta", {"run": run_table(portfolio)})
        report(context, f"config: {len(portfolio.programs)} programs, {len(portfolio.projects)} projects, "
                        f"{len(portfolio.sources)} sources, as of {portfolio.today()}")
        return dg.MaterializeResult(
            metadata={"config_path": str(portfolio.path), "as_of": str(portfolio.today()),
                      "projects": len(portfolio.projects)}
        )

    return portfolio_config


def extract_asset(source: SourceSpec) -> dg.AssetsDefinition:
    key = source_key(source)

    @dg.asset(
        key=key, deps=[CONFIG_KEY], group_name="extract", kinds={source.kind, "duckdb"}, pool=DUCKDB_POOL,
        owners=OWNERS, tags=layer_tags("raw"), code_version=staging_code_version(source.kind),
        description=f"Source {source.id!r} ({source.kind}): extracted to landing Parquet, loaded into raw tables. "
        "When the source fails, its last good rows stay (marked stale) and the fresh_load check fails.",
        check_specs=[dg.AssetCheckSpec(FRESH_LOAD_CHECK, asset=key, description="This run loaded the source afresh.")],
    )
    def _extract(
        context: dg.AssetExecutionContext, config: ExtractConfig, sightline: SightlineWarehouse
    ) -> dg.MaterializeResult:
        started = time.monotonic()
        with sightline.connect() as con:
            extracts = sightline.extracts
            if not extracts.started(source.id):  # the run's first extract step: start them all
                for ahead, full_refresh in run_extracts(context, sightline.portfolio.sources, source,
                                                        config.full_refresh):
                    extracts.start(ahead, previous_state(con, ahead.id), full_refresh=full_refresh)
            outcome = land_extract(con, extracts.result(source.id, context.log), sightline.landing_dir,
                                   sightline.portfolio.landing_retention_days)  # error: metadata, log, check
        seconds = time.monotonic() - started
        if outcome.ok:
            report(context, f"source {source.id}: loaded {outcome.rows} in {seconds:.1f}s")
        else:
            sightline.note_source_failure(source.id, outcome.error or "failed")
            report(context, f"source {source.id}: FAILED, keeping last good data: {outcome.error}")
        return dg.MaterializeResult(
            metadata={
                "status": "ok" if outcome.ok else "failed",
                "error": outcome.error or "",
                "load_id": outcome.load_id,
                "rows": dg.MetadataValue.json(outcome.rows),
                "quarantined": outcome.quarantined,
                "landing_dir": str(outcome.landing_dir or ""),
            },
            check_results=[
                dg.AssetCheckResult(
                    check_name=FRESH_LOAD_CHECK, passed=outcome.ok, severity=dg.AssetCheckSeverity.ERROR,
                    description=outcome.error or "loaded",
                )
            ],
        )

    return _extract


def run_extracts(context: dg.AssetExecutionContext, sources: Iterable[SourceSpec], this: SourceSpec,
                 this_full_refresh: bool) -> list[tuple[SourceSpec, bool]]:
    """The sources whose extract steps this run executes (``this`` first), each with its
    ``full_refresh`` from the run config. Only ``this`` when the run's plan cannot be read."""
    try:
        keys = set(context.job_def.asset_layer.selected_asset_keys)
        if context.run.asset_selection:  # empty or None: the job's own selection
            keys &= set(context.run.asset_selection)
        steps = context.run.step_keys_to_execute  # a re-execution runs only some steps
        ops = (context.run.run_config or {}).get("ops") or {}
    except Exception:  # noqa: BLE001 - an unfamiliar Dagster: extract this source alone, as before
        return [(this, this_full_refresh)]
    ahead = [(this, this_full_refresh)]
    for source in sources:
        name = source_key(source).to_python_identifier()
        if source.id != this.id and source_key(source) in keys and (steps is None or name in steps):
            ahead.append((source, bool(((ops.get(name) or {}).get("config") or {}).get("full_refresh"))))
    return ahead


def staging_assets(portfolio: Portfolio) -> list[dg.AssetsDefinition]:
    kinds = sorted({s.kind for s in portfolio.sources})
    assets = []
    for kind in kinds:
        assets.append(_kind_staging_asset(kind, [source_key(s) for s in portfolio.sources if s.kind == kind]))

    @dg.asset(
        key=CANONICAL_KEY, deps=[dg.AssetKey(["staging", k]) for k in kinds], group_name="staging",
        kinds={"duckdb", "sql"}, pool=DUCKDB_POOL, owners=OWNERS, tags=layer_tags("staging"),
        description="staging.<stream> views: every source kind's staging views in the canonical shape, unioned.",
    )
    def canonical(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        with sightline.connect() as con:
            build_canonical_unions(con, kinds)
        report(context, f"staging: canonical views over {', '.join(kinds) or 'no sources'}")
        return dg.MaterializeResult(metadata={"kinds": ", ".join(kinds)})

    return [*assets, canonical]


def _kind_staging_asset(kind: str, upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=["staging", kind], deps=upstream, group_name="staging", kinds={"duckdb", "sql"}, pool=DUCKDB_POOL,
        owners=OWNERS, tags=layer_tags("staging"), code_version=staging_code_version(kind),
        description=f"Staging views of the {kind} connector: its raw tables mapped to the canonical shape.",
    )
    def _staging(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        with sightline.connect() as con:
            views = build_kind_staging(con, kind, connector_class(kind).staging_sql_dir())
        report(context, f"staging: {kind} ({len(views)} views)")
        return dg.MaterializeResult(metadata={"views": ", ".join(views)})

    return _staging


def model_asset(model: Model, models: dict[str, Model]) -> dg.AssetsDefinition:
    deps = set()
    for ref in model.references:
        schema = ref.split(".")[0]
        if ref in models:
            deps.add(model_key(models[ref]))
        elif schema == "staging":
            deps.add(CANONICAL_KEY)
        elif schema in {"config", "meta"}:
            deps.add(CONFIG_KEY)
    description = f"{doc.description}\n\nGrain: {doc.grain}." if (doc := table_doc(model.table)) else None

    @dg.asset(
        key=model_key(model), deps=sorted(deps, key=str), group_name=model.schema, kinds={"duckdb", "sql"},
        pool=DUCKDB_POOL, description=description or f"{model.table}, built from {model.path.name}",
        owners=OWNERS, tags=layer_tags(model.schema), code_version=code_version([model.sql, *MACROS]),  # a macro edit changes its callers
    )
    def _model(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        started = time.monotonic()
        with sightline.connect() as con:
            build_model(con, model)
            metadata = table_metadata(con, model.table)
        report(context, f"{model.table}: {metadata['dagster/row_count']} rows ({time.monotonic() - started:.1f}s)")
        return dg.MaterializeResult(metadata=metadata)

    return _model


def publish_asset(upstream: list[dg.AssetKey]) -> dg.AssetsDefinition:
    @dg.asset(
        key=PUBLISHED_KEY, deps=upstream, group_name="publish", kinds={"duckdb"}, pool=DUCKDB_POOL,
        owners=OWNERS, tags=layer_tags("publish"),
        description="The published warehouse BI tools open: core, marts, history and meta copied into a new file, "
        "documented with COMMENT ON, then renamed over the old one. Published even when a source failed "
        "(its last good rows, marked stale); the run is then failed after publishing, so it is not shown as a success.",
    )
    def published_warehouse(
        context: dg.AssetExecutionContext, sightline: SightlineWarehouse
    ) -> Iterator[dg.MaterializeResult]:
        target = sightline.portfolio.publish
        with sightline.connect() as con:
            counts = publish(con, sightline.published_path, target.storage_version)
            report(context, f"published {sightline.published_path} ({len(counts)} tables)")
            postgres_error, postgres_metadata = _publish_postgres(context, con, target.postgres)
        rows = "\n".join(f"| {table} | {n} |" for table, n in counts.items())
        yield dg.MaterializeResult(
            metadata={
                "path": str(sightline.published_path),
                "tables": dg.MetadataValue.md("| table | rows |\n|---|---|\n" + rows),
                "bytes": sightline.published_path.stat().st_size,
                "storage_version": target.storage_version,
                **postgres_metadata,
            }
        )
        if postgres_error:  # the DuckDB file is published; the run still must not look like a success
            raise dg.Failure(description=postgres_error)
        failed = sightline.failed_sources
        if failed:
            raise dg.Failure(
                description=f"{SOURCES_FAILED}: {', '.join(f'{s} ({e})' for s, e in failed.items())}; "
                "the warehouse was published with their last good data, marked stale",
                metadata={"failed_sources": dg.MetadataValue.json(failed)},
            )

    return published_warehouse


def _publish_postgres(
    context: dg.AssetExecutionContext, con: duckdb.DuckDBPyConnection, target: PostgresTarget | None,
) -> tuple[str | None, dict[str, object]]:
    """The Postgres copy, isolated: its failure is reported (error text, metadata), never raised here,
    so the DuckDB file stays published and the previous Postgres tables stay in place."""
    if target is None:
        return None, {}
    try:
        done = publish_postgres(con, target.dsn_env, target.schema_prefix,
                                lock_timeout_seconds=target.lock_timeout_seconds)
    except PostgresPublishError as exc:
        context.log.error(str(exc))
        return str(exc), {"postgres": f"failed: {exc}"}
    report(context, f"published to Postgres: {', '.join(done.schemas)} ({done.rows_total} rows, {done.seconds:.1f}s)")
    return None, {"postgres": f"published {', '.join(done.schemas)}", "postgres_rows": done.rows_total,
                  "postgres_seconds": round(done.seconds, 2)}


def build_assets(portfolio: Portfolio) -> list[dg.AssetsDefinition]:
    models = {m.table: m for m in discover_models()}
    transforms = [model_asset(m, models) for m in models.values()]
    return [
        config_asset(),
        *[extract_asset(s) for s in portfolio.sources],
        *staging_assets(portfolio),
        *transforms,
        publish_asset([model_key(m) for m in models.values()]),
        *report_assets(),
    ]


REPORT_KEY = dg.AssetKey(["report", "portfolio"])
DIGEST_KEY = dg.AssetKey(["report", "digest"])


def report_assets() -> list[dg.AssetsDefinition]:
    """The static HTML report and the weekly digest, regenerated from the published file after each publish.
    They read the published file read-only, never the build file; they are in the pool like every step of a
    sync, so a run's steps stay one at a time."""

    @dg.asset(
        key=REPORT_KEY, deps=[PUBLISHED_KEY], group_name="report", kinds={"html"}, owners=OWNERS, pool=DUCKDB_POOL,
        tags=layer_tags("report"),
        description="The portfolio report: one folder of static HTML beside the warehouse (report/index.html), "
        "readable offline - overview, attention list, milestone trend, resources, strategy, linkages, data quality.",
    )
    def portfolio_report(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        from reporting.site import write_report

        started = time.monotonic()
        index = write_report(sightline.published_path)
        report(context, f"report: {index} ({time.monotonic() - started:.1f}s)")
        return dg.MaterializeResult(metadata={"path": str(index), "pages": len(list(index.parent.rglob("*.html")))})

    @dg.asset(
        key=DIGEST_KEY, deps=[PUBLISHED_KEY], group_name="report", kinds={"markdown", "html"}, owners=OWNERS,
        pool=DUCKDB_POOL,
        tags=layer_tags("report"),
        description="The weekly status digest per program (report/digest.md and digest.html beside the warehouse).",
    )
    def weekly_digest(context: dg.AssetExecutionContext, sightline: SightlineWarehouse) -> dg.MaterializeResult:
        from reporting.digest import write_digest
        from reporting.site import default_out_dir

        folder = default_out_dir(sightline.published_path)
        folder.mkdir(parents=True, exist_ok=True)
        markdown = write_digest(sightline.published_path, fmt="md")
        (folder / "digest.md").write_text(markdown, encoding="utf-8")
        (folder / "digest.html").write_text(write_digest(sightline.published_path, fmt="html"), encoding="utf-8")
        report(context, f"digest: {folder / 'digest.md'}")
        return dg.MaterializeResult(metadata={"path": str(folder / "digest.md"),
                                              "digest": dg.MetadataValue.md(markdown)})

    return [portfolio_report, weekly_digest]
