"""An Azure DevOps Boards REST emulator on 127.0.0.1 for tests and benchmarks.

Written from the public REST reference (api-version 7.1). From an in-memory organisation of team
projects and work items it serves what the connector reads, the way Azure DevOps answers:

* auth: a personal access token as basic auth (any user name, usually empty) -> 401 when wrong;
  no credentials at all -> HTTP 203 with an HTML sign-in page (what the service does);
* ``api-version`` is required on every call (400 without);
* ``GET _apis/projects/{name}``, ``{project}/_apis/wit/classificationnodes/Iterations`` (a tree,
  sprints with ``attributes.startDate/finishDate``), ``{project}/_apis/wit/workitemtypes`` (each
  type's states with their category) for the Agile, Scrum, Basic and CMMI processes;
* ``POST {project}/_apis/wit/wiql``: the WIQL the connector writes (team project, ``[System.Id] >
  n``, ``[System.ChangedDate] >= 'time'``, ``ORDER BY [System.Id]``), ids only, with ``asOf`` (the
  emulator's clock); more than 20,000 results without ``$top`` is error VS402337;
* ``POST {project}/_apis/wit/workitemsbatch``: at most 200 ids; ``fields`` or ``$expand``, never
  both; an unknown field is TF51535; ``errorPolicy: Omit`` answers null for a missing id;
* ``GET {project}/_apis/wit/recyclebin``, ``.../reporting/workitemrevisions`` (continuation token,
  ``isLastBatch``) and ``.../workItems/{id}/updates`` (``$top``/``$skip``);
* faults on demand: status codes with headers (429 + ``Retry-After``), the rate-limit headers
  (``X-RateLimit-Remaining: 0`` with ``X-RateLimit-Reset``) on answers that succeed; tampered values;
  edits, deletions (to the recycle bin) and new links between two syncs. Every request is logged.
"""

from __future__ import annotations

import base64
import datetime as dt
import re
import threading
import uuid
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler
from typing import Any
from urllib.parse import unquote, urlparse

from loopback_http import EmulatorHandler, LoopbackEmulator, basic_credentials, next_fault, send_json
from loopback_http import Fault as LoopbackFault

PAT = "ado-pat-s3cr3t-5f2a9c0d7e1b"
EPOCH = dt.datetime(2026, 1, 5, 9, 0, tzinfo=dt.UTC)
WIQL_LIMIT = 20_000
REVISIONS_PAGE = 1000
S = "Microsoft.VSTS.Scheduling."

#: process -> {work item type: [(state, category)]}, as the four system processes define them.
PROCESSES: dict[str, dict[str, list[tuple[str, str]]]] = {
    "Agile": {t: [("New", "Proposed"), ("Active", "InProgress"), ("Resolved", "Resolved"), ("Closed", "Completed"),
                  ("Removed", "Removed")] for t in ("Epic", "Feature", "User Story", "Bug")}
    | {"Task": [("New", "Proposed"), ("Active", "InProgress"), ("Closed", "Completed"), ("Removed", "Removed")]},
    "Scrum": {t: [("New", "Proposed"), ("Approved", "Proposed"), ("Committed", "InProgress"), ("Done", "Completed"),
                  ("Removed", "Removed")] for t in ("Epic", "Feature", "Product Backlog Item", "Bug")}
    | {"Task": [("To Do", "Proposed"), ("In Progress", "InProgress"), ("Done", "Completed"), ("Removed", "Removed")]},
    "Basic": {t: [("To Do", "Proposed"), ("Doing", "InProgress"), ("Done", "Completed")]
              for t in ("Epic", "Issue", "Task")},
    "CMMI": {t: [("Proposed", "Proposed"), ("Active", "InProgress"), ("Resolved", "Resolved"), ("Closed", "Completed")]
             for t in ("Epic", "Feature", "Requirement", "Task", "Bug", "Risk")},
}
#: process -> (summary type, item types, the story-points field)
SHAPES = {"Agile": ("Feature", ["User Story", "Task", "Bug"], "StoryPoints"),
          "Scrum": ("Feature", ["Product Backlog Item", "Task", "Bug"], "Effort"),
          "Basic": ("Epic", ["Issue", "Task"], "Effort"),
          "CMMI": ("Feature", ["Requirement", "Task", "Bug"], "Size")}
