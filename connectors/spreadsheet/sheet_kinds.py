"""Sheets that are not plans: recognised by rule, so they are not read as tasks in invented projects.

A stakeholder list, a contact sheet, a lookup or legend sheet and a scorecard are skipped with a
note naming the rule that decided; a weekly grid (one column per week, no start or finish column)
is refused, since its schedule cannot be read as tasks. A sheet whose header names a task and a
date, or a risk and its probability or impact, is a plan or a log whatever its name: no rule here
applies to it.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from connectors.spreadsheet.headers import (
    HEADER_SEARCH_ROWS,
    RISK_FIELDS,
    TASK_FIELDS,
    match_columns,
    normalise,
)

#: A row is a weekly grid's header when this many of its cells name weeks.
MIN_WEEK_COLUMNS = 4
_WEEK = re.compile(r"^(?:w|wk|week)\s*\d{1,2}$|^\d{4}\s*w\s*\d{1,2}$")
_DAY = re.compile(r"^\d{1,2}/\d{1,2}$|^\d{1,4}[./-]\d{1,2}[./-]\d{2,4}$")

STAKEHOLDER_WORDS = {"stakeholder", "stakeholders", "influence", "interest", "power", "engagement", "attitude",
                     "support level", "communication preference", "impact on project"}
CONTACT_WORDS = {"phone", "telephone", "tel", "mobile", "mobile phone", "work phone", "extension", "ext",
                 "office", "location", "address", "job title", "organisation", "organization", "company"}
SCORECARD_WORDS = {"kpi", "metric", "measure", "indicator", "target", "actual", "score", "weighting", "weight",
                   "threshold", "trend"}
LOOKUP_WORDS = {"value", "values", "code", "meaning", "definition", "description", "colour", "color", "rating",
                "label", "key", "list", "option", "options"}
LOOKUP_SHEET_NAMES = {"lookup", "lookups", "legend", "key", "lists", "list", "dropdowns", "drop downs",
                      "reference data", "ref data", "values", "settings", "config", "instructions", "read me",
                      "readme", "help", "guidance", "notes", "definitions"}


@dataclass(frozen=True)
class Verdict:
    action: str  # 'skip' (a note) or 'refuse' (quarantined with the message)
    rule: str
    message: str


def classify(sheet_name: str, rows: Sequence[Sequence[Any]], columns: Mapping[str, str]) -> Verdict | None:
    """A verdict for a sheet that is not a plan or a risk log; None to read it. ``columns`` is the
    source's header mapping (a mapped task name and date make a plan)."""
    head = [list(r) for r in rows[:HEADER_SEARCH_ROWS]]
    if any(_is_plan_header(r, columns) for r in head):
        return None
    grid = next((weeks for weeks in map(_week_headers, head) if len(weeks) >= MIN_WEEK_COLUMNS), None)
    if grid is not None:
        return Verdict("refuse", "weekly grid", (
            f"a weekly grid ({len(grid)} columns headed by weeks, {grid[0]!r} to {grid[-1]!r}) and no Start or "
            "Finish column: its schedule cannot be read as tasks. Export the plan as one row per task with "
            "Start and Finish, or leave this sheet out with the source's sheets: option"))
    name = normalise(sheet_name)
    words = [{normalise(c) for c in r if isinstance(c, str) and c.strip()} for r in head]
    for rule, test in (
        ("stakeholder list", lambda w: "stakeholder" in name or len(w & STAKEHOLDER_WORDS) >= 2),
        ("contact sheet", lambda w: "contact" in name or (len(w & CONTACT_WORDS) >= 1 and _names_people(w))),
        ("scorecard", lambda w: "scorecard" in name or "dashboard" in name or len(w & SCORECARD_WORDS) >= 3),
        ("lookup or legend sheet", lambda w: name in LOOKUP_SHEET_NAMES or (2 <= len(w) <= 3 and w <= LOOKUP_WORDS)),
    ):
        if any(test(w) for w in words) or (not any(words) and test(set())):
            return Verdict("skip", rule, f"skipped: not a plan (rule: {rule}); if it is one, map its task name and "
                                         "dates under the source's columns: (or list a risk log under risk_sheets:)")
    return None


def _is_plan_header(row: Sequence[Any], columns: Mapping[str, str]) -> bool:
    tasks = match_columns(row, TASK_FIELDS, columns)
    risks = match_columns(row, RISK_FIELDS, {})
    dated_tasks = "name" in tasks and bool(tasks.keys() & {"start", "finish", "due", "status", "percent_complete"})
    return dated_tasks or ("title" in risks and bool(risks.keys() & {"probability", "impact"}))


def _names_people(words: set[str]) -> bool:
    return bool(words & {"name", "full name", "email", "e mail", "role", "first name", "surname", "last name"})


def _week_headers(row: Sequence[Any]) -> list[str]:
    """The cells of a header row that name a week: dates, W1, Wk 12, Week 3, 2026-W05, w/c 5/1."""
    found = []
    for cell in row:
        if isinstance(cell, dt.date):
            found.append(cell.isoformat()[:10])
        elif isinstance(cell, str) and cell.strip():
            text = re.sub(r"[^a-z0-9./-]+", " ", cell.strip().lower()).strip()
            text = re.sub(r"^(?:w/?c|w/?e|week commencing|week ending|week of)\s+", "", text)
            if _WEEK.match(re.sub(r"[-/]", " ", text)) or _DAY.match(text):
                found.append(cell.strip())
    return found
