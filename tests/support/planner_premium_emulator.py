"""A Dataverse Web API emulator (Planner premium / Project for the web tables) on 127.0.0.1.

Written from Microsoft's public reference of the Dataverse Web API and the Project tables. It serves:

* ``POST /<tenant>/oauth2/v2.0/token`` — Microsoft Entra ID client credentials (form fields
  ``grant_type``, ``client_id``, ``client_secret``, ``scope`` = ``<environment>/.default``); tokens
  expire after ``token_lifetime`` seconds of the emulator's clock, and :meth:`revoke_tokens` makes
  the API refuse the ones issued (401), as a rotated secret or a revoked consent does;
* ``GET /api/data/v9.2/<entity set>`` for ``msdyn_projects``, ``msdyn_projecttasks``,
  ``msdyn_projecttaskdependencies``, ``msdyn_resourceassignments``, ``msdyn_projectbuckets`` and
  ``bookableresources``, with ``$select``, ``$orderby`` (one column) and ``$filter`` as the
  connector writes it (``col eq <guid|number>`` joined by ``or``, ``and modifiedon ge <time>``);
  paging by ``Prefer: odata.maxpagesize`` (at most 5000) and an absolute ``@odata.nextLink``;
  formatted values (``<column>@OData.Community.Display.V1.FormattedValue``) when the ``Prefer``
  header asks for annotations; ``@odata.etag`` on every row; a ``Date`` header on the emulator's clock;
* faults on demand: any status with headers and a Dataverse error body (429 with ``Retry-After`` and
  the service-protection code ``0x80072322``), a ``nextLink`` that repeats, an empty page that still
  has a ``nextLink`` (legal OData), rows edited or deleted between two syncs, and a request log.
"""

from __future__ import annotations

import datetime as dt
import email.utils
import random
import re
import threading
import uuid
from collections.abc import Callable
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import parse_qs

from loopback_http import EmulatorHandler, LoopbackEmulator, bearer_token, next_fault, send_json
from loopback_http import Fault as LoopbackFault

TENANT, CLIENT_ID = "8f1c2a9e-1111-4c4c-9a9a-3e2f00000001", "0d3b7c55-2222-4d4d-8b8b-5a6b00000002"
CLIENT_SECRET = "planner-client-s3cr3t~0123456789abcdef"
API = "/api/data/v9.2"
FORMATTED = "OData.Community.Display.V1.FormattedValue"
EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
PEOPLE = [("Priya Shah", "Priya.Shah@Example.com"), ("Tom Okafor", None), ("Aisha Bello", "aisha.bello@example.com"),
          ("Sam Carter", "sam.carter@example.com")]
STATUS_LABELS = {192350000: "Green", 192350001: "Yellow", 192350002: "Red"}
LINK_LABELS = {192350000: "Finish-to-Start", 192350001: "Start-to-Start", 192350002: "Finish-to-Finish",
               192350004: "Start-to-Finish"}
ENTITY_KEYS = {
    "msdyn_projects": "msdyn_projectid", "msdyn_projecttasks": "msdyn_projecttaskid",
    "msdyn_projecttaskdependencies": "msdyn_projecttaskdependencyid",
    "msdyn_resourceassignments": "msdyn_resourceassignmentid", "msdyn_projectbuckets": "msdyn_projectbucketid",
    "bookableresources": "bookableresourceid",
}
MAX_PAGE = 5000


def odata_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Fault(LoopbackFault):
    """Matches requests whose path starts with ``path`` (the token endpoint's too)."""

    code: str = "0x80072322"  # Dataverse's "number of requests exceeded the limit"


@dataclass
class Logged:
    method: str
    path: str
    params: dict[str, str]
    status: int = 200


