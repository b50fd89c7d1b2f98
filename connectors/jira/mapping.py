"""Jira issues (REST JSON, or CSV rows shaped like it) into the Jira raw tables."""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import pyarrow as pa

from connectors import values as v
from connectors.timestamps import RecordError as IssueError  # one issue cannot be read
from connectors.timestamps import parse_utc_time as parse_jira_time

TEXT, DATE, TS, NUM, FLAG = pa.string(), pa.date32(), pa.timestamp("us"), pa.float64(), pa.bool_()

ISSUES = pa.schema([
    ("issue_id", TEXT), ("issue_key", TEXT), ("project_key", TEXT), ("summary", TEXT), ("issue_type", TEXT),
    ("is_subtask", FLAG), ("is_risk", FLAG), ("status_name", TEXT), ("status_category", TEXT),
    ("parent_key", TEXT), ("parent_id", TEXT), ("assignee_key", TEXT), ("assignee_name", TEXT), ("assignee_email", TEXT),
    ("created_at", TS), ("updated_at", TS), ("resolved_at", TS), ("due_date", DATE), ("start_date", DATE),
    ("sprint_name", TEXT), ("sprint_start", DATE), ("sprint_end", DATE),
    ("original_estimate_hours", NUM), ("time_spent_hours", NUM), ("remaining_hours", NUM),
    ("story_points", NUM), ("is_flagged", FLAG), ("priority", TEXT),
    ("components", pa.list_(TEXT)), ("labels", pa.list_(TEXT)), ("objectives", pa.list_(TEXT)),
    ("team", TEXT), ("probability", NUM), ("impact", NUM),
    # An issue of the status-report type, and the configured field holding what it reports (Green ...).
    ("is_status_report", FLAG), ("reported_status", TEXT),
])
LINKS = pa.schema([("issue_id", TEXT), ("issue_key", TEXT), ("link_type", TEXT), ("direction", TEXT),
                   ("other_key", TEXT)])
VERSIONS = pa.schema([("issue_id", TEXT), ("issue_key", TEXT), ("project_key", TEXT), ("version_id", TEXT),
                      ("version_name", TEXT), ("release_date", DATE), ("released", FLAG)])
CHANGELOG = pa.schema([("issue_id", TEXT), ("issue_key", TEXT), ("changed_at", TS), ("from_status", TEXT),
                       ("to_status", TEXT)])
PROJECTS = pa.schema([("project_id", TEXT), ("project_key", TEXT), ("name", TEXT), ("lead_name", TEXT),
                      ("site_url", TEXT),  # the site's base URL, for browse links (NULL for CSV exports)
                      # The project's own status (option project_status_property): status, date, by, comment.
                      ("reported_status", TEXT), ("reported_at", TEXT), ("reported_by", TEXT),
                      ("reported_comment", TEXT)])

RAW_SCHEMAS = {"issues": ISSUES, "links": LINKS, "versions": VERSIONS, "changelog": CHANGELOG, "projects": PROJECTS}

#: Standard fields every search asks for (an explicit list: /search/jql returns ids only otherwise).
STANDARD_FIELDS = (
    "summary", "status", "issuetype", "parent", "project", "assignee", "duedate", "created", "updated",
    "resolutiondate", "timeoriginalestimate", "timespent", "timeestimate", "issuelinks", "components",
    "labels", "fixVersions", "priority",
)
#: Custom fields found by name (first name present wins); the config can name others.
CUSTOM_FIELD_NAMES = {
    "story_points": ("Story point estimate", "Story Points"),
    "start_date": ("Start date",),
    "sprint": ("Sprint",),
    "flagged": ("Flagged",),
    "epic_link": ("Epic Link",),
    "objectives": (),
    "team": ("Team",),
    "probability": (),
    "impact": (),
    "reported_status": (),
}
_DC_SPRINT = re.compile(r"(\w+)=([^,\]]*)")
#: What a believable value of each numeric column is; anything else is a data-entry slip or a
#: mis-mapped field, quarantined rather than allowed to skew every rollup above it.
LIMITS = {
    "original_estimate_hours": v.HOURS, "time_spent_hours": v.HOURS,
    "remaining_hours": v.HOURS, "story_points": v.STORY_POINTS,
}
LABELS = {"original_estimate_hours": "original estimate (hours)", "time_spent_hours": "time spent (hours)",
          "remaining_hours": "remaining estimate (hours)", "story_points": "story points"}


