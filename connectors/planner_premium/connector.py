"""Planner premium / Project for the web projects, read from Dataverse (``kind: planner_premium``).

A project's ``key`` is its ``msdyn_projectid``. Each run reads the projects in scope, then per
project its tasks, task dependencies, resource assignments and buckets (only rows with
``modifiedon`` since the last run, less ``overlap_minutes``, once a run has succeeded), and the
environment's bookable resources (people, with their e-mail). An incremental run also lists the
ids still there, so rows deleted in Planner leave. With ``baseline: first_seen`` the dates a task
had when Sightline first saw it are its baseline; they are kept in the source's saved state, which a
full refresh keeps too (a full refresh re-reads the source, it does not forget what was observed).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.planner_premium import mapping as m
from connectors.planner_premium.client import DataverseClient
from connectors.planner_premium.options import PlannerPremiumOptions

GUID = re.compile(r"^[0-9a-fA-F]{8}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{4}-[0-9a-fA-F]{12}$")
PROJECTS_PER_QUERY = 25  # projects a query names (`... eq a or ... eq b`): keeps the URL short
PRESENT_SCHEMA = pa.schema([("key", pa.string())])


class PlannerPremiumConnector(Connector):
    kind = "planner_premium"
    raw_schemas = m.RAW_SCHEMAS
    options_model = PlannerPremiumOptions
    options: PlannerPremiumOptions
    merge_key = "record_id"
    primary_table = "records"

    def client(self) -> DataverseClient:
        return DataverseClient(self.source.id, self.options, verify=self.options.verify(self.source))

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        client = self.client()
        cursor = _time((context.previous_state or {}).get("cursor"))
        since = cursor - dt.timedelta(minutes=self.options.overlap_minutes) if cursor else None
        baselines = Baselines(self.options.baseline == "first_seen", context.kept_state)
        projects = self._projects(client)
        context.info(f"{self.source.id}: {'incremental from ' + since.isoformat() if since else 'full'} sync of "
                     f"{len(projects)} project(s)")
        yield from self._rows_batches("projects", projects)
        newest = max((p["modified_at"] for p in projects if p["modified_at"]), default=None)
        names = {p["record_id"]: p["name"] or p["record_id"] for p in projects}
        for group in _groups(sorted(names)):
            for entity in m.PROJECT_ENTITIES:
                for page in client.pages(entity.entity_set, self._query(entity, group, since)):
                    rows, carried, stamp = self._take(entity, page, names, baselines, context)
                    newest = max(filter(None, (newest, stamp)), default=None)
                    yield from self._rows_batches(entity.name, rows, carried)
                    yield from context.drain_quarantine()
        people: set[str] = set()
        yield from self._resources(client, context, people)
        present: set[str] | None = None
        if since is not None:
            context.incremental = True
            present = self._present(client, projects) | people
            yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": sorted(present)}, schema=PRESENT_SCHEMA))
        yield from context.drain_quarantine(force=True)
        started = dt.datetime.fromtimestamp(client.server_date, dt.UTC).replace(tzinfo=None) \
            if client.server_date else newest
        context.state = {"cursor": (started or cursor).isoformat() if (started or cursor) else None,
                         **baselines.state(present)}

    # --- reading --------------------------------------------------------------------------------------

    def _projects(self, client: DataverseClient) -> list[dict[str, Any]]:
        wanted = [key.lower() for key in self.source.project_keys]
        bad = [key for key in wanted if not GUID.match(key)]
        if bad:
            raise SourceError(f"{self.source.id}: project key(s) {', '.join(bad)} are not Planner premium project ids; "
                              "set each project's key to its msdyn_projectid (a GUID, in the project's URL)")
        filters = [_any_of("msdyn_projectid", group) for group in _groups(wanted)] or ["statecode eq 0"]
        found = []
        for condition in filters:
            query = {"$select": m.PROJECTS.select(), "$filter": condition, "$orderby": "msdyn_projectid"}
            for page in client.pages(m.PROJECTS.entity_set, query):
                found.extend(m.project_row(row, self.options.url) for row in page)
        missing = sorted(set(wanted) - {p["record_id"] for p in found})
        if missing:
            raise SourceError(f"{self.source.id}: project(s) {', '.join(missing)} not found or not visible to the app "
                              "registration; check the project's key (its msdyn_projectid) and the application "
                              "user's security role")
        return found

    def _query(self, entity: m.Entity, project_ids: list[str], since: dt.datetime | None,
               columns: str | None = None) -> dict[str, str]:
        condition = _any_of(entity.project, project_ids)
        if since is not None:
            condition += f" and modifiedon ge {since:%Y-%m-%dT%H:%M:%SZ}"
        # Ordered by id, which no edit moves: a page boundary never shifts under the reader.
        return {"$select": columns or entity.select(), "$filter": condition, "$orderby": entity.key}

    def _take(self, entity: m.Entity, page: list[dict[str, Any]], names: Mapping[str, str], baselines: Baselines,
              context: ExtractContext) -> tuple[list[dict[str, Any]], list[dict[str, Any]], dt.datetime | None]:
        """One page mapped, and the records it carries. A row that cannot be read is quarantined alone, and
        still carried: its old row leaves, the quarantine says why."""
        rows, carried, newest = [], [], None
        for raw in page:
            try:
                row = m.ROW_MAPPERS[entity.name](raw)
            except (m.RecordError, TypeError, ValueError) as exc:
                rid = self._quarantine(entity, raw, names, str(exc), context)
                if rid:
                    carried.append({"record_id": rid, "entity": entity.name, "modified_at": None})
                    baselines.seen.add(rid)
                continue
            if entity is m.TASKS:
                baselines.apply(row)
            rows.append(row)
            carried.append({"record_id": row["record_id"], "entity": entity.name, "modified_at": row["modified_at"]})
            newest = max(filter(None, (newest, row["modified_at"])), default=None)
        return rows, carried, newest

    def _quarantine(self, entity: m.Entity, raw: Mapping[str, Any], names: Mapping[str, str], reason: str,
                    context: ExtractContext) -> str:
        rid = str(raw.get(entity.key) or "").lower()
        project = str(raw.get(entity.project) or "").lower()
        what = f"{entity.entity_set} row {rid}" if rid else f"a {entity.entity_set} row without {entity.key}"
        context.quarantine(rid or f"{project}#{entity.name}",
                           f"{self.source.id}, project {names.get(project, project)}, {what}",
                           f"{what}: {reason}; correct it in Planner (or Dataverse)", dict(raw))
        return rid

    def _rows_batches(self, table: str, rows: list[dict[str, Any]],
                      carried: list[dict[str, Any]] | None = None) -> Iterator[Batch]:
        if rows:
            yield Batch(table, pa.Table.from_pylist(rows, schema=m.RAW_SCHEMAS[table]))
        if carried is None:
            carried = [{"record_id": r["record_id"], "entity": table, "modified_at": r["modified_at"]} for r in rows]
        if carried:
            yield Batch("records", pa.Table.from_pylist(carried, schema=m.RAW_SCHEMAS["records"]))

    def _resources(self, client: DataverseClient, context: ExtractContext, seen: set[str]) -> Iterator[Batch]:
        """The environment's bookable resources (people), whole every run: they are few and carry no project.
        Each is listed as carried too, so a quarantine of an earlier run is judged again."""
        for page in client.pages("bookableresources", {"$select": m.RESOURCE_COLUMNS, "$orderby": "bookableresourceid"}):
            rows, carried = [], []
            for raw in page:
                rid = str(raw.get("bookableresourceid") or "").lower()
                try:
                    rows.append(m.resource_row(raw))
                except (m.RecordError, TypeError, ValueError) as exc:
                    what = f"bookable resource {rid or 'without bookableresourceid'}"
                    context.quarantine(rid or "bookableresources", f"{self.source.id}, {what}",
                                       f"{what}: {exc}; correct it in the environment", dict(raw))
                if rid:
                    carried.append({"record_id": rid, "entity": "resources", "modified_at": None})
                    seen.add(rid)
            if rows:
                yield Batch("resources", pa.Table.from_pylist(rows, schema=m.RAW_SCHEMAS["resources"]))
            yield from self._rows_batches("resources", [], carried)

    def _present(self, client: DataverseClient, projects: list[dict[str, Any]]) -> set[str]:
        """Every record id still in scope (ids only): what an incremental run keeps."""
        present = {p["record_id"] for p in projects}
        for group in _groups(sorted(present)):
            for entity in m.PROJECT_ENTITIES:
                for page in client.pages(entity.entity_set, self._query(entity, group, None, entity.key)):
                    present.update(str(row.get(entity.key) or "").lower() for row in page)
        return present


class Baselines:
    """First-seen dates of tasks (``baseline: first_seen``), carried in the saved state between runs."""

    def __init__(self, enabled: bool, kept: Mapping[str, Any] | None):
        self.enabled = enabled
        self.kept: dict[str, list[str | None]] = dict((kept or {}).get("baselines") or {}) if enabled else {}
        self.seen: set[str] = set()

    def apply(self, row: dict[str, Any]) -> None:
        if not self.enabled:
            return
        self.seen.add(row["record_id"])
        if row["record_id"] not in self.kept and (row["start"] or row["finish"]):
            self.kept[row["record_id"]] = [_iso(row["start"]), _iso(row["finish"])]
        start, finish = self.kept.get(row["record_id"], (None, None))
        row["baseline_start"], row["baseline_finish"] = _time(start), _time(finish)

    def state(self, present: set[str] | None) -> dict[str, Any]:
        """The baselines of tasks still there: those listed (incremental), else those read (full)."""
        if not self.enabled:
            return {}
        alive = present if present is not None else self.seen
        return {"baselines": {tid: dates for tid, dates in sorted(self.kept.items()) if tid in alive}}


def _groups(keys: list[str]) -> list[list[str]]:
    return [keys[i:i + PROJECTS_PER_QUERY] for i in range(0, len(keys), PROJECTS_PER_QUERY)]


def _any_of(column: str, keys: list[str]) -> str:
    """``(col eq a or col eq b)``: one query for several projects."""
    return "(" + " or ".join(f"{column} eq {key}" for key in keys) + ")"


def _iso(moment: dt.datetime | None) -> str | None:
    return moment.isoformat() if moment else None


def _time(text: Any) -> dt.datetime | None:
    return dt.datetime.fromisoformat(text) if isinstance(text, str) and text else None
