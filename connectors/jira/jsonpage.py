"""A search page read by Arrow's JSON reader straight from the response bytes (no Python object per
issue), mapped into the Jira raw tables in columns: Cloud's, and Data Center's with the status
histories its ``expand=changelog`` carries.

While paging, ``read_head`` (Cloud) or ``read_datacenter_head`` reads only an answer's paging
fields and issue count (Arrow, GIL released) and keeps its bytes (``RawPage``). ``map_pages`` then
reads up to ``BATCH_PAGES`` answers in one call against a schema of exactly the fields the mapping
reads (``search_schema``; every other field is ignored by the reader) and maps their issues
together. A value of another JSON type than the schema's (a custom field that is a string here and
a number there) makes the reader refuse, and ``arrow_tables`` refuses (None) at the first value it
does not read exactly as ``issue_values`` does: a time or date of another spelling, a number out of
range, a missing key, an ADF document, a null inside a list. Refused pages are tried alone, and a
page refused alone goes, whole, to the row path (``page_tables`` on the decoded dicts), so values,
quarantine rows and error texts are the row path's own. ``TAKEN`` counts which path each page took.
"""

from __future__ import annotations

import io
from collections import Counter
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from itertools import accumulate
from typing import Any

import pyarrow as pa
import pyarrow.compute as pc
import pyarrow.json as pj
import requests

from connectors import values as v
from connectors.jira.client import JiraClient
from connectors.jira.mapping import DATE, ISSUES, LIMITS, RAW_SCHEMAS, STANDARD_FIELDS, TEXT, TS, FieldIds
from connectors.jira.page import _DAY, _TIME, UNREADABLE, PageTables, _utc, changelog_table, page_tables

NUM, FLAG = pa.float64(), pa.bool_()
#: How a custom field's value is named (``mapping._VALUE_NAMES``), and ``type``, present on ADF documents.
OPTION = pa.struct([(name, TEXT) for name in ("value", "name", "displayName", "title", "type")])
_PICKED = ("value", "name", "displayName", "title")
SPRINTS = pa.list_(pa.struct([("name", TEXT), ("startDate", TEXT), ("endDate", TEXT)]))
#: The one JSON shape each custom field is read in here; any other shape sends the page to the row path.
CUSTOM_SHAPES = {"story_points": NUM, "start_date": TEXT, "sprint": SPRINTS, "flagged": pa.list_(OPTION),
                 "epic_link": TEXT, "objectives": pa.list_(OPTION), "team": OPTION, "probability": OPTION,
                 "impact": OPTION, "reported_status": OPTION}
_NAMED = pa.struct([("name", TEXT)])
_KEYED = pa.struct([("key", TEXT)])
STANDARD_SHAPES = {
    "summary": TEXT, "status": pa.struct([("name", TEXT), ("statusCategory", _KEYED)]),
    "issuetype": pa.struct([("name", TEXT), ("subtask", FLAG)]),
    "parent": pa.struct([("key", TEXT), ("id", TEXT)]), "project": _KEYED,
    "assignee": pa.struct([(name, TEXT) for name in ("accountId", "name", "key", "displayName", "emailAddress")]),
    "duedate": TEXT, "created": TEXT, "updated": TEXT, "resolutiondate": TEXT,
    "timeoriginalestimate": NUM, "timespent": NUM, "timeestimate": NUM,
    "issuelinks": pa.list_(pa.struct([("type", _NAMED), ("outwardIssue", _KEYED), ("inwardIssue", _KEYED)])),
    "components": pa.list_(_NAMED), "labels": pa.list_(TEXT),
    "fixVersions": pa.list_(pa.struct([("id", TEXT), ("name", TEXT), ("releaseDate", TEXT), ("released", FLAG)])),
    "priority": _NAMED,
}
# A field added to the search's request list must be given its shape here, or it would read as null.
assert set(STANDARD_SHAPES) == set(STANDARD_FIELDS)
#: Search pages mapped together (a compute call costs about the same for 50 issues as for 2,500:
#: mapping took 1.0 ms a page 20 together, 0.7-0.85 ms 50 together), and how many pages the search
#: reads ahead meanwhile, so the server is not idle while a group is mapped.
BATCH_PAGES = 50
RAW_AHEAD = BATCH_PAGES
_ITEM = pa.struct([(name, TEXT) for name in ("field", "fieldId", "fromString", "toString")])
_HISTORY = pa.struct([("created", TEXT), ("items", pa.list_(_ITEM))])
#: An issue's expanded history (what Data Center's search gives with ``expand=changelog``).
_EXPANDED = pa.struct([("histories", pa.list_(_HISTORY))])
_HEAD = pa.schema([("issues", pa.list_(pa.struct([]))), ("nextPageToken", TEXT), ("isLast", FLAG)])
_DC_HEAD = pa.schema([("issues", pa.list_(pa.struct([("key", TEXT)]))), ("total", pa.int64())])
_ANY_TIME, _ANY_DAY = f"^(?:{_TIME})$", f"^(?:{_DAY})$"
#: Which path each page took: "arrow", or "rows" (the reader or the mapping refused it).
TAKEN: Counter[str] = Counter()