@dataclass(frozen=True)
class FieldIds:
    """Custom field ids of this Jira site, resolved by name (never hard-coded)."""

    ids: Mapping[str, str]

    def get(self, fields: Mapping[str, Any], name: str) -> Any:
        field_id = self.ids.get(name)
        return fields.get(field_id) if field_id else None

    def request_list(self) -> list[str]:
        return [*STANDARD_FIELDS, *sorted(set(self.ids.values()))]


def epoch_ms(moment: dt.datetime) -> int:
    return int(moment.replace(tzinfo=dt.UTC).timestamp() * 1000)


def _date(value: Any) -> dt.date | None:
    if not value:
        return None
    if "T" in str(value):
        return parse_jira_time(value).date()
    try:
        return dt.date.fromisoformat(str(value)[:10])
    except ValueError:
        raise IssueError(f"{str(value)!r} is not a date") from None


def _hours(seconds: Any) -> float | None:
    if seconds is None:
        return None
    if isinstance(seconds, bool) or not isinstance(seconds, int | float | str):
        raise IssueError(f"{seconds!r} is not a number of seconds")
    try:
        return float(seconds) / 3600
    except ValueError:
        raise IssueError(f"{str(seconds)!r} is not a number of seconds") from None


def _points(value: Any) -> float | None:
    """A number; NaN and infinity are refused here (a spreadsheet reader would call NaN an empty cell)."""
    if isinstance(value, float) and not math.isfinite(value):
        raise IssueError(f"{value} is not a finite number")
    return v.parse_number(value)


def _field(name: str, parse: Callable[[Any], Any], value: Any) -> Any:
    """``parse(value)``, with a failure reported as ``<field> <value> is not ...``."""
    try:
        return parse(value)
    except ValueError as exc:
        raise IssueError(f"{name} {_why(exc)}") from None


def _why(exc: ValueError) -> str:
    """Quote the offending value the way people write it: "13 points" is not a number."""
    text = str(exc)
    match = re.match(r"^'(.*)'( .*)$", text)
    return f'"{match.group(1)}"{match.group(2)}' if match else text


def check_ranges(row: dict[str, Any]) -> None:
    """Numbers must be finite and believable (LIMITS); the error names the field and the value."""
    for column, bounds in LIMITS.items():
        try:
            v.in_range(row.get(column), bounds)
        except v.CellError as exc:
            raise IssueError(f"{LABELS[column]} {exc}") from None


def _names(items: Any, key: str = "name") -> list[str]:
    return [str(i.get(key)) if isinstance(i, Mapping) else str(i) for i in (items or []) if i]


#: What names a custom field's value, by the shapes Jira sends: options {value}, users {displayName},
#: versions/components/groups {name}, Atlassian teams {title}.
_VALUE_NAMES = ("value", "name", "displayName", "title")
#: ADF block nodes: each starts a new line in the plain text.
_ADF_BLOCKS = {"paragraph", "heading", "listItem", "blockquote", "codeBlock", "rule", "panel", "tableRow",
               "mediaSingle", "decisionItem", "taskItem"}


def adf_text(node: Any) -> str:
    """Atlassian Document Format (Cloud's rich text: descriptions, comments, paragraph fields) -> plain
    text: the words a person reads, blocks on their own lines, mentions/emoji/status/dates as shown."""
    lines: list[str] = []
    current: list[str] = []

    def walk(item: Any) -> None:
        if not isinstance(item, Mapping):
            return
        kind, attrs = item.get("type"), item.get("attrs") or {}
        if kind == "text":
            current.append(str(item.get("text") or ""))
        elif kind == "hardBreak":
            current.append("\n")
        elif kind in ("mention", "emoji", "status"):
            current.append(str(attrs.get("text") or attrs.get("shortName") or ""))
        elif kind == "date" and str(attrs.get("timestamp") or "").isdigit():
            moment = dt.datetime.fromtimestamp(int(attrs["timestamp"]) / 1000, dt.UTC)
            current.append(moment.date().isoformat())
        elif kind == "inlineCard":
            current.append(str(attrs.get("url") or ""))
        for child in item.get("content") or []:
            walk(child)
        if kind in _ADF_BLOCKS and current:
            lines.append("".join(current).strip())
            current.clear()

    walk(node)
    if current:
        lines.append("".join(current).strip())
    return "\n".join(line for line in lines if line)


def is_adf(value: Any) -> bool:
    return isinstance(value, Mapping) and value.get("type") == "doc" and isinstance(value.get("content"), list)


