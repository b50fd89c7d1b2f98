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


def check_unique(con: duckdb.DuckDBPyConnection, table: str, columns: tuple[str, ...]) -> Finding:
    key = ", ".join(quote(c) for c in columns)
    rows = con.execute(
        f"SELECT {key}, count(*) AS n FROM {_name(table)} GROUP BY ALL HAVING count(*) > 1 ORDER BY n DESC"
    ).fetchall()
    examples = [" / ".join(str(v) for v in row[:-1]) + f" ({row[-1]}x)" for row in rows[:10]]
    return Finding(not rows, len(rows), examples, f"{table}: ({', '.join(columns)}) is unique")


def check_reference(con: duckdb.DuckDBPyConnection, table: str, column: str, target: str, target_column: str) -> Finding:
    rows = con.execute(
        f"""SELECT DISTINCT t.{quote(column)} FROM {_name(table)} AS t
            WHERE t.{quote(column)} IS NOT NULL
              AND t.{quote(column)} NOT IN (SELECT {quote(target_column)} FROM {_name(target)}
                                            WHERE {quote(target_column)} IS NOT NULL)"""
    ).fetchall()
    return Finding(
        not rows, len(rows), [str(r[0]) for r in rows[:10]],
        f"{table}.{column} -> {target}.{target_column}",
    )
