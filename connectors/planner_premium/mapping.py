"""Dataverse rows of the Project tables into the planner_premium raw tables.

Every raw table but ``resources`` carries ``record_id``, the row's own GUID (task, dependency,
assignment, bucket, project): the merge key of incremental loads, so a record edited in Planner
replaces its row and one deleted there leaves. ``records`` lists the records a load carries.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Mapping
from typing import Any

import pyarrow as pa

from connectors import values as v
from connectors.planner_premium.client import FORMATTED

TEXT, TS, NUM, INT, FLAG = pa.string(), pa.timestamp("us"), pa.float64(), pa.int64(), pa.bool_()

RAW_SCHEMAS = {
    "records": pa.schema([("record_id", TEXT), ("entity", TEXT), ("modified_at", TS)]),
    "projects": pa.schema([
        ("record_id", TEXT), ("name", TEXT), ("manager", TEXT), ("start", TS), ("finish", TS),
        ("percent_complete", NUM), ("effort_hours", NUM), ("effort_completed_hours", NUM), ("hours_per_day", NUM),
        ("overall_status", TEXT), ("status_comment", TEXT), ("status_updated_at", TS), ("state", TEXT),
        ("modified_at", TS), ("environment_url", TEXT)]),
    "tasks": pa.schema([
        ("record_id", TEXT), ("project_id", TEXT), ("parent_id", TEXT), ("bucket_id", TEXT), ("name", TEXT),
        ("outline_level", INT), ("display_sequence", NUM), ("start", TS), ("finish", TS), ("duration_days", NUM),
        ("effort_hours", NUM), ("effort_completed_hours", NUM), ("effort_remaining_hours", NUM),
        ("percent_complete", NUM), ("is_summary", FLAG),
        # baseline: first_seen - the dates Sightline first saw (NULL without the option)
        ("baseline_start", TS), ("baseline_finish", TS), ("modified_at", TS)]),
    "dependencies": pa.schema([
        ("record_id", TEXT), ("project_id", TEXT), ("predecessor_id", TEXT), ("successor_id", TEXT),
        ("link_type_code", INT), ("link_type", TEXT), ("lag_minutes", NUM), ("modified_at", TS)]),
    "assignments": pa.schema([
        ("record_id", TEXT), ("project_id", TEXT), ("task_id", TEXT), ("resource_id", TEXT), ("modified_at", TS)]),
    "buckets": pa.schema([("record_id", TEXT), ("project_id", TEXT), ("name", TEXT), ("modified_at", TS)]),
    "resources": pa.schema([("resource_id", TEXT), ("name", TEXT), ("email", TEXT), ("modified_at", TS)]),
}

#: msdyn_projecttaskdependencylinktype option values (Dataverse's msdyn_projecttaskdependency table).
LINK_TYPES = {192350000: "FS", 192350001: "SS", 192350002: "FF", 192350004: "SF"}


class Entity:
    """One Dataverse table read: its entity set, primary id, project lookup and the columns asked for."""

    def __init__(self, name: str, entity_set: str, key: str, project: str, columns: tuple[str, ...]):
        self.name, self.entity_set, self.key, self.project, self.columns = name, entity_set, key, project, columns

    def select(self) -> str:
        return ",".join(dict.fromkeys((self.key, self.project, *self.columns, "modifiedon")))


PROJECTS = Entity("projects", "msdyn_projects", "msdyn_projectid", "msdyn_projectid", (
    "msdyn_subject", "_msdyn_projectmanager_value", "msdyn_scheduledstart", "msdyn_finish", "msdyn_progress",
    "msdyn_effort", "msdyn_effortcompleted", "msdyn_hoursperday", "msdyn_overallprojectstatus", "msdyn_comments",
    "msdyn_statusupdatedon", "statecode"))
TASKS = Entity("tasks", "msdyn_projecttasks", "msdyn_projecttaskid", "_msdyn_project_value", (
    "_msdyn_parenttask_value", "_msdyn_projectbucket_value", "msdyn_subject", "msdyn_outlinelevel",
    "msdyn_displaysequence", "msdyn_scheduledstart", "msdyn_scheduledend", "msdyn_duration", "msdyn_effort",
    "msdyn_effortcompleted", "msdyn_effortremaining", "msdyn_progress", "msdyn_summary"))
DEPENDENCIES = Entity("dependencies", "msdyn_projecttaskdependencies", "msdyn_projecttaskdependencyid",
                      "_msdyn_project_value", ("_msdyn_predecessortask_value", "_msdyn_successortask_value",
                                               "msdyn_projecttaskdependencylinktype",
                                               "msdyn_projecttaskdependencylinklag"))
ASSIGNMENTS = Entity("assignments", "msdyn_resourceassignments", "msdyn_resourceassignmentid",
                     "_msdyn_projectid_value", ("_msdyn_taskid_value", "_msdyn_bookableresourceid_value"))
BUCKETS = Entity("buckets", "msdyn_projectbuckets", "msdyn_projectbucketid", "_msdyn_project_value",
                 ("msdyn_name",))
#: Read per project, incrementally; projects themselves are read whole every run (they are few).
PROJECT_ENTITIES = (TASKS, DEPENDENCIES, ASSIGNMENTS, BUCKETS)
RESOURCE_COLUMNS = "bookableresourceid,name,msdyn_primaryemail,modifiedon"


class RecordError(ValueError):
    """One record cannot be read; the message names the column and value."""


def parse_time(value: Any, column: str) -> dt.datetime | None:
    """Dataverse's ISO 8601 UTC ('2026-01-05T08:00:00Z') -> naive UTC."""
    if value in (None, ""):
        return None
    try:
        moment = dt.datetime.fromisoformat(str(value).replace("Z", "+00:00"))
    except ValueError:
        raise RecordError(f"{column} {str(value)!r} is not a date") from None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment.tzinfo else moment


