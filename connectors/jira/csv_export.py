"""Jira CSV exports (kind: jira_csv): the "Export -> CSV (all fields)" file.

Such a file repeats headers (``Labels``, ``Sprint``, ``Component/s``, ``Watchers``,
``Fix Version/s`` appear once per value), names custom fields ``Custom field (Story Points)``,
links ``Outward issue link (Blocks)``, and writes times like ``12/Jan/24 3:04 PM`` in the
exporting user's time zone (the source's ``timezone``). Columns are read by position and grouped
by header; each row becomes an issue shaped like the REST API's, so one mapping serves both.

Overlapping exports in one folder hold some issues twice: a first pass over the files finds, per
issue key, the copy to keep - the most recently updated, then the later file, then the later row -
and the other copies are quarantined naming both rows.
"""

from __future__ import annotations

import csv
import datetime as dt
import re
from collections import defaultdict
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar
from zoneinfo import ZoneInfo

import pyarrow as pa

from connectors.base import Batch, Connector, ExtractContext, SourceError
from connectors.jira.csv_headers import REQUIRED, canonical, fold, missing_columns_message
from connectors.jira.mapping import CUSTOM_FIELD_NAMES, RAW_SCHEMAS, FieldIds, issue_rows
from connectors.jira.options import JiraCsvOptions

BATCH_ROWS = 5_000
CATEGORY_KEYS = {"to do": "new", "in progress": "indeterminate", "done": "done"}
TIME_FORMATS = ("%d/%b/%y %I:%M %p", "%d/%b/%Y %I:%M %p", "%d/%b/%y %H:%M", "%Y-%m-%d %H:%M", "%d/%b/%y")
_CUSTOM = re.compile(r"^Custom field \((.+)\)$")
_ISSUE_KEY = re.compile(r"^[A-Z][A-Z0-9_]*-\d+$")
#: Jira's sub-task type in the export languages read here ("Sous-tâche" in a French export).
_SUBTASK_TYPES = {fold(name) for name in ("Sub-task", "Subtask", "Unteraufgabe", "Sous-tâche", "Subtarea",
                                          "Subtarefa", "サブタスク")}
#: Jira writes dates as dd/MMM/yy h:mm a with the month and AM/PM in the exporting user's language
#: (Java's names: "12/Mär/24 3:04 PM", "12/janv./24 15:04", "12/ene/24 3:04 p. m.", "12/1月/24 3:04 午後").
MONTHS = {
    **{form: 1 for form in ("jan", "janv", "ene")}, **{form: 2 for form in ("feb", "fev", "fevr")},
    **{form: 3 for form in ("mar", "marz", "mrz", "mars")}, **{form: 4 for form in ("apr", "avr", "abr")},
    **{form: 5 for form in ("may", "mai")}, **{form: 6 for form in ("jun", "juni", "juin")},
    **{form: 7 for form in ("jul", "juli", "juil")}, **{form: 8 for form in ("aug", "aout", "ago")},
    **{form: 9 for form in ("sep", "sept", "set")}, **{form: 10 for form in ("oct", "okt", "out")},
    "nov": 11, **{form: 12 for form in ("dec", "dez", "dic")},
}
_LOCAL_DATE = re.compile(r"^(\d{1,2})/([^/\d]+|\d{1,2}月)/(\d{2}|\d{4})(?:\s+(.+))?$")
_LOCAL_TIME = re.compile(r"^(am|pm|午前|午後)?(\d{1,2}):(\d{2})(am|pm|午前|午後|vorm|nachm)?$")


