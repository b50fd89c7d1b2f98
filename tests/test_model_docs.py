"""Model YAMLs (transforms/<schema>/<table>.yml) against the SQL they describe and everything derived from them."""

from __future__ import annotations

import datetime as dt
import re
from pathlib import Path

import duckdb
import pytest

from pipelines.checks import build_checks
from pipelines.config import load_portfolio
from transforms import TRANSFORMS_DIR
from warehouse import db
from warehouse.db import quote
from warehouse.docs import DocsError, _parse, load_docs
from warehouse.docs_gen import METRICS_MD, MODELS_MD, REGENERATE, generated_tables, render, render_metrics
from warehouse.models import discover_models

PUBLISHED = ("core", "marts", "history", "meta")


@pytest.fixture(scope="module")
def sample(synced_sample_dir: Path) -> tuple[duckdb.DuckDBPyConnection, duckdb.DuckDBPyConnection]:
    """The synced sample: (published warehouse, private build file with the intermediate tables)."""
    portfolio = load_portfolio(synced_sample_dir / "portfolio.yaml")
    return (duckdb.connect(str(portfolio.warehouse), read_only=True),
            duckdb.connect(str(portfolio.var_dir / "build.duckdb"), read_only=True))


def _name(table: str) -> str:
    return ".".join(quote(part) for part in table.split("."))


def _columns(con: duckdb.DuckDBPyConnection, table: str) -> list[str]:
    schema, name = table.split(".")
    return [r[0] for r in con.execute(
        "SELECT column_name FROM duckdb_columns() WHERE schema_name = ? AND table_name = ? ORDER BY column_index",
        [schema, name]).fetchall()]


def test_docs_models_md_is_up_to_date() -> None:
    assert MODELS_MD.read_text(encoding="utf-8") == render(), f"docs/models.md is out of date; run {REGENERATE}"


def test_docs_metrics_md_generated_sections_are_up_to_date() -> None:
    """Rule 13: the column rules in docs/metrics.md are the YAMLs' texts, so they cannot drift."""
    text = METRICS_MD.read_text(encoding="utf-8")
    assert text == render_metrics(text), f"docs/metrics.md is out of date; run {REGENERATE}"


def test_docs_metrics_md_has_a_generated_section_for_every_mart_once() -> None:
    tables = generated_tables(METRICS_MD.read_text(encoding="utf-8"))
    marts = {t for t in load_docs() if t.startswith("marts.")}
    assert sorted(tables) == sorted(marts)


def test_a_stale_generated_section_is_rewritten_from_the_yaml_and_prose_is_kept() -> None:
    text = METRICS_MD.read_text(encoding="utf-8")
    yaml_text = load_docs()["marts.project_health"].declared["spi"]
    stale = text.replace(f"| `spi` | {yaml_text} |", "| `spi` | EV / PV, rounded |")
    assert stale != text  # the section did carry the YAML's text for spi
    assert render_metrics(stale) == text
    prose = text.replace("## RAG\n", "## RAG (hand-edited)\n")
    assert render_metrics(prose) == prose
    with pytest.raises(ValueError, match=r"marts\.nothing, which has no model YAML"):
        render_metrics("<!-- BEGIN generated: marts.nothing -->\n<!-- END generated -->\n")


def test_every_model_has_a_yaml_and_every_yaml_names_a_model_or_a_published_table() -> None:
    models = {m.table: m for m in discover_models()}
    docs = load_docs()
    assert set(models) - set(docs) == set(), "models without a YAML beside their SQL"
    for table, doc in docs.items():
        if doc.materialisation is None:  # a non-model table: published, written by code it names
            assert table not in models and table.split(".")[0] in PUBLISHED and doc.written_by, table
        else:
            assert table in models, f"{doc.path}: no {table.split('.')[1]}.sql beside it"
            # history models append a snapshot a day; every other model is rebuilt whole
            assert doc.materialisation == ("snapshot" if models[table].schema == "history" else "table"), table


