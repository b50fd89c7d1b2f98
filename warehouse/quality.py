"""Integrity rules of the canonical model: keys unique, references resolvable.

These numbers make the marts wrong when they fail, so Dagster runs them as blocking checks.
"""

from __future__ import annotations

from dataclasses import dataclass

import duckdb

from warehouse.db import quote

#: table -> the columns that identify a row
PRIMARY_KEYS: dict[str, tuple[str, ...]] = {
    "core.programs": ("program_id",),
    "core.projects": ("project_id",),
    "core.work_items": ("work_item_id",),
    "core.resources": ("resource_id",),
    "core.resource_identities": ("source_id", "source_key"),
    "core.risks": ("risk_id",),
    "core.objectives": ("objective_id",),
    "core.project_objectives": ("project_id", "objective_id"),
    "core.dependencies": ("predecessor_id", "successor_id", "link_type"),
}

#: (table, column) must be NULL or found in (referenced table, column)
REFERENCES: tuple[tuple[str, str, str, str], ...] = (
    ("core.projects", "program_id", "core.programs", "program_id"),
    ("core.work_items", "project_id", "core.projects", "project_id"),
    ("core.work_items", "parent_id", "core.work_items", "work_item_id"),
    ("core.work_items", "assignee_id", "core.resources", "resource_id"),
    ("core.dependencies", "predecessor_id", "core.work_items", "work_item_id"),
    ("core.dependencies", "successor_id", "core.work_items", "work_item_id"),
    ("core.assignments", "work_item_id", "core.work_items", "work_item_id"),
    ("core.assignments", "resource_id", "core.resources", "resource_id"),
    ("core.risks", "project_id", "core.projects", "project_id"),
    ("core.project_objectives", "project_id", "core.projects", "project_id"),
    ("core.project_objectives", "objective_id", "core.objectives", "objective_id"),
    ("core.status_changes", "work_item_id", "core.work_items", "work_item_id"),
)


@dataclass(frozen=True)
class Finding:
    passed: bool
    failures: int
    examples: list[str]
    description: str


def _name(table: str) -> str:
    schema, name = table.split(".")
    return f"{schema}.{quote(name)}"


def check_unique(con: duckdb.DuckDBPyConnection, table: str) -> Finding:
    columns = PRIMARY_KEYS[table]
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