class JiraCsvConnector(Connector):
    kind: ClassVar[str] = "jira_csv"
    watches_files: ClassVar[bool] = True
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    options_model: ClassVar[type[JiraCsvOptions]] = JiraCsvOptions
    options: JiraCsvOptions
    # staging_sql_dir(): the default, jira/staging/, which it shares with the REST connector (same raw shape)

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        zone = ZoneInfo(self.options.timezone)
        projects: dict[str, dict[str, Any]] = {}
        files = list(self.files())
        kept = _kept_copies(files, zone, self.options.columns)
        for path, name in files:
            context.info(f"{self.source.id}: reading {name}")
            yield from self._file(path, name, zone, projects, context, kept)
        yield Batch("projects", pa.Table.from_pylist(list(projects.values()), schema=RAW_SCHEMAS["projects"]))
        yield from context.drain_quarantine(force=True)

    def _file(self, path: Path, name: str, zone: ZoneInfo, projects: dict[str, dict[str, Any]],
              context: ExtractContext, kept: Mapping[str, Copy]) -> Iterator[Batch]:
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                header = next(reader, None) or []
                columns = _group(header, self.options.columns)
                if missing := [column for column in REQUIRED if column not in columns]:
                    raise SourceError(missing_columns_message(name, header, missing))
                fields = self._field_ids(columns, name)
                tables: dict[str, list[dict]] = defaultdict(list)
                for number, row in enumerate(reader, start=2):
                    if (dropped := _dropped(row, columns, name, number, kept)) is not None:
                        context.quarantine(dropped[0], f"{name}, row {number}", dropped[1],
                                           dict(zip(header, row, strict=False)))
                        continue
                    try:
                        issue = _issue(row, columns, zone)
                        mapped = issue_rows(issue, fields, self.options.risk_issue_type,
                                            self.options.status_report_issue_type)
                    except (ValueError, KeyError) as exc:  # this row only: the rest of the export loads
                        key = row[columns["Issue key"][0]] if len(row) > columns["Issue key"][0] else ""
                        context.quarantine(key or f"row {number}", f"{name}, row {number}",
                                           f"{key}: {exc}" if key else str(exc), dict(zip(header, row, strict=False)))
                        continue
                    project = issue["fields"]["project"]
                    projects.setdefault(project["key"], {"project_id": project.get("id"), "project_key": project["key"],
                                                         "name": project.get("name"), "lead_name": project.get("lead")})
                    for table, rows in mapped.items():
                        tables[table].extend(rows)
                    if len(tables["issues"]) >= BATCH_ROWS:
                        yield from _flush(tables)
                    yield from context.drain_quarantine()
                yield from _flush(tables)
        except UnicodeDecodeError:
            raise SourceError(f"{name}: not UTF-8; export it again from Jira (exports are UTF-8)") from None
        except csv.Error as exc:
            raise SourceError(f"{name}: malformed CSV ({exc})") from None

    def _field_ids(self, columns: Mapping[str, list[int]], name: str) -> FieldIds:
        """Custom fields of the export by their column names, `Custom field (<name>)`."""
        present = {m.group(1).lower(): label for label in columns if (m := _CUSTOM.match(label))}
        configured = self.options.fields
        ids = {}
        for role, defaults in CUSTOM_FIELD_NAMES.items():
            names = [configured[role]] if role in configured else list(defaults)
            found = next((present[n.lower()] for n in names if n.lower() in present), None)
            if role == "sprint" and "Sprint" in columns:
                found = "Sprint"
            if found:
                ids[role] = found
            elif role in configured:
                raise SourceError(f"{name}: no column 'Custom field ({configured[role]})' (fields.{role})")
        return FieldIds(ids)


@dataclass(frozen=True, order=True)
class Copy:
    """One row of an issue in the exports, ordered so that the copy to keep is the largest."""

    updated: dt.datetime  # datetime.min (in UTC) when the row has no readable Updated time
    file_index: int
    row: int
    where: str = field(compare=False)


_NEVER = dt.datetime.min.replace(tzinfo=dt.UTC)


def _kept_copies(files: list[tuple[Path, str]], zone: ZoneInfo, mapped: Mapping[str, str]) -> dict[str, Copy]:
    """Issue key -> the copy to keep, for keys that appear more than once across the exports.

    Unreadable files and values are skipped here: the reading pass reports them.
    """
    best: dict[str, Copy] = {}
    twice: set[str] = set()
    for file_index, (path, name) in enumerate(files):
        try:
            with path.open(encoding="utf-8-sig", newline="") as handle:
                reader = csv.reader(handle)
                columns = _group(next(reader, None) or [], mapped)
                if "Issue key" not in columns:
                    continue
                key_at = columns["Issue key"][0]
                updated_at = columns["Updated"][0] if "Updated" in columns else None
                for number, row in enumerate(reader, start=2):
                    key = row[key_at].strip() if key_at < len(row) else ""
                    if not key:
                        continue
                    copy = Copy(_updated(row, updated_at, zone), file_index, number, f"{name}, row {number}")
                    if key in best:
                        twice.add(key)
                    best[key] = max(best.get(key, copy), copy)
        except (UnicodeDecodeError, csv.Error):
            continue
    return {key: best[key] for key in twice}


def _updated(row: list[str], index: int | None, zone: ZoneInfo) -> dt.datetime:
    value = row[index].strip() if index is not None and index < len(row) else ""
    try:
        return _parse(value, zone).astimezone(dt.UTC) if value else _NEVER
    except ValueError:
        return _NEVER


def _dropped(row: list[str], columns: Mapping[str, list[int]], name: str, number: int,
             kept: Mapping[str, Copy]) -> tuple[str, str] | None:
    """(key, reason) when this row is a copy of an issue that another row supersedes, else None."""
    at = columns["Issue key"][0]
    key = row[at].strip() if at < len(row) else ""
    copy = kept.get(key)
    if copy is None or copy.where == f"{name}, row {number}":
        return None
    when = "" if copy.updated == _NEVER else f" (updated {copy.updated:%Y-%m-%d %H:%M} UTC)"
    return key, (f"{key}: duplicate issue key; kept the copy at {copy.where}{when} - the most recently updated, "
                 "then the later file and row - and dropped this one; remove the overlapping export")


def _flush(tables: dict[str, list[dict]]) -> Iterator[Batch]:
    for table, rows in tables.items():
        if rows:
            yield Batch(table, pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[table]))
    tables.clear()


def _group(header: list[str], mapped: Mapping[str, str]) -> dict[str, list[int]]:
    """The reader's column name (``csv_headers.canonical``) -> every position it appears at: repeated
    headers (Labels, Sprint ...) hold one value each, and so do two spellings of one column."""
    positions: dict[str, list[int]] = defaultdict(list)
    for index, label in enumerate(header):
        positions[canonical(label, mapped)].append(index)
    return dict(positions)