def test_yaml_columns_are_the_built_columns_and_all_documented(sample) -> None:
    published, build = sample
    for table, doc in load_docs().items():
        con = published if table.split(".")[0] in PUBLISHED else build
        assert list(doc.declared) == _columns(con, table), f"{doc.path}: columns differ from the built table"
        blank = [c for c, text in doc.columns.items() if not text.strip()]
        assert blank == [], f"{doc.path}: columns without documentation (nor in columns_from)"


def test_every_published_table_is_documented_and_commented_from_its_yaml(sample) -> None:
    published, _ = sample
    docs = load_docs()
    tables = published.execute("SELECT schema_name || '.' || table_name, comment FROM duckdb_tables()").fetchall()
    assert {t for t, _ in tables} <= set(docs)
    for table, comment in tables:
        assert comment == docs[table].description, table
    # program_rollup documents rag itself, and lends items_total's text from marts.project_health
    comments = dict(published.execute(
        "SELECT column_name, comment FROM duckdb_columns() WHERE schema_name = 'marts' AND table_name = 'program_rollup'"
    ).fetchall())
    assert "majority" in comments["rag"]
    assert comments["items_total"] == docs["marts.project_health"].declared["items_total"]


def test_declared_keys_are_unique_and_references_resolve_in_the_sample(sample) -> None:
    published, build = sample
    for table, doc in load_docs().items():
        con = published if table.split(".")[0] in PUBLISHED else build
        assert con.execute(f"SELECT count(*) FROM {_name(table)}").fetchone()[0] > 0 or table in {
            "core.status_changes", "history.work_item_removals", "intermediate.dependency_cycles",  # no cycle there
            "core.calendar_days"}, f"{table} is empty in the sample: nothing checked"  # its plans are Mon-Fri
        if doc.keys:
            key = ", ".join(quote(k) for k in doc.keys)
            duplicates = con.execute(f"SELECT {key} FROM {_name(table)} GROUP BY ALL HAVING count(*) > 1").fetchall()
            assert duplicates == [], f"{table}: ({key}) repeats"
            nulls = con.execute(f"SELECT count(*) FROM {_name(table)} WHERE " + " OR ".join(f"{quote(k)} IS NULL" for k in doc.keys))
            assert nulls.fetchone()[0] == 0, f"{table}: NULL in key ({key})"
        for column, (target, target_column) in doc.references.items():
            target_con = published if target.split(".")[0] in PUBLISHED else build
            known = {r[0] for r in target_con.execute(f"SELECT {quote(target_column)} FROM {_name(target)}").fetchall()}
            found = {r[0] for r in con.execute(f"SELECT {quote(column)} FROM {_name(table)} WHERE {quote(column)} IS NOT NULL").fetchall()}
            assert found <= known, f"{table}.{column} -> {target}.{target_column}: {sorted(found - known)[:5]}"


def test_blocking_checks_cover_core_and_marts_from_the_yamls() -> None:
    keys = {(key.asset_key.to_user_string(), key.name) for check in build_checks() for key in check.check_keys}
    assert ("core/work_items", "unique_key") in keys
    assert ("marts/project_health", "unique_key") in keys
    assert ("marts/cross_project_linkages", "references_project_id_b") in keys
    assert ("core/projects", "references_program_id") in keys
    # intermediate and history keys are documented and tested above, not enforced at run time
    assert not any(asset.startswith(("intermediate/", "history/")) for asset, _ in keys)


def test_a_yaml_with_a_wrong_materialisation_names_the_file(tmp_path: Path) -> None:
    path = tmp_path / "marts" / "x.yml"
    path.parent.mkdir()
    path.write_text("description: d\ngrain: one row per x\nmaterialisation: view\ncolumns: {a: b}\n", encoding="utf-8")
    with pytest.raises(DocsError, match=r"marts/x\.yml: materialisation: 'view'; expected one of table, snapshot"):
        _parse(path)
    path.write_text("description: d\ngrain: g\nmaterialisation: table\ncolumns: {a: b}\nkey: [a]\n", encoding="utf-8")
    with pytest.raises(DocsError, match=r"unknown keys \['key'\]"):
        _parse(path)
    path.write_text("description: d\ngrain: g\nmaterialisation: table\ncolumns: {a: b}\nkeys: [id]\n", encoding="utf-8")
    with pytest.raises(DocsError, match=r"marts/x\.yml: keys/references name \['id'\], not under columns"):
        _parse(path)


