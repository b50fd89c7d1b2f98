"""Jira connector (kind: jira): Cloud and Data Center, incremental, with deletions and status history.

Each run:
1. resolves custom fields by name (``/field``) and reads the projects in scope;
2. searches issues: everything on the first run or ``--full-refresh``; afterwards only issues with
   ``updated >= cursor - overlap`` (the cursor is the largest ``updated`` seen, in epoch
   milliseconds, so no time zone can shift it);
3. reads status history for the issues it fetched (Cloud: ``/changelog/bulkfetch``, 1000 issues a
   call; Data Center: the search's ``expand=changelog``);
4. on incremental runs, lists every issue id in scope (``fields=id``, large pages) so the issues
   that disappeared are deleted.
Results are merged by issue id, so the overlap never duplicates, and the new cursor is saved only
once the load has landed.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.jira.client import JiraClient, RetryPolicy
from connectors.jira.mapping import (
    CUSTOM_FIELD_NAMES,
    RAW_SCHEMAS,
    FieldIds,
    change_row,
    epoch_ms,
    issue_rows,
)
from connectors.jira.options import JiraOptions
from connectors.jira.search import cloud_pages, datacenter_pages, jql_quote

CHANGELOG_BATCH = 1000
ID_PAGE_CLOUD = 5000
ID_PAGE_DC = 1000
PRESENT_SCHEMA = pa.schema([("key", pa.string())])


class JiraConnector(Connector):
    kind: ClassVar[str] = "jira"
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    merge_key: ClassVar[str | None] = "issue_id"
    primary_table: ClassVar[str | None] = "issues"
    options_model: ClassVar[type[JiraOptions]] = JiraOptions
    options: JiraOptions

    @classmethod
    def staging_sql_dir(cls) -> Path:
        return Path(__file__).parent / "staging"

    # --- extract ----------------------------------------------------------------------------------

    @property
    def flavor(self) -> str:
        return self.options.flavor

    @property
    def api(self) -> str:
        return "/rest/api/3" if self.flavor == "cloud" else "/rest/api/2"

    @property
    def result_window(self) -> int:
        """How far Data Center lets one query page (10,000 unless the site's admin changed it)."""
        return self.options.result_window

    def client(self) -> JiraClient:
        options = self.options
        timeout = options.timeout_seconds
        retry = RetryPolicy(
            max_retries=options.max_retries,
            backoff_base_seconds=options.backoff_seconds,
            read_timeout_seconds=timeout, connect_timeout_seconds=min(timeout, 10.0),
            max_wait_seconds=options.max_wait_seconds,
        )
        keys = self.project_keys()
        scope = f"project(s) {', '.join(keys)}" if keys else "the projects"
        verify = options.verify_tls
        if isinstance(verify, str):  # a CA bundle, relative to portfolio.yaml like every other path
            verify = str(self.source.resolve(verify))
        return JiraClient(self.source.id, options.url, options.auth.model_dump(exclude_none=True),
                          verify=verify, retry=retry, scope=scope)

    def project_keys(self) -> list[str]:
        return list(self.options.projects or self.source.project_keys)

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        client = self.client()
        fields = self._resolve_fields(client)
        projects = self._projects(client)
        yield Batch("projects", pa.Table.from_pylist(projects, schema=RAW_SCHEMAS["projects"]))
        keys = [p["project_key"] for p in projects]
        cursor = (context.previous_state or {}).get("updated_ms")
        overlap_ms = int(self.options.overlap_minutes * 60_000)
        condition = self._condition(f"updated >= {int(cursor) - overlap_ms}" if cursor is not None else "")
        context.info(f"{self.source.id}: {'incremental from ' + str(cursor) if cursor else 'full'} sync of "
                     f"{', '.join(keys)}")

        newest = cursor
        fetched_ids: list[str] = []
        for issues in self._issue_pages(client, keys, condition, fields.request_list()):
            tables: dict[str, list[dict]] = {"issues": [], "links": [], "versions": [], "changelog": []}
            for issue in issues:
                for table, rows in issue_rows(issue, fields, self.options.risk_issue_type).items():
                    tables[table].extend(rows)
            for row in tables["issues"]:
                fetched_ids.append(row["issue_id"])
                if row["updated_at"] is not None:
                    newest = max(newest or 0, epoch_ms(row["updated_at"]))
            yield from (Batch(t, pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[t])) for t, rows in tables.items() if rows)
        if self.flavor == "cloud":
            yield from self._bulk_changelog(client, fetched_ids)
        if cursor is not None:
            context.incremental = True
            yield from self._present_ids(client, keys)
        context.state = {"updated_ms": newest}

    def _condition(self, updated: str) -> str:
        extra = self.options.jql
        return " AND ".join(c for c in (updated, f"({extra})" if extra else "") if c)

    def _resolve_fields(self, client: JiraClient) -> FieldIds:
        by_name: dict[str, str] = {}
        for field in client.get(f"{self.api}/field") or []:
            by_name.setdefault(str(field.get("name", "")).strip().lower(), field["id"])
        configured = self.options.fields
        ids = {}
        for role, defaults in CUSTOM_FIELD_NAMES.items():
            names = [configured[role]] if role in configured else list(defaults)
            found = next((by_name[n.lower()] for n in names if n.lower() in by_name), None)
            if found:
                ids[role] = found
            elif role in configured:
                raise SourceError(
                    f"{self.source.id}: no Jira field named {configured[role]!r} (fields.{role}); "
                    "check the field's name in Jira's field settings"
                )
        return FieldIds(ids)

    def _projects(self, client: JiraClient) -> list[dict[str, Any]]:
        wanted = self.project_keys()
        found = []
        if self.flavor == "cloud":
            start = 0
            while True:
                params: dict[str, Any] = {"startAt": start, "maxResults": 50, "expand": "lead"}
                if wanted:
                    params["keys"] = wanted
                page = client.get(f"{self.api}/project/search", params) or {}
                found.extend(page.get("values") or [])
                start += len(page.get("values") or [])
                if page.get("isLast", True) or not page.get("values"):
                    break
        else:
            found = [p for p in client.get(f"{self.api}/project", {"expand": "lead"}) or []
                     if not wanted or p.get("key") in wanted]
        missing = sorted(set(wanted) - {p.get("key") for p in found})
        if missing:
            raise SourceError(
                f"{self.source.id}: project(s) {', '.join(missing)} not found or not visible to this account; "
                "check the key and the account's 'Browse projects' permission"
            )
        return [{"project_id": str(p.get("id")), "project_key": p.get("key"), "name": p.get("name"),
                 "lead_name": (p.get("lead") or {}).get("displayName")} for p in found]

    def _issue_pages(self, client: JiraClient, keys: list[str], condition: str, fields: list[str]) -> Iterator[list[dict]]:
        page_size = self.options.page_size
        if self.flavor == "cloud":
            scope = f"project in ({', '.join(jql_quote(k) for k in keys)})"
            jql = " AND ".join(c for c in (scope, condition) if c) + " ORDER BY updated ASC, key ASC"
            yield from cloud_pages(client, jql, fields, page_size)
        else:
            for key in keys:
                yield from datacenter_pages(client, key, condition, fields, page_size, expand="changelog",
                                            window=self.result_window)

    def _bulk_changelog(self, client: JiraClient, issue_ids: list[str]) -> Iterator[Batch]:
        """Status history of the fetched issues, 1000 issues a call (not expand=changelog, which truncates)."""
        for start in range(0, len(issue_ids), CHANGELOG_BATCH):
            chunk = issue_ids[start:start + CHANGELOG_BATCH]
            token = None
            while True:
                body: dict[str, Any] = {"issueIdsOrKeys": chunk, "fieldIds": ["status"], "maxResults": 1000}
                if token:
                    body["nextPageToken"] = token
                page = client.post(f"{self.api}/changelog/bulkfetch", body) or {}
                rows = [
                    change_row(str(log.get("issueId")), None, history.get("created"), item)
                    for log in page.get("issueChangeLogs") or []
                    for history in log.get("changeHistories") or []
                    for item in history.get("items") or []
                    if item.get("fieldId") == "status" or item.get("field") == "status"
                ]
                if rows:
                    yield Batch("changelog", pa.Table.from_pylist(rows, schema=RAW_SCHEMAS["changelog"]))
                token = page.get("nextPageToken")
                if not token:
                    break

    def _present_ids(self, client: JiraClient, keys: list[str]) -> Iterator[Batch]:
        """Every issue id in scope, cheaply: ids only, in the largest pages Jira allows."""
        condition = self._condition("")
        if self.flavor == "cloud":
            scope = f"project in ({', '.join(jql_quote(k) for k in keys)})"
            pages = cloud_pages(client, " AND ".join(c for c in (scope, condition) if c), ["id"], ID_PAGE_CLOUD)
        else:
            pages = (page for key in keys
                     for page in datacenter_pages(client, key, condition, ["id"], ID_PAGE_DC, window=self.result_window))
        seen_any = False
        for issues in pages:
            seen_any = True
            yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": [str(i["id"]) for i in issues]}, schema=PRESENT_SCHEMA))
        if not seen_any:  # an empty scope is an answer too: every issue is gone
            yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": pa.array([], pa.string())}, schema=PRESENT_SCHEMA))
