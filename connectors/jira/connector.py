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

import bisect
import tempfile
from array import array
from collections.abc import Iterable, Iterator, Mapping, Set
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import quote

import pyarrow as pa
import pyarrow.compute as pc

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.http import prefetched
from connectors.jira.client import JiraClient
from connectors.jira.jsonpage import RawChanges, RawPage, batched, changes_table, map_pages, read_changes
from connectors.jira.mapping import (
    CUSTOM_FIELD_NAMES,
    RAW_SCHEMAS,
    FieldIds,
    IssueError,
    epoch_ms,
)
from connectors.jira.options import JiraOptions
from connectors.jira.search import (
    cloud_by_id,
    cloud_count,
    cloud_pages,
    cloud_raw_pages,
    datacenter_by_id,
    datacenter_pages,
    datacenter_raw_pages,
    jql_quote,
)
from connectors.timestamps import parse_utc_time

CHANGELOG_BATCH = 1000
#: Rows of a spooled batch, read back whole at the end: pages mapped 50 together make 5,000-issue
#: tables, and reading those back whole put a 200,000-issue Data Center sync's peak at 269-270 MB,
#: 1.11-1.12x of 50,000's; in slices of 1,000, 251 MB (1.07x). benchmarks/README.md, "Jira Data Center".
SPOOL_BATCH_ROWS = 1000
ID_PAGE_CLOUD = 5000
ID_PAGE_DC = 1000
PRESENT_SCHEMA = pa.schema([("key", pa.string())])
CATCH_UP_MARGIN_MS = 60_000  # JQL compares times to the minute: read a minute more, never less
#: Batches (spool read-back, status history pages) between two releases of pyarrow's freed memory.
RELEASE_EVERY = 20


