"""One project model for every MS Project format: the raw tables, and a builder that every reader
(MSPDI, .mpp through MPXJ, Export Wizard) feeds with plain values.

Every reader module has the same entry point, ``read(path, name, builder, context, options)``: it
fills the :class:`PlanBuilder` of one file and yields the batches that filled up on the way. This
module depends on none of the readers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import pyarrow as pa

from connectors import values as v
from connectors.base import Batch, ExtractContext
from connectors.msproject.calendars import WorkingFn, differing_days, weekday_default
from connectors.msproject.columns import within
from connectors.msproject.options import MsProjectOptions

UNASSIGNED_RESOURCE = "-65535"  # Project's placeholder resource on a task nobody is assigned to
TEXT, INT, NUM, TS, FLAG = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us"), pa.bool_()
BATCH_ROWS = 5_000

RAW_SCHEMAS = {
    "projects": pa.schema([
        ("file", TEXT), ("name", TEXT), ("title", TEXT), ("manager", TEXT), ("status_date", TS),
        ("minutes_per_day", NUM), ("minutes_per_week", NUM), ("currency_code", TEXT), ("start", TS),
        ("finish", TS), ("format", TEXT),
    ]),
    "tasks": pa.schema([
        ("file", TEXT), ("uid", INT), ("id", INT), ("name", TEXT), ("wbs", TEXT), ("outline_number", TEXT),
        ("outline_level", INT), ("parent_uid", INT), ("summary_flag", FLAG), ("is_milestone", FLAG),
        ("start", TS), ("finish", TS), ("duration_hours", NUM), ("work_hours", NUM),
        ("percent_complete", NUM), ("percent_work_complete", NUM), ("actual_start", TS), ("actual_finish", TS),
        ("cost", NUM), ("actual_cost", NUM), ("priority", INT), ("critical", FLAG),
        ("baseline_start", TS), ("baseline_finish", TS), ("baseline_duration_hours", NUM),
        ("baseline_work_hours", NUM), ("baseline_cost", NUM),
        ("systems", pa.list_(TEXT)), ("objectives", pa.list_(TEXT)), ("deadline", TS),
        ("is_active", FLAG),  # Project's Active flag; an inactive task is out of scope (as cancelled)
        ("reported_status", TEXT),  # the custom field aliased reported_status (read on the project summary task)
    ]),
    "baselines": pa.schema([
        ("file", TEXT), ("uid", INT), ("number", INT), ("start", TS), ("finish", TS), ("duration_hours", NUM),
        ("work_hours", NUM), ("cost", NUM),
    ]),
    "links": pa.schema([
        ("file", TEXT), ("successor_uid", INT), ("predecessor_uid", INT), ("link_type", TEXT),
        ("lag_hours", NUM), ("lag_percent", NUM), ("cross_project", FLAG), ("cross_project_name", TEXT),
    ]),
    "resources": pa.schema([
        ("file", TEXT), ("uid", INT), ("name", TEXT), ("type", TEXT), ("max_units", NUM), ("email", TEXT),
        ("group_name", TEXT),
    ]),
    "assignments": pa.schema([
        ("file", TEXT), ("uid", INT), ("task_uid", INT), ("resource_uid", INT), ("units", NUM),
        ("work_hours", NUM), ("actual_work_hours", NUM), ("start", TS), ("finish", TS),
    ]),
    # Only the dates that differ: for the plan's calendar (resource_uid NULL) from Monday-Friday,
    # for a resource's calendar from the plan's.
    "calendar_days": pa.schema([
        ("file", TEXT), ("resource_uid", INT), ("date", pa.date32()), ("is_working", FLAG), ("calendar", TEXT),
    ]),
}


#: Outline parents are found in bulk while the open ancestors and a batch's distinct levels are at
#: most this many (real plans have a few dozen at most): the bulk way costs a pass per level over
#: the ancestors and the batch, so a "staircase" of 200,000 levels would take it minutes.
BULK_OUTLINE_LEVELS = 64


class PlanBuilder:
    """Gathers one file's rows and hands them out in bounded batches.

    The outline hierarchy is built from OutlineLevel in file order (a task's parent is the nearest
    earlier task one level up) - not from the Summary flag, which files get wrong.
    """

    def __init__(self, file: str, attribute_roles: Mapping[str, str]):
        self.file = file
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in RAW_SCHEMAS}
        self.pieces: dict[str, list[pa.Table]] = {table: [] for table in RAW_SCHEMAS}  # typed in bulk
        self.outline: list[tuple[int, int]] = []  # (level, uid) of the open ancestors
        self.roles = dict(attribute_roles)  # systems | objectives -> custom field alias or name

    def wanted_aliases(self) -> dict[str, str]:
        return dict(self.roles)

    def finish(self, properties: Mapping[str, str], fmt: str = "mspdi") -> None:
        """The file's project row, written last: it confirms the file was read whole."""
        self.rows["projects"].append({
            "file": self.file, "name": properties.get("Name"), "title": properties.get("Title"),
            "manager": properties.get("Manager"), "status_date": timestamp(properties.get("StatusDate")),
            "minutes_per_day": number(properties.get("MinutesPerDay")),
            "minutes_per_week": number(properties.get("MinutesPerWeek")),
            "currency_code": properties.get("CurrencyCode"), "start": timestamp(properties.get("StartDate")),
            "finish": timestamp(properties.get("FinishDate")), "format": fmt,
        })

    # --- the model, format-neutral ---------------------------------------------------------------------

    def task(self, *, uid: int, outline_level: int, **values: Any) -> None:
        """Add one task; a number out of its bounds raises ValueError before anything is recorded."""
        check_task_ranges(uid, values)
        self.rows["tasks"].append({"file": self.file, "uid": uid, "outline_level": outline_level,
                                   "parent_uid": self._parent(uid, outline_level), **values})

    def _parent(self, uid: int, outline_level: int) -> int | None:
        if uid == 0:  # UID 0 is the project summary, outside the outline
            return None
        while self.outline and self.outline[-1][0] >= outline_level:
            self.outline.pop()
        parent = self.outline[-1][1] if self.outline else None
        self.outline.append((outline_level, uid))
        return parent

    def add_tasks(self, columns: Mapping[str, pa.Array]) -> None:
        """Tasks typed in bulk, in file order, already within :data:`TASK_LIMITS` (see tasks_within_limits)."""
        parents = self._parents(columns["uid"].to_numpy(), columns["outline_level"].to_numpy())
        self.add_table("tasks", {**columns, "parent_uid": parents})

    def _parents(self, uids: np.ndarray, levels: np.ndarray) -> pa.Array:
        """``_parent`` of each task of a batch, in order, leaving ``outline`` as ``_parent`` would.

        A task's parent is the nearest earlier task of a lower level. Only the open ancestors (the
        ``outline`` stack, whose levels rise) can be that for a later task: any other earlier task
        was closed by one at most its level, which comes later. So the stack goes first, as rows
        before the batch, and for each level the batch holds, a running maximum finds the last
        row of a lower level before each row of that level. That is a pass per level: an outline
        deeper than BULK_OUTLINE_LEVELS goes one task at a time instead."""
        outlined = np.flatnonzero(uids != 0)  # UID 0, the project summary, is outside the outline
        distinct = np.unique(levels[outlined])
        if len(self.outline) > BULK_OUTLINE_LEVELS or len(distinct) > BULK_OUTLINE_LEVELS:
            return pa.array([self._parent(uid, level) for uid, level in zip(uids.tolist(), levels.tolist(),
                                                                            strict=True)], INT)
        opened = len(self.outline)
        level_of = np.concatenate([np.array([lv for lv, _ in self.outline], np.int64), levels[outlined]])
        uid_of = np.concatenate([np.array([uid for _, uid in self.outline], np.int64), uids[outlined]])
        positions = np.arange(len(level_of))
        parent_at = np.full(len(level_of), -1, np.int64)
        for level in distinct:
            last_lower = np.maximum.accumulate(np.where(level_of < level, positions, -1))
            rows = positions[opened:][level_of[opened:] == level]
            parent_at[rows] = last_lower[rows]
        # The stack after the batch: its last task and that task's ancestors (their chain of parents
        # runs through the batch, then into the stack, whose own chain is its first rows).
        chain, at = [], len(level_of) - 1
        while at >= opened:
            chain.append(at)
            at = parent_at[at]
        self.outline = self.outline[:at + 1] + [(int(level_of[k]), int(uid_of[k])) for k in reversed(chain)]
        parents, orphan = np.zeros(len(uids), np.int64), np.ones(len(uids), bool)
        found = parent_at[opened:]
        parents[outlined], orphan[outlined] = uid_of[np.maximum(found, 0)], found < 0
        return pa.array(parents, INT, mask=orphan)

    def add_table(self, table: str, columns: Mapping[str, pa.Array]) -> None:
        """Rows typed in bulk (every column of the table but ``file``), after any rows added one by one."""
        self._settle(table)
        count = len(next(iter(columns.values())))
        data = {"file": pa.array([self.file] * count, TEXT), **columns}
        self.pieces[table].append(pa.table([data[name] for name in RAW_SCHEMAS[table].names],
                                           schema=RAW_SCHEMAS[table]))

    def _settle(self, table: str) -> None:
        """The rows added one by one so far become a piece, so a table keeps file order."""
        if self.rows[table]:
            self.pieces[table].append(pa.Table.from_pylist(self.rows[table], schema=RAW_SCHEMAS[table]))
            self.rows[table] = []

    def link(self, **values: Any) -> None:
        self.rows["links"].append({"file": self.file, **values})

    def resource(self, *, uid: int, name: str | None, **values: Any) -> None:
        if uid == 0 or not name:  # UID 0 is Project's blank resource, not a person
            return
        self.rows["resources"].append({"file": self.file, "uid": uid, "name": name, **values})

    def assignment(self, *, resource_uid: int | None, **values: Any) -> None:
        if resource_uid is None or str(resource_uid) == UNASSIGNED_RESOURCE:
            return  # -65535: a task with no resource, not an assignment to a person
        self.rows["assignments"].append({"file": self.file, "resource_uid": resource_uid, **values})

    def calendar_days(self, plan: WorkingFn, plan_name: str | None, resources: Mapping[int, tuple[WorkingFn, str | None]],
                      span: tuple[dt.date, dt.date] | None) -> None:
        """The plan's calendar, then each resource's, as the dates in ``span`` that differ (see RAW_SCHEMAS)."""
        if span is None:
            return
        for day, working in differing_days(plan, weekday_default, *span):
            self.rows["calendar_days"].append({"file": self.file, "resource_uid": None, "date": day,
                                               "is_working": working, "calendar": plan_name})
        for uid, (own, name) in sorted(resources.items()):
            for day, working in differing_days(own, plan, *span):
                self.rows["calendar_days"].append({"file": self.file, "resource_uid": uid, "date": day,
                                                   "is_working": working, "calendar": name})

    def drain(self, force: bool = False) -> Iterator[Batch]:
        for table in RAW_SCHEMAS:
            pending = len(self.rows[table]) + sum(piece.num_rows for piece in self.pieces[table])
            if pending and (force or pending >= BATCH_ROWS) and (table != "projects" or force):
                self._settle(table)
                pieces, self.pieces[table] = self.pieces[table], []
                yield Batch(table, pieces[0] if len(pieces) == 1 else pa.concat_tables(pieces))