class Refused(Exception):
    """A value the Arrow path does not read exactly as the row path: the page goes to the row path."""


@dataclass
class RawPage:
    """One search answer kept as bytes: its issue count, and ``decode`` giving its issues as dicts
    (the client's own decoding of the same bytes, with its errors) for the row path."""

    content: bytes
    count: int
    decode: Callable[[], list[dict]]

    def __len__(self) -> int:
        return self.count


def search_schema(fields: FieldIds) -> pa.Schema | None:
    """The schema of a search answer holding what ``issue_values`` reads with these field ids; None
    when a custom field id is also a standard field or two names read one id in different shapes."""
    shapes: dict[str, pa.DataType] = dict(STANDARD_SHAPES)
    for name, field_id in fields.ids.items():
        shape = CUSTOM_SHAPES.get(name)
        if shape is None or not field_id:
            continue
        if field_id in STANDARD_SHAPES or shapes.setdefault(field_id, shape) != shape:
            return None
    issue = pa.struct([("id", TEXT), ("key", TEXT), ("fields", pa.struct(list(shapes.items()))), ("changelog", _EXPANDED)])
    return pa.schema([("issues", pa.list_(issue)), ("nextPageToken", TEXT), ("isLast", FLAG)])


def read_head(client: JiraClient, path: str, response: requests.Response
              ) -> tuple[RawPage, str | None, bool | None] | None:
    """A search answer's page (undecoded), ``nextPageToken`` and ``isLast``, read by Arrow (which
    releases the GIL and makes no Python object per issue); None when the reader refuses it."""
    table = _read(response.content, _HEAD)
    if table is None:
        return None
    page = _raw_page(client, "POST", path, response, table)
    return page, table.column("nextPageToken")[0].as_py(), table.column("isLast")[0].as_py()


def read_datacenter_head(client: JiraClient, path: str, response: requests.Response
                         ) -> tuple[RawPage, int, str | None] | None:
    """A Data Center search answer's page (undecoded), its ``total`` and the last non-empty issue key
    on it (where a full result window restarts), read by Arrow; None when the reader refuses it."""
    table = _read(response.content, _DC_HEAD)
    if table is None:
        return None
    keys = pc.struct_field(pc.list_flatten(table.column("issues").combine_chunks()), "key")
    keys = pc.filter(keys, _truthy(keys)).to_pylist()
    page = _raw_page(client, "GET", path, response, table)
    return page, table.column("total")[0].as_py() or 0, keys[-1] if keys else None


def _raw_page(client: JiraClient, method: str, path: str, response: requests.Response, head: pa.Table) -> RawPage:
    """The answer's bytes, its issue count (from ``head``, the answer read by Arrow) and the client's
    decoding of it, for the row path."""
    count = pc.list_value_length(head.column("issues")).to_pylist()[0] or 0
    return RawPage(response.content, count, decoded_issues(lambda: client.decode(method, path, response)))


def _read(raw: bytes, schema: pa.Schema, rows: int = 1) -> pa.Table | None:
    """``rows`` compact JSON objects, one a line, read against ``schema``; None when the reader refuses them."""
    if not raw or raw.lstrip()[:1] != b"{" or raw.count(b"\n") != rows - 1 or b"\r" in raw:
        return None  # not one object a line (and Arrow's reader crashes on a top-level null)
    options = pj.ReadOptions(block_size=len(raw) + 1, use_threads=False)
    try:
        table = pj.read_json(io.BytesIO(raw), read_options=options, parse_options=pj.ParseOptions(
            explicit_schema=schema, unexpected_field_behavior="ignore"))
    except (pa.ArrowInvalid, UnicodeDecodeError):
        return None
    return table if table.num_rows == rows else None


