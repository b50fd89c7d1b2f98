"""Recognise the column headers people actually use in trackers and risk logs."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any

TASK_FIELDS: dict[str, tuple[str, ...]] = {
    "task_id": ("id", "task id", "item id", "ref", "reference", "key", "number", "no", "#"),
    "name": ("task", "name", "task name", "activity", "title", "summary", "item", "deliverable", "work item"),
    "project": ("project", "project name", "project id"),
    "item_type": ("type", "item type", "issue type", "task type"),
    "status": ("status", "state", "task status"),
    "start": ("start", "start date", "planned start", "begin", "begin date"),
    "finish": ("finish", "end", "end date", "finish date", "planned finish", "planned end", "target date"),
    "due": ("due", "due date", "deadline"),
    "baseline_start": ("baseline start",),
    "baseline_finish": ("baseline finish", "baseline end", "original finish", "original due"),
    "actual_start": ("actual start",),
    "actual_finish": ("actual finish", "actual end", "completed on", "completion date"),
    "percent_complete": (
        "percent complete", "complete", "progress", "percent done", "pct complete", "completion", "done percent",
    ),
    "owner": ("owner", "assignee", "assigned to", "resource", "resources", "resource names", "responsible", "lead"),
    "owner_email": ("email", "owner email", "assignee email", "e mail"),
    "team": ("team", "department", "group"),
    "depends_on": ("depends on", "predecessors", "predecessor", "dependencies", "dependency", "depends"),
    "work_hours": (
        "estimate h", "estimate hours", "estimated hours", "work", "work h", "work hours", "effort h",
        "effort hours", "effort", "hours", "estimate",
    ),
    "actual_work_hours": ("actual hours", "actual work", "hours spent", "time spent", "time spent h", "actual effort"),
    "story_points": ("story points", "points", "sp", "story point estimate"),
    "milestone": ("milestone", "is milestone", "milestone?"),
    "systems": ("system", "systems", "application", "applications", "component", "components", "systems touched"),
    "objectives": ("objective", "objectives", "strategic objective", "strategy", "strategic theme", "theme"),
    "cost": ("cost", "forecast cost", "estimated cost"),
    "baseline_cost": ("baseline cost", "budget", "budgeted cost"),
    "actual_cost": ("actual cost", "spend", "spent"),
    "updated_at": ("updated", "last updated", "modified", "last modified", "updated at"),
}

RISK_FIELDS: dict[str, tuple[str, ...]] = {
    "risk_id": ("id", "risk id", "ref", "reference", "number", "no", "#"),
    "title": ("risk", "risk title", "title", "risk description", "description", "risk name"),
    "project": ("project", "project name", "project id"),
    "probability": ("probability", "likelihood", "prob", "probability 1 5"),
    "impact": ("impact", "consequence", "impact 1 5"),
    "owner": ("owner", "risk owner", "assigned to"),
    "status": ("status", "state"),
    "mitigation": ("mitigation", "mitigation plan", "response", "action", "actions"),
    "due": ("due", "due date", "review date", "target date"),
}

# A status register: one row per project and report date, no task-name column (see the connector).
REPORT_FIELDS: dict[str, tuple[str, ...]] = {
    "project": ("project", "project name", "project id"),
    "status": ("rag", "rag status", "status", "health", "overall status", "overall rag", "reported status"),
    "reported_at": ("date", "report date", "reported on", "status date", "as of", "as at", "week ending"),
    "reported_by": ("reported by", "author", "project manager", "pm", "owner"),
    "comment": ("comment", "comments", "commentary", "notes", "note", "summary"),
}

#: A row is the header row when it names at least this many known fields.
MIN_HEADER_MATCHES = 2
HEADER_SEARCH_ROWS = 10


def normalise(header: Any) -> str:
    """'% Complete' -> 'percent complete'; 'Estimate (h)' -> 'estimate h'; 'E-mail' -> 'e mail'."""
    text = str(header or "").strip().lower().replace("%", " percent ")
    text = re.sub(r"[^a-z0-9#?]+", " ", text).strip()
    if text.startswith("percent ") and text != "percent complete" and "complete" in text:
        return "percent complete"
    return text


def match_columns(
    headers: Sequence[Any], fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> dict[str, int]:
    """Map field -> column index. Config overrides (field -> header text) win over the defaults."""
    normalised = [normalise(h) for h in headers]
    found: dict[str, int] = {}
    for field_name, header in overrides.items():
        if field_name in fields and normalise(header) in normalised:
            found[field_name] = normalised.index(normalise(header))
    taken = set(found.values())
    for field_name, aliases in fields.items():
        if field_name in found:
            continue
        for alias in aliases:  # aliases are in order of preference
            if alias in normalised and normalised.index(alias) not in taken:
                found[field_name] = normalised.index(alias)
                taken.add(found[field_name])
                break
    return found


def find_header_row(
    rows: Sequence[Sequence[Any]], fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> int | None:
    """Index of the first row (of the first few) that names enough known fields: trackers often
    carry a title or a date line above the header."""
    for index, row in enumerate(rows[:HEADER_SEARCH_ROWS]):
        if len(match_columns(row, fields, overrides)) >= MIN_HEADER_MATCHES:
            return index
    return None