#: (display name, unique name): Cloud unique names are e-mails (any case); Server's are DOMAIN\\user.
PEOPLE = [("Priya Shah", "Priya.Shah@Example.com"), ("Tom Okafor", "tom.okafor@example.com"),
          ("Aisha Bello", "aisha.bello@example.com"), ("Sam Carter", "CONTOSO\\scarter")]
KNOWN_FIELDS = {"System.Id", "System.Rev", "System.TeamProject", "System.WorkItemType", "System.Title",
                "System.State", "System.Reason", "System.AreaPath", "System.IterationPath", "System.AssignedTo",
                "System.CreatedDate", "System.ChangedDate", "System.Tags", "System.Parent", "System.RelatedLinkCount",
                "System.HyperLinkCount", "Microsoft.VSTS.Common.ActivatedDate", "Microsoft.VSTS.Common.ClosedDate",
                "Microsoft.VSTS.Common.Priority", "Microsoft.VSTS.Common.Severity", "Microsoft.VSTS.CMMI.Blocked",
                "Microsoft.VSTS.CMMI.Probability", "Custom.StrategicTheme",
                *(S + n for n in ("StartDate", "TargetDate", "FinishDate", "DueDate", "OriginalEstimate",
                                  "RemainingWork", "CompletedWork", "StoryPoints", "Effort", "Size"))}