class JiraConnector(Connector):
    kind: ClassVar[str] = "jira"
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    merge_key: ClassVar[str | None] = "issue_id"
    primary_table: ClassVar[str | None] = "issues"

    options_model: ClassVar[type[JiraOptions]] = JiraOptions
    options: JiraOptions

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
        keys = self.project_keys()
        scope = f"project(s) {', '.join(keys)}" if keys else "the projects"
        return JiraClient(self.source.id, options.url, options.auth.model_dump(exclude_none=True),
                          verify=options.verify(self.source), retry=options.retry_policy(), scope=scope)

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
            yield from self._read_missed(client, spool.missed(listed), fields, spool, context)
            final = spool.final(present)
            yield from _releasing(spool.batches(final))
        if self.flavor == "cloud":
            yield from _releasing(self._bulk_changelog(client, _sorted(final.column("id"))))
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
        for pages in batched(self._issue_pages(client, keys, condition, wanted, limit)):
            self._take(pages, fields, spool, context)
            _release_unused()
            yield from context.drain_quarantine()
        if started_ms is not None:
            caught_up = self._condition(f"updated >= {started_ms - CATCH_UP_MARGIN_MS}")
            for pages in batched(self._issue_pages(client, keys, caught_up, wanted, limit)):
                self._take(pages, fields, spool, context)

    def _read_missed(self, client: JiraClient, missed: list[str], fields: FieldIds, spool: IssueSpool,
                     context: ExtractContext) -> Iterator[Batch]:
        """Issues the id listing holds but the search did not return (a page moved): read them by id."""
        if missed:
            context.info(f"{self.source.id}: {len(missed)} issue(s) listed but not returned by the search; "
                         "reading them by id")
        wanted = fields.request_list()
        if self.flavor == "cloud":
            pages = cloud_by_id(client, missed, wanted)
        else:
            pages = datacenter_by_id(client, missed, wanted, expand="changelog")
        for issues in pages:
            self._take(issues, fields, spool, context)
        yield from context.drain_quarantine()

    def _take(self, issues: list[dict] | list[RawPage], fields: FieldIds, spool: IssueSpool,
              context: ExtractContext) -> None:
        """Map one page of issues (or raw pages, together) into the spool, page by page; an issue that
        cannot be read is quarantined, alone."""
        for page in map_pages(issues, fields, self.options.risk_issue_type, self.options.status_report_issue_type):
            for issue, exc in page.failures:
                if isinstance(exc, IssueError):
                    self._quarantine(issue, str(exc), spool, context)
                else:  # a field of an unexpected shape
                    self._quarantine(issue, f"unexpected content ({type(exc).__name__}: {exc}); check the issue "
                                     "in Jira", spool, context)
            spool.add(page.tables)

    def _quarantine(self, issue: Mapping[str, Any], reason: str, spool: IssueSpool, context: ExtractContext) -> None:
        issue_id, key = issue.get("id"), issue.get("key")
        name = key or (f"issue id {issue_id}" if issue_id else "an issue without id or key")
        # By id when there is one, so a later good read of the issue clears it (the merge's rule).
        object_key = str(issue_id) if issue_id not in (None, "") else str(key or name)
        if issue_id not in (None, ""):
            spool.mark_read(str(issue_id))  # read, if unreadably: not "missed"
        if object_key in spool.quarantined:  # read twice (caught up, or by id): one quarantine row
            return
        spool.quarantined.add(object_key)
        context.quarantine(object_key, f"{self.source.id}, issue {name}", f"{name}: {reason}",
                           {"id": issue_id, "key": key, "fields": issue.get("fields")})

    def _server_time(self, client: JiraClient) -> int | None:
        """Jira's own clock (epoch ms) before the search: edits after it are read again."""
        info = client.get(f"{self.api}/serverInfo") or {}
        try:
            moment = parse_utc_time(info.get("serverTime"))
        except IssueError:
            moment = None
        return epoch_ms(moment) if moment else None

    def _page_limit(self, client: JiraClient, keys: list[str]) -> int | None:
        """Most pages (or issues) a Cloud search of this scope may take; Data Center pages by ``total``."""
        if self.flavor != "cloud":
            return None
        count = cloud_count(client, self._cloud_jql(keys, self._condition(""), order=""))
        return count + max(100, count // 10)  # margin: issues created while the run reads

    def _listed(self, client: JiraClient, keys: list[str], condition: str, limit: int | None) -> pa.Array:
        """Ids matching ``condition`` in scope, cheaply: ids only, in the largest pages Jira allows."""
        if self.flavor == "cloud":
            pages: Iterable[list[dict]] = cloud_pages(client, self._cloud_jql(keys, condition), ["id"], ID_PAGE_CLOUD,
                                                      limit=limit)
        else:
            pages = (page for key in keys
                     for page in datacenter_pages(client, key, condition, ["id"], ID_PAGE_DC, window=self.result_window))
        # An Arrow column, not a set of str: 200,000 ids take 2 MB rather than 25.
        chunks = [pa.array([str(issue["id"]) for issue in page], pa.string()) for page in pages]
        return pc.unique(pa.concat_arrays([pa.array([], pa.string()), *chunks]))

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
                     limit: int | None) -> Iterator[RawPage | list[dict]]:
        page_size = self.options.page_size
        if self.flavor == "cloud":
            yield from cloud_raw_pages(client, self._cloud_jql(keys, condition), fields, page_size, limit=limit)
        else:
            for key in keys:
                yield from datacenter_raw_pages(client, key, condition, fields, page_size, expand="changelog",
                                                window=self.result_window)

    def _bulk_changelog(self, client: JiraClient, issue_ids: pa.ChunkedArray) -> Iterator[Batch]:
        """Status history of the fetched issues, 1000 issues a call (not expand=changelog, which truncates);
        the next call is made while this one's rows are built."""
        for page in prefetched(self._changelog_pages(client, issue_ids)):
            table = changes_table(page)
            if table.num_rows:
                yield Batch("changelog", table)

    def _changelog_pages(self, client: JiraClient, issue_ids: pa.ChunkedArray) -> Iterator[RawChanges | dict]:
        for start in range(0, len(issue_ids), CHANGELOG_BATCH):
            chunk = issue_ids[start:start + CHANGELOG_BATCH].to_pylist()
            token = None
            while True:
                body: dict[str, Any] = {"issueIdsOrKeys": chunk, "fieldIds": ["status"], "maxResults": 1000}
                if token:
                    body["nextPageToken"] = token
                path = f"{self.api}/changelog/bulkfetch"
                page, token = read_changes(client, path, client.post_response(path, body))
                yield page
                if not token:
                    break


