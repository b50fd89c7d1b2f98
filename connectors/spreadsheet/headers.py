"""Recognise the column headers people actually use in trackers and risk logs."""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from typing import Any

from connectors import values as v
from connectors.spreadsheet.units import split_header, trailing_time_unit

TASK_FIELDS: dict[str, tuple[str, ...]] = {
    "task_id": (
        "id", "task id", "item id", "ref", "reference", "key", "number", "no", "#", "n", "nr", "task no", "item no",
        "wbs", "wbs code", "wbs id", "outline number",
    ),
    "name": (
        "task", "name", "task name", "activity", "title", "summary", "item", "deliverable", "work item", "subject",
        "activity name", "deliverable name", "work package", "action",
    ),
    "project": ("project", "project name", "project id"),
    "item_type": ("type", "item type", "issue type", "task type"),
    "status": ("status", "state", "task status"),
    "start": ("start", "start date", "planned start", "begin", "begin date"),
    "finish": (
        "finish", "end", "end date", "finish date", "planned finish", "planned end", "target date",
        "forecast finish", "forecast end", "forecast date", "expected finish", "expected end",
        "expected date", "revised finish", "revised end", "revised date", "revised due date", "eta",
    ),
    "due": ("due", "due date", "deadline"),
    "baseline_start": ("baseline start",),
    "baseline_finish": (
        "baseline finish", "baseline end", "original finish", "original end", "original due",
        "original due date", "original date", "baseline date",
    ),
    "actual_start": ("actual start",),
    "actual_finish": ("actual finish", "actual end", "completed on", "completion date"),
    "percent_complete": (
        "percent complete", "complete", "progress", "percent done", "pct complete", "completion", "done percent",
    ),
    "owner": (
        "owner", "assignee", "assigned to", "resource", "resources", "resource names", "resourcing", "responsible",
        "lead", "accountable", "task owner", "action owner", "who",
    ),
    "owner_email": ("email", "owner email", "assignee email", "e mail"),
    "team": ("team", "department", "group", "workstream", "work stream", "stream"),
    "depends_on": ("depends on", "predecessors", "predecessor", "dependencies", "dependency", "depends"),
    "work_hours": (
        "estimate h", "estimate hours", "estimated hours", "work", "work h", "work hours", "effort h",
        "effort hours", "effort", "hours", "estimate", "planned effort", "estimated effort", "effort planned",
    ),
    "actual_work_hours": ("actual hours", "actual work", "hours spent", "time spent", "time spent h", "actual effort"),
    "story_points": ("story points", "points", "sp", "story point estimate"),
    "milestone": ("milestone", "is milestone", "milestone?", "milestone y n", "key milestone"),
    "systems": ("system", "systems", "application", "applications", "component", "components", "systems touched"),
    "objectives": ("objective", "objectives", "strategic objective", "strategy", "strategic theme", "theme"),
    "cost": ("cost", "forecast cost", "estimated cost"),
    "baseline_cost": ("baseline cost", "budget", "budgeted cost"),
    "actual_cost": ("actual cost", "spend", "spent"),
    "updated_at": ("updated", "last updated", "modified", "last modified", "updated at"),
    # Kept in the raw table (the canonical model has no column for them yet): the phase, epic or
    # stage a task belongs to, its own RAG, and an outline number next to an ID column.
    "phase": ("phase", "epic", "stage", "phase name", "epic name", "epic link"),
    "rag": ("rag", "rag status", "health", "task rag"),
    "outline": ("wbs", "wbs code", "outline number", "outline"),
    "duration": ("duration", "planned duration", "dur", "length"),
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

#: A row can be the header row when it names at least this many known fields.
MIN_HEADER_MATCHES = 2
HEADER_SEARCH_ROWS = 20
#: Rows under a candidate header whose values are checked against the columns' types.
EVIDENCE_ROWS = 5

DATE_KINDS = {
    "start", "finish", "due", "baseline_start", "baseline_finish", "actual_start", "actual_finish", "reported_at",
    "updated_at",
}
NUMBER_KINDS = {
    "work_hours", "actual_work_hours", "story_points", "cost", "baseline_cost", "actual_cost", "percent_complete",
    "duration", "probability", "impact",
}
ALL_ALIASES = frozenset(a for fields in (TASK_FIELDS, RISK_FIELDS, REPORT_FIELDS) for aliases in fields.values()
                        for a in aliases)


def normalise(header: Any) -> str:
    """'% Complete' -> 'percent complete'; 'Estimate (h)' -> 'estimate h'; 'E-mail' -> 'e mail'; 'Échéance' -> 'echeance'."""
    text = unicodedata.normalize("NFKD", str(header or "").strip().lower())
    text = "".join(c for c in text if not unicodedata.combining(c)).replace("%", " percent ")
    text = re.sub(r"[^a-z0-9#?]+", " ", text).strip()
    if text.startswith("percent ") and text != "percent complete" and "complete" in text:
        return "percent complete"
    return text


def header_keys(header: Any) -> tuple[str, ...]:
    """The words a header may be recognised by: as written, without a bracketed unit ('Effort (days)'
    -> 'effort'), without a trailing unit word ('Effort days' -> 'effort')."""
    full = normalise(header)
    base, unit = split_header(header)
    keys = [full]
    if unit is not None:
        keys.append(normalise(base))
    if trailing := trailing_time_unit(full):
        keys.append(trailing[0])
    return tuple(dict.fromkeys(k for k in keys if k))


def header_unit(header: Any) -> str | None:
    """The unit a header names: 'Effort (days)' -> 'days'; 'Effort days' -> 'day'; 'Effort' -> None."""
    _, unit = split_header(header)
    if unit is not None:
        return unit
    trailing = trailing_time_unit(normalise(header))
    return trailing[1] if trailing else None


def match_columns(
    headers: Sequence[Any], fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> dict[str, int]:
    """Map field -> column index. Config overrides (field -> header text) win over the defaults."""
    normalised = [normalise(h) for h in headers]
    keys = [header_keys(h) for h in headers]
    found: dict[str, int] = {}
    for field_name, header in overrides.items():
        if field_name in fields and normalise(header) in normalised:
            found[field_name] = normalised.index(normalise(header))
    taken = set(found.values())
    for field_name, aliases in fields.items():
        if field_name in found:
            continue
        column = _first_free(keys, aliases, taken)  # aliases are in order of preference
        if column is not None:
            found[field_name] = column
            taken.add(column)
    return found


def _first_free(keys: Sequence[tuple[str, ...]], aliases: tuple[str, ...], taken: set[int]) -> int | None:
    for depth in range(3):  # a header as written wins over one recognised without its unit
        for alias in aliases:
            for column, names in enumerate(keys):
                if column not in taken and len(names) > depth and names[depth] == alias:
                    return column
    return None


def find_header_row(
    rows: Sequence[Sequence[Any]], fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> int | None:
    """Index of the row (of the first few) that best explains the columns below it: the most recognised
    headers, with values of their types underneath. A title line, a summary line ('Project: X, Owner: Y')
    or a legend above the table names fewer fields, and its 'values' are the header words."""
    best, best_score = None, 0.0
    for index in range(min(len(rows), HEADER_SEARCH_ROWS)):
        score = header_score(rows, index, fields, overrides)
        if score > best_score:
            best, best_score = index, score
    return best


def header_score(
    rows: Sequence[Sequence[Any]], index: int, fields: Mapping[str, tuple[str, ...]], overrides: Mapping[str, str]
) -> float:
    """Recognised headers, plus for each the share of the next rows' cells that fit its type; 0 when
    the row names fewer than MIN_HEADER_MATCHES fields."""
    columns = match_columns(rows[index], fields, overrides)
    if len(columns) < MIN_HEADER_MATCHES:
        return 0.0
    below = []
    for row in rows[index + 1:index + 1 + EVIDENCE_ROWS]:
        if all(v.is_blank(c) for c in row):
            break  # a table ends at a blank row: what follows is another table's business
        below.append(row)
    score = float(len(columns))
    for field_name, column in columns.items():
        cells = [row[column] for row in below if column < len(row) and not v.is_blank(row[column])]
        if cells:
            score += sum(fits(field_name, cell) for cell in cells) / len(cells)
    return score


def fits(field_name: str, cell: Any) -> bool:
    """Whether a value could be one of this field's values (a header word never fits)."""
    if isinstance(cell, str) and normalise(cell) in ALL_ALIASES:
        return False
    if field_name in DATE_KINDS:
        return _parses(lambda: v.parse_date(cell, day_first=True)) or _parses(
            lambda: v.parse_date(cell, day_first=False))
    if field_name in NUMBER_KINDS:
        return isinstance(cell, int | float) or bool(re.match(r"^\s*[^\d\s]{0,3}\s*[+-]?\d", str(cell)))
    return True


def _parses(parse: Any) -> bool:
    try:
        parse()
    except (v.CellError, ValueError, OverflowError):
        return False
    return True


def header_cells(
    rows: Sequence[Sequence[Any]], index: int, fields: Mapping[str, tuple[str, ...]],
) -> list[Any]:
    """The header row, each cell read with the group row above it when that makes a known header
    ('Baseline' over 'Start' and 'Finish' -> 'Baseline Start', 'Baseline Finish'; 'Effort' over
    'Planned' and 'Actual' -> 'Actual Effort'). A one-cell title above is no group row."""
    header = list(rows[index])
    if index == 0:
        return header
    above = list(rows[index - 1])
    if sum(not v.is_blank(c) for c in above) < 2:
        return header
    known = {a for aliases in fields.values() for a in aliases}
    group: Any = None
    combined = []
    for column in range(max(len(header), len(above))):
        cell = header[column] if column < len(header) else None
        if column < len(above) and not v.is_blank(above[column]):
            group = above[column]
        combined.append(_with_group(cell, group, known))
    return combined


def _with_group(cell: Any, group: Any, known: set[str]) -> Any:
    if v.is_blank(group):
        return cell
    if v.is_blank(cell):
        return group if normalise(group) in known else cell
    for candidate in (f"{group} {cell}", f"{cell} {group}"):
        if set(header_keys(candidate)) & known:
            return candidate
    return cell