def _word(value: Any) -> str | None:
    """One value of a custom field as the word a person sees in Jira, or None when it holds none."""
    if is_adf(value):
        return adf_text(value) or None
    if isinstance(value, Mapping):
        found = next((value[name] for name in _VALUE_NAMES if value.get(name) not in (None, "")), None)
        return None if found is None else _word(found)
    if isinstance(value, bool) or value is None:
        return "yes" if value else None  # a checkbox: ticked is a word (Flagged), unticked is nothing
    if isinstance(value, float) and value.is_integer():
        return str(int(value))  # a number where the docs promise a string: 3.0 reads as "3"
    text = str(value).strip()
    return text or None


def _option_values(value: Any) -> list[str]:
    """A select/multi-select/label-like/text custom field as words (see ``_word`` for the shapes)."""
    if value is None:  # the commonest value of a custom field: nothing to walk
        return []
    values = value if isinstance(value, list) else [value]
    return [word for item in values if (word := _word(item)) is not None]


def latest_sprint(value: Any) -> Mapping[str, Any] | None:
    """The issue's latest sprint. Cloud gives objects; Data Center gives 'Sprint@…[name=…,startDate=…]' strings."""
    sprints = value if isinstance(value, list) else ([value] if value else [])
    parsed = []
    for sprint in sprints:
        if isinstance(sprint, str):
            sprint = dict(_DC_SPRINT.findall(sprint))
        if isinstance(sprint, Mapping):
            parsed.append(sprint)
    return parsed[-1] if parsed else None


def sprint_day(sprint: Mapping[str, Any], key: str) -> Any:
    """A sprint's raw startDate/endDate, None when unset (Data Center writes "<null>")."""
    raw = sprint.get(key)
    return raw if raw and raw != "<null>" else None


#: How a raw time or date is read: ``(label, raw)`` -> value, ``label`` naming the field in an error
#: (None: the value's own message). The row path parses at once; the page path (``page.py``) defers.
Reader = Callable[[str | None, Any], Any]
#: One issue's values: its issues row (ISSUES order) and its links, versions and changelog rows.
IssueValues = tuple[tuple[Any, ...], list[tuple[Any, ...]], list[tuple[Any, ...]], list[tuple[Any, ...]]]


def read_time(label: str | None, raw: Any) -> dt.datetime | None:
    return parse_jira_time(raw) if label is None else _field(label, parse_jira_time, raw)


def read_day(label: str | None, raw: Any) -> dt.date | None:
    return _date(raw) if label is None else _field(label, _date, raw)


def issue_values(issue: Mapping[str, Any], fields_by_name: FieldIds, risk_type: str, report_type: str,
                 time: Reader = read_time, day: Reader = read_day) -> IssueValues:
    """One issue's values, in the order of the raw tables' columns; times and dates read by ``time``
    and ``day``. The range check (``check_ranges``) is the caller's."""
    f = issue.get("fields") or {}
    key = issue.get("key")
    if not key:
        raise IssueError("the issue has no key")
    if issue.get("id") in (None, ""):
        raise IssueError("the issue has no id")
    issue_id = str(issue["id"])
    status = f.get("status") or {}
    issue_type = f.get("issuetype") or {}
    assignee = f.get("assignee") or {}
    project = f.get("project") or {}
    parent = (f.get("parent") or {}).get("key") or fields_by_name.get(f, "epic_link")
    probability = _option_values(fields_by_name.get(f, "probability"))
    impact = _option_values(fields_by_name.get(f, "impact"))
    project_key = project.get("key") or key.rsplit("-", 1)[0]
    sprint = latest_sprint(fields_by_name.get(f, "sprint"))
    sprint_start, sprint_end = (sprint_day(sprint, "startDate"), sprint_day(sprint, "endDate")) if sprint else (None,) * 2
    row = (
        issue_id, key, project_key, f.get("summary"), issue_type.get("name"),
        bool(issue_type.get("subtask")), (issue_type.get("name") or "").lower() == risk_type.lower(),
        status.get("name"), (status.get("statusCategory") or {}).get("key"),
        parent, (f.get("parent") or {}).get("id"),
        assignee.get("accountId") or assignee.get("name") or assignee.get("key"),
        assignee.get("displayName"), assignee.get("emailAddress"),
        time("created", f.get("created")), time("updated", f.get("updated")),
        time("resolved", f.get("resolutiondate")),
        day("due date", f.get("duedate")), day("start date", fields_by_name.get(f, "start_date")),
        sprint.get("name") if sprint else None,
        None if sprint_start is None else day("sprint startDate", sprint_start),
        None if sprint_end is None else day("sprint endDate", sprint_end),
        _field("original estimate", _hours, f.get("timeoriginalestimate")),
        _field("time spent", _hours, f.get("timespent")),
        _field("remaining estimate", _hours, f.get("timeestimate")),
        _field("story points", _points, fields_by_name.get(f, "story_points")),
        bool(_option_values(fields_by_name.get(f, "flagged"))),
        (f.get("priority") or {}).get("name"),
        _names(f.get("components")), [str(x) for x in f.get("labels") or []],
        _option_values(fields_by_name.get(f, "objectives")),
        next(iter(_option_values(fields_by_name.get(f, "team"))), None),
        _field("probability", v.parse_level, probability[0]) if probability else None,
        _field("impact", v.parse_level, impact[0]) if impact else None,
        (issue_type.get("name") or "").lower() == report_type.lower(),
        ", ".join(_option_values(fields_by_name.get(f, "reported_status"))) or None,
    )
    links = [(issue_id, key, (link.get("type") or {}).get("name"), direction, other.get("key"))
             for link in f.get("issuelinks") or []
             for direction in ("outward", "inward")
             if (other := link.get(f"{direction}Issue"))]
    versions = [(issue_id, key, project_key, str(ver.get("id")), ver.get("name"), day(None, ver.get("releaseDate")),
                 bool(ver.get("released")))
                for ver in f.get("fixVersions") or []]
    changes = [(issue_id, key, time(None, history.get("created")), item.get("fromString"), item.get("toString"))
               for history in (issue.get("changelog") or {}).get("histories") or []
               for item in history.get("items") or []
               if item.get("fieldId") == "status" or item.get("field") == "status"]
    return row, links, versions, changes