def batched(pages: Iterable[RawPage | list[dict]], size: int = BATCH_PAGES) -> Iterator[list[RawPage] | list[dict]]:
    """Consecutive raw pages in groups of up to ``size`` (mapped together); a decoded page alone."""
    group: list[RawPage] = []
    for page in pages:
        if isinstance(page, RawPage):
            group.append(page)
            if len(group) < size:
                continue
        if group:
            yield group
            group = []
        if not isinstance(page, RawPage):
            yield page
    if group:
        yield group


def map_pages(pages: list[RawPage] | list[dict], fields: FieldIds, risk_type: str,
              report_type: str) -> list[PageTables]:
    """Raw pages mapped together in the Arrow path: one ``PageTables`` for them all when no issue is
    on two of them (the spool, which prefers an issue's later read, then has nothing to choose), else
    one a page. When a value is not read exactly there, each page alone, and a page refused alone in
    the row path. A decoded page (a list of issues) goes to the row path."""
    if not pages or not isinstance(pages[0], RawPage):
        TAKEN["rows"] += 1
        return [page_tables(pages, fields, risk_type, report_type)]  # type: ignore[arg-type]
    schema = search_schema(fields)
    together = _arrow_pages(pages, schema, fields, risk_type, report_type) if schema is not None else None
    if together is not None:
        TAKEN["arrow"] += len(pages)
        return together
    if len(pages) > 1:
        return [page for raw in pages for page in map_pages([raw], fields, risk_type, report_type)]
    TAKEN["rows"] += 1
    return [page_tables(pages[0].decode(), fields, risk_type, report_type)]


def _arrow_pages(pages: list[RawPage], schema: pa.Schema, fields: FieldIds, risk_type: str,
                 report_type: str) -> list[PageTables] | None:
    table = _read(b"\n".join(page.content for page in pages), schema, len(pages))
    if table is None:
        return None
    lists = table.column("issues").combine_chunks()
    if pc.fill_null(pc.list_value_length(lists), 0).to_pylist() != [page.count for page in pages]:
        return None
    mapped = arrow_tables(lists.flatten(), fields, risk_type, report_type)
    if mapped is None:
        return None
    tables, issue_of = mapped
    ids = tables["issues"].column("issue_id")
    if pc.count_distinct(ids).as_py() == len(ids):  # no issue twice: no later read to prefer, one spool page
        return [PageTables(tables)]
    ends = list(accumulate(page.count for page in pages))
    cuts = {name: [0] + [pc.sum(pc.less(issue_of[name], end)).as_py() or 0 for end in ends]
            for name in issue_of}
    cuts["issues"] = [0, *ends]
    return [PageTables({name: table.slice(cuts[name][k], cuts[name][k + 1] - cuts[name][k])
                        for name, table in tables.items()}) for k in range(len(pages))]


def arrow_tables(issues: pa.StructArray, fields: FieldIds, risk_type: str, report_type: str
                 ) -> tuple[dict[str, pa.Table], dict[str, pa.Array]] | None:
    """The raw tables of issues read by Arrow, with the issue (position) of each links, versions and
    changelog row; None when a value is not read exactly as the row path reads it."""
    try:
        return _Page(issues, fields).tables(risk_type, report_type)
    except (Refused, pa.ArrowInvalid):
        return None


