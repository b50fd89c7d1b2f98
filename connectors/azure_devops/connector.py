"""Azure DevOps Boards connector (kind: azure_devops): Cloud and Server, incremental, with deletions
and status history.

Each run, per team project:
1. reads the project (``_apis/projects/{name}``), its iterations with their dates (classification
   nodes) and its work item types with each state's category (``workitemtypes``);
2. lists work item ids with WIQL (``POST _apis/wit/wiql``, ids only, ``ORDER BY [System.Id]``): a
   query returns at most ``wiql_cap`` (20,000) ids, so the listing continues after the last id read
   (``[System.Id] > n``) until a query comes back short. A first run (or ``--full-refresh``) lists
   everything; afterwards only ``[System.ChangedDate] >= cursor - overlap``, and every id in scope is
   listed too (deletions);
3. reads the listed items 200 a call (``POST _apis/wit/workitemsbatch``, an explicit field list,
   ``errorPolicy: Omit`` so an item deleted meanwhile is simply absent), then, for the items whose link
   counters show more than their parent and children (dependencies, hyperlinks), their relations
   (``$expand: relations``: it cannot go with a field list);
4. reads the recycle bin (``_apis/wit/recyclebin``): items deleted since the listing leave too;
5. reads status history: on a full run, or when that takes fewer calls than reading each changed
   item's ``updates`` (at most ``history_by_item_limit`` of them), the reporting revisions of the
   project (``_apis/wit/reporting/workitemrevisions``, state and changed date only, paged by
   continuation token).
The cursor is the server's ``asOf`` of the first WIQL listing (its own clock, taken before any item is
read), so an item changed while the run reads is read again next time; it is saved only once the
load has landed. A work item that cannot be read is quarantined with its id and the reason.
"""

from __future__ import annotations

import datetime as dt
import math
from collections import Counter
from collections.abc import Iterable, Iterator, Mapping
from typing import Any, ClassVar
from urllib.parse import quote

import pyarrow as pa

from connectors.azure_devops.client import AdoClient
from connectors.azure_devops.mapping import (
    RAW_SCHEMAS,
    ItemError,
    iteration_rows,
    link_counts,
    relation_rows,
    request_fields,
    work_item_row,
)
from connectors.azure_devops.options import AzureDevOpsOptions
from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.timestamps import parse_utc_time

BATCH = 200  # workitemsbatch takes at most 200 ids a call
UPDATES_PAGE = 200
REVISIONS_PAGE = 1000  # the reporting revisions API's largest page
PRESENT_SCHEMA = pa.schema([("key", pa.string())])
HISTORY_FIELDS = "System.State,System.ChangedDate"


