"""Materialization metadata for a table: row count, column schema with docs, and a preview."""

from __future__ import annotations

from typing import Any

import duckdb

from warehouse.db import quote

PREVIEW_ROWS = 10


def table_summary(con: duckdb.DuckDBPyConnection, table: str) -> tuple[int, list[tuple[str, str]], str]:
    """(row count, [(column, type)], markdown preview of the first rows)."""
    schema, name = table.split(".")
    qualified = f"{schema}.{quote(name)}"
    count = con.execute(f"SELECT count(*) FROM {qualified}").fetchone()[0]
    columns = [(row[0], row[1]) for row in con.execute(f"DESCRIBE {qualified}").fetchall()]
    rows = con.execute(f"SELECT * FROM {qualified} LIMIT {PREVIEW_ROWS}").fetchall()
    return count, columns, markdown_table([c for c, _ in columns], rows)


def markdown_table(headers: list[str], rows: list[tuple[Any, ...]]) -> str:
    def cell(value: Any) -> str:
        text = "" if value is None else f"{value:.2f}" if isinstance(value, float) else str(value)
        return text.replace("|", "\\|").replace("\n", " ")[:60]

    lines = ["| " + " | ".join(headers) + " |", "|" + "---|" * len(headers)]
    lines += ["| " + " | ".join(cell(v) for v in row) + " |" for row in rows]
    return "\n".join(lines)
