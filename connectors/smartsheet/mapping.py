"""From Smartsheet's JSON (sheets, columns, rows, cells, the sheet summary) to raw rows.

A project sheet's column *types* say what a column is: ``PREDECESSOR`` (its ``objectValue`` lists
the predecessor rows, link types and lags), ``DURATION``, ``ABSTRACT_DATETIME`` (the start and end
of a dependency-enabled sheet), ``CONTACT_LIST`` (people, with e-mails), ``CHECKBOX``. Where the type
does not decide (a plain sheet of text and date columns) the column titles are recognised with the
spreadsheet connector's header matching, so both read a tracker the same way.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import pyarrow as pa

from connectors import values as v
from connectors.spreadsheet.headers import REPORT_FIELDS, TASK_FIELDS, match_columns, normalise
from connectors.spreadsheet.predecessors import parse_link, split_predecessors
from connectors.spreadsheet.units import Calendar, to_hours

DATE_TYPES = frozenset({"DATE", "DATETIME", "ABSTRACT_DATETIME"})
CONTACT_TYPES = frozenset({"CONTACT_LIST", "MULTI_CONTACT_LIST"})
DEFAULT_DAY_HOURS = 8.0
WORK_DAYS_PER_WEEK = 5
#: A reference to another tool's item, as people write it in a "Depends on" cell: PAY-12.
TOOL_KEY = re.compile(r"^(?P<project>[A-Za-z][A-Za-z0-9_]*)-\d+$")

SHEET_SCHEMA = pa.schema([
    ("sheet_id", pa.string()), ("name", pa.string()), ("version", pa.int64()), ("modified_at", pa.timestamp("us")),
    ("permalink", pa.string()), ("day_hours", pa.float64()), ("dependencies_enabled", pa.bool_()),
    ("row_count", pa.int64()),
    # a project sheet's calendar (projectSettings): its working weekdays (MONDAY ...) and holidays
    ("working_days", pa.list_(pa.string())), ("non_working_days", pa.list_(pa.date32())),
])
ROW_SCHEMA = pa.schema([
    ("sheet_id", pa.string()), ("row_id", pa.string()), ("row_number", pa.int64()), ("parent_id", pa.string()),
    ("name", pa.string()), ("item_type", pa.string()), ("status", pa.string()),
    ("start", pa.date32()), ("finish", pa.date32()), ("due", pa.date32()),
    ("baseline_start", pa.date32()), ("baseline_finish", pa.date32()),
    ("actual_start", pa.date32()), ("actual_finish", pa.date32()),
    ("duration_hours", pa.float64()), ("percent_complete", pa.float64()),
    ("owner_name", pa.string()), ("owner_email", pa.string()), ("team", pa.string()),
    ("work_hours", pa.float64()), ("actual_work_hours", pa.float64()), ("story_points", pa.float64()),
    ("milestone", pa.bool_()), ("systems", pa.list_(pa.string())), ("objectives", pa.list_(pa.string())),
    ("cost", pa.float64()), ("baseline_cost", pa.float64()), ("actual_cost", pa.float64()),
    ("created_at", pa.timestamp("us")), ("modified_at", pa.timestamp("us")),
])
CONTACT_SCHEMA = pa.schema([
    ("sheet_id", pa.string()), ("row_id", pa.string()), ("position", pa.int32()),
    ("name", pa.string()), ("email", pa.string()),
])
# predecessor_row_id: a row of the same sheet (PREDECESSOR column); predecessor_row_number: a bare
# number in a "Depends on" text cell; project_ref/item_ref: another source's item (PAY-12, Plan!7).
LINK_SCHEMA = pa.schema([
    ("sheet_id", pa.string()), ("row_id", pa.string()), ("predecessor_row_id", pa.string()),
    ("predecessor_row_number", pa.int64()), ("predecessor_ref", pa.string()),
    ("predecessor_project_ref", pa.string()), ("predecessor_item_ref", pa.string()),
    ("link_type", pa.string()), ("lag_hours", pa.float64()),
])
SUMMARY_SCHEMA = pa.schema([
    ("sheet_id", pa.string()), ("status", pa.string()), ("owner_name", pa.string()), ("owner_email", pa.string()),
    ("reported_at", pa.date32()), ("comment", pa.string()),
])
RAW_SCHEMAS: dict[str, pa.Schema] = {
    "sheets": SHEET_SCHEMA, "rows": ROW_SCHEMA, "contacts": CONTACT_SCHEMA, "links": LINK_SCHEMA,
    "summaries": SUMMARY_SCHEMA,
}

DATE_FIELDS = ("start", "finish", "due", "baseline_start", "baseline_finish", "actual_start", "actual_finish")
HOUR_FIELDS = ("work_hours", "actual_work_hours")
NUMBER_FIELDS = {"story_points": v.STORY_POINTS, "cost": v.COST, "baseline_cost": v.COST, "actual_cost": v.COST}
TEXT_FIELDS = ("item_type", "status", "team")


class RowError(ValueError):
    """A row with a cell that cannot be read: the row is quarantined, the sheet loads."""


@dataclass
class SheetLayout:
    """Which column (id) holds which field of one sheet, decided once per sheet."""

    fields: dict[str, int] = field(default_factory=dict)  # field -> column id
    titles: dict[int, str] = field(default_factory=dict)  # column id -> title, for messages
    types: dict[int, str] = field(default_factory=dict)
    predecessors: int | None = None  # the PREDECESSOR column
    duration: int | None = None
    day_hours: float = DEFAULT_DAY_HOURS


def layout(sheet: Mapping[str, Any], overrides: Mapping[str, str]) -> SheetLayout:
    """Column roles: by type first (the project sheet's own columns), then by title."""
    columns = [c for c in sheet.get("columns") or [] if isinstance(c, Mapping) and c.get("id") is not None]
    found = SheetLayout(titles={c["id"]: str(c.get("title") or "") for c in columns},
                        types={c["id"]: str(c.get("type") or "TEXT_NUMBER") for c in columns},
                        day_hours=_day_hours(sheet))
    found.predecessors = next((c["id"] for c in columns if c.get("type") == "PREDECESSOR"), None)
    found.duration = next((c["id"] for c in columns if c.get("type") == "DURATION"), None)
    spans = [c for c in columns if c.get("type") == "ABSTRACT_DATETIME"]
    found.fields = _spans(spans)
    others = [c for c in columns if c["id"] not in (found.predecessors, found.duration) and c not in spans]
    fields = {name: aliases for name, aliases in TASK_FIELDS.items() if name not in found.fields}
    by_title = match_columns([c.get("title") for c in others], fields, overrides)
    found.fields.update({name: others[index]["id"] for name, index in by_title.items()})
    _by_type(found, others)
    return found


def _spans(spans: Sequence[Mapping[str, Any]]) -> dict[str, int]:
    """A dependency-enabled sheet's two ABSTRACT_DATETIME columns are its start and end: which is
    which by title (Start Date, End Date ...), else in column order."""
    if len(spans) != 2:
        return {}
    ends = {name: TASK_FIELDS[name] for name in ("start", "finish")}
    by_title = match_columns([c.get("title") for c in spans], ends, {})
    if len(by_title) == 1:  # one recognised: the other column is the other end
        (name, index), = by_title.items()
        by_title[next(n for n in ends if n != name)] = 1 - index
    if len(by_title) != 2:
        by_title = {"start": 0, "finish": 1}
    return {name: spans[index]["id"] for name, index in by_title.items()}


def _by_type(found: SheetLayout, columns: Sequence[Mapping[str, Any]]) -> None:
    """Fill what the titles left open from the types: the primary column names the task, a lone
    contact column is the owner."""
    taken = set(found.fields.values())
    free = [c for c in columns if c["id"] not in taken]
    primary = next((c["id"] for c in free if c.get("primary")), None)
    if "name" not in found.fields and primary is not None:
        found.fields["name"] = primary
    contacts = [c["id"] for c in free if c.get("type") in CONTACT_TYPES]
    if "owner" not in found.fields and len(contacts) == 1:
        found.fields["owner"] = contacts[0]


def _day_hours(sheet: Mapping[str, Any]) -> float:
    settings = sheet.get("projectSettings") or {}
    hours = settings.get("lengthOfDay")
    return float(hours) if isinstance(hours, int | float) and 0 < hours <= 24 else DEFAULT_DAY_HOURS


def sheet_row(sheet: Mapping[str, Any], found: SheetLayout) -> dict[str, Any]:
    return {
        "sheet_id": str(sheet["id"]), "name": sheet.get("name"), "version": _int(sheet.get("version")),
        "modified_at": timestamp(sheet.get("modifiedAt")), "permalink": sheet.get("permalink"),
        "day_hours": found.day_hours, "dependencies_enabled": bool(sheet.get("dependenciesEnabled")),
        "row_count": _int(sheet.get("totalRowCount")), **_calendar(sheet.get("projectSettings")),
    }


def _calendar(settings: Any) -> dict[str, Any]:
    """The project settings' working weekdays and non-working dates; None for a sheet without them
    (Monday-Friday is assumed), and unreadable dates are left out rather than failing the sheet."""
    if not isinstance(settings, Mapping) or not isinstance(settings.get("workingDays"), list):
        return {"working_days": None, "non_working_days": None}
    holidays = []
    for value in settings.get("nonWorkingDays") or []:
        try:
            holidays.append(day(value))
        except v.CellError:
            continue
    return {"working_days": [str(d).upper() for d in settings["workingDays"]],
            "non_working_days": sorted(h for h in holidays if h is not None)}


def row_records(sheet_id: str, row: Mapping[str, Any], found: SheetLayout) -> dict[str, list[dict[str, Any]]]:
    """The rows of each raw table one sheet row gives; :class:`RowError` naming the columns it cannot read."""
    if row.get("id") is None:
        raise RowError("the row has no id")
    cells = {c.get("columnId"): c for c in row.get("cells") or [] if isinstance(c, Mapping)}
    row_id = str(row["id"])
    values, errors = _fields(cells, found)
    people = _people(cells.get(found.fields.get("owner")), cells.get(found.fields.get("owner_email")))
    links: list[dict[str, Any]] = []
    for attempt in (lambda: _predecessors(cells.get(found.predecessors), found.day_hours),
                    lambda: _depends_on(cells.get(found.fields.get("depends_on")), found.day_hours)):
        try:
            links += attempt()
        except RowError as exc:
            errors.append(str(exc))
    try:
        values["duration_hours"] = v.in_range(duration_hours(cells.get(found.duration), found.day_hours), v.HOURS)
    except (v.CellError, RowError) as exc:
        errors.append(f"column {found.titles.get(found.duration)!r}: {exc}")
    if errors:
        raise RowError("; ".join(errors))
    first = people[0] if people else {}
    record = {
        "sheet_id": sheet_id, "row_id": row_id, "row_number": _int(row.get("rowNumber")),
        "parent_id": None if row.get("parentId") is None else str(row["parentId"]),
        "owner_name": first.get("name"), "owner_email": first.get("email"),
        "created_at": timestamp(row.get("createdAt")), "modified_at": timestamp(row.get("modifiedAt")), **values,
    }
    return {
        "rows": [record],
        "contacts": [{"sheet_id": sheet_id, "row_id": row_id, "position": i, **p} for i, p in enumerate(people)],
        "links": [{"sheet_id": sheet_id, "row_id": row_id, **link} for link in links],
    }


def _fields(cells: Mapping[Any, Mapping[str, Any]], found: SheetLayout) -> tuple[dict[str, Any], list[str]]:
    values: dict[str, Any] = {"name": v.as_text(_value(cells.get(found.fields.get("name"))))}
    errors: list[str] = []

    def attempt(name: str, parser: Any) -> None:
        column = found.fields.get(name)
        try:
            values[name] = parser(_value(cells.get(column))) if column is not None else None
        except v.CellError as exc:
            errors.append(f"column {found.titles.get(column)!r}: {exc}")

    for name in DATE_FIELDS:
        attempt(name, day)
    for name in HOUR_FIELDS:
        attempt(name, lambda c: v.in_range(v.parse_hours(c), v.HOURS))
    for name, bounds in NUMBER_FIELDS.items():
        attempt(name, lambda c, bounds=bounds: v.in_range(v.parse_number(c), bounds))
    for name in TEXT_FIELDS:
        attempt(name, v.as_text)
    attempt("milestone", v.parse_bool)
    attempt("percent_complete", percent)
    attempt("systems", v.parse_list)
    attempt("objectives", v.parse_list)
    values["systems"] = values.get("systems") or []
    values["objectives"] = values.get("objectives") or []
    return values, errors


def _value(cell: Mapping[str, Any] | None) -> Any:
    if cell is None:
        return None
    value = cell.get("value")
    return cell.get("displayValue") if value is None else value


def day(value: Any) -> dt.date | None:
    """A DATE cell ("2026-03-02"), an ABSTRACT_DATETIME one ("2026-03-02T08:00:00"), or typed text."""
    if isinstance(value, str) and "T" in value:
        try:
            return dt.datetime.fromisoformat(value.strip().replace("Z", "+00:00")).date()
        except ValueError:
            pass
    return v.parse_date(value, day_first=False)


def timestamp(value: Any) -> dt.datetime | None:
    """Smartsheet's ISO 8601 times (``2026-03-02T10:15:00Z``) as naive UTC."""
    try:
        return v.parse_timestamp(value, day_first=False)
    except v.CellError:
        return None


def percent(value: Any) -> float | None:
    """A % column holds fractions (0.5 shows as 50%); typed text such as "50%" is read as written."""
    if isinstance(value, int | float) and not isinstance(value, bool):
        number = float(value) * 100 if 0 <= value <= 1 else float(value)
        return v.in_range(number, v.PERCENT)
    number, explicit = v.parse_percent(value)
    if number is None:
        return None
    return number if explicit or number > 1 else number * 100


def duration_hours(cell: Mapping[str, Any] | None, day_hours: float) -> float | None:
    """A DURATION cell in working hours: its objectValue parts, or its text ("5d", "3h", "2w")."""
    if cell is None:
        return None
    duration = cell.get("objectValue")
    if isinstance(duration, Mapping) and duration.get("objectType") == "DURATION":
        return _duration(duration, day_hours)
    text = _value(cell)
    if v.is_blank(text):
        return None
    # "~5d" is an estimate of 5 days; a bare number is days, as Smartsheet's duration column reads it
    return to_hours(str(text).strip().lstrip("~"), "day", Calendar(hours_per_day=day_hours))


def _duration(duration: Mapping[str, Any], day_hours: float) -> float:
    """Smartsheet's Duration object: weeks/days/hours/minutes/seconds/milliseconds, elapsed or working."""
    elapsed = bool(duration.get("elapsed"))
    per_day = 24.0 if elapsed else day_hours
    per_week = 7 * 24.0 if elapsed else WORK_DAYS_PER_WEEK * day_hours
    parts = {"weeks": per_week, "days": per_day, "hours": 1.0, "minutes": 1 / 60, "seconds": 1 / 3600,
             "milliseconds": 1 / 3_600_000}
    total = 0.0
    for name, hours in parts.items():
        amount = duration.get(name) or 0
        if not isinstance(amount, int | float) or isinstance(amount, bool):
            raise RowError(f"duration {name} {amount!r} is not a number")
        total += float(amount) * hours
    return -total if duration.get("negative") else total


def _predecessors(cell: Mapping[str, Any] | None, day_hours: float) -> list[dict[str, Any]]:
    """The PREDECESSOR column's objectValue: rows of the same sheet, with link type and lag."""
    listed = (cell or {}).get("objectValue")
    if not isinstance(listed, Mapping):
        return []
    links = []
    for entry in listed.get("predecessors") or []:
        if not isinstance(entry, Mapping) or entry.get("rowId") is None:
            raise RowError(f"predecessor {entry!r} names no row")
        link_type = str(entry.get("type") or "FS").upper()
        if link_type not in ("FS", "SS", "FF", "SF"):
            raise RowError(f"predecessor link type {link_type!r} is not FS, SS, FF or SF")
        lag = entry.get("lag")
        lag_hours = _duration(lag, day_hours) if isinstance(lag, Mapping) else 0.0
        v.in_range(lag_hours, v.LAG_HOURS)
        links.append({"predecessor_row_id": str(entry["rowId"]), "predecessor_ref": _written(entry, link_type),
                      "link_type": link_type, "lag_hours": lag_hours})
    return links


def _written(entry: Mapping[str, Any], link_type: str) -> str:
    """How Smartsheet shows the predecessor (row number and type), for messages about unresolved links."""
    return f"{entry.get('rowNumber') or entry.get('rowId')}{link_type}"


def _depends_on(cell: Mapping[str, Any] | None, day_hours: float) -> list[dict[str, Any]]:
    """A text "Depends on" cell: 12 (a row number of this sheet), PAY-12 (another tool's item), or
    Plan!7 (item 7 of the project called Plan, in any source); with FS/SS/FF/SF and a lag as in
    spreadsheets (12FS+2d)."""
    calendar = Calendar(hours_per_day=day_hours)
    links = []
    for token in split_predecessors(_value(cell)):
        parsed = parse_link(token, calendar)
        if parsed is None:
            raise RowError(f"depends on {token!r} is not a reference; expected e.g. 12, 12FS+2d, PAY-12 or Plan!7")
        item, scope = parsed["predecessor_id"], parsed["predecessor_scope"]
        link = {"predecessor_ref": token, "link_type": parsed["link_type"], "lag_hours": parsed["lag_hours"]}
        tool_key = TOOL_KEY.match(item)
        if scope is None and item.isdigit():
            link["predecessor_row_number"] = int(item)
        elif scope is None and tool_key is None:
            raise RowError(f"depends on {token!r} names no row number and no item of another tool "
                           "(such as PAY-12 or Plan!7)")
        else:
            link["predecessor_project_ref"] = scope or tool_key.group("project")
            link["predecessor_item_ref"] = item
        links.append(link)
    return links


def _people(owner: Mapping[str, Any] | None, email_cell: Mapping[str, Any] | None) -> list[dict[str, Any]]:
    """Contacts of the assigned-to cell (name and e-mail from its objectValue), or its text."""
    found = (owner or {}).get("objectValue")
    contacts: list[Any] = []
    if isinstance(found, Mapping) and found.get("objectType") == "MULTI_CONTACT":
        contacts = list(found.get("values") or [])
    elif isinstance(found, Mapping) and found.get("objectType") == "CONTACT":
        contacts = [found]
    people = [{"name": v.as_text(c.get("name")), "email": _email(c.get("email"))}
              for c in contacts if isinstance(c, Mapping) and (c.get("name") or c.get("email"))]
    if not people:
        text = v.as_text(_value(owner))
        email = _email(v.as_text(_value(email_cell)))
        if text or email:
            people = [{"name": None if text and "@" in text else text, "email": _email(text) or email}]
    return people


def _email(text: Any) -> str | None:
    text = v.as_text(text)
    return text.lower() if text and "@" in text else None


def summary_row(sheet_id: str, summary: Mapping[str, Any], modified: dt.datetime | None) -> dict[str, Any] | None:
    """The sheet summary's status (RAG/Health/Status), owner and date, recognised by field title; the
    sheet's own modifiedAt dates the report when the summary has no date field."""
    fields = [f for f in summary.get("fields") or [] if isinstance(f, Mapping)]
    by_title = match_columns([_summary_title(f.get("title")) for f in fields], REPORT_FIELDS, {})
    if "status" not in by_title:
        return None

    def cell(name: str) -> Mapping[str, Any] | None:
        return fields[by_title[name]] if name in by_title else None

    status = v.as_text(_value(cell("status")))
    if status is None:
        return None
    people = _people(cell("reported_by"), None)
    try:
        reported = day(_value(cell("reported_at")))
    except v.CellError:
        reported = None
    return {"sheet_id": sheet_id, "status": status, "owner_name": people[0]["name"] if people else None,
            "owner_email": people[0]["email"] if people else None,
            "reported_at": reported or (modified.date() if modified else None),
            "comment": v.as_text(_value(cell("comment")))}


def _summary_title(title: Any) -> str:
    """Summary fields are often titled for the project ("Project Status", "Project Health"): read
    them as the register's words, unless the whole title is one already ("Project Manager")."""
    words = normalise(title)
    known = {alias for aliases in REPORT_FIELDS.values() for alias in aliases}
    return words if words in known else words.removeprefix("project ")


def _int(value: Any) -> int | None:
    return int(value) if isinstance(value, int | float) and not isinstance(value, bool) else None