def test_metric_columns_named_in_metrics_md_exist() -> None:
    """Columns metrics.md defines (first cell of a formula table, or `name` = ...) are documented mart columns."""
    text = (TRANSFORMS_DIR.parent / "docs" / "metrics.md").read_text(encoding="utf-8")
    named = set()
    for line in text.splitlines():
        if line.startswith("| `"):
            named |= set(re.findall(r"`([a-z_]+)`", line.split("|")[1]))
    named |= set(re.findall(r"`([a-z_]+)` =", text))
    named = {n for n in named if not n.startswith("_")}  # `_to_date`, `_done`: suffixes of names given in full
    columns = {c for t, d in load_docs().items() if t.split(".")[0] in ("marts", "history") for c in d.declared}
    assert len(named) > 20  # the parsing found the formula tables
    assert named - columns == set()


def _macro(con: duckdb.DuckDBPyConnection, sql: str, *params) -> object:
    return con.execute(f"SELECT {sql}", list(params)).fetchone()[0]


def test_status_and_percent_macros() -> None:
    con = duckdb.connect()
    db.prepare(con, {})
    closed, planned, today = dt.date(2026, 1, 10), dt.date(2026, 1, 5), dt.date(2026, 1, 8)
    # open and overdue: cannot finish before today; open and ahead: its own date; closed: when it finished
    assert _macro(con, "forecast_finish('in_progress', ?, ?, ?)", closed, planned, today) == today
    assert _macro(con, "forecast_finish('blocked', ?, ?, ?)", closed, dt.date(2026, 1, 9), today) == dt.date(2026, 1, 9)
    assert _macro(con, "forecast_finish('done', ?, ?, ?)", closed, planned, today) == closed
    assert _macro(con, "forecast_finish(NULL, ?, ?, ?)", closed, planned, today) == today  # unmapped counts as open
    assert [_macro(con, "is_open(?)", s) for s in ("done", "cancelled", "blocked", None)] == [False, False, True, True]
    assert [_macro(con, "in_scope(?)", s) for s in ("cancelled", "done", None)] == [False, True, True]
    assert _macro(con, "pct(1, 4)") == 25.0
    assert _macro(con, "pct(1, 0)") is None
    assert [_macro(con, "resolve_basis(?, ?)", b, w) for b, w in [("auto", 0), ("auto", 5), (
        "auto", None), ("points", 5)]] == ["count", "work", "count", "points"]
    assert [_macro(con, "pct_on_basis(?, 1, 2, 3, 4)", b) for b in ("work", "duration", "points", "count")] == [1, 2, 3, 4]


def test_as_of_macro_reads_meta_run() -> None:
    con = duckdb.connect()
    db.prepare(con, {})
    con.execute("INSERT INTO meta.run VALUES (DATE '2026-03-02', 'UTC', NULL, 'p.yaml')")
    assert _macro(con, "as_of()") == dt.date(2026, 3, 2)


def test_transforms_call_the_macros_instead_of_repeating_the_rules() -> None:
    inline = {
        "is_open": re.compile(r"NOT IN \('done', 'cancelled'\)"),
        "forecast_finish / resolve_basis": re.compile(r"WHEN 'auto'|status IN \('done', 'cancelled'\)"),
        "as_of": re.compile(r"SELECT as_of FROM meta\.run"),
        "pct": re.compile(r"100\.0 \* \w+ / nullif"),
    }
    for model in discover_models():
        path, sql = model.path, model.sql
        for macro, pattern in inline.items():
            assert not pattern.search(sql), f"{path.name} repeats the rule {macro}() names"
