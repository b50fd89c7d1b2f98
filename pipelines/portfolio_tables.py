"""The portfolio config as tables (schema ``config``) and the run's facts (``meta.run``)."""

from __future__ import annotations

import datetime as dt

import pyarrow as pa

from pipelines.config import Portfolio

TEXT = pa.string()


def config_tables(portfolio: Portfolio) -> dict[str, pa.Table]:
    projects = portfolio.projects
    return {
        "programs": pa.table(
            {
                "program_id": pa.array([p.id for p in portfolio.programs], TEXT),
                "name": pa.array([p.name for p in portfolio.programs], TEXT),
                "owner": pa.array([p.owner for p in portfolio.programs], TEXT),
                "pct_complete_basis": pa.array([p.pct_complete_basis for p in portfolio.programs], TEXT),
            }
        ),
        "rules": pa.Table.from_pylist([portfolio.rules.model_dump()]),
        "capacity": pa.table(
            {
                "person": pa.array(list(portfolio.capacity), TEXT),
                "hours_per_week": pa.array(list(portfolio.capacity.values()), pa.float64()),
            }
        ),
        "resource_aliases": pa.table(
            {
                "alias": pa.array(list(portfolio.resource_aliases), TEXT),
                "person": pa.array(list(portfolio.resource_aliases.values()), TEXT),
            }
        ),
        "projects": pa.table(
            {
                "project_id": pa.array([p.id for p in projects], TEXT),
                "program_id": pa.array([p.program_id for p in projects], TEXT),
                "name": pa.array([p.name for p in projects], TEXT),
                "source_id": pa.array([p.source_id for p in projects], TEXT),
                "key": pa.array([p.key for p in projects], TEXT),
                "manager": pa.array([p.manager for p in projects], TEXT),
                "reported_status": pa.array([p.reported_status for p in projects], TEXT),
                "reported_at": pa.array([p.reported_at for p in projects], pa.date32()),
                "reported_by": pa.array([p.reported_by for p in projects], TEXT),
                "comment": pa.array([p.comment for p in projects], TEXT),
            }
        ),
        "project_systems": pa.table(
            {
                "project_id": pa.array([p.id for p in projects for _ in p.systems], TEXT),
                "system": pa.array([s for p in projects for s in p.systems], TEXT),
            }
        ),
        "objectives": pa.table(
            {
                "objective_id": pa.array([o.id for o in portfolio.objectives], TEXT),
                "name": pa.array([o.name for o in portfolio.objectives], TEXT),
                "target_share": pa.array([o.target_share for o in portfolio.objectives], pa.float64()),
            }
        ),
        "project_objectives": pa.table(
            {
                "project_id": pa.array([p.id for p in projects for _ in p.objectives], TEXT),
                "objective_id": pa.array([o for p in projects for o in p.objectives], TEXT),
                "weight": pa.array([w for p in projects for w in p.objectives.values()], pa.float64()),
            }
        ),
        "sources": pa.table(
            {
                "source_id": pa.array([s.id for s in portfolio.sources], TEXT),
                "kind": pa.array([s.kind for s in portfolio.sources], TEXT),
            }
        ),
        "status_map": pa.Table.from_pylist(
            [
                {
                    "source_id": source_id,
                    "status_word": word[1:-1] if _is_pattern(word) else word,
                    "is_pattern": _is_pattern(word),
                    "position": position,
                    "status": status,
                }
                for source_id, words in portfolio.status_maps.items()
                for position, (word, status) in enumerate(words.items())
            ],
            schema=pa.schema([("source_id", TEXT), ("status_word", TEXT), ("is_pattern", pa.bool_()),
                              ("position", pa.int64()), ("status", TEXT)]),
        ),
    }


def _is_pattern(word: str) -> bool:
    return len(word) > 2 and word.startswith("/") and word.endswith("/")


def run_table(portfolio: Portfolio, started_at: dt.datetime | None = None) -> pa.Table:
    started_at = started_at or dt.datetime.now(dt.UTC)
    return pa.table(
        {
            "as_of": pa.array([portfolio.today()], pa.date32()),
            "timezone": pa.array([portfolio.timezone], TEXT),
            "started_at": pa.array([started_at.replace(tzinfo=None)], pa.timestamp("us")),
            "config_path": pa.array([str(portfolio.path)], TEXT),
        }
    )
