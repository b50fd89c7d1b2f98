"""Azure DevOps work items (``workitemsbatch`` JSON) into the azure_devops raw tables.

Raw tables keep Azure DevOps' own words (types, states, state categories, reference names'
values); the staging SQL maps them. Field values arrive by reference name: identities as objects
(``{"displayName", "uniqueName", "id"}``; the unique name is the e-mail on Cloud, ``DOMAIN\\user``
on Server) or, from older servers, as ``"Name <e-mail>"`` text; dates as ISO times in UTC.
"""

from __future__ import annotations

import datetime as dt
import math
import re
from collections.abc import Mapping
from typing import Any
from urllib.parse import quote

import pyarrow as pa

from connectors import values as v
from connectors.timestamps import RecordError, parse_utc_time

TEXT, DATE, TS, NUM, FLAG, INT = pa.string(), pa.date32(), pa.timestamp("us"), pa.float64(), pa.bool_(), pa.int64()

WORK_ITEMS = pa.schema([
    ("work_item_id", TEXT), ("rev", INT), ("project_name", TEXT), ("work_item_type", TEXT), ("title", TEXT),
    ("state", TEXT), ("reason", TEXT), ("area_path", TEXT), ("iteration_path", TEXT),
    ("assignee_key", TEXT), ("assignee_name", TEXT), ("assignee_email", TEXT),
    ("created_at", TS), ("changed_at", TS), ("activated_at", TS), ("closed_at", TS),
    ("start_date", DATE), ("target_date", DATE), ("finish_date", DATE), ("due_date", DATE),
    ("original_estimate", NUM), ("remaining_work", NUM), ("completed_work", NUM),
    ("story_points", NUM), ("effort", NUM), ("size", NUM), ("priority", NUM), ("is_blocked", FLAG),
    ("probability", NUM), ("severity", TEXT), ("is_risk", FLAG),
    ("tags", pa.list_(TEXT)), ("systems", pa.list_(TEXT)), ("objectives", pa.list_(TEXT)),
    ("parent_id", TEXT), ("web_url", TEXT),
])
LINKS = pa.schema([("work_item_id", TEXT), ("rel", TEXT), ("target_id", TEXT), ("url", TEXT), ("comment", TEXT)])
CHANGELOG = pa.schema([("work_item_id", TEXT), ("rev", INT), ("changed_at", TS), ("from_state", TEXT),
                       ("to_state", TEXT)])
PROJECTS = pa.schema([("project_id", TEXT), ("project_name", TEXT), ("description", TEXT), ("web_url", TEXT)])
ITERATIONS = pa.schema([("project_name", TEXT), ("iteration_path", TEXT), ("name", TEXT), ("start_date", DATE),
                        ("finish_date", DATE)])
STATES = pa.schema([("project_name", TEXT), ("work_item_type", TEXT), ("state", TEXT), ("category", TEXT)])

RAW_SCHEMAS = {"work_items": WORK_ITEMS, "links": LINKS, "changelog": CHANGELOG, "projects": PROJECTS,
               "iterations": ITERATIONS, "states": STATES}

SCHEDULING = "Microsoft.VSTS.Scheduling."
#: Every field the batch read asks for (an explicit list; the configured fields are added to it).
STANDARD_FIELDS = (
    "System.Id", "System.Rev", "System.TeamProject", "System.WorkItemType", "System.Title", "System.State",
    "System.Reason", "System.AreaPath", "System.IterationPath", "System.AssignedTo", "System.CreatedDate",
    "System.ChangedDate", "System.Tags", "System.Parent", "System.RelatedLinkCount", "System.HyperLinkCount",
    "Microsoft.VSTS.Common.ActivatedDate", "Microsoft.VSTS.Common.ClosedDate", "Microsoft.VSTS.Common.Priority",
    "Microsoft.VSTS.Common.Severity", "Microsoft.VSTS.CMMI.Blocked", "Microsoft.VSTS.CMMI.Probability",
    *(SCHEDULING + name for name in ("StartDate", "TargetDate", "FinishDate", "DueDate", "OriginalEstimate",
                                     "RemainingWork", "CompletedWork", "StoryPoints", "Effort", "Size")),
)
#: Believable values; anything else is a slip, quarantined rather than skewing every rollup above it.
LIMITS = {"original_estimate": ("original estimate (hours)", v.HOURS),
          "remaining_work": ("remaining work (hours)", v.HOURS), "completed_work": ("completed work (hours)", v.HOURS),
          "story_points": ("story points", v.STORY_POINTS), "effort": ("effort", v.STORY_POINTS),
          "size": ("size", v.STORY_POINTS)}