class _Page:
    def __init__(self, issues: pa.StructArray, fields: FieldIds) -> None:
        _require(issues.null_count == 0)
        self.issues, self.ids = issues, fields.ids
        self.issue_id = pc.struct_field(issues, "id")
        self.key = pc.struct_field(issues, "key")
        _require(_all(pc.and_(_truthy(self.key), _truthy(self.issue_id))))
        self.project_key = self.get("project", "key")
        _require(_all(_truthy(self.project_key)))  # else derived from the key: left to the row path

    def get(self, *path: str) -> pa.Array:
        return pc.struct_field(self.issues, ["fields", *path])

    def custom(self, name: str, *path: str) -> pa.Array | None:
        field_id = self.ids.get(name)
        return self.get(field_id, *path) if field_id else None

    def tables(self, risk_type: str, report_type: str) -> tuple[dict[str, pa.Table], dict[str, pa.Array]]:
        links, link_issues = self.links()
        versions, version_issues = self.versions()
        changelog, change_issues = self.changelog()
        return ({"issues": self.issues_table(risk_type, report_type), "links": links, "versions": versions,
                 "changelog": changelog}, {"links": link_issues, "versions": version_issues,
                                           "changelog": change_issues})

    def changelog(self) -> tuple[pa.Table, pa.Array]:
        """The status changes of each issue's expanded history (Data Center's search), with the issue's key."""
        issue_of, changed_at, from_status, to_status = _status_items(
            pc.struct_field(self.issues, ["changelog", "histories"]))
        return pa.Table.from_arrays([pc.take(self.issue_id, issue_of), pc.take(self.key, issue_of), changed_at,
                                     from_status, to_status], schema=RAW_SCHEMAS["changelog"]), issue_of

    def issues_table(self, risk_type: str, report_type: str) -> pa.Table:
        size = len(self.issues)
        type_name = self.get("issuetype", "name")
        parent_key = self.get("parent", "key")
        account = self.get("assignee", "accountId")
        login = self.get("assignee", "name")
        sprint = _last(self.custom("sprint"), size)
        columns = {
            "issue_id": self.issue_id, "issue_key": self.key, "project_key": self.project_key,
            "summary": self.get("summary"), "issue_type": type_name,
            "is_subtask": pc.fill_null(self.get("issuetype", "subtask"), False),
            "is_risk": _named(type_name, risk_type), "status_name": self.get("status", "name"),
            "status_category": self.get("status", "statusCategory", "key"),
            "parent_key": _or(parent_key, _text_or_null(self.custom("epic_link"), size)),
            "parent_id": self.get("parent", "id"),
            "assignee_key": _or(account, _or(login, self.get("assignee", "key"))),
            "assignee_name": self.get("assignee", "displayName"),
            "assignee_email": self.get("assignee", "emailAddress"),
            "created_at": _times(self.get("created")), "updated_at": _times(self.get("updated")),
            "resolved_at": _times(self.get("resolutiondate")), "due_date": _days(self.get("duedate")),
            "start_date": _days(_text_or_null(self.custom("start_date"), size)),
            "sprint_name": _text_or_null(None if sprint is None else pc.struct_field(sprint, "name"), size),
            "sprint_start": _days(_sprint_day(sprint, "startDate", size)),
            "sprint_end": _days(_sprint_day(sprint, "endDate", size)),
            "original_estimate_hours": _hours(self.get("timeoriginalestimate")),
            "time_spent_hours": _hours(self.get("timespent")), "remaining_hours": _hours(self.get("timeestimate")),
            "story_points": _points(self.custom("story_points"), size),
            "is_flagged": _any_word(self.custom("flagged"), size), "priority": self.get("priority", "name"),
            "components": _component_names(self.get("components")), "labels": _labels(self.get("labels")),
            "objectives": _word_lists(self.custom("objectives"), size),
            "team": _word(self.custom("team"), size),
            "probability": _level(self.custom("probability"), size), "impact": _level(self.custom("impact"), size),
            "is_status_report": _named(type_name, report_type),
            "reported_status": _word(self.custom("reported_status"), size),
        }
        return pa.Table.from_arrays([_as(columns[name], ISSUES.field(name).type) for name in ISSUES.names],
                                    schema=ISSUES)

    def links(self) -> tuple[pa.Table, pa.Array]:
        links = self.get("issuelinks")
        flat, parents = pc.list_flatten(links), pc.list_parent_indices(links)
        _require(flat.null_count == 0)
        type_name = pc.struct_field(flat, ["type", "name"])
        rows = []  # (link position, direction, other key), outward before inward as the row path writes them
        for direction in ("outward", "inward"):
            other = pc.struct_field(flat, f"{direction}Issue")
            other_key = pc.struct_field(flat, [f"{direction}Issue", "key"])
            _require(_all(pc.or_(pc.is_null(other), pc.is_valid(other_key))))  # {} and {"id"} read alike here
            rows.append((pc.is_valid(other), other_key))
        count = len(flat)
        order = pa.array([i // 2 + (i % 2) * count for i in range(2 * count)], pa.int64())  # interleave
        present = pc.take(pa.concat_arrays([rows[0][0], rows[1][0]]), order)
        chosen = pc.filter(order, present)
        link_of = pc.take(pa.concat_arrays([pa.array(range(count), pa.int64())] * 2), chosen)
        issue_of = pc.take(parents, link_of)
        directions = pa.array(["outward"] * count + ["inward"] * count, TEXT)
        return pa.Table.from_arrays([
            pc.take(self.issue_id, issue_of), pc.take(self.key, issue_of), pc.take(type_name, link_of),
            pc.take(directions, chosen), pc.take(pa.concat_arrays([rows[0][1], rows[1][1]]), chosen),
        ], schema=RAW_SCHEMAS["links"]), issue_of

    def versions(self) -> tuple[pa.Table, pa.Array]:
        versions = self.get("fixVersions")
        flat, parents = pc.list_flatten(versions), pc.list_parent_indices(versions)
        _require(flat.null_count == 0)
        version_id = pc.struct_field(flat, "id")
        _require(version_id.null_count == 0)  # str(None) would be the row path's "None"
        return pa.Table.from_arrays([
            pc.take(self.issue_id, parents), pc.take(self.key, parents), pc.take(self.project_key, parents),
            version_id, pc.struct_field(flat, "name"), _days(pc.struct_field(flat, "releaseDate")),
            pc.fill_null(pc.struct_field(flat, "released"), False),
        ], schema=RAW_SCHEMAS["versions"]), parents


def _require(condition: bool) -> None:
    if not condition:
        raise Refused


def _all(mask: pa.Array) -> bool:
    """Every non-null value true (nulls skipped)."""
    return len(mask) == 0 or pc.all(mask, skip_nulls=True).as_py() is not False


def _truthy(texts: pa.Array) -> pa.Array:
    """As Python's truth of each text: present and not empty (False for null)."""
    return pc.fill_null(pc.not_equal(texts, ""), False)


def _or(first: pa.Array, second: pa.Array) -> pa.Array:
    """Python's ``first or second`` on texts."""
    return pc.if_else(_truthy(first), first, second)


def _as(array: pa.Array, kind: pa.DataType) -> pa.Array:
    return array if array.type == kind else array.cast(kind)


def _text_or_null(array: pa.Array | None, size: int) -> pa.Array:
    return pa.nulls(size, TEXT) if array is None else array


def _named(names: pa.Array, wanted: str) -> pa.Array:
    """``(name or "").lower() == wanted.lower()``, Python's own ``lower`` on each distinct name."""
    names = pc.fill_null(names, "")
    matching = [name for name in pc.unique(names).to_pylist() if name.lower() == wanted.lower()]
    return pc.is_in(names, value_set=pa.array(matching, TEXT))


def _times(texts: pa.Array) -> pa.Array:
    """Jira-spelled times (``page._TIME``) as naive UTC; any other spelling refuses the page."""
    _require(_all(pc.match_substring_regex(texts, _ANY_TIME)))
    return _utc(texts) if texts.null_count < len(texts) else pa.nulls(len(texts), TS)


def _days(texts: pa.Array) -> pa.Array:
    """Plain dates, and Jira-spelled times as their UTC day; any other spelling refuses the page."""
    is_day = pc.match_substring_regex(texts, _ANY_DAY)
    is_time = pc.match_substring_regex(texts, _ANY_TIME)
    _require(_all(pc.or_(is_day, is_time)))
    if texts.null_count == len(texts):
        return pa.nulls(len(texts), DATE)
    days = pc.cast(pc.if_else(is_day, texts, pa.scalar(None, TEXT)), DATE)
    if not pc.any(is_time).as_py():
        return days
    return pc.coalesce(days, pc.cast(_utc(pc.if_else(is_time, texts, pa.scalar(None, TEXT))), DATE))


def _checked(numbers: pa.Array, bounds: tuple[float, float]) -> pa.Array:
    """``numbers`` when each is empty or finite within ``bounds`` (``within_bounds``); else the page is refused."""
    inside = pc.and_(pc.is_finite(numbers), pc.and_(pc.greater_equal(numbers, bounds[0]),
                                                    pc.less_equal(numbers, bounds[1])))
    _require(_all(inside))
    return numbers


def _hours(seconds: pa.Array) -> pa.Array:
    return _checked(pc.divide(seconds, 3600.0), LIMITS["original_estimate_hours"])


def _points(points: pa.Array | None, size: int) -> pa.Array:
    return pa.nulls(size, NUM) if points is None else _checked(points, LIMITS["story_points"])


def _last(sprints: pa.Array | None, size: int) -> pa.Array | None:
    """The last sprint of each list (``latest_sprint``); None when no issue has one."""
    if sprints is None:
        return None
    flat = pc.list_flatten(sprints)
    _require(flat.null_count == 0)  # the row path skips those; not worth copying here
    if len(flat) == 0:
        return None
    ends = pc.cumulative_sum(pc.fill_null(pc.list_value_length(sprints), 0))
    has = pc.fill_null(pc.greater(pc.list_value_length(sprints), 0), False)
    return pc.take(flat, pc.if_else(has, pc.subtract(ends, 1), pa.scalar(None, pa.int64())))


def _sprint_day(sprint: pa.Array | None, name: str, size: int) -> pa.Array:
    """A sprint's raw day, null when unset ('' or Data Center's '<null>'), as ``sprint_day``."""
    if sprint is None:
        return pa.nulls(size, TEXT)
    raw = pc.struct_field(sprint, name)
    return pc.if_else(pc.is_in(raw, value_set=pa.array(["", "<null>"])), pa.scalar(None, TEXT), raw)


def _picked(options: pa.Array) -> pa.Array:
    """The word of each option object (``mapping._word``): the first of value/name/displayName/title
    neither null nor empty, stripped by Python on each distinct text; null when none or blank.
    An object with a ``type`` (an ADF document, or a shape not known here) refuses the page."""
    _require(pc.struct_field(options, "type").null_count == len(options))
    picked = pa.nulls(len(options), TEXT)
    for name in reversed(_PICKED):
        text = pc.struct_field(options, name)
        picked = pc.if_else(_truthy(text), text, picked)
    distinct = pc.unique(picked)
    words = pa.array([None if text is None else (text.strip() or None) for text in distinct.to_pylist()], TEXT)
    return pc.take(words, pc.index_in(picked, value_set=distinct))


def _word(options: pa.Array | None, size: int) -> pa.Array:
    """A single-option field's word (team, reported_status), null for none."""
    return pa.nulls(size, TEXT) if options is None else _picked(options)


def _level(options: pa.Array | None, size: int) -> pa.Array:
    """``parse_level`` of the word, on each distinct word; a word it refuses refuses the page."""
    words = _word(options, size)
    distinct = pc.unique(words)
    try:
        levels = pa.array([None if word is None else v.parse_level(word) for word in distinct.to_pylist()], NUM)
    except UNREADABLE:
        raise Refused from None
    return pc.take(levels, pc.index_in(words, value_set=distinct))


def _kept(lists: pa.Array, keep: pa.Array, values: pa.Array) -> pa.Array:
    """``values`` (one per item of ``lists``' non-null lists) kept where ``keep``, regrouped per list
    (a null list gives [], as ``_option_values(None)`` does)."""
    if len(values) == 0:
        return pa.ListArray.from_arrays(pa.array([0] * (len(lists) + 1), pa.int32()), pa.array([], TEXT))
    lengths = pc.fill_null(pc.list_value_length(lists), 0)
    kept_before = pa.concat_arrays([pa.array([0], pa.int64()), pc.cumulative_sum(pc.cast(keep, pa.int64()))])
    ends = pc.cumulative_sum(pc.cast(lengths, pa.int64()))
    offsets = pa.concat_arrays([pa.array([0], pa.int64()), pc.take(kept_before, ends)])
    return pa.ListArray.from_arrays(pc.cast(offsets, pa.int32()), pc.filter(values, keep))


def _word_lists(lists: pa.Array | None, size: int) -> pa.Array:
    """Each list's words in order (``_option_values``)."""
    if lists is None:
        return pa.array([[]] * size, pa.list_(TEXT))
    flat = pc.list_flatten(lists)
    _require(flat.null_count == 0)
    words = _picked(flat)
    return _kept(lists, pc.is_valid(words), words)


def _any_word(lists: pa.Array | None, size: int) -> pa.Array:
    """Whether a list holds a word (``bool(_option_values(...))``: Flagged)."""
    if lists is None:
        return pa.array([False] * size, FLAG)
    return pc.greater(pc.list_value_length(_word_lists(lists, size)), 0)


def _component_names(components: pa.Array) -> pa.Array:
    """``_names``: each component's name; a null item or name (the row path's skip or "None") refuses."""
    flat = pc.list_flatten(components)
    _require(flat.null_count == 0)
    names = pc.struct_field(flat, "name")
    _require(names.null_count == 0)
    return _kept(components, pc.is_valid(names), names)


def _labels(labels: pa.Array) -> pa.Array:
    """Labels as texts; a null label (the row path's "None") refuses the page."""
    flat = pc.list_flatten(labels)
    _require(flat.null_count == 0)
    return _kept(labels, pc.is_valid(flat), flat)


def decoded_issues(decode: Callable[[], Any]) -> Callable[[], list[dict]]:
    """The row path's view of a search answer: its ``issues``, as ``cloud_pages`` reads them."""
    return lambda: (decode() or {}).get("issues") or []


_CHANGES = pa.schema([("issueChangeLogs", pa.list_(pa.struct([("issueId", TEXT), ("changeHistories",
                                                                                  pa.list_(_HISTORY))]))),
                      ("nextPageToken", TEXT)])


@dataclass
class RawChanges:
    """A ``/changelog/bulkfetch`` answer read by Arrow (its ``issueChangeLogs``), and ``decode`` giving
    the answer as the client decodes it, for ``changelog_table``."""

    logs: pa.ListArray
    decode: Callable[[], Any]


def read_changes(client: JiraClient, path: str, response: requests.Response) -> tuple[RawChanges | dict, str | None]:
    """A status-history answer (read by Arrow, or decoded when the reader refuses it) and its
    ``nextPageToken``."""
    table = _read(response.content, _CHANGES)
    if table is None:
        page = client.decode("POST", path, response) or {}
        return page, page.get("nextPageToken")
    raw = RawChanges(table.column("issueChangeLogs").combine_chunks(),
                     lambda: client.decode("POST", path, response) or {})
    return raw, table.column("nextPageToken")[0].as_py()


def changes_table(page: RawChanges | dict) -> pa.Table:
    """The status changes of a history answer (``page.changelog_table``'s rows), in columns when Arrow
    read it and every value reads exactly; else ``changelog_table`` of the decoded answer."""
    if isinstance(page, RawChanges):
        try:
            table = _status_changes(page.logs)
        except (Refused, pa.ArrowInvalid):
            TAKEN["rows"] += 1
            return changelog_table(page.decode())
        TAKEN["arrow"] += 1
        return table
    return changelog_table(page)


def _status_changes(logs: pa.ListArray) -> pa.Table:
    """Every status item of every history of every issue, in that order; a null anywhere (the row
    path's error, or its "None") or a time of another spelling refuses."""
    flat_logs = _no_nulls(pc.list_flatten(logs))
    issue_ids = _no_nulls(pc.struct_field(flat_logs, "issueId"))
    log_of, changed_at, from_status, to_status = _status_items(pc.struct_field(flat_logs, "changeHistories"))
    return pa.Table.from_arrays([pc.take(issue_ids, log_of), pa.nulls(len(log_of), TEXT), changed_at, from_status,
                                 to_status], schema=RAW_SCHEMAS["changelog"])


def _status_items(histories: pa.Array) -> tuple[pa.Array, pa.Array, pa.Array, pa.Array]:
    """The status items of each owner's list of histories, in order, as the row paths read them
    (``history.get("items") or []`` for each of ``owner's histories or []``): the owner of each, its
    history's time, from and to. A null history or item (the row path's error) refuses."""
    flat_histories = _no_nulls(pc.list_flatten(histories))
    items = pc.struct_field(flat_histories, "items")
    flat_items = _no_nulls(pc.list_flatten(items))
    status = pc.or_(pc.fill_null(pc.equal(pc.struct_field(flat_items, "fieldId"), "status"), False),
                    pc.fill_null(pc.equal(pc.struct_field(flat_items, "field"), "status"), False))
    history_of = pc.filter(pc.list_parent_indices(items), status)
    owner_of = pc.take(pc.list_parent_indices(histories), history_of)
    changed = pc.take(pc.struct_field(flat_histories, "created"), history_of)
    return (owner_of, _times(changed), pc.filter(pc.struct_field(flat_items, "fromString"), status),
            pc.filter(pc.struct_field(flat_items, "toString"), status))


def _no_nulls(array: pa.Array) -> pa.Array:
    _require(array.null_count == 0)
    return array
