"""Project's Export Wizard output (File > Save As > Excel Workbook / CSV, "Task_Table1").

Headers are Project's field names with underscores (``ID``, ``Unique_ID``, ``Name``, ``Duration``,
``Start_Date``, ``Finish_Date``, ``Predecessors``, ``Resource_Names``, ``Percent_Complete``,
``Outline_Level``, ...). Values are written as Project displays them: ``Mon 1/15/24`` or
``January 15, 2026 8:00 AM``; ``5 days``, ``3 wks``, ``2 mons``, ``4h``, ``5 edays``, ``1ew``, with
``?`` marking an estimate; predecessors ``3FS+2 days;5SS`` by task ID (not unique ID); resources
``Ann Lee[50%];Bo Chen``.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

from connectors import values as v
from connectors.base import Batch, ExtractContext, SourceError
from connectors.msproject.options import MsProjectOptions
from connectors.msproject.records import PlanBuilder
from connectors.spreadsheet.reader import iter_sheets

SHEET = "Task_Table1"
HOURS_PER = {"m": 1 / 60, "h": 1.0, "d": 8.0, "w": 40.0, "mo": 160.0}  # the default calendar: 8 h, 40 h, 20 days
ELAPSED_HOURS_PER = {"m": 1 / 60, "h": 1.0, "d": 24.0, "w": 168.0, "mo": 720.0}
UNIT_WORDS = {
    "m": "m", "min": "m", "mins": "m", "minute": "m", "minutes": "m",
    "h": "h", "hr": "h", "hrs": "h", "hour": "h", "hours": "h",
    "d": "d", "dy": "d", "dys": "d", "day": "d", "days": "d",
    "w": "w", "wk": "w", "wks": "w", "week": "w", "weeks": "w",
    "mo": "mo", "mon": "mo", "mons": "mo", "month": "mo", "months": "mo",
}
_DURATION = re.compile(r"^\s*(-?\d+(?:\.\d+)?)\s*(e?)([a-z]+)\s*(\??)\s*$", re.IGNORECASE)
_LINK = re.compile(r"^\s*(\d+)\s*(FS|SS|FF|SF)?\s*(?:([+-])\s*(.+))?$", re.IGNORECASE)
_RESOURCE = re.compile(r"^\s*(.+?)\s*(?:\[\s*(\d+(?:\.\d+)?)\s*%\s*\])?\s*$")
_WEEKDAY = re.compile(r"^(mon|tue|wed|thu|fri|sat|sun)[a-z]*\.?\s+", re.IGNORECASE)
TIME_FORMATS = ("%B %d, %Y %I:%M %p", "%B %d, %Y %H:%M", "%B %d, %Y", "%b %d, %Y %I:%M %p", "%b %d, %Y")


def duration_hours(text: Any) -> float | None:
    """'5 days' -> 40.0; '5 edays' -> 120.0; '4h?' -> 4.0 (estimated)."""
    if v.is_blank(text):
        return None
    if isinstance(text, int | float):
        return float(text) * 8  # a bare number in Project's Duration column is days
    match = _DURATION.match(str(text))
    if not match:
        raise ValueError(f"duration {text!r} is not a Project duration; expected e.g. 5 days, 3 wks, 4h, 5 edays")
    amount, elapsed, unit = float(match.group(1)), bool(match.group(2)), match.group(3).lower()
    if unit not in UNIT_WORDS:  # the elapsed "e" was split off above: "edays" -> e + days
        raise ValueError(f"duration {text!r} has an unknown unit {unit!r}")
    table = ELAPSED_HOURS_PER if elapsed else HOURS_PER
    return amount * table[UNIT_WORDS[unit]]


def project_time(value: Any, day_first: bool) -> dt.datetime | None:
    """'Mon 1/15/24', 'January 15, 2026 8:00 AM', or a real Excel date."""
    if v.is_blank(value):
        return None
    if isinstance(value, dt.datetime):
        return value
    if isinstance(value, dt.date):
        return dt.datetime.combine(value, dt.time())
    text = _WEEKDAY.sub("", str(value).strip())
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(text, fmt)
        except ValueError:
            continue
    time_part = re.search(r"\s(\d{1,2}:\d{2}\s*(?:AM|PM)?)$", text, re.IGNORECASE)
    day = v.parse_date(text[: time_part.start()] if time_part else text, day_first=day_first)
    if day is None:
        return None
    moment = dt.datetime.combine(day, dt.time())
    if time_part:
        clock = time_part.group(1).upper().replace(" ", "")
        moment = dt.datetime.combine(day, dt.datetime.strptime(clock, "%I:%M%p" if clock[-1] == "M" else "%H:%M").time())
    return moment


def read(path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
         options: MsProjectOptions) -> Iterator[Batch]:
    """The Export Wizard reader (``records.Reader``); ``day_first`` says how to read 03/04/26."""
    read_export(path, name, builder, context, day_first=options.day_first)
    yield from builder.drain()


def read_export(path: Path, name: str, builder: PlanBuilder, context: ExtractContext, *, day_first: bool) -> None:
    sheets = list(iter_sheets(path, name, {SHEET} if path.suffix.lower() != ".csv" else None))
    if not sheets:
        raise SourceError(f"{name}: no sheet named {SHEET}; export the Task table with Project's Export Wizard")
    rows = sheets[0].rows
    first = next(rows, None)
    if first is None:
        raise SourceError(f"{name}: the export is empty")
    header = [str(h or "").strip() for h in first[1]]
    if "Name" not in header or not ({"ID", "Unique_ID"} & set(header)):
        raise SourceError(f"{name}: not a Project export (needs Name and ID or Unique_ID columns; found "
                          f"{', '.join(h for h in header if h)[:200]})")
    column = {h: i for i, h in enumerate(header) if h}
    uid_by_id: dict[int, int] = {}
    pending_links: list[tuple[int, str]] = []
    people: dict[str, int] = {}
    assignment_uid = 0

    def cell(row: list[Any], field: str) -> Any:
        index = column.get(field)
        return row[index] if index is not None and index < len(row) else None

    for number, row in rows:
        if all(v.is_blank(c) for c in row):
            continue
        try:
            task_id = int(float(cell(row, "ID"))) if not v.is_blank(cell(row, "ID")) else None
            uid = int(float(cell(row, "Unique_ID"))) if not v.is_blank(cell(row, "Unique_ID")) else task_id
            if uid is None:
                raise ValueError("no ID or Unique_ID")
            percent, _ = v.parse_percent(cell(row, "Percent_Complete"))
            builder.task(
                uid=uid, id=task_id, name=v.as_text(cell(row, "Name")), wbs=v.as_text(cell(row, "WBS")),
                outline_number=v.as_text(cell(row, "Outline_Number")),
                outline_level=int(float(cell(row, "Outline_Level") or 1)), summary_flag=v.parse_bool(cell(row, "Summary")),
                is_milestone=v.parse_bool(cell(row, "Milestone")),
                start=project_time(cell(row, "Start_Date") or cell(row, "Start"), day_first),
                finish=project_time(cell(row, "Finish_Date") or cell(row, "Finish"), day_first),
                duration_hours=duration_hours(cell(row, "Duration")), work_hours=duration_hours(cell(row, "Work")),
                percent_complete=percent, percent_work_complete=None,
                actual_start=project_time(cell(row, "Actual_Start"), day_first),
                actual_finish=project_time(cell(row, "Actual_Finish"), day_first),
                cost=v.parse_number(cell(row, "Cost")), actual_cost=v.parse_number(cell(row, "Actual_Cost")),
                priority=None, critical=v.parse_bool(cell(row, "Critical")),
                baseline_start=project_time(cell(row, "Baseline_Start"), day_first),
                baseline_finish=project_time(cell(row, "Baseline_Finish"), day_first),
                baseline_duration_hours=duration_hours(cell(row, "Baseline_Duration")),
                baseline_work_hours=duration_hours(cell(row, "Baseline_Work")),
                baseline_cost=v.parse_number(cell(row, "Baseline_Cost")),
                systems=[], objectives=[], deadline=project_time(cell(row, "Deadline"), day_first),
                is_active=v.parse_bool(cell(row, "Active")),
            )
        except (ValueError, v.CellError) as exc:
            context.quarantine(f"{name}#row{number}", f"{name}, row {number}", str(exc),
                               {h: c for h, c in zip(header, row, strict=False) if not v.is_blank(c)})
            continue
        if task_id is not None:
            uid_by_id[task_id] = uid
        for link in v.parse_list(cell(row, "Predecessors")):
            pending_links.append((uid, link))
        for entry in v.parse_list(cell(row, "Resource_Names")):
            match = _RESOURCE.match(entry)
            person = match.group(1)
            if person not in people:
                people[person] = len(people) + 1
                builder.resource(uid=people[person], name=person, type="work", max_units=1.0, email=None,
                                 group_name=None)
            assignment_uid += 1
            builder.assignment(uid=assignment_uid, task_uid=uid, resource_uid=people[person],
                               units=float(match.group(2)) / 100 if match.group(2) else 1.0, work_hours=None,
                               actual_work_hours=None, start=None, finish=None)

    for successor, text in pending_links:  # predecessors name task IDs, resolvable once all rows are read
        match = _LINK.match(text)
        predecessor = uid_by_id.get(int(match.group(1))) if match else None
        if predecessor is None:
            context.quarantine(f"{name}#{successor}", f"{name}, task UID {successor}",
                               f"predecessor {text!r} names no task ID of this export", {"Predecessors": text})
            continue
        lag, lag_percent = 0.0, None
        if match.group(4):
            amount = match.group(4).strip()
            if amount.endswith("%"):
                lag, lag_percent = None, float(amount[:-1])
            else:
                lag = duration_hours(amount)
            if match.group(3) == "-":
                lag, lag_percent = (-lag if lag else lag), (-lag_percent if lag_percent else lag_percent)
        builder.link(successor_uid=successor, predecessor_uid=predecessor,
                     link_type=(match.group(2) or "FS").upper(), lag_hours=lag, lag_percent=lag_percent,
                     cross_project=False, cross_project_name=None)
    builder.finish({"Name": Path(name).stem}, fmt="export_wizard")