def _number(row: Mapping[str, Any], column: str, bounds: tuple[float, float], label: str) -> float | None:
    value = row.get(column)
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float) or not math.isfinite(value):
        raise RecordError(f"{label} ({column}) {value!r} is not a number")
    try:
        return v.in_range(float(value), bounds)
    except v.CellError as exc:
        raise RecordError(f"{label} ({column}) {exc}") from None


def _percent(row: Mapping[str, Any], column: str) -> float | None:
    """Progress as a percentage. Project for the web keeps a fraction (1 = done); a value above 1 is read
    as a percentage already (Project Service Automation's tasks)."""
    value = _number(row, column, v.PERCENT, "progress")
    return None if value is None else (value * 100 if value <= 1 else value)


def _text(value: Any) -> str | None:
    return None if value in (None, "") else str(value)


def _label(row: Mapping[str, Any], column: str) -> str | None:
    """What a person sees for an option set or lookup: its formatted value, else the raw value."""
    return _text(row.get(f"{column}@{FORMATTED}")) or _text(row.get(column))


def record_id(row: Mapping[str, Any], entity: Entity) -> str:
    rid = row.get(entity.key)
    if not rid:
        raise RecordError(f"the row has no {entity.key}")
    return str(rid).lower()


def _guid(value: Any) -> str | None:
    return None if value in (None, "") else str(value).lower()


def project_row(row: Mapping[str, Any], environment_url: str) -> dict[str, Any]:
    return {
        "record_id": record_id(row, PROJECTS), "name": _text(row.get("msdyn_subject")),
        "manager": _label(row, "_msdyn_projectmanager_value"),
        "start": parse_time(row.get("msdyn_scheduledstart"), "msdyn_scheduledstart"),
        "finish": parse_time(row.get("msdyn_finish"), "msdyn_finish"),
        "percent_complete": _percent(row, "msdyn_progress"),
        "effort_hours": _number(row, "msdyn_effort", v.COST, "effort"),  # a whole project's hours: COST's bounds
        "effort_completed_hours": _number(row, "msdyn_effortcompleted", v.COST, "effort completed"),
        "hours_per_day": _number(row, "msdyn_hoursperday", (0.0, 24.0), "hours per day"),
        "overall_status": _label(row, "msdyn_overallprojectstatus"),
        "status_comment": _text(row.get("msdyn_comments")),
        "status_updated_at": parse_time(row.get("msdyn_statusupdatedon"), "msdyn_statusupdatedon"),
        "state": _label(row, "statecode"),
        "modified_at": parse_time(row.get("modifiedon"), "modifiedon"), "environment_url": environment_url,
    }


