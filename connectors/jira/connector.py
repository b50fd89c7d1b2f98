"""Jira connector (kind: jira): Cloud and Data Center, incremental, with deletions and status history.

Each run:
1. resolves custom fields by name (``/field``) and reads the projects in scope;
2. notes Jira's clock (``/serverInfo``) and searches issues, ordered by id (Cloud) or key (Data
   Center), orders no edit can move: everything on the first run or ``--full-refresh``; afterwards
   only issues with ``updated >= cursor - overlap`` (the cursor is the largest ``updated`` seen, in
   epoch milliseconds, so no time zone can shift it);
3. catches up: issues edited since the search started are read again (the latest ``updated`` wins);
4. reconciles: lists the ids the search should have returned (``fields=id``, large pages) and reads
   the ones it missed by id (Cloud ``/issue/bulkfetch``; Data Center ``id in (...)``); lists every id
   in scope (the same listing on a full sync) so issues deleted before or during the run go;
5. reads status history for the issues it keeps (Cloud: ``/changelog/bulkfetch``, 1000 issues a
   call; Data Center: the search's ``expand=changelog``).
Issue rows are parked on disk until step 4 says which copy of each issue is final, so one load
never holds an issue twice. An issue that cannot be read (a bad value, no id) is quarantined with
its key and the reason; the other issues load. The new cursor is saved only once the load has landed.
"""

from __future__ import annotations

import tempfile
from collections.abc import Iterable, Iterator, Mapping, Set
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pyarrow as pa

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.http import prefetched
from connectors.jira.client import JiraClient, RetryPolicy
from connectors.jira.mapping import (
    CUSTOM_FIELD_NAMES,
    RAW_SCHEMAS,
    FieldIds,
    IssueError,
    change_row,
    epoch_ms,
    issue_rows,
    parse_jira_time,
)
from connectors.jira.options import JiraOptions
from connectors.jira.search import (
    cloud_by_id,
    cloud_count,
    cloud_pages,
    datacenter_by_id,
    datacenter_pages,
    jql_quote,
)

