"""A Jira REST emulator on 127.0.0.1 for tests and benchmarks.

It serves, from an in-memory set of issues, the endpoints the connector uses, and behaves the way
Jira does where it matters to a client:

* auth: Cloud basic auth (e-mail + API token), Data Center bearer tokens; 401 otherwise;
* ``POST /rest/api/3/search/jql``: ``nextPageToken`` paging, ``isLast``; page sizes capped at
  5000 for id-only queries and fewer the more fields are asked (100, or 50 past 20 fields);
* ``GET /rest/api/2/search``: ``startAt``/``maxResults``/``total``, a result window (10,000 by
  default) past which Jira refuses to page, page size capped at 1000;
* JQL as the connector writes it: ``project in (...)``, ``project = ...``, ``updated >= <epoch
  ms>``, ``key > "K-1"``, ``id in (1, 2)``, ``ORDER BY updated|key|id``;
* ``POST /rest/api/3/changelog/bulkfetch`` (status histories, 1000 issues a call),
  ``POST /rest/api/3/issue/bulkfetch`` (issues by id, 100 a call), ``/search/approximate-count``,
  ``/serverInfo`` (the emulator's clock), ``/field``, ``/project/search`` and ``/project``, project
  properties (``/project/{key}/properties[/{property}]``, 404 for one not set);
* faults on demand: status codes with ``Retry-After``, slow responses, the near-limit header;
  edits and deletions between two syncs, or *between two pages of one search*
  (:meth:`JiraEmulator.between_pages`), and a ``nextPageToken`` that repeats. Every request is
  logged for counting.
"""

from __future__ import annotations

import datetime as dt
import random
import re
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote

from loopback_http import (
    EmulatorHandler,
    Fault,
    LoopbackEmulator,
    basic_credentials,
    bearer_token,
    next_fault,
    send_json,
)

EMAIL, TOKEN, PAT = "robot@example.com", "cloud-token-s3cr3t-0123456789", "dc-pat-s3cr3t-9876543210"
FIELDS = [
    {"id": "customfield_10016", "name": "Story point estimate", "custom": True},
    {"id": "customfield_10015", "name": "Start date", "custom": True},
    {"id": "customfield_10020", "name": "Sprint", "custom": True},
    {"id": "customfield_10021", "name": "Flagged", "custom": True},
    {"id": "customfield_10014", "name": "Epic Link", "custom": True},
    {"id": "customfield_10050", "name": "Strategic theme", "custom": True},
    {"id": "customfield_10060", "name": "Risk likelihood", "custom": True},
    {"id": "customfield_10061", "name": "Risk impact", "custom": True},
    # Asked for only when a source maps them (fields.reported_status / fields.team): a paragraph text
    # field, which Cloud's v3 API sends as Atlassian Document Format, and an Atlassian team field.
    {"id": "customfield_10070", "name": "Project health", "custom": True},
    {"id": "customfield_10071", "name": "Delivery team", "custom": True},
    {"id": "summary", "name": "Summary", "custom": False},
    {"id": "status", "name": "Status", "custom": False},
]
STATUSES = [("To Do", "new"), ("In Progress", "indeterminate"), ("In Review", "indeterminate"), ("Done", "done")]
PEOPLE = [("acc-1", "Priya Shah", "priya.shah@example.com"), ("acc-2", "Tom Okafor", None),
          ("acc-3", "Aisha Bello", "aisha.bello@example.com"), ("acc-4", "Sam Carter", None)]
EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
PROJECT_PROPERTY = re.compile(r"^/rest/api/[23]/project/([^/]+)/properties(?:/([^/]+))?$")
SEARCH_CAP_ID_ONLY, SEARCH_CAP_FEW_FIELDS, SEARCH_CAP_MANY_FIELDS = 5000, 100, 50


def jira_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}+0000"


@dataclass
class PageHook:
    """After the ``after_page``-th page of a full-field search: edit ``edit`` and delete ``delete`` issues."""

    after_page: int
    edit: int
    delete: int
    edited: list[str] = field(default_factory=list)
    deleted: list[str] = field(default_factory=list)


@dataclass
class Logged:
    method: str
    path: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    at: float
    status: int = 200