DEPENDENCY = ("System.LinkTypes.Dependency-Forward", "System.LinkTypes.Dependency-Reverse")
_NAME_AND_EMAIL = re.compile(r"^\s*(.*?)\s*<([^<>@\s]+@[^<>\s]+)>\s*$")

ItemError = RecordError  # one work item cannot be read; the message names the field and the value


def request_fields(configured: Mapping[str, str]) -> list[str]:
    return [*STANDARD_FIELDS, *sorted(set(configured.values()) - set(STANDARD_FIELDS))]


def link_counts(item: Mapping[str, Any]) -> tuple[int, int]:
    """(work item links besides the parent link, hyperlinks) the item's counters report. Links to
    children are among the first; the caller subtracts the children it read, and re-reads with
    relations (``$expand`` cannot go with an explicit field list) only items with links left."""
    fields = item.get("fields") or {}
    related = _count(fields.get("System.RelatedLinkCount")) - (1 if fields.get("System.Parent") else 0)
    return max(0, related), _count(fields.get("System.HyperLinkCount"))


def _count(value: Any) -> int:
    return value if isinstance(value, int) and not isinstance(value, bool) else 0


def work_item_row(item: Mapping[str, Any], web_base: str, configured: Mapping[str, str],
                  risk_type: str = "Risk") -> dict[str, Any]:
    """One ``workitemsbatch`` work item -> a row of ``work_items``; ItemError names what cannot be read."""
    if item.get("id") in (None, ""):
        raise ItemError("the work item has no id")
    f = item.get("fields") or {}
    item_id = str(item["id"])
    project = f.get("System.TeamProject")
    key, name, email = identity(f.get("System.AssignedTo"))
    row = {
        "work_item_id": item_id, "rev": _whole(item.get("rev") or f.get("System.Rev")),
        "project_name": project, "work_item_type": f.get("System.WorkItemType"), "title": f.get("System.Title"),
        "state": f.get("System.State"), "reason": f.get("System.Reason"),
        "area_path": f.get("System.AreaPath"), "iteration_path": f.get("System.IterationPath"),
        "assignee_key": key, "assignee_name": name, "assignee_email": email,
        "created_at": _read("created date", parse_utc_time, f.get("System.CreatedDate")),
        "changed_at": _read("changed date", parse_utc_time, f.get("System.ChangedDate")),
        "activated_at": _read("activated date", parse_utc_time, f.get("Microsoft.VSTS.Common.ActivatedDate")),
        "closed_at": _read("closed date", parse_utc_time, f.get("Microsoft.VSTS.Common.ClosedDate")),
        **{column: _read(label, _date, f.get(SCHEDULING + ref)) for column, label, ref in (
            ("start_date", "start date", "StartDate"), ("target_date", "target date", "TargetDate"),
            ("finish_date", "finish date", "FinishDate"), ("due_date", "due date", "DueDate"))},
        **{column: _read(LIMITS[column][0], _number, f.get(SCHEDULING + ref)) for column, ref in (
            ("original_estimate", "OriginalEstimate"), ("remaining_work", "RemainingWork"),
            ("completed_work", "CompletedWork"), ("effort", "Effort"), ("size", "Size"))},
        "story_points": _read("story points", _number, f.get(configured.get("story_points")
                                                              or SCHEDULING + "StoryPoints")),
        "priority": _read("priority", _number, f.get("Microsoft.VSTS.Common.Priority")),
        "is_blocked": str(f.get("Microsoft.VSTS.CMMI.Blocked") or "").strip().lower() == "yes",
        "probability": _read("probability", _number, f.get("Microsoft.VSTS.CMMI.Probability")),
        "severity": f.get("Microsoft.VSTS.Common.Severity"),
        "is_risk": str(f.get("System.WorkItemType") or "").lower() == risk_type.lower(),
        "tags": split_tags(f.get("System.Tags")),
        "systems": _values(f.get(configured["systems"])) if "systems" in configured else [],
        "objectives": _values(f.get(configured["objectives"])) if "objectives" in configured else [],
        "parent_id": str(f["System.Parent"]) if f.get("System.Parent") not in (None, "") else None,
        "web_url": f"{web_base}/{_path_part(project)}/_workitems/edit/{item_id}" if project else None,
    }
    for column, (label, bounds) in LIMITS.items():
        try:
            v.in_range(row[column], bounds)
        except v.CellError as exc:
            raise ItemError(f"{label} {exc}") from None
    return row