def task_row(row: Mapping[str, Any]) -> dict[str, Any]:
    level = row.get("msdyn_outlinelevel")
    if level is not None and (isinstance(level, bool) or not isinstance(level, int) or level < 0):
        raise RecordError(f"outline level (msdyn_outlinelevel) {level!r} is not a whole number >= 0")
    start = parse_time(row.get("msdyn_scheduledstart"), "msdyn_scheduledstart")
    finish = parse_time(row.get("msdyn_scheduledend"), "msdyn_scheduledend")
    if start and finish and finish < start:
        raise RecordError(f"finish (msdyn_scheduledend) {finish:%Y-%m-%d %H:%M} is before start {start:%Y-%m-%d %H:%M}")
    return {
        "record_id": record_id(row, TASKS), "project_id": _guid(row.get("_msdyn_project_value")),
        "parent_id": _guid(row.get("_msdyn_parenttask_value")),
        "bucket_id": _guid(row.get("_msdyn_projectbucket_value")), "name": _text(row.get("msdyn_subject")),
        "outline_level": level, "display_sequence": _number(row, "msdyn_displaysequence", (0.0, 1e12), "sequence"),
        "start": start, "finish": finish,
        "duration_days": _number(row, "msdyn_duration", (0.0, v.HOURS[1] / 8), "duration (days)"),
        "effort_hours": _number(row, "msdyn_effort", v.HOURS, "effort (hours)"),
        "effort_completed_hours": _number(row, "msdyn_effortcompleted", v.HOURS, "effort completed (hours)"),
        "effort_remaining_hours": _number(row, "msdyn_effortremaining", v.HOURS, "effort remaining (hours)"),
        "percent_complete": _percent(row, "msdyn_progress"), "is_summary": bool(row.get("msdyn_summary")),
        "baseline_start": None, "baseline_finish": None,
        "modified_at": parse_time(row.get("modifiedon"), "modifiedon"),
    }


def dependency_row(row: Mapping[str, Any]) -> dict[str, Any]:
    code = row.get("msdyn_projecttaskdependencylinktype")
    if code is not None and code not in LINK_TYPES:
        raise RecordError(f"link type (msdyn_projecttaskdependencylinktype) {code!r} is not one of "
                          f"{', '.join(f'{c} ({t})' for c, t in LINK_TYPES.items())}")
    predecessor, successor = _guid(row.get("_msdyn_predecessortask_value")), _guid(row.get("_msdyn_successortask_value"))
    if not predecessor or not successor:
        raise RecordError("the dependency has no predecessor or no successor task")
    return {
        "record_id": record_id(row, DEPENDENCIES), "project_id": _guid(row.get("_msdyn_project_value")),
        "predecessor_id": predecessor, "successor_id": successor, "link_type_code": code,
        "link_type": LINK_TYPES.get(code, "FS"),  # Project for the web's only type, and its default
        # Dataverse keeps durations in minutes.
        "lag_minutes": _number(row, "msdyn_projecttaskdependencylinklag", (v.LAG_HOURS[0] * 60, v.LAG_HOURS[1] * 60),
                               "lag (minutes)"),
        "modified_at": parse_time(row.get("modifiedon"), "modifiedon"),
    }


def assignment_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {
        "record_id": record_id(row, ASSIGNMENTS), "project_id": _guid(row.get("_msdyn_projectid_value")),
        "task_id": _guid(row.get("_msdyn_taskid_value")),
        "resource_id": _guid(row.get("_msdyn_bookableresourceid_value")),
        "modified_at": parse_time(row.get("modifiedon"), "modifiedon"),
    }


def bucket_row(row: Mapping[str, Any]) -> dict[str, Any]:
    return {"record_id": record_id(row, BUCKETS), "project_id": _guid(row.get("_msdyn_project_value")),
            "name": _text(row.get("msdyn_name")), "modified_at": parse_time(row.get("modifiedon"), "modifiedon")}


def resource_row(row: Mapping[str, Any]) -> dict[str, Any]:
    rid = _guid(row.get("bookableresourceid"))
    if not rid:
        raise RecordError("the row has no bookableresourceid")
    return {"resource_id": rid, "name": _text(row.get("name")), "email": _text(row.get("msdyn_primaryemail")),
            "modified_at": parse_time(row.get("modifiedon"), "modifiedon")}


ROW_MAPPERS = {"tasks": task_row, "dependencies": dependency_row, "assignments": assignment_row, "buckets": bucket_row}