def ado_time(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{moment.microsecond // 1000:03d}Z"


def basic(token: str, user: str = "") -> str:
    return "Basic " + base64.b64encode(f"{user}:{token}".encode()).decode()


@dataclass
class Fault(LoopbackFault):
    """Matches requests whose path contains ``path``; ``body`` is what it answers (default: a message)."""

    body: Any = None


@dataclass
class Logged:
    method: str
    path: str
    params: dict[str, Any]
    body: dict[str, Any] | None
    status: int = 200


@dataclass
class Project:
    name: str
    process: str
    id: str
    sprints: list[tuple[str, dt.date, dt.date]]


class AzureDevOpsEmulator(LoopbackEmulator):
    def __init__(self, projects: dict[str, str] | None = None, *, revisions_page: int = REVISIONS_PAGE,
                 collection: str = "contoso"):
        given = projects or {"Payroll": "Agile", "Expenses": "Scrum"}
        self.projects = {name: Project(name, process, str(uuid.UUID(int=index + 1)), self._sprints())
                         for index, (name, process) in enumerate(given.items())}
        self.items: dict[int, dict[str, Any]] = {}  # id -> fields
        self.relations: dict[int, list[dict[str, Any]]] = {}  # id -> links other than parent/child
        self.revisions: list[tuple[int, int, str, str]] = []  # the revision log: (id, rev, changed, state)
        self.recycle_bin: dict[int, dict[str, Any]] = {}
        self.tampered: dict[int, dict[str, Any]] = {}
        self.by_project: dict[str, list[int]] = {}
        self.last_summary: dict[str, int] = {}  # the project's latest summary item: the next items' parent
        self.children: dict[int, list[int]] = {}
        self._log_cache: tuple[Any, list] = (None, [])
        self.clock = EPOCH
        self.next_id = 1
        self.revisions_page = revisions_page
        self.faults: list[Fault] = []
        self.rate_limited = 0  # the next N successful answers say the budget is spent
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.listen()
        self.collection = collection  # Cloud: the organisation; Server: e.g. tfs/DefaultCollection

    @staticmethod
    def _sprints() -> list[tuple[str, dt.date, dt.date]]:
        start = EPOCH.date()
        return [(f"Sprint {n + 1}", start + dt.timedelta(days=14 * n), start + dt.timedelta(days=14 * n + 11))
                for n in range(6)]

    # --- lifecycle --------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        """The organisation's address (``https://dev.azure.com/contoso`` on the real service), or a Server
        collection's (``https://tfs.example.com/tfs/DefaultCollection``)."""
        return f"{self.base_url}/{self.collection}"

    # --- data -------------------------------------------------------------------------------------------

    def _tick(self, seconds: int = 60) -> dt.datetime:
        self.clock += dt.timedelta(seconds=seconds)
        return self.clock

    def add_items(self, count: int, project: str | None = None) -> list[int]:
        """Work items in the shape of the project's process: every tenth a summary (Feature or Epic)
        that the following items are children of; every seventh depends on the item before it."""
        ids = []
        for _ in range(count):
            name = project or sorted(self.projects)[self.next_id % len(self.projects)]
            ids.append(self._add(self.projects[name]))
        return ids

    def _add(self, project: Project) -> int:
        item_id, n = self.next_id, self.next_id
        self.next_id += 1
        created = self._tick()
        summary, types, points = SHAPES[project.process]
        same = self.by_project.setdefault(project.name, [])  # ids in creation order, kept as they are added
        parent = self.last_summary.get(project.name)
        kind = summary if parent is None or n % 10 == 1 else types[n % len(types)]
        states = PROCESSES[project.process][kind]
        state = states[n % (len(states) - (1 if states[-1][1] == "Removed" else 0))][0]
        sprint = project.sprints[n % len(project.sprints)]
        person = PEOPLE[n % (len(PEOPLE) + 1)] if n % (len(PEOPLE) + 1) < len(PEOPLE) else None
        fields: dict[str, Any] = {
            "System.Id": item_id, "System.Rev": 1, "System.TeamProject": project.name,
            "System.WorkItemType": kind, "System.Title": f"{project.name} {kind.lower()} {n}",
            "System.State": states[0][0], "System.Reason": "New",
            "System.AreaPath": project.name + ("\\Core Team" if n % 2 else ""),
            "System.IterationPath": f"{project.name}\\{sprint[0]}",
            "System.CreatedDate": ado_time(created), "System.ChangedDate": ado_time(created),
            "System.Tags": "General Ledger; Payroll Engine" if n % 3 == 0 else ("Card Feed" if n % 3 == 1 else None),
            "Microsoft.VSTS.Common.Priority": 1 + n % 4,
            "Custom.StrategicTheme": "cost-efficiency" if n % 2 == 0 else None,
        }
        if person:
            fields["System.AssignedTo"] = {"displayName": person[0], "uniqueName": person[1],
                                           "id": str(uuid.uuid5(uuid.NAMESPACE_DNS, person[1]))}
        if kind != summary:
            fields["System.Parent"] = parent
            self.children.setdefault(parent, []).append(item_id)
            fields[S + "OriginalEstimate"] = float(4 * (1 + n % 4))
            fields[S + "CompletedWork"] = float(n % 3)
            fields[S + "RemainingWork"] = float(4 * (1 + n % 4) - n % 3)
            fields[S + points] = float([1, 2, 3, 5, 8][n % 5])
            if n % 4 == 0:
                fields[S + "StartDate"] = ado_time(created + dt.timedelta(days=1))
                fields[S + ("TargetDate" if project.process == "Agile" else "FinishDate")] = ado_time(
                    created + dt.timedelta(days=10 + n % 20))
        self.items[item_id] = fields
        previous = same[-1] if same else None
        same.append(item_id)
        if kind == summary:
            self.last_summary[project.name] = item_id
        self.relations[item_id] = []
        self._revise(item_id, created, fields["System.State"])
        if state != fields["System.State"]:
            self.edit(item_id, state=state)
        if n % 7 == 0 and previous is not None:
            self.add_dependency(previous, item_id)
        return item_id

    def _revise(self, item_id: int, moment: dt.datetime, state: str) -> None:
        self.revisions.append((item_id, self.items[item_id]["System.Rev"], ado_time(moment), state))

    def edit(self, item_id: int, *, state: str | None = None, **fields: Any) -> None:
        """A person changes the item: a new revision, ChangedDate advances (and the state moves)."""
        item = self.items[item_id]
        moment = self._tick()
        item["System.Rev"] += 1
        item["System.ChangedDate"] = ado_time(moment)
        if state is not None:
            category = dict(PROCESSES[self.projects[item["System.TeamProject"]].process][item["System.WorkItemType"]])
            item["System.State"] = state
            if category[state] in ("InProgress", "Resolved") and "Microsoft.VSTS.Common.ActivatedDate" not in item:
                item["Microsoft.VSTS.Common.ActivatedDate"] = ado_time(moment)
            if category[state] == "Completed":
                item["Microsoft.VSTS.Common.ClosedDate"] = ado_time(moment)
        item.update({k.replace("__", "."): v for k, v in fields.items()})
        self._revise(item_id, moment, item["System.State"])

    def delete(self, item_id: int) -> None:
        fields = self.items.pop(item_id)
        self.relations.pop(item_id)
        self.by_project[fields["System.TeamProject"]].remove(item_id)
        if fields.get("System.Parent") in self.children:
            self.children[fields["System.Parent"]].remove(item_id)
        for links in self.relations.values():
            links[:] = [r for r in links if r["target"] != item_id]
        self.recycle_bin[item_id] = {"id": item_id, "project": fields["System.TeamProject"],
                                     "deletedDate": ado_time(self._tick()), "type": fields["System.WorkItemType"],
                                     "name": fields["System.Title"], "code": 200}

    def add_dependency(self, predecessor: int, successor: int) -> None:
        """Both ends get the link (Successor on the predecessor, Predecessor on the successor), and a revision."""
        self.relations[predecessor].append({"rel": "System.LinkTypes.Dependency-Forward", "target": successor})
        self.relations[successor].append({"rel": "System.LinkTypes.Dependency-Reverse", "target": predecessor})
        for item_id in (predecessor, successor):
            self.edit(item_id)

    def add_hyperlink(self, item_id: int, url: str, comment: str | None = None) -> None:
        self.relations[item_id].append({"rel": "Hyperlink", "url": url, "comment": comment})
        self.edit(item_id)

    def tamper(self, item_id: int, **fields: Any) -> None:
        """Answer values Azure DevOps would not validate for us (a broken proxy, an odd process)."""
        self.tampered.setdefault(item_id, {}).update({k.replace("__", "."): v for k, v in fields.items()})

    def requests_to(self, fragment: str) -> list[Logged]:
        return [r for r in self.log if fragment in r.path and r.status < 400]

    # --- rendering ----------------------------------------------------------------------------------------

    def _links(self, item_id: int) -> list[dict[str, Any]]:
        base = self.url
        fields = self.items[item_id]
        links = []
        if fields.get("System.Parent"):
            links.append({"rel": "System.LinkTypes.Hierarchy-Reverse",
                          "url": f"{base}/_apis/wit/workItems/{fields['System.Parent']}",
                          "attributes": {"isLocked": False, "name": "Parent"}})
        links += [{"rel": "System.LinkTypes.Hierarchy-Forward", "url": f"{base}/_apis/wit/workItems/{child}",
                   "attributes": {"isLocked": False, "name": "Child"}}
                  for child in sorted(self.children.get(item_id, []))]
        for r in self.relations[item_id]:
            if r["rel"] == "Hyperlink":
                links.append({"rel": "Hyperlink", "url": r["url"], "attributes": {"comment": r["comment"]}})
            else:
                links.append({"rel": r["rel"], "url": f"{base}/_apis/wit/workItems/{r['target']}",
                              "attributes": {"isLocked": False,
                                             "name": "Successor" if r["rel"].endswith("Forward") else "Predecessor"}})
        return links

    def _fields(self, item_id: int) -> dict[str, Any]:
        fields = dict(self.items[item_id])
        links = self._links(item_id)
        fields["System.RelatedLinkCount"] = sum(1 for r in links if r["rel"] != "Hyperlink")
        fields["System.HyperLinkCount"] = sum(1 for r in links if r["rel"] == "Hyperlink")
        fields.update(self.tampered.get(item_id, {}))
        return {k: v for k, v in fields.items() if v is not None}

    def _render(self, item_id: int, fields: list[str] | None, expand: str | None) -> dict[str, Any]:
        values = self._fields(item_id)
        if fields is not None:
            values = {k: v for k, v in values.items() if k in fields}
        rendered = {"id": item_id, "rev": self.items[item_id]["System.Rev"], "fields": values,
                    "url": f"{self.url}/_apis/wit/workItems/{item_id}"}
        if (expand or "").lower() in ("relations", "all"):
            rendered["relations"] = self._links(item_id)
        return rendered

    # --- HTTP -----------------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(EmulatorHandler):
            def serve(self, method: str) -> None:
                path, query = self.target()
                params = {k: v[0] for k, v in query.items()}
                body = self.json_body()
                entry = Logged(method, unquote(path), params, body)
                with emulator.lock:
                    emulator.log.append(entry)
                    status, payload, headers = emulator._respond(method, entry.path, params, body, self.headers)
                entry.status = status
                if isinstance(payload, str):  # the sign-in page
                    data = payload.encode()
                    self.send_response(status)
                    self.send_header("Content-Type", "text/html")
                    self.send_header("Content-Length", str(len(data)))
                    self.end_headers()
                    self.wfile.write(data)
                    return
                send_json(self, status, headers, payload)

        return Handler

    def _respond(self, method: str, path: str, params: dict, body: dict | None, headers: Any):
        fault = next_fault(self.faults, path, lambda path, part: part in path)
        if fault:
            return fault.status, fault.body or {"message": f"emulated {fault.status}"}, fault.headers
        if not headers.get("Authorization", ""):
            return 203, "<html><head><title>Azure DevOps Services | Sign In</title></head></html>", {}
        if (basic_credentials(headers) or ("", ""))[1] != PAT:
            return 401, {"message": "TF400813: The user is not authorized to access this resource."}, {}
        if "api-version" not in params:
            return 400, {"message": "VS403403: No api-version was supplied for the request."}, {}
        prefix = urlparse(self.url).path
        if not path.startswith(prefix + "/"):
            return 404, {"message": "organisation not found"}, {}
        try:
            status, payload = self._route(method, path[len(prefix):], params, body or {})
        except ValueError as exc:
            status, payload = 400, {"message": str(exc)}
        extra = {}
        if status < 400 and self.rate_limited > 0:
            self.rate_limited -= 1
            reset = int(dt.datetime.now(dt.UTC).timestamp()) + 2
            extra = {"X-RateLimit-Resource": "Core", "X-RateLimit-Limit": "200", "X-RateLimit-Remaining": "0",
                     "X-RateLimit-Reset": str(reset)}
        return status, payload, extra

    def _route(self, method: str, path: str, params: dict, body: dict) -> tuple[int, Any]:
        if m := re.fullmatch(r"/_apis/projects/([^/]+)", path):
            project = self.projects.get(m.group(1))
            if project is None:
                return 404, {"message": f"TF200016: The following project does not exist: {m.group(1)}."}
            return 200, {"id": project.id, "name": project.name, "description": f"{project.name} team project",
                         "state": "wellFormed"}
        m = re.fullmatch(r"/([^/]+)/_apis/wit/(.+)", path)
        if not m or m.group(1) not in self.projects:
            return 404, {"message": f"no route {method} {path}"}
        project, rest = self.projects[m.group(1)], m.group(2)
        if method == "GET" and rest == "classificationnodes/Iterations":
            return 200, self._iterations(project)
        if method == "GET" and rest == "workitemtypes":
            types = PROCESSES[project.process]
            return 200, {"count": len(types), "value": [
                {"name": t, "referenceName": f"Microsoft.VSTS.WorkItemTypes.{t.replace(' ', '')}",
                 "states": [{"name": s, "color": "b2b2b2", "category": c} for s, c in states]}
                for t, states in types.items()]}
        if method == "POST" and rest == "wiql":
            return 200, self._wiql(project, body.get("query", ""), params)
        if method == "POST" and rest == "workitemsbatch":
            return 200, self._batch(body)
        if method == "GET" and rest == "recyclebin":
            gone = [e for e in self.recycle_bin.values() if e["project"] == project.name]
            return 200, {"count": len(gone), "value": gone}
        if method == "GET" and rest == "reporting/workitemrevisions":
            return 200, self._revisions_page(project, params)
        if method == "GET" and (u := re.fullmatch(r"workItems/(\d+)/updates", rest)):
            return self._updates(int(u.group(1)), params)
        return 404, {"message": f"no route {method} {path}"}

    def _iterations(self, project: Project) -> dict[str, Any]:
        children = [{"id": 100 + i, "name": name, "structureType": "iteration", "hasChildren": False,
                     "path": f"\\{project.name}\\Iteration\\{name}",
                     "attributes": {"startDate": f"{start}T00:00:00Z", "finishDate": f"{finish}T00:00:00Z"}}
                    for i, (name, start, finish) in enumerate(project.sprints)]
        return {"id": 99, "name": project.name, "structureType": "iteration", "hasChildren": True,
                "path": f"\\{project.name}\\Iteration", "children": children}

    def _wiql(self, project: Project, query: str, params: dict) -> dict[str, Any]:
        where = re.fullmatch(r"SELECT \[System\.Id\] FROM WorkItems WHERE (.+) ORDER BY \[System\.Id\] ASC", query)
        if not where:
            raise ValueError(f"TF51006: the emulator cannot parse the query {query!r}")
        checks = [_clause(c) for c in re.split(r" AND ", where.group(1))]
        found = sorted(i for i, f in self.items.items() if all(check(i, f) for check in checks))
        top = int(params["$top"]) if "$top" in params else None
        if top is None and len(found) > WIQL_LIMIT:
            raise ValueError("VS402337: The number of work items returned exceeds the size limit of 20000. "
                             "Change the query to return fewer items.")
        found = found[:top if top is not None else WIQL_LIMIT]
        return {"queryType": "flat", "queryResultType": "workItem", "asOf": ado_time(self.clock),
                "columns": [{"referenceName": "System.Id", "name": "ID"}],
                "workItems": [{"id": i, "url": f"{self.url}/_apis/wit/workItems/{i}"} for i in found]}

    def _batch(self, body: dict) -> dict[str, Any]:
        ids, fields, expand = body.get("ids") or [], body.get("fields"), body.get("$expand")
        if len(ids) > 200:
            raise ValueError("VS402335: the maximum number of work items in a batch is 200")
        if fields and expand:
            raise ValueError("The expand parameter can not be used with the fields parameter.")
        unknown = [f for f in fields or [] if f not in KNOWN_FIELDS]
        if unknown:
            raise ValueError(f"TF51535: Cannot find field {unknown[0]}.")
        missing = [i for i in ids if i not in self.items]
        if missing and body.get("errorPolicy", "fail").lower() != "omit":
            raise ValueError(f"TF401232: Work item {missing[0]} does not exist, or you do not have permissions.")
        value = [self._render(i, fields, expand) if i in self.items else None for i in ids]
        return {"count": len(value), "value": value}

    def _revisions_page(self, project: Project, params: dict) -> dict[str, Any]:
        wanted = [f for f in params.get("fields", "").split(",") if f]
        key = (project.name, len(self.revisions), len(self.recycle_bin))
        if self._log_cache[0] != key:  # the project's revision log, until the data changes
            self._log_cache = (key, [r for r in self.revisions if r[0] in self.items
                                     and self.items[r[0]]["System.TeamProject"] == project.name])
        log = self._log_cache[1]
        start = int(params.get("continuationToken") or 0)
        page = log[start:start + self.revisions_page]
        values = [{"id": i, "rev": rev, "fields": {k: v for k, v in
                                                   {"System.State": state, "System.ChangedDate": changed}.items()
                                                   if not wanted or k in wanted}} for i, rev, changed, state in page]
        end = start + len(page)
        return {"values": values, "continuationToken": str(end), "isLastBatch": end >= len(log),
                "nextLink": f"{self.url}/{project.name}/_apis/wit/reporting/workitemrevisions?continuationToken={end}"}

    def _updates(self, item_id: int, params: dict) -> tuple[int, Any]:
        if item_id not in self.items:
            return 404, {"message": f"TF401232: Work item {item_id} does not exist."}
        mine = [r for r in self.revisions if r[0] == item_id]
        updates = []
        for index, (_, rev, changed, state) in enumerate(mine):
            fields: dict[str, Any] = {"System.ChangedDate": {"newValue": changed}}
            previous = mine[index - 1][3] if index else None
            if previous != state:
                fields["System.State"] = {"newValue": state, **({"oldValue": previous} if previous else {})}
            updates.append({"id": index + 1, "workItemId": item_id, "rev": rev, "fields": fields})
        skip, top = int(params.get("$skip", 0)), int(params.get("$top", 200))
        page = updates[skip:skip + top]
        return 200, {"count": len(page), "value": page}


def _clause(text: str):
    text = text.strip()
    if text.startswith("(") and text.endswith(")"):
        text = text[1:-1]
    if m := re.fullmatch(r"\[System\.TeamProject\] = '((?:[^']|'')*)'", text):
        name = m.group(1).replace("''", "'")
        return lambda i, f: f["System.TeamProject"] == name
    if m := re.fullmatch(r"\[System\.Id\] > (\d+)", text):
        bound = int(m.group(1))
        return lambda i, f: i > bound
    if m := re.fullmatch(r"\[System\.ChangedDate\] >= '([^']+)'", text):
        since = _parse(m.group(1))
        return lambda i, f: _parse(f["System.ChangedDate"]) >= since
    if m := re.fullmatch(r"\[System\.WorkItemType\] <> '([^']+)'", text):
        excluded = m.group(1)
        return lambda i, f: f["System.WorkItemType"] != excluded
    raise ValueError(f"TF51006: the emulator cannot parse the clause {text!r}")


def _parse(value: str) -> dt.datetime:
    return dt.datetime.fromisoformat(value.replace("Z", "+00:00"))