class AzureDevOpsConnector(Connector):
    kind: ClassVar[str] = "azure_devops"
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    merge_key: ClassVar[str | None] = "work_item_id"
    primary_table: ClassVar[str | None] = "work_items"

    options_model: ClassVar[type[AzureDevOpsOptions]] = AzureDevOpsOptions
    options: AzureDevOpsOptions

    def project_names(self) -> list[str]:
        names = list(self.options.projects or self.source.project_keys)
        if not names:
            raise SourceError(f"{self.source.id}: no team project to read; list them under the source's projects: "
                              "or name this source in a project whose key is the team project name")
        return names

    def client(self) -> AdoClient:
        options = self.options
        return AdoClient(self.source.id, options.url, options.auth.token_env, api_version=options.api_version,
                         verify=options.verify(self.source), retry=options.retry_policy(), scope=f"project(s) {', '.join(self.project_names())}")

    # --- extract ----------------------------------------------------------------------------------------

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        client = self.client()
        names = self.project_names()
        cursor = (context.previous_state or {}).get("as_of")
        since = _minus_minutes(cursor, self.options.overlap_minutes) if cursor else None
        context.info(f"{self.source.id}: {'incremental from ' + cursor if cursor else 'full'} sync of "
                     f"{', '.join(names)}")
        yield from _batch("projects", [self._project(client, name) for name in names])
        yield from _batch("iterations", [row for name in names for row in self._iterations(client, name)])
        yield from _batch("states", [row for name in names for row in self._states(client, name)])
        as_of: list[str] = []
        present: set[str] = set()
        for name in names:
            yield from self._sync_project(client, name, since, context, as_of, present)
        if cursor is not None:
            context.incremental = True
            yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": sorted(present, key=int)}, schema=PRESENT_SCHEMA))
        yield from context.drain_quarantine(force=True)
        context.state = {"as_of": min(as_of) if as_of else cursor}

    def _sync_project(self, client: AdoClient, project: str, since: str | None, context: ExtractContext,
                      as_of: list[str], present: set[str]) -> Iterator[Batch]:
        listed, stamp = self._listing(client, project, None)
        as_of.append(stamp)
        wanted = listed if since is None else self._listing(client, project, since)[0]
        returned: set[str] = set()  # every item the batch read returned, readable or quarantined
        good: set[str] = set()
        yield from self._read_items(client, project, wanted, returned, good, context)
        # Gone since the listing: in the recycle bin, or absent from the batch read (errorPolicy Omit).
        gone = self._recycled(client, project) | {str(i) for i in wanted if str(i) not in returned}
        present.update(str(i) for i in listed if str(i) not in gone)
        context.info(f"{self.source.id}: {project}: {len(good)} work item(s) read, {len(listed)} in scope, "
                     f"{len(gone & set(map(str, listed)))} deleted since listed")
        # One updates call per changed item, or the project's revisions in pages of up to 1000 (at least
        # one revision per item): whichever takes fewer calls.
        per_item = min(self.options.history_by_item_limit, math.ceil(len(listed) / REVISIONS_PAGE))
        if since is None or len(wanted) > per_item:
            yield from self._revisions(client, project, good)
        else:
            yield from self._updates(client, project, sorted(good, key=int))

    def _listing(self, client: AdoClient, project: str, since: str | None) -> tuple[list[int], str]:
        """Ids in scope (changed since ``since`` when given), in id order, across as many WIQL queries as
        the result cap needs; and the server's asOf of the first query."""
        ids: list[int] = []
        stamp = ""
        cap = self.options.wiql_cap
        while True:
            query = self._wiql(project, since, ids[-1] if ids else None)
            answer = client.post(f"/{_segment(project)}/_apis/wit/wiql", {"query": query},
                                 params={"$top": cap, "timePrecision": "true"}) or {}
            stamp = stamp or str(answer.get("asOf") or "")
            found = [int(item["id"]) for item in answer.get("workItems") or []]
            if ids and found and found[0] <= ids[-1]:
                raise SourceError(f"{self.source.id}: the WIQL listing of {project} went backwards (id {found[0]} "
                                  f"after {ids[-1]}); Azure DevOps' paging is not ending, run the sync again later")
            ids.extend(found)
            if len(found) < cap:
                return ids, stamp

    def _wiql(self, project: str, since: str | None, after: int | None) -> str:
        clauses = [f"[System.TeamProject] = {_wiql_text(project)}"]
        if after is not None:
            clauses.append(f"[System.Id] > {after}")
        if since:
            clauses.append(f"[System.ChangedDate] >= {_wiql_text(since)}")
        if self.options.wiql:
            clauses.append(f"({self.options.wiql})")
        return f"SELECT [System.Id] FROM WorkItems WHERE {' AND '.join(clauses)} ORDER BY [System.Id] ASC"

    def _read_items(self, client: AdoClient, project: str, ids: list[int], returned: set[str], good: set[str],
                    context: ExtractContext) -> Iterator[Batch]:
        fields = request_fields(self.options.fields)
        path = f"/{_segment(project)}/_apis/wit/workitemsbatch"
        links: dict[int, int] = {}  # id -> links its counters report besides its parent link
        children: Counter[int] = Counter()
        for start in range(0, len(ids), BATCH):
            chunk = ids[start:start + BATCH]
            items = [i for i in (client.post(path, {"ids": chunk, "fields": fields, "errorPolicy": "Omit"}) or {})
                     .get("value") or [] if i]
            rows = []
            for item in items:
                returned.add(str(item.get("id")))
                row = self._row(item, context)
                if row is not None:
                    rows.append(row)
                    good.add(row["work_item_id"])
                    related, hyperlinks = link_counts(item)
                    links[int(row["work_item_id"])] = related + hyperlinks
                    if row["parent_id"] and row["parent_id"].isdigit():
                        children[int(row["parent_id"])] += 1
            yield from _batch("work_items", rows)
            yield from context.drain_quarantine()
        # Only items with links besides their parent and the children read here (dependencies,
        # hyperlinks, children out of scope) are read again, with their relations.
        linked = [i for i, count in links.items() if count > children[i]]
        for start in range(0, len(linked), BATCH):
            expanded = client.post(path, {"ids": linked[start:start + BATCH], "$expand": "Relations",
                                          "errorPolicy": "Omit"}) or {}
            yield from _batch("links", [r for i in expanded.get("value") or [] if i for r in relation_rows(i)])

    def _row(self, item: Mapping[str, Any], context: ExtractContext) -> dict[str, Any] | None:
        try:
            return work_item_row(item, self.options.url, self.options.fields, self.options.risk_work_item_type)
        except ItemError as exc:
            reason = str(exc)
        except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a field of an unexpected shape
            reason = f"unexpected content ({type(exc).__name__}: {exc}); check the work item in Azure DevOps"
        item_id = item.get("id")
        name = f"work item {item_id}" if item_id not in (None, "") else "a work item without id"
        context.quarantine(str(item_id) if item_id not in (None, "") else name, f"{self.source.id}, {name}",
                           f"{name}: {reason}", {"id": item_id, "fields": item.get("fields")})
        return None

    def _recycled(self, client: AdoClient, project: str) -> set[str]:
        answer = client.get(f"/{_segment(project)}/_apis/wit/recyclebin") or {}
        return {str(entry["id"]) for entry in answer.get("value") or [] if entry.get("id") is not None}

    def _revisions(self, client: AdoClient, project: str, good: set[str]) -> Iterator[Batch]:
        """State transitions of the items read, from the project's reporting revisions (every revision's
        state; a transition is a revision whose state differs from the item's previous revision)."""
        last: dict[str, tuple[int, str | None]] = {}
        token: str | None = None
        seen: set[str] = set()
        while True:
            params = {"fields": HISTORY_FIELDS, **({"continuationToken": token} if token else {})}
            page = client.get(f"/{_segment(project)}/_apis/wit/reporting/workitemrevisions", params) or {}
            rows = []
            for revision in page.get("values") or []:
                row = _transition(revision, last)
                if row is not None and row["work_item_id"] in good:
                    rows.append(row)
            yield from _batch("changelog", rows)
            token = page.get("continuationToken")
            if page.get("isLastBatch", True) or not token:
                return
            if token in seen:
                raise SourceError(f"{self.source.id}: Azure DevOps returned the same continuationToken twice while "
                                  f"paging the revisions of {project}, which would loop forever; run the sync again")
            seen.add(token)

    def _updates(self, client: AdoClient, project: str, ids: Iterable[str]) -> Iterator[Batch]:
        """State transitions of a few changed items, from each one's updates."""
        for item_id in ids:
            rows, skip = [], 0
            while True:
                path = f"/{_segment(project)}/_apis/wit/workItems/{item_id}/updates"
                page = (client.get(path, {"$top": UPDATES_PAGE, "$skip": skip}) or {}).get("value") or []
                rows += [row for update in page if (row := _update_transition(item_id, update))]
                skip += len(page)
                if len(page) < UPDATES_PAGE:
                    break
            yield from _batch("changelog", rows)

    # --- projects, iterations, states -----------------------------------------------------------------

    def _project(self, client: AdoClient, name: str) -> dict[str, Any]:
        try:
            project = client.get(f"/_apis/projects/{_segment(name)}") or {}
        except SourceError as exc:
            if "HTTP 404" in str(exc):
                raise SourceError(f"{self.source.id}: team project {name!r} not found or not visible to this token; "
                                  "check the project's name (the config key) and the token's access") from None
            raise
        return {"project_id": project.get("id"), "project_name": project.get("name") or name,
                "description": project.get("description"), "web_url": f"{self.options.url}/{_segment(name)}"}

    def _iterations(self, client: AdoClient, project: str) -> list[dict[str, Any]]:
        root = client.get(f"/{_segment(project)}/_apis/wit/classificationnodes/Iterations", {"$depth": 20}) or {}
        return iteration_rows(project, root)

    def _states(self, client: AdoClient, project: str) -> list[dict[str, Any]]:
        types = (client.get(f"/{_segment(project)}/_apis/wit/workitemtypes") or {}).get("value") or []
        return [{"project_name": project, "work_item_type": t.get("name"), "state": s.get("name"),
                 "category": s.get("category")} for t in types for s in t.get("states") or []]