def _release_unused() -> None:
    """Hand the pages pyarrow's pool (mimalloc) freed back to the system.

    Why: the pool keeps freed pages for reuse, and what it kept over a longer run (each 50-page
    group read and mapped, then the spool read back, then status history) grew with the instance:
    extract peak 243 MB at 50,000 issues and 270-276 MB at 200,000 (1.11-1.14x). Released once per
    mapped group and every ``RELEASE_EVERY`` batches after the search: 234-235 and 250-260 MB
    (1.07-1.11x), benchmarks/README.md "Jira peak memory". Cost: 103 calls, 63 ms of CPU in a
    200,000-issue sync of 13-17 CPU s.
    """
    pa.default_memory_pool().release_unused()


def _releasing(batches: Iterator[Batch], every: int = RELEASE_EVERY) -> Iterator[Batch]:
    """``batches`` unchanged, releasing pyarrow's freed memory before the first and every ``every``."""
    for count, batch in enumerate(batches):
        if count % every == 0:
            _release_unused()
        yield batch


def _text(value: Any) -> str | None:
    return None if value is None or isinstance(value, (dict, list)) else str(value).strip() or None


def _present_batches(present: pa.Array) -> Iterator[Batch]:
    """Every issue id still in scope, for the merge to delete the others (empty is an answer too)."""
    yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": _in_id_order(present)}, schema=PRESENT_SCHEMA))


class IssueSpool:
    """Issue rows parked on disk (Arrow IPC) until the run knows which copy of each issue is final.

    A run may read an issue twice: edited after its page was read and caught up, or returned on
    two pages. The copy with the latest ``updated`` wins, then the later read. Memory holds only
    Arrow columns of (id, updated, read number) per page, about 20 bytes an issue rather than the
    ~400 of Python dicts and sets, so it stays flat as the instance grows; the rows stream back
    filtered, one page at a time.
    """

    def __init__(self, folder: Path) -> None:
        self.folder = folder
        self.quarantined: set[str] = set()  # quarantine object keys already written this run
        self._ids: list[pa.Array] = []  # per page: the ids its readable issues had
        self._stamps: list[pa.Array] = []  # per page: their ``updated`` (epoch ms, -1 when none)
        self._unreadable: list[str] = []  # ids read but quarantined: read, so not "missed"
        self._winners: pa.Table | None = None
        self._writers: dict[str, pa.ipc.RecordBatchFileWriter] = {}
        self._reads: dict[str, list[int]] = {}
        self._count = 0

    def add(self, page: Mapping[str, pa.Table | list[dict]]) -> None:
        """One page's rows, per raw table (a table, or rows as dicts)."""
        self._count += 1
        tables = {name: rows if isinstance(rows, pa.Table) else pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[name])
                  for name, rows in page.items()}
        issues = tables["issues"]
        self._ids.append(issues.column("issue_id").combine_chunks())
        self._stamps.append(_epoch_ms(issues.column("updated_at")))
        self._winners = None
        for table, data in tables.items():
            if data.num_rows:
                self._write(table, data)

    def mark_read(self, issue_id: str) -> None:
        """An issue read but not readable (quarantined): not missed, but no copy of it either."""
        self._unreadable.append(issue_id)

    def missed(self, listed: pa.Array) -> list[str]:
        """Ids listed that no page returned, in id order."""
        read = pa.concat_arrays([*self._ids, pa.array(self._unreadable, pa.string())])
        return _in_id_order(listed.filter(pc.invert(pc.is_in(listed, value_set=read)))).to_pylist()

    def _write(self, table: str, data: pa.Table) -> None:
        if table not in self._writers:
            self._writers[table] = pa.ipc.new_file(str(self.folder / f"{table}.arrow"), data.schema)
            self._reads[table] = []
        for batch in data.to_batches(max_chunksize=SPOOL_BATCH_ROWS):
            self._writers[table].write_batch(batch)
            self._reads[table].append(self._count)

    def latest(self) -> pa.Table:
        """One row per issue read: its id, the winning copy's ``updated`` and read number."""
        if self._winners is None:
            reads = [pa.array([n + 1] * len(ids), pa.int32()) for n, ids in enumerate(self._ids)]
            copies = pa.table({"id": pa.chunked_array(self._ids, pa.string()),
                               "updated": pa.chunked_array(self._stamps, pa.int64()),
                               "read": pa.chunked_array(reads, pa.int32())})
            order = pc.sort_indices(copies, [("id", "ascending"), ("updated", "descending"),
                                             ("read", "descending")])
            copies = copies.take(order).combine_chunks()
            ids = copies.column("id").chunk(0) if copies.num_rows else pa.array([], pa.string())
            first = pc.not_equal(ids[1:], ids[:-1]) if len(ids) > 1 else pa.array([], pa.bool_())
            self._winners = copies.filter(pa.concat_arrays([pa.array([True] * min(len(ids), 1), pa.bool_()), first]))
        return self._winners

    def final(self, present: pa.Array) -> pa.Table:
        """The winning copies of the issues still in scope at the end (an issue deleted during the run goes)."""
        latest = self.latest()
        return latest.filter(pc.is_in(latest.column("id"), value_set=present))

    def final_ids(self, present: Set[str]) -> set[str]:
        return set(self.final(pa.array(list(present), pa.string())).column("id").to_pylist())

    def newest(self, final: pa.Table | Set[str]) -> int | None:
        stamps = self._as_final(final).column("updated")
        newest = pc.max(stamps.filter(pc.greater_equal(stamps, 0))).as_py() if len(stamps) else None
        return newest

    def _as_final(self, final: pa.Table | Set[str]) -> pa.Table:
        return final if isinstance(final, pa.Table) else self.final(pa.array(list(final), pa.string()))

    def batches(self, final: pa.Table | Set[str]) -> Iterator[Batch]:
        """The winning copy's rows of every final issue, table by table, page by page."""
        final = self._as_final(final)
        # Grouped by read: a page's batch is then checked against the few ids that page won, not
        # against every final id (a hash of the whole set per batch cost more than the mapping).
        final = final.take(pc.sort_indices(final, [("read", "ascending")]))
        reads = array("l", final.column("read").to_pylist())
        ids = final.column("id")
        for table, writer in self._writers.items():
            writer.close()
            reader = pa.ipc.open_file(pa.OSFile(str(self.folder / f"{table}.arrow")))  # read, not mapped:
            for index, read in enumerate(self._reads[table]):  # batches outlive the file
                start, stop = bisect.bisect_left(reads, read), bisect.bisect_right(reads, read)
                if start == stop:
                    continue
                batch = reader.get_batch(index)
                if stop - start == len(self._ids[read - 1]):
                    # Every issue of that read won (no later copy, none deleted): all its rows stay,
                    # unfiltered. The common case: a full sync with no issue edited while it ran.
                    yield Batch(table, pa.Table.from_batches([batch]))
                    continue
                keep = pc.is_in(batch.column("issue_id"), value_set=ids[start:stop].combine_chunks())
                if pc.any(keep).as_py():
                    yield Batch(table, pa.Table.from_batches([batch.filter(keep)]))