class JiraEmulator(LoopbackEmulator):
    def __init__(self, projects: dict[str, str] | None = None, *, window: int = 10_000, seed: int = 1):
        self.projects = projects or {"PAY": "Payroll platform", "EXP": "Expenses"}
        self.window = window
        self.rng = random.Random(seed)
        self.issues: dict[str, dict[str, Any]] = {}  # id -> issue JSON (fields with custom ids)
        self.histories: dict[str, list[dict[str, Any]]] = {}
        self.counters: dict[str, int] = {}  # issues created per project: the next key number
        self.clock = EPOCH
        self.next_id = 10_000
        self.faults: list[Fault] = []
        self.delay_seconds = 0.0
        self.slow_requests = -1  # how many of the next requests are delayed (-1: all, while delay_seconds > 0)
        self.near_limit = False
        self.forbidden_projects: set[str] = set()
        self.project_properties: dict[str, dict[str, Any]] = {}  # project key -> property key -> value
        self.page_hooks: list[PageHook] = []
        self.pages_served = 0  # full-field search pages (not id listings), for the hooks
        self.repeat_token = False  # Cloud search answers the same nextPageToken again and again
        self.count_answer: int | None = None  # what /search/approximate-count says (None: the truth)
        self.tampered: dict[str, tuple[dict[str, Any], set[str]]] = {}  # id -> (field values, names left out)
        self.log: list[Logged] = []
        self._query_cache: dict[str, list[dict[str, Any]]] = {}  # jql -> matches, until the data changes
        self.lock = threading.Lock()
        self.listen()

    @property
    def url(self) -> str:
        return self.base_url

    # --- data -----------------------------------------------------------------------------------------

    def _tick(self, seconds: int = 60) -> dt.datetime:
        self.clock += dt.timedelta(seconds=seconds)
        return self.clock

    def add_issues(self, count: int, project: str | None = None) -> list[str]:
        ids = []
        for _ in range(count):
            key_project = project or self.rng.choice(sorted(self.projects))
            self.counters[key_project] = self.counters.get(key_project, 0) + 1
            ids.append(self._add(key_project, self.counters[key_project]))
        return ids

    def _add(self, project: str, number: int) -> str:
        rng = self.rng
        issue_id = str(self.next_id)
        self.next_id += 1
        created = self._tick()
        status, category = rng.choice(STATUSES)
        person = rng.choice(PEOPLE + [None])
        issue_type = rng.choice(["Story", "Task", "Bug", "Story", "Risk"] if number % 7 == 0 else ["Story", "Task", "Bug"])
        due = (created + dt.timedelta(days=rng.randint(5, 90))).date()
        key = f"{project}-{number}"
        fields = {
            "summary": f"{project} work item {number}",
            "status": {"name": status, "statusCategory": {"key": category}},
            "issuetype": {"name": issue_type, "subtask": False},
            "project": {"id": self._project_id(project), "key": project, "name": self.projects[project]},
            "assignee": None if person is None else {
                "accountId": person[0], "displayName": person[1],
                **({"emailAddress": person[2]} if person[2] else {})},
            "created": jira_time(created), "updated": jira_time(created),
            "resolutiondate": jira_time(created + dt.timedelta(days=3)) if category == "done" else None,
            "duedate": due.isoformat(),
            "timeoriginalestimate": rng.choice([None, 3600 * 4, 3600 * 8, 3600 * 16]),
            "timespent": rng.choice([None, 3600 * 2]),
            "timeestimate": rng.choice([None, 3600 * 6]),
            "issuelinks": [],
            "components": [{"name": rng.choice(["General Ledger", "Payroll Engine", "Card Feed"])}],
            "labels": rng.sample(["backend", "gl", "mobile"], k=rng.randint(0, 2)),
            "fixVersions": [{"id": "100", "name": "1.0", "releaseDate": "2026-06-30", "released": False}]
            if number % 5 == 0 else [],
            "priority": {"name": rng.choice(["High", "Medium", "Low"])},
            "customfield_10016": rng.choice([None, 1, 2, 3, 5, 8]),
            "customfield_10015": (created.date() + dt.timedelta(days=1)).isoformat(),
            "customfield_10020": [{"id": 7, "name": "Sprint 7", "state": "active",
                                   "startDate": "2026-01-05T09:00:00.000Z", "endDate": "2026-01-19T17:00:00.000Z"}],
            "customfield_10021": [{"value": "Impediment"}] if number % 11 == 0 else None,
            "customfield_10050": [{"value": "cost-efficiency"}] if number % 2 == 0 else None,
            "customfield_10060": {"value": "High"} if issue_type == "Risk" else None,
            "customfield_10061": {"value": "Medium"} if issue_type == "Risk" else None,
        }
        if number > 1 and number % 3 == 0:
            fields["issuelinks"].append({"type": {"name": "Blocks", "inward": "is blocked by", "outward": "blocks"},
                                         "inwardIssue": {"key": f"{project}-{number - 1}"}})
        self.issues[issue_id] = {"id": issue_id, "key": key, "fields": fields}
        self._changed()
        self.histories[issue_id] = [] if category == "new" else [
            {"id": f"h{issue_id}", "created": jira_time(created + dt.timedelta(hours=1)),
             "items": [{"field": "status", "fieldId": "status", "fromString": "To Do", "toString": status}]}]
        return issue_id

    def _changed(self) -> None:
        self._query_cache.clear()

    def edit(self, issue_id: str, status: tuple[str, str] = ("Done", "done"), **fields: Any) -> None:
        """Change an issue as a person would: its status moves, its updated time advances."""
        self._changed()
        issue = self.issues[issue_id]
        moment = self._tick()
        old = issue["fields"]["status"]["name"]
        issue["fields"]["status"] = {"name": status[0], "statusCategory": {"key": status[1]}}
        issue["fields"]["updated"] = jira_time(moment)
        issue["fields"].update(fields)
        self.histories[issue_id].append({"id": f"h{issue_id}-{len(self.histories[issue_id])}",
                                         "created": jira_time(moment),
                                         "items": [{"field": "status", "fieldId": "status",
                                                    "fromString": old, "toString": status[0]}]})

    def delete(self, issue_id: str) -> None:
        self._changed()
        del self.issues[issue_id]
        del self.histories[issue_id]

    def between_pages(self, after_page: int, *, edit: int = 0, delete: int = 0) -> PageHook:
        """Once the ``after_page``-th page of a search has been served, edit and delete issues picked
        at random among all of them (read already or not): the next page sees the change."""
        hook = PageHook(after_page, edit, delete)
        self.page_hooks.append(hook)
        return hook

    def tamper(self, issue_id: str, *, omit: tuple[str, ...] = (), **fields: Any) -> None:
        """Answer values Jira would not validate for us (a text custom field, a broken proxy) for this
        issue, in every search and fetch; ``omit`` leaves top-level names (``id``) out. Queries still
        see the stored issue, as Jira's index would."""
        values, names = self.tampered.setdefault(issue_id, ({}, set()))
        values.update(fields)
        names.update(omit)

    def _after_page(self) -> None:
        self.pages_served += 1
        for hook in self.page_hooks:
            if hook.after_page == self.pages_served:
                live = sorted(self.issues, key=int)
                chosen = self.rng.sample(live, hook.edit + hook.delete)
                hook.edited, hook.deleted = chosen[:hook.edit], chosen[hook.edit:]
                for issue_id in hook.edited:
                    self.edit(issue_id, ("In Review", "indeterminate"))
                for issue_id in hook.deleted:
                    self.delete(issue_id)

    # --- request log ----------------------------------------------------------------------------------

    def requests_to(self, path: str, *, fields_only_id: bool | None = None) -> list[Logged]:
        found = [r for r in self.log if r.path == path and r.status < 400]
        if fields_only_id is not None:
            found = [r for r in found if (_fields_of(r) == ["id"]) == fields_only_id]
        return found

    def clear_log(self) -> None:
        self.log.clear()

    # --- query engine -----------------------------------------------------------------------------------

    def _matching(self, jql: str) -> list[dict[str, Any]]:
        if jql not in self._query_cache:
            self._query_cache[jql] = self._evaluate(jql)
        return self._query_cache[jql]

    def _evaluate(self, jql: str) -> list[dict[str, Any]]:
        query, _, order = jql.partition(" ORDER BY ")
        predicates = []
        for clause in [c.strip() for c in re.split(r"\s+AND\s+", query) if c.strip()]:
            if clause.startswith("(") and clause.endswith(")"):
                clause = clause[1:-1]
            predicates.append(_predicate(clause))
        issues = [i for i in self.issues.values() if all(p(i) for p in predicates)]
        if order.strip().lower().startswith("updated"):
            issues.sort(key=lambda i: (i["fields"]["updated"], _key_order(i["key"])))
        elif order.strip().lower().startswith("id"):
            issues.sort(key=lambda i: int(i["id"]))
        else:
            issues.sort(key=lambda i: _key_order(i["key"]))
        return issues

    def _render(self, issue: dict[str, Any], fields: list[str], expand: str = "", *, with_key: bool = False
                ) -> dict[str, Any]:
        if fields == ["id"]:  # Cloud's /search/jql answers the id alone; Data Center adds the key
            return {"id": issue["id"], "key": issue["key"]} if with_key else {"id": issue["id"]}
        rendered = {"id": issue["id"], "key": issue["key"],
                    "fields": {k: v for k, v in issue["fields"].items() if k in fields}}
        values, names = self.tampered.get(issue["id"], ({}, set()))
        rendered["fields"].update({k: v for k, v in values.items() if k in fields})
        for name in names:
            rendered.pop(name, None)
        if "changelog" in expand:
            rendered["changelog"] = {"histories": self.histories[issue["id"]]}
        return rendered

    # --- HTTP -------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(EmulatorHandler):
            def serve(self, method: str) -> None:
                path, query = self.target()
                params = {k: v if len(v) > 1 else v[0] for k, v in query.items()}
                body = self.json_body()
                entry = Logged(method, path, params, body, time.monotonic())
                with emulator.lock:
                    emulator.log.append(entry)
                    status, payload, headers = emulator._respond(method, path, params, body, self.headers)
                entry.status = status
                with emulator.lock:
                    delay = emulator.delay_seconds if emulator.slow_requests != 0 else 0.0
                    if delay and emulator.slow_requests > 0:
                        emulator.slow_requests -= 1
                if delay:
                    time.sleep(delay)
                send_json(self, status, headers, payload)

        return Handler

    def _authorised(self, headers: Any) -> bool:
        return basic_credentials(headers) == (EMAIL, TOKEN) or bearer_token(headers) == PAT

    def _respond(self, method: str, path: str, params: dict, body: dict | None, headers: Any):
        extra = {"X-RateLimit-NearLimit": "true"} if self.near_limit else {}
        fault = next_fault(self.faults, path)
        if fault:
            return fault.status, {"errorMessages": [f"emulated {fault.status}"]}, fault.headers
        if not self._authorised(headers):
            return 401, {"errorMessages": ["You are not authenticated."]}, {}
        routes: dict[tuple[str, str], Callable[[], Any]] = {
            ("GET", "/rest/api/3/field"): lambda: FIELDS,
            ("GET", "/rest/api/2/field"): lambda: FIELDS,
            ("GET", "/rest/api/3/project/search"): lambda: self._project_search(params),
            ("GET", "/rest/api/2/project"): lambda: self._project_list(),
            ("POST", "/rest/api/3/search/jql"): lambda: self._search_jql(body or {}),
            ("GET", "/rest/api/2/search"): lambda: self._search_v2(params),
            ("POST", "/rest/api/3/changelog/bulkfetch"): lambda: self._bulkfetch(body or {}),
            ("POST", "/rest/api/3/issue/bulkfetch"): lambda: self._issue_bulkfetch(body or {}),
            ("POST", "/rest/api/3/search/approximate-count"): lambda: self._count(body or {}),
            ("GET", "/rest/api/3/serverInfo"): lambda: {"serverTime": jira_time(self.clock)},
            ("GET", "/rest/api/2/serverInfo"): lambda: {"serverTime": jira_time(self.clock)},
        }
        handler = routes.get((method, path))
        if handler is None and method == "GET" and (found := PROJECT_PROPERTY.match(path)):
            handler = lambda: self._project_property(*found.groups())  # noqa: E731
        if handler is None:
            return 404, {"errorMessages": [f"no route {method} {path}"]}, {}
        try:
            return 200, handler(), extra
        except PermissionError as exc:
            return 403, {"errorMessages": [str(exc)]}, {}
        except LookupError as exc:
            return 404, {"errorMessages": [str(exc)]}, {}
        except ValueError as exc:
            return 400, {"errorMessages": [str(exc)]}, {}

    def _project_id(self, key: str) -> str:
        return str(1000 + sorted(self.projects).index(key))

    def _project_search(self, params: dict) -> dict:
        keys = params.get("keys") or sorted(self.projects)
        keys = [keys] if isinstance(keys, str) else keys
        values = [{"id": self._project_id(k), "key": k, "name": self.projects[k],
                   "lead": {"displayName": "Dana Whitfield"}} for k in keys if k in self.projects]
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 50)), 50)
        page = values[start:start + size]
        return {"values": page, "startAt": start, "maxResults": size, "total": len(values),
                "isLast": start + size >= len(values)}

    def _project_property(self, key: str, prop: str | None) -> dict:
        """GET /project/{key}/properties (the keys set) or /project/{key}/properties/{prop} (one value)."""
        properties = self.project_properties.get(key, {})
        if prop is None:
            return {"keys": [{"key": k, "self": f"{self.url}/rest/api/3/project/{key}/properties/{k}"}
                             for k in sorted(properties)]}
        if unquote(prop) not in properties:
            raise LookupError(f"The property {prop} does not exist.")
        return {"key": unquote(prop), "value": properties[unquote(prop)]}

    def _project_list(self) -> list:
        return [{"id": self._project_id(k), "key": k, "name": n, "lead": {"displayName": "Dana Whitfield"}}
                for k, n in sorted(self.projects.items())]

    def _check_forbidden(self, jql: str) -> None:
        for key in self.forbidden_projects:
            if f'"{key}"' in jql:
                raise PermissionError(f"You do not have permission to browse project {key}.")

    def _search_jql(self, body: dict) -> dict:
        jql, fields = body.get("jql", ""), body.get("fields") or []
        self._check_forbidden(jql)
        cap = SEARCH_CAP_ID_ONLY if fields == ["id"] else (
            SEARCH_CAP_MANY_FIELDS if len(fields) > 20 else SEARCH_CAP_FEW_FIELDS)
        size = min(int(body.get("maxResults", 50)), cap)
        start = int(body["nextPageToken"]) if body.get("nextPageToken") else 0
        matches = self._matching(jql)
        page = [self._render(i, fields) for i in matches[start:start + size]]
        result: dict[str, Any] = {"issues": page, "isLast": start + size >= len(matches)}
        if not result["isLast"]:
            result["nextPageToken"] = body["nextPageToken"] if self.repeat_token and start else str(start + size)
        if fields != ["id"]:
            self._after_page()
        return result

    def _search_v2(self, params: dict) -> dict:
        jql = params.get("jql", "")
        self._check_forbidden(jql)
        fields = str(params.get("fields", "")).split(",")
        start, size = int(params.get("startAt", 0)), min(int(params.get("maxResults", 50)), 1000)
        if start + size > self.window:
            raise ValueError(f"Result window is too large: startAt + maxResults must be <= {self.window}")
        matches = self._matching(jql)
        page = [self._render(i, fields, str(params.get("expand", "")), with_key=True)
                for i in matches[start:start + size]]
        if fields != ["id"]:
            self._after_page()
        return {"startAt": start, "maxResults": size, "total": len(matches), "issues": page}

    def _count(self, body: dict) -> dict:
        truth = len(self._matching(body.get("jql", "")))
        return {"count": truth if self.count_answer is None else self.count_answer}

    def _issue_bulkfetch(self, body: dict) -> dict:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 100:
            raise ValueError("issueIdsOrKeys: at most 100")
        fields = body.get("fields") or []
        return {"issues": [self._render(self.issues[i], fields) for i in ids if i in self.issues], "issueErrors": []}

    def _bulkfetch(self, body: dict) -> dict:
        ids = body.get("issueIdsOrKeys") or []
        if len(ids) > 1000:
            raise ValueError("issueIdsOrKeys: at most 1000")
        start = int(body.get("nextPageToken") or 0)
        size = min(int(body.get("maxResults", 1000)), 1000)
        logs = [{"issueId": i, "changeHistories": self.histories.get(i, [])} for i in ids if i in self.histories]
        page = logs[start:start + size]
        result: dict[str, Any] = {"issueChangeLogs": page}
        if start + size < len(logs):
            result["nextPageToken"] = str(start + size)
        return result