class PlannerEmulator(LoopbackEmulator):
    def __init__(self, *, seed: int = 7, token_lifetime: int = 3599):
        self.rng = random.Random(seed)
        self.clock = EPOCH
        self.token_lifetime = token_lifetime
        self.tables: dict[str, dict[str, dict[str, Any]]] = {name: {} for name in ENTITY_KEYS}
        self.tokens: dict[str, dt.datetime] = {}  # token -> expiry (emulator clock)
        self.issued = 0
        self.faults: list[Fault] = []
        self.repeat_next_link = False
        self.empty_first_page = False  # each query's first page comes empty, with a nextLink
        self.tampered: dict[str, dict[str, Any]] = {}  # id -> values answered instead of the stored ones
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self._cache: dict[tuple[str, str, str], list[dict[str, Any]]] = {}
        self.listen()

    @property
    def url(self) -> str:
        return self.base_url

    # --- data -----------------------------------------------------------------------------------------

    def _guid(self) -> str:
        return str(uuid.UUID(int=self.rng.getrandbits(128), version=4))

    def _tick(self, seconds: int = 60) -> str:
        self.clock += dt.timedelta(seconds=seconds)
        self._cache.clear()
        return odata_time(self.clock)

    def add_people(self, people: list[tuple[str, str | None]] = PEOPLE) -> list[str]:
        ids = []
        for name, mail in people:
            rid = self._guid()
            self.tables["bookableresources"][rid] = {"bookableresourceid": rid, "name": name,
                                                     "msdyn_primaryemail": mail, "modifiedon": self._tick()}
            ids.append(rid)
        return ids

    def add_project(self, name: str, tasks: int, *, people: list[str] | None = None, status: int | None = 192350001,
                    start: dt.date = dt.date(2026, 1, 5)) -> str:
        """A project with a summary task per 10 tasks (a phase), buckets, FS links along each phase
        (every 4th SS with a day's lag) and one assignment per task; people from ``add_people``."""
        people = people if people is not None else (list(self.tables["bookableresources"]) or self.add_people())
        pid = self._guid()
        self.tables["msdyn_projects"][pid] = {
            "msdyn_projectid": pid, "msdyn_subject": name, "_msdyn_projectmanager_value": self._guid(),
            "_msdyn_projectmanager_value@" + FORMATTED: "Dana Whitfield",
            "msdyn_scheduledstart": f"{start}T08:00:00Z", "msdyn_finish": f"{start + dt.timedelta(days=tasks)}T17:00:00Z",
            "msdyn_progress": 0.25, "msdyn_effort": 8.0 * tasks, "msdyn_effortcompleted": 2.0 * tasks,
            "msdyn_hoursperday": 8.0, "msdyn_overallprojectstatus": status, "msdyn_comments": "Supplier late",
            "msdyn_statusupdatedon": "2026-01-09T10:00:00Z", "statecode": 0, "modifiedon": self._tick(),
        }
        buckets = [self._add("msdyn_projectbuckets", {"msdyn_name": n, "_msdyn_project_value": pid})
                   for n in ("Build", "Test")]
        parent = previous = None
        for number in range(tasks):
            if number % 10 == 0:
                parent = self.add_task(pid, f"{name} phase {number // 10 + 1}", summary=True,
                                       day=start + dt.timedelta(days=number), days=10, bucket=buckets[0])
                previous = None
            day = start + dt.timedelta(days=number)
            task = self.add_task(pid, f"{name} task {number + 1}", parent=parent, day=day,
                                 days=0 if number % 10 == 9 else 1, bucket=buckets[number % 2],
                                 progress=self.rng.choice([0.0, 0.0, 0.5, 1.0]))
            if previous:
                self.link(previous, task, 192350001 if number % 4 == 0 else 192350000,
                          lag=480 if number % 4 == 0 else None)
            if people:
                self.assign(task, people[number % len(people)])
            previous = task
        return pid

    def _add(self, table: str, values: dict[str, Any]) -> str:
        rid = self._guid()
        self.tables[table][rid] = {ENTITY_KEYS[table]: rid, **values, "modifiedon": self._tick()}
        return rid

    def add_task(self, project: str, name: str, *, parent: str | None = None, day: dt.date, days: int,
                 bucket: str | None = None, summary: bool = False, progress: float = 0.0) -> str:
        return self._add("msdyn_projecttasks", {
            "_msdyn_project_value": project, "_msdyn_parenttask_value": parent, "_msdyn_projectbucket_value": bucket,
            "msdyn_subject": name, "msdyn_outlinelevel": 1 if summary else 2,
            "msdyn_displaysequence": float(len(self.tables["msdyn_projecttasks"]) + 1),
            "msdyn_scheduledstart": f"{day}T08:00:00Z",
            "msdyn_scheduledend": f"{day + dt.timedelta(days=max(days - 1, 0))}T{'08' if days == 0 else '17'}:00:00Z",
            "msdyn_duration": float(days), "msdyn_effort": 8.0 * days,
            "msdyn_effortcompleted": 8.0 * days * progress, "msdyn_effortremaining": 8.0 * days * (1 - progress),
            "msdyn_progress": progress, "msdyn_summary": summary})

    def link(self, predecessor: str, successor: str, code: int = 192350000, lag: float | None = None) -> str:
        project = self.tables["msdyn_projecttasks"][successor]["_msdyn_project_value"]
        return self._add("msdyn_projecttaskdependencies", {
            "_msdyn_project_value": project, "_msdyn_predecessortask_value": predecessor,
            "_msdyn_successortask_value": successor, "msdyn_projecttaskdependencylinktype": code,
            "msdyn_projecttaskdependencylinklag": lag})

    def assign(self, task: str, resource: str) -> str:
        project = self.tables["msdyn_projecttasks"][task]["_msdyn_project_value"]
        return self._add("msdyn_resourceassignments", {"_msdyn_projectid_value": project, "_msdyn_taskid_value": task,
                                                        "_msdyn_bookableresourceid_value": resource})

    def edit(self, table: str, rid: str, **values: Any) -> None:
        self.tables[table][rid].update(values, modifiedon=self._tick())

    def delete(self, table: str, rid: str) -> None:
        del self.tables[table][rid]
        self._tick()

    def tamper(self, rid: str, **values: Any) -> None:
        """Answer these values for this row (what Dataverse would not validate for us: a broken proxy)."""
        self.tampered.setdefault(rid, {}).update(values)
        self._cache.clear()

    def tasks_of(self, project: str) -> list[str]:
        return sorted(t for t, row in self.tables["msdyn_projecttasks"].items() if row["_msdyn_project_value"] == project)

    def revoke_tokens(self) -> None:
        self.tokens.clear()

    def data_requests(self, entity_set: str | None = None) -> list[Logged]:
        return [r for r in self.log if r.path.startswith(API + "/" + (entity_set or "")) and r.status < 400]

    # --- HTTP -------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(EmulatorHandler):
            def date_time_string(self, timestamp: float | None = None) -> str:
                return email.utils.format_datetime(emulator.clock, usegmt=True)  # the emulator's clock

            def serve(self, method: str) -> None:
                form = {k: v[0] for k, v in parse_qs(self.body_bytes().decode()).items()} if method == "POST" else {}
                path, query = self.target()
                params = {k: v[0] for k, v in query.items()}
                entry = Logged(method, path, params)
                with emulator.lock:
                    emulator.log.append(entry)
                    status, body, headers = emulator._respond(method, path, params, form, self.headers)
                entry.status = status
                send_json(self, status, headers, body)

        return Handler

    def _respond(self, method: str, path: str, params: dict[str, str], form: dict[str, str], headers: Any):
        fault = next_fault(self.faults, path)
        if fault:
            return fault.status, {"error": {"code": fault.code, "message": f"emulated {fault.status}: Number of "
                                                "requests exceeded the limit of 6000 over time window of 300 seconds."}}, \
                fault.headers
        if method == "POST" and path == f"/{TENANT}/oauth2/v2.0/token":
            return self._token(form)
        if method != "GET" or not path.startswith(API + "/"):
            return 404, {"error": {"code": "0x80060888", "message": f"Resource not found for the segment '{path}'."}}, {}
        token = bearer_token(headers)
        if self.tokens.get(token, EPOCH - dt.timedelta(days=1)) <= self.clock:
            return 401, {"error": {"code": "0x80072560", "message": "The user is not a member of the organization."}}, {}
        entity_set = path[len(API) + 1:]
        if entity_set not in self.tables:
            return 404, {"error": {"code": "0x80060888", "message": f"Resource not found for the segment "
                                   f"'{entity_set}'."}}, {}
        try:
            return 200, self._query(entity_set, params, headers.get("Prefer", "")), {
                "OData-Version": "4.0", "Preference-Applied": "odata.maxpagesize"}
        except ValueError as exc:
            return 400, {"error": {"code": "0x80060888", "message": str(exc)}}, {}

    def _token(self, form: dict[str, str]) -> tuple[int, dict, dict]:
        if form.get("grant_type") != "client_credentials":
            return 400, {"error": "unsupported_grant_type", "error_description": "AADSTS70003"}, {}
        if form.get("client_id") != CLIENT_ID or form.get("client_secret") != CLIENT_SECRET:
            return 401, {"error": "invalid_client", "error_description": "AADSTS7000215: Invalid client secret "
                         f"provided for client {form.get('client_id')}."}, {}
        if not str(form.get("scope", "")).endswith("/.default"):
            return 400, {"error": "invalid_scope", "error_description": "AADSTS1002012: scope must end in .default"}, {}
        self.issued += 1
        token = f"eyJ0eXAi.planner-token-{self.issued}-s3cr3t"
        self.tokens[token] = self.clock + dt.timedelta(seconds=self.token_lifetime)
        return 200, {"token_type": "Bearer", "expires_in": self.token_lifetime, "ext_expires_in": self.token_lifetime,
                     "access_token": token}, {}

    def _query(self, entity_set: str, params: dict[str, str], prefer: str) -> dict[str, Any]:
        key = ENTITY_KEYS[entity_set]
        condition, order = params.get("$filter", ""), params.get("$orderby", key)
        cached = (entity_set, condition, order)
        if cached not in self._cache:
            test = _predicate(condition)
            rows = [row for row in self.tables[entity_set].values() if test(row)]
            self._cache[cached] = sorted(rows, key=lambda r: (str(r.get(order.split()[0])), r[key]))
        rows = self._cache[cached]
        size = MAX_PAGE
        if m := re.search(r"odata\.maxpagesize=(\d+)", prefer):
            size = min(int(m.group(1)), MAX_PAGE)
        skip = int(params.get("$skiptoken", "0"))
        if self.empty_first_page and skip == 0 and "$skiptoken" not in params:
            page, following = [], 0
        else:
            page, following = rows[skip:skip + size], skip + size
        columns = [c for c in params.get("$select", "").split(",") if c] or None
        annotate = "include-annotations" in prefer
        body: dict[str, Any] = {"@odata.context": f"{self.url}{API}/$metadata#{entity_set}",
                                "value": [self._render(r, key, columns, annotate) for r in page]}
        if following < len(rows) or (self.empty_first_page and not page and rows):
            next_skip = skip if self.repeat_next_link and skip else following
            query = "&".join(f"{k}={v}" for k, v in params.items() if k != "$skiptoken")
            body["@odata.nextLink"] = f"{self.url}{API}/{entity_set}?{query}&$skiptoken={next_skip}"
        return body

    def _render(self, row: dict[str, Any], key: str, columns: list[str] | None, annotate: bool) -> dict[str, Any]:
        stored = {**row, **self.tampered.get(row[key], {})}
        out = {"@odata.etag": f'W/"{abs(hash(stored["modifiedon"])) % 10_000_000}"'}
        for column in columns or [c for c in stored if "@" not in c]:
            value = stored.get(column)
            out[column] = value
            if annotate and value is not None:
                label = stored.get(f"{column}@{FORMATTED}") or _label(column, value)
                if label is not None:
                    out[f"{column}@{FORMATTED}"] = label
        return out