def _epoch_ms(moments: pa.ChunkedArray) -> pa.Array:
    """``epoch_ms`` of each time, -1 where none: the same float steps (seconds as a float, times
    1000, truncated), so a cursor is the value the row-by-row reading saved."""
    seconds = pc.divide(pc.cast(pc.cast(moments, pa.int64()), pa.float64()), 1e6)
    millis = pc.cast(pc.trunc(pc.multiply(seconds, 1000.0)), pa.int64())
    return pc.fill_null(millis, -1).combine_chunks()


def _sorted(ids: pa.ChunkedArray) -> pa.ChunkedArray:
    return ids.take(pc.sort_indices(ids))


def _in_id_order(ids: pa.Array) -> pa.Array:
    """Numeric ids by number, then any others by text (Jira ids are numbers)."""
    # Up to 18 digits, so the cast cannot overflow; longer ones sort as text.
    digits = pc.fill_null(pc.and_(pc.utf8_is_digit(ids), pc.less_equal(pc.utf8_length(ids), 18)), False)
    number = pc.if_else(digits, pc.cast(pc.if_else(digits, ids, "0"), pa.int64()), 0)
    text = pc.if_else(digits, "", ids)
    order = pc.sort_indices(pa.table({"n": number, "t": text}), [("n", "ascending"), ("t", "ascending")])
    return ids.take(order)