CHANGELOG_BATCH = 1000
ID_PAGE_CLOUD = 5000
ID_PAGE_DC = 1000
PRESENT_SCHEMA = pa.schema([("key", pa.string())])
CATCH_UP_MARGIN_MS = 60_000  # JQL compares times to the minute: read a minute more, never less


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

        with tempfile.TemporaryDirectory(prefix="sightline-jira-") as folder:
            spool = IssueSpool(Path(folder))
            limit = self._page_limit(client, keys)
            yield from self._search(client, keys, condition, fields, spool, context, limit)
            # Reconcile: what the search should have returned, and what is still in scope at the end.
            present = self._listed(client, keys, self._condition(""), limit)
            listed = present if cursor is None else self._listed(client, keys, condition, limit)
            yield from self._read_missed(client, listed - spool.read_ids, fields, spool, context)
            final = spool.final_ids(present)
            yield from spool.batches(final)
        if self.flavor == "cloud":
            yield from self._bulk_changelog(client, sorted(final))
        if cursor is not None:
            context.incremental = True
            yield from _present_batches(present)
        yield from context.drain_quarantine(force=True)
        context.state = {"updated_ms": spool.newest(final) or cursor}

    def _search(self, client: JiraClient, keys: list[str], condition: str, fields: FieldIds, spool: IssueSpool,
                context: ExtractContext, limit: int | None) -> Iterator[Batch]:
        """Search, then catch up on the issues edited while its pages were read."""
        wanted = fields.request_list()
        started_ms = self._server_time(client)
        for issues in self._issue_pages(client, keys, condition, wanted, limit):
            self._take(issues, fields, spool, context)
            yield from context.drain_quarantine()
        if started_ms is not None:
            caught_up = self._condition(f"updated >= {started_ms - CATCH_UP_MARGIN_MS}")
            for issues in self._issue_pages(client, keys, caught_up, wanted, limit):
                self._take(issues, fields, spool, context)

    def _read_missed(self, client: JiraClient, missed: Set[str], fields: FieldIds, spool: IssueSpool,
                     context: ExtractContext) -> Iterator[Batch]:
        """Issues the id listing holds but the search did not return (a page moved): read them by id."""
        if missed:
            context.info(f"{self.source.id}: {len(missed)} issue(s) listed but not returned by the search; "
                         "reading them by id")
        wanted = fields.request_list()
        if self.flavor == "cloud":
            pages = cloud_by_id(client, sorted(missed, key=_id_order), wanted)
        else:
            pages = datacenter_by_id(client, sorted(missed, key=_id_order), wanted, expand="changelog")
        for issues in pages:
            self._take(issues, fields, spool, context)
        yield from context.drain_quarantine()

    def _take(self, issues: list[dict], fields: FieldIds, spool: IssueSpool, context: ExtractContext) -> None:
        """Map one page of issues into the spool; an issue that cannot be read is quarantined, alone."""
        page: dict[str, list[dict]] = {"issues": [], "links": [], "versions": [], "changelog": []}
        risk_type = self.options.risk_issue_type
        for issue in issues:
            try:
                rows = issue_rows(issue, fields, risk_type, self.options.status_report_issue_type)
            except IssueError as exc:
                self._quarantine(issue, str(exc), spool, context)
                continue
            except (AttributeError, KeyError, TypeError, ValueError) as exc:  # a field of an unexpected shape
                self._quarantine(issue, f"unexpected content ({type(exc).__name__}: {exc}); check the issue in Jira",
                                 spool, context)
                continue
            for table, table_rows in rows.items():
                page[table].extend(table_rows)
        spool.add(page)

    def _quarantine(self, issue: Mapping[str, Any], reason: str, spool: IssueSpool, context: ExtractContext) -> None:
        issue_id, key = issue.get("id"), issue.get("key")
        name = key or (f"issue id {issue_id}" if issue_id else "an issue without id or key")
        # By id when there is one, so a later good read of the issue clears it (the merge's rule).
        object_key = str(issue_id) if issue_id not in (None, "") else str(key or name)
        if issue_id not in (None, ""):
            spool.read_ids.add(str(issue_id))  # read, if unreadably: not "missed"
        if object_key in spool.quarantined:  # read twice (caught up, or by id): one quarantine row
            return
        spool.quarantined.add(object_key)
        context.quarantine(object_key, f"{self.source.id}, issue {name}", f"{name}: {reason}",
                           {"id": issue_id, "key": key, "fields": issue.get("fields")})

    def _server_time(self, client: JiraClient) -> int | None:
        """Jira's own clock (epoch ms) before the search: edits after it are read again."""
        info = client.get(f"{self.api}/serverInfo") or {}
        try:
            moment = parse_jira_time(info.get("serverTime"))
        except IssueError:
            moment = None
        return epoch_ms(moment) if moment else None

    def _page_limit(self, client: JiraClient, keys: list[str]) -> int | None:
        """Most pages (or issues) a Cloud search of this scope may take; Data Center pages by ``total``."""
        if self.flavor != "cloud":
            return None
        count = cloud_count(client, self._cloud_jql(keys, self._condition(""), order=""))
        return count + max(100, count // 10)  # margin: issues created while the run reads

    def _listed(self, client: JiraClient, keys: list[str], condition: str, limit: int | None) -> set[str]:
        """Ids matching ``condition`` in scope, cheaply: ids only, in the largest pages Jira allows."""
        if self.flavor == "cloud":
            pages: Iterable[list[dict]] = cloud_pages(client, self._cloud_jql(keys, condition), ["id"], ID_PAGE_CLOUD,
                                                      limit=limit)
        else:
            pages = (page for key in keys
                     for page in datacenter_pages(client, key, condition, ["id"], ID_PAGE_DC, window=self.result_window))
        return {str(issue["id"]) for page in pages for issue in page}

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
                 "lead_name": (p.get("lead") or {}).get("displayName"),
                 "site_url": str(self.options.url).rstrip("/"), **self._project_status(client, p.get("key"))}
                for p in found]

    def _project_status(self, client: JiraClient, key: str) -> dict[str, str | None]:
        """The project's own status, from the project property named by ``project_status_property``:
        a word (``"Green"``) or an object ``{status, date, by, comment}``. The property's keys are listed
        first, so a project without it costs one request and no 404."""
        prop = self.options.project_status_property
        if not prop or not key:
            return {}
        path = f"{self.api}/project/{quote(key, safe='')}/properties"
        listed = client.get(path) or {}
        if prop not in {k.get("key") for k in listed.get("keys") or []}:
            return {}
        value = (client.get(f"{path}/{quote(prop, safe='')}") or {}).get("value")
        if not isinstance(value, dict):
            value = {"status": value}
        return {"reported_status": _text(value.get("status")), "reported_at": _text(value.get("date")),
                "reported_by": _text(value.get("by")), "reported_comment": _text(value.get("comment"))}

    def _cloud_jql(self, keys: list[str], condition: str, order: str = " ORDER BY id ASC") -> str:
        """A Cloud search of the scope, ordered by id: no edit moves an issue across a page boundary."""
        scope = f"project in ({', '.join(jql_quote(k) for k in keys)})"
        return " AND ".join(c for c in (scope, condition) if c) + order

    def _issue_pages(self, client: JiraClient, keys: list[str], condition: str, fields: list[str],
                     limit: int | None) -> Iterator[list[dict]]:
        page_size = self.options.page_size
        if self.flavor == "cloud":
            yield from cloud_pages(client, self._cloud_jql(keys, condition), fields, page_size, limit=limit)
        else:
            for key in keys:
                yield from datacenter_pages(client, key, condition, fields, page_size, expand="changelog",
                                            window=self.result_window)

    def _bulk_changelog(self, client: JiraClient, issue_ids: list[str]) -> Iterator[Batch]:
        """Status history of the fetched issues, 1000 issues a call (not expand=changelog, which truncates);
        the next call is made while this one's rows are built."""
        for page in prefetched(self._changelog_pages(client, issue_ids)):
            rows = [
                change_row(str(log.get("issueId")), None, history.get("created"), item)
                for log in page.get("issueChangeLogs") or []
                for history in log.get("changeHistories") or []
                for item in history.get("items") or []
                if item.get("fieldId") == "status" or item.get("field") == "status"
            ]
            if rows:
                yield Batch("changelog", pa.Table.from_pylist(rows, schema=RAW_SCHEMAS["changelog"]))

    def _changelog_pages(self, client: JiraClient, issue_ids: list[str]) -> Iterator[dict[str, Any]]:
        for start in range(0, len(issue_ids), CHANGELOG_BATCH):
            chunk = issue_ids[start:start + CHANGELOG_BATCH]
            token = None
            while True:
                body: dict[str, Any] = {"issueIdsOrKeys": chunk, "fieldIds": ["status"], "maxResults": 1000}
                if token:
                    body["nextPageToken"] = token
                page = client.post(f"{self.api}/changelog/bulkfetch", body) or {}
                yield page
                token = page.get("nextPageToken")
                if not token:
                    break


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value).strip() or None