def relation_rows(item: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Dependency links and hyperlinks of one work item read with ``$expand: relations``: a dependency
    keeps the other end's id (the last part of its URL), a hyperlink its URL and comment. Hierarchy
    comes from ``System.Parent`` instead (a child's deletion does not revise its parent)."""
    rows = []
    for relation in item.get("relations") or []:
        rel, url = relation.get("rel"), str(relation.get("url") or "")
        if rel in DEPENDENCY or (rel == "Hyperlink" and url):
            rows.append({"work_item_id": str(item["id"]), "rel": rel,
                         "target_id": url.rstrip("/").rsplit("/", 1)[-1] if rel in DEPENDENCY else None,
                         "url": url, "comment": (relation.get("attributes") or {}).get("comment")})
    return rows


def identity(value: Any) -> tuple[str | None, str | None, str | None]:
    """(key, name, e-mail) of an identity field: the unique name (lower case) is the key, and the e-mail
    when it has an @ (Cloud); Server's ``DOMAIN\\user`` stays a key with no e-mail."""
    if isinstance(value, Mapping):
        unique = str(value.get("uniqueName") or "").strip() or None
        name = value.get("displayName") or unique
    elif isinstance(value, str) and value.strip():
        match = _NAME_AND_EMAIL.match(value)
        unique, name = (match.group(2), match.group(1) or match.group(2)) if match else (None, value.strip())
    else:
        return None, None, None
    key = (unique or name or "").lower() or None
    return key, name, unique.lower() if unique and "@" in unique else None


def split_tags(value: Any) -> list[str]:
    """``"Payroll; General Ledger; "`` -> the tags, trimmed, empty ones dropped."""
    return [t.strip() for t in str(value or "").split(";") if t.strip()]


def _values(value: Any) -> list[str]:
    """A configured field's values: a picklist word, or several separated by ; (as tags are)."""
    if value is None:
        return []
    return split_tags(value) if isinstance(value, str) else [str(value)]


def _whole(value: Any) -> int | None:
    return value if isinstance(value, int) and not isinstance(value, bool) else None


def _number(value: Any) -> float | None:
    if isinstance(value, float) and not math.isfinite(value):
        raise ValueError(f"{value} is not a finite number")
    return v.parse_number(value)


def _date(value: Any) -> dt.date | None:
    moment = parse_utc_time(value)
    return moment.date() if moment else None


def _read(label: str, parse: Any, value: Any) -> Any:
    try:
        return parse(value)
    except ValueError as exc:
        text = str(exc)
        quoted = re.match(r"^'(.*)'( .*)$", text)
        raise ItemError(f'{label} "{quoted.group(1)}"{quoted.group(2)}' if quoted else f"{label} {text}") from None


def _path_part(name: str) -> str:
    return quote(name, safe="")


def iteration_rows(project: str, node: Mapping[str, Any]) -> list[dict[str, Any]]:
    """The iteration tree (classification nodes) flattened, with paths as work items write them:
    ``\\Payroll\\Iteration\\Sprint 1`` -> ``Payroll\\Sprint 1``."""
    rows, stack = [], [node]
    while stack:
        current = stack.pop()
        stack.extend(current.get("children") or [])
        attributes = current.get("attributes") or {}
        parts = [p for p in str(current.get("path") or "").split("\\") if p]
        if len(parts) >= 2 and parts[1].lower() == "iteration":
            parts.pop(1)
        if len(parts) < 2:
            continue  # the root: the project itself, no sprint
        rows.append({"project_name": project, "iteration_path": "\\".join(parts), "name": current.get("name"),
                     "start_date": _date_or_none(attributes.get("startDate")),
                     "finish_date": _date_or_none(attributes.get("finishDate"))})
    return sorted(rows, key=lambda r: r["iteration_path"])


def _date_or_none(value: Any) -> dt.date | None:
    try:
        return _date(value)
    except ValueError:  # a sprint with an unreadable date is a sprint without dates, not a failed source
        return None