def _transition(revision: Mapping[str, Any], last: dict[str, tuple[int, str | None]]) -> dict[str, Any] | None:
    item_id, rev = str(revision.get("id")), int(revision.get("rev") or 0)
    fields = revision.get("fields") or {}
    state = fields.get("System.State")
    previous = last.get(item_id)
    if previous is not None and rev <= previous[0]:
        return None  # a revision already seen
    last[item_id] = (rev, state)
    if previous is None or previous[1] == state or state is None:
        return None
    return {"work_item_id": item_id, "rev": rev, "changed_at": _time(fields.get("System.ChangedDate")),
            "from_state": previous[1], "to_state": state}


def _update_transition(item_id: str, update: Mapping[str, Any]) -> dict[str, Any] | None:
    fields = update.get("fields") or {}
    state = fields.get("System.State") or {}
    if not state.get("oldValue") or state.get("newValue") in (None, state.get("oldValue")):
        return None  # the creation, or an update that did not move the state
    return {"work_item_id": item_id, "rev": int(update.get("rev") or 0),
            "changed_at": _time((fields.get("System.ChangedDate") or {}).get("newValue")),
            "from_state": state["oldValue"], "to_state": state["newValue"]}


def _time(value: Any) -> dt.datetime | None:
    try:
        return parse_utc_time(value)
    except ValueError:
        return None


def _minus_minutes(moment: str, minutes: float) -> str:
    parsed = parse_utc_time(moment) or dt.datetime(1970, 1, 1)
    return (parsed - dt.timedelta(minutes=minutes)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def _batch(table: str, rows: list[dict[str, Any]]) -> Iterator[Batch]:
    if rows:
        yield Batch(table, pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[table]))


def _segment(name: str) -> str:
    return quote(name, safe="")


def _wiql_text(value: str) -> str:
    return "'" + value.replace("'", "''") + "'"
