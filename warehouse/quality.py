"""Integrity rules of core and marts: keys unique, references resolvable (declared in the model YAMLs).

These numbers make the marts wrong when they fail, so Dagster runs them as blocking checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.db import quote
from warehouse.docs import load_docs

#: Layers whose declared keys and references Dagster enforces as blocking checks.
CHECKED_LAYERS = ("core", "marts")


def unique_keys() -> dict[str, tuple[str, ...]]:
    """table -> the columns that identify a row, as its YAML declares them (checked layers only)."""
    return {t: d.keys for t, d in load_docs().items() if d.keys and t.split(".")[0] in CHECKED_LAYERS}


def references() -> list[tuple[str, str, str, str]]:
    """(table, column, referenced table, column): the column must be NULL or found there (checked layers only)."""
    return [
        (t, column, target, target_column)
        for t, d in load_docs().items() if t.split(".")[0] in CHECKED_LAYERS
        for column, (target, target_column) in d.references.items()
    ]


@dataclass(frozen=True)
class Finding:
    passed: bool
    failures: int
    examples: list[str]
    description: str


def _name(table: str) -> str:
    schema, name = table.split(".")
    return f"{schema}.{quote(name)}"


def _where(con: duckdb.DuckDBPyConnection, table: str) -> str:
    """SQL naming where a row comes from: its source and, when the table has them, its own key and location.

    A check that fires anyway (a bug in our SQL) then says which sources and rows to look at.
    """
    schema, name = table.split(".")
    present = {r[0] for r in con.execute(
        "SELECT column_name FROM information_schema.columns WHERE table_schema = ? AND table_name = ?", [schema, name]
    ).fetchall()}
    parts = [f"'{c.replace('_', ' ')} ' || {quote(c)}" for c in ("source_id", "source_key", "location") if c in present]
    return f"concat_ws(', ', {', '.join(parts)})" if parts else "NULL"


def _describe(summary: str, failures: int, examples: list[str]) -> str:
    if not failures:
        return summary
    return f"{summary}: FAILED for {failures} key(s), e.g. " + "; ".join(examples[:3])


def check_unique(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> Finding:
    key = ", ".join(quote(c) for c in columns)
    rows = con.execute(
        f"""SELECT {key}, count(*) AS n, list_sort(list_distinct(list({_where(con, table)}))) AS sources
            FROM {_name(table)} GROUP BY {key} HAVING count(*) > 1 ORDER BY n DESC, {key}"""
    ).fetchall()
    examples = [
        " / ".join(str(v) for v in row[:-2]) + f" ({row[-2]}x" + (f": {' | '.join(row[-1])})" if row[-1] else ")")
        for row in rows[:10]
    ]
    summary = f"unique_key {table}: ({', '.join(columns)}) is unique"
    return Finding(not rows, len(rows), examples, _describe(summary, len(rows), examples))


def check_reference(con: duckdb.DuckDBPyConnection, table: str, column: str, target: str, target_column: str) -> Finding:
    rows = con.execute(
        f"""SELECT t.{quote(column)}, list_sort(list_distinct(list({_where(con, table)}))) AS sources
            FROM {_name(table)} AS t
            WHERE t.{quote(column)} IS NOT NULL
              AND t.{quote(column)} NOT IN (SELECT {quote(target_column)} FROM {_name(target)}
                                            WHERE {quote(target_column)} IS NOT NULL)
            GROUP BY ALL ORDER BY 1"""
    ).fetchall()
    examples = [str(r[0]) + (f" (from {' | '.join(r[1][:3])})" if r[1] else "") for r in rows[:10]]
    summary = f"references_{column} {table}.{column} -> {target}.{target_column}"
    return Finding(not rows, len(rows), examples, _describe(summary, len(rows), examples))