def _issue(row: list[str], columns: Mapping[str, list[int]], zone: ZoneInfo) -> dict[str, Any]:
    def one(label: str) -> str | None:
        for index in columns.get(label, []):
            if index < len(row) and row[index].strip():
                return row[index].strip()
        return None

    def many(label: str) -> list[str]:
        return [row[i].strip() for i in columns.get(label, []) if i < len(row) and row[i].strip()]

    key, issue_id = one("Issue key"), one("Issue id")
    if not key or not _ISSUE_KEY.match(key):
        raise ValueError(f"'Issue key' is {key!r}; expected a key such as PAY-12")
    status = one("Status")
    category = CATEGORY_KEYS.get((one("Status Category") or "").lower())
    parent = one("Parent key") or one("Parent")
    fields: dict[str, Any] = {
        "summary": one("Summary"),
        "status": {"name": status, "statusCategory": {"key": category} if category else {}},
        "issuetype": {"name": one("Issue Type"), "subtask": fold(one("Issue Type") or "") in _SUBTASK_TYPES},
        "project": {"key": one("Project key") or key.rsplit("-", 1)[0], "name": one("Project name"),
                    "lead": one("Project lead"), "id": one("Project id")},
        "assignee": {"accountId": one("Assignee Id") or one("Assignee"), "displayName": one("Assignee")}
        if one("Assignee") else None,
        "created": _time(one("Created"), zone), "updated": _time(one("Updated"), zone),
        "resolutiondate": _time(one("Resolved"), zone), "duedate": _day(one("Due Date"), zone),
        "timeoriginalestimate": _seconds(one("Original Estimate")), "timespent": _seconds(one("Time Spent")),
        "timeestimate": _seconds(one("Remaining Estimate")),
        "components": [{"name": c} for c in many("Component/s")], "labels": many("Labels"),
        "fixVersions": [{"id": v, "name": v} for v in many("Fix Version/s")],
        "priority": {"name": one("Priority")},
        # Newer exports give the parent's id under Parent, older ones its key; staging resolves ids.
        "parent": None if not parent else {"key": parent} if _ISSUE_KEY.match(parent) else {"id": parent},
        "issuelinks": [
            {"type": {"name": m.group(2)}, f"{m.group(1).lower()}Issue": {"key": other}}
            for label in columns
            if (m := re.match(r"^(Outward|Inward) issue link \((.+)\)$", label))
            for other in many(label)
        ],
        "Sprint": [{"name": s} for s in many("Sprint")],
    }
    for label in columns:
        if _CUSTOM.match(label):
            values = many(label)
            fields[label] = values if len(values) > 1 else (values[0] if values else None)
    start = fields.get("Custom field (Start date)")
    if isinstance(start, str):
        fields["Custom field (Start date)"] = _day(start, zone)
    return {"id": issue_id or key, "key": key, "fields": fields}


def _parse(value: str, zone: ZoneInfo) -> dt.datetime:
    for fmt in TIME_FORMATS:
        try:
            return dt.datetime.strptime(value, fmt).replace(tzinfo=zone)
        except ValueError:
            continue
    if (local := _localised(value)) is not None:
        return local.replace(tzinfo=zone)
    try:
        parsed = dt.datetime.fromisoformat(value)
    except ValueError:
        raise ValueError(f"{value!r} is not a Jira date; expected e.g. 12/Jan/24 3:04 PM") from None
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=zone)


def _localised(value: str) -> dt.datetime | None:
    """'12/Mär/24 3:04 PM' in any of the export languages, or None when it is not of that shape."""
    match = _LOCAL_DATE.match(value.strip())
    if not match:
        return None
    day, month_name, year, time = match.groups()
    month = int(month_name[:-1]) if month_name.endswith("月") else MONTHS.get(fold(month_name).replace(" ", ""))
    if month is None:
        return None
    hour = minute = 0
    if time:
        clock = _LOCAL_TIME.match(re.sub(r"[\s.]", "", time.casefold()))  # "p. m." -> "pm"
        if not clock:
            return None
        before, hour_text, minute_text, after = clock.groups()
        hour, minute = int(hour_text) % (12 if (before or after) else 24), int(minute_text)
        if (before or after) in ("pm", "午後", "nachm"):
            hour += 12
    full_year = int(year) + (2000 if len(year) == 2 else 0)
    try:
        return dt.datetime(full_year, month, int(day), hour, minute)
    except ValueError:
        return None


def _time(value: str | None, zone: ZoneInfo) -> str | None:
    """Export time in the exporting user's zone -> ISO in UTC."""
    return None if not value else _parse(value, zone).astimezone(dt.UTC).isoformat()


def _day(value: str | None, zone: ZoneInfo) -> str | None:
    return None if not value else _parse(value, zone).date().isoformat()


def _seconds(value: str | None) -> int | None:
    if not value:
        return None
    if not value.isdigit():
        raise ValueError(f"estimate {value!r} is not a number of seconds")
    return int(value)