def _present_batches(present: Set[str]) -> Iterator[Batch]:
    """Every issue id still in scope, for the merge to delete the others (empty is an answer too)."""
    yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": sorted(present, key=_id_order)}, schema=PRESENT_SCHEMA))


def _id_order(issue_id: str) -> tuple[int, str]:
    return (int(issue_id), "") if issue_id.isdigit() else (0, issue_id)


class IssueSpool:
    """Issue rows parked on disk (Arrow IPC) until the run knows which copy of each issue is final.

    A run may read an issue twice: edited after its page was read and caught up, or returned on
    two pages. The copy with the latest ``updated`` wins, then the later read; memory holds only
    id -> (updated, read number), and the rows stream back filtered, one page at a time.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.latest: dict[str, tuple[int, int]] = {}
        self.read_ids: set[str] = set()  # every id read, readable or quarantined
        self.quarantined: set[str] = set()  # quarantine object keys already written this run
        self._writers: dict[str, pa.ipc.RecordBatchFileWriter] = {}
        self._reads: dict[str, list[int]] = {}
        self._count = 0

    def add(self, page: Mapping[str, list[dict]]) -> None:
        self._count += 1
        for row in page["issues"]:
            stamp = (epoch_ms(row["updated_at"]) if row["updated_at"] else -1, self._count)
            self.read_ids.add(row["issue_id"])
            if stamp >= self.latest.get(row["issue_id"], (-2, 0)):
                self.latest[row["issue_id"]] = stamp
        for table, rows in page.items():
            if rows:
                self._write(table, pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[table]))

    def _write(self, table: str, data: pa.Table) -> None:
        if table not in self._writers:
            self._writers[table] = pa.ipc.new_file(str(self.folder / f"{table}.arrow"), data.schema)
            self._reads[table] = []
        for batch in data.to_batches():
            self._writers[table].write_batch(batch)
            self._reads[table].append(self._count)

    def final_ids(self, present: Set[str]) -> set[str]:
        """Issues read and still in scope at the end (an issue deleted during the run goes)."""
        return {i for i in self.latest if i in present}

    def newest(self, final: Set[str]) -> int | None:
        stamps = [self.latest[i][0] for i in final if self.latest[i][0] >= 0]
        return max(stamps) if stamps else None

    def batches(self, final: Set[str]) -> Iterator[Batch]:
        """The winning copy's rows of every final issue, table by table, page by page."""
        for table, writer in self._writers.items():
            writer.close()
            reader = pa.ipc.open_file(pa.OSFile(str(self.folder / f"{table}.arrow")))  # read, not mapped:
            for index, read in enumerate(self._reads[table]):  # batches outlive the file
                batch = reader.get_batch(index)
                keep = [i in final and self.latest[i][1] == read for i in batch.column("issue_id").to_pylist()]
                if any(keep):
                    yield Batch(table, pa.Table.from_batches([batch.filter(pa.array(keep))]))