def _fields_of(entry: Logged) -> list[str]:
    if entry.body is not None:
        return list(entry.body.get("fields") or [])
    return str(entry.params.get("fields", "")).split(",")


def _key_order(key: str) -> tuple[str, int]:
    project, number = key.rsplit("-", 1)
    return project, int(number)


def _predicate(clause: str) -> Callable[[dict[str, Any]], bool]:
    if m := re.fullmatch(r'project in \(([^)]*)\)', clause):
        keys = {k.strip().strip('"') for k in m.group(1).split(",")}
        return lambda i: i["fields"]["project"]["key"] in keys
    if m := re.fullmatch(r'project = "([^"]+)"', clause):
        return lambda i: i["fields"]["project"]["key"] == m.group(1)
    if m := re.fullmatch(r"updated >= (-?\d+)", clause):
        threshold = int(m.group(1))
        return lambda i: _epoch_ms(i["fields"]["updated"]) >= threshold
    if m := re.fullmatch(r"id in \(([\d, ]*)\)", clause):
        ids = {k.strip() for k in m.group(1).split(",")}
        return lambda i: i["id"] in ids
    if m := re.fullmatch(r'key > "([^"]+)"', clause):
        bound = _key_order(m.group(1))
        return lambda i: _key_order(i["key"])[0] == bound[0] and _key_order(i["key"]) > bound
    raise ValueError(f"Error in the JQL Query: the emulator cannot parse {clause!r}")


def _epoch_ms(value: str) -> int:
    moment = dt.datetime.strptime(value, "%Y-%m-%dT%H:%M:%S.%f%z")
    return int(moment.timestamp() * 1000)