def _label(column: str, value: Any) -> str | None:
    if column == "msdyn_overallprojectstatus":
        return STATUS_LABELS.get(value)
    if column == "msdyn_projecttaskdependencylinktype":
        return LINK_LABELS.get(value)
    if column == "statecode":
        return {0: "Active", 1: "Inactive"}.get(value)
    if isinstance(value, float):
        return f"{value:,.2f}"
    return None


def _predicate(condition: str) -> Callable[[dict[str, Any]], bool]:
    """The $filter forms the connector writes - ``(a eq 1 or a eq 2)``, ``x eq <guid> and modifiedon ge
    <time>`` - parsed once into a test of a row."""
    tests = [_clause([part.strip() for part in re.split(r"\s+or\s+", clause.strip().strip("()"))])
             for clause in re.split(r"\s+and\s+", condition) if clause.strip()]
    return lambda row: all(test(row) for test in tests)


def _clause(parts: list[str]) -> Callable[[dict[str, Any]], bool]:
    terms = []
    for part in parts:
        m = re.fullmatch(r"(\S+) (eq|ge) (\S+)", part)
        if not m:
            raise ValueError(f"Could not parse the $filter clause '{part}'.")
        terms.append(m.groups())
    if all(op == "eq" and column == terms[0][0] for column, op, _ in terms):  # one column, any of these values
        column = terms[0][0]
        wanted = {int(v) if re.fullmatch(r"-?\d+", v) else v.lower() for _, _, v in terms}
        return lambda row: (row.get(column) if isinstance(row.get(column), int) else str(row.get(column)).lower()) \
            in wanted
    if len(terms) == 1 and terms[0][1] == "ge":
        column, _, literal = terms[0]
        return lambda row: row.get(column) is not None and str(row.get(column)) >= literal  # ISO times as text
    raise ValueError(f"Could not parse the $filter clause '{' or '.join(parts)}'.")