def issue_rows(issue: Mapping[str, Any], fields_by_name: FieldIds, risk_type: str,
               report_type: str = "Status report") -> dict[str, list[dict]]:
    """One issue -> rows for the issues, links, versions and changelog tables."""
    row, links, versions, changes = issue_values(issue, fields_by_name, risk_type, report_type)
    issue_row = dict(zip(ISSUES.names, row, strict=True))
    check_ranges(issue_row)
    return {"issues": [issue_row], "links": [dict(zip(LINKS.names, r, strict=True)) for r in links],
            "versions": [dict(zip(VERSIONS.names, r, strict=True)) for r in versions],
            "changelog": [dict(zip(CHANGELOG.names, r, strict=True)) for r in changes]}


def checked_issue_rows(issue: Mapping[str, Any], fields_by_name: FieldIds, risk_type: str,
                       report_type: str = "Status report") -> dict[str, list[dict]]:
    """``issue_rows`` of an issue from an API answer, whose JSON types Jira does not promise: a value
    its column cannot hold raises an IssueError naming it (``check_types``). A CSV export's texts
    need no such check."""
    rows = issue_rows(issue, fields_by_name, risk_type, report_type)
    for name, table_rows in rows.items():
        check_types(RAW_SCHEMAS[name], [tuple(row.values()) for row in table_rows])
    return rows


#: How a column's type is named when a value is not of it.
_KIND_WORDS = {TEXT: "text", pa.list_(TEXT): "a list of texts", pa.bool_(): "true or false", pa.float64(): "a number",
               pa.int64(): "a whole number"}


def check_types(schema: pa.Schema, rows: list[tuple[Any, ...]]) -> None:
    """An IssueError naming the first value (rows in ``schema`` order) its column cannot hold: a
    number where Jira sends text, say. Times and dates are parsed, and checked, apart."""
    for index, field in enumerate(schema):
        if field.type in (TS, DATE):
            continue
        _, bad = to_column(field.type, [row[index] for row in rows])
        if bad:
            value = rows[bad[0]][index]
            raise IssueError(f"{field.name.replace('_', ' ')} {value!r} is not "
                             f"{_KIND_WORDS.get(field.type, str(field.type))}")


def to_column(kind: pa.DataType, values: list[Any]) -> tuple[pa.Array, list[int]]:
    """``values`` as an Arrow column of ``kind``, and the positions it cannot hold (null there); one
    conversion when all fit."""
    try:
        return pa.array(values, kind), []
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        bad = [position for position, value in enumerate(values) if not _fits(kind, value)]
        unfit = set(bad)
        return pa.array([None if position in unfit else value for position, value in enumerate(values)], kind), bad


def _fits(kind: pa.DataType, value: Any) -> bool:
    try:
        pa.array([value], kind)
        return True
    except (pa.ArrowTypeError, pa.ArrowInvalid):
        return False