class Reader(Protocol):
    """What ``connectors.msproject.<reader>.read`` is: one file into the builder, full batches out."""

    def __call__(self, path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
                 options: MsProjectOptions) -> Iterator[Batch]: ...


#: Bounds of a task's numbers (connectors.values), and how an error names each field.
TASK_LIMITS = {
    "duration_hours": ("duration (hours)", v.HOURS), "work_hours": ("work (hours)", v.HOURS),
    "baseline_duration_hours": ("baseline duration (hours)", v.HOURS),
    "baseline_work_hours": ("baseline work (hours)", v.HOURS),
    "percent_complete": ("% complete", v.PERCENT), "percent_work_complete": ("% work complete", v.PERCENT),
    "cost": ("cost", v.COST), "actual_cost": ("actual cost", v.COST), "baseline_cost": ("baseline cost", v.COST),
}


def check_task_ranges(uid: int, values: Mapping[str, Any]) -> None:
    """Every number of the task finite and within its bounds, else ValueError naming the UID and field."""
    for field_name, (label, bounds) in TASK_LIMITS.items():
        try:
            v.in_range(values.get(field_name), bounds)
        except v.CellError as exc:
            raise ValueError(f"task UID {uid}: {label} {exc}; correct it in the plan") from None


def tasks_within_limits(columns: Mapping[str, pa.Array]) -> bool:
    """check_task_ranges over a batch at once: False when any task would fail it."""
    return all(within(columns[name], bounds) for name, (_, bounds) in TASK_LIMITS.items())


def timestamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None
