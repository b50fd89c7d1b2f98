"""Issue search, page by page, the way each Jira flavour pages.

Cloud: ``POST /rest/api/3/search/jql`` with ``nextPageToken`` until it is absent or ``isLast``.
Data Center: ``GET /rest/api/2/search`` with ``startAt``/``maxResults``/``total``; a query can page
through at most ``window`` results, so a project is read in key order and, at the edge of the
window, the query restarts after the last key read (``key > "PAY-10000"``). Pages are yielded as
they arrive: nothing holds the whole result.

Cloud results are ordered by issue id, which no edit changes, so a page boundary never moves
under the reader the way ``ORDER BY updated`` does. Token paging is bounded: a token seen twice,
or more pages or issues than the scope holds (``limit``), fails the source instead of looping.
Issues are also read by id (``bulkfetch``, or ``id in (...)`` on Data Center) to reconcile.

Every paging function reads one page ahead (``connectors.http.prefetched``): the next page is
requested while the caller maps the current one, on the same session, one request at a time. The
issue searches of both flavours read further ahead and keep each answer as bytes (``RawPage``), which
``jsonpage`` maps in columns.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from connectors.base import SourceError
from connectors.http import prefetched
from connectors.jira.client import JiraClient
from connectors.jira.jsonpage import RAW_AHEAD, RawPage, read_datacenter_head, read_head

CLOUD_SEARCH = "/rest/api/3/search/jql"
CLOUD_COUNT = "/rest/api/3/search/approximate-count"
CLOUD_BULKFETCH = "/rest/api/3/issue/bulkfetch"
DC_SEARCH = "/rest/api/2/search"
DC_WINDOW = 10_000
BY_ID_BATCH = 100  # bulkfetch takes at most 100 ids a call; the same keeps a DC `id in (...)` short


def jql_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cloud_pages(client: JiraClient, jql: str, fields: Sequence[str], page_size: int,
                *, limit: int | None = None) -> Iterator[list[dict]]:
    """Every page of a search. ``limit``: most pages, and most issues, the scope can fill."""
    return prefetched(_cloud_pages(client, jql, fields, page_size, limit, raw=False))


def cloud_raw_pages(client: JiraClient, jql: str, fields: Sequence[str], page_size: int,
                    *, limit: int | None = None) -> Iterator[RawPage | list[dict]]:
    """``cloud_pages``, each page's answer kept as bytes (``RawPage``) when Arrow's reader takes its
    paging fields (else decoded, as ``cloud_pages`` gives it), read up to ``RAW_AHEAD`` pages ahead
    so that pages mapped together (``jsonpage.map_pages``) do not stall the requests."""
    return prefetched(_cloud_pages(client, jql, fields, page_size, limit, raw=True), depth=RAW_AHEAD)


def _cloud_pages(client: JiraClient, jql: str, fields: Sequence[str], page_size: int,
                 limit: int | None, *, raw: bool) -> Iterator[Any]:
    token: str | None = None
    tokens: set[str] = set()
    pages = issues_read = 0
    while True:
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
        if token:
            body["nextPageToken"] = token
        response = client.post_response(CLOUD_SEARCH, body)
        head = read_head(client, CLOUD_SEARCH, response) if raw else None
        if head is None:
            page = client.decode("POST", CLOUD_SEARCH, response) or {}
            issues: RawPage | list[dict] = page.get("issues") or []
            token, last = page.get("nextPageToken"), page.get("isLast", False)
        else:
            issues, token, last = head
        pages, issues_read = pages + 1, issues_read + len(issues)
        if limit is not None and max(pages, issues_read) > limit:
            raise SourceError(f"{client.source_id}: the issue search went past {limit} pages or issues, more than "
                              "the id listing holds; Jira's paging is not ending, run the sync again later")
        if issues:
            yield issues
        if not token or last:
            return
        if token in tokens:
            raise SourceError(f"{client.source_id}: Jira returned the same nextPageToken twice while paging the "
                              "issue search, which would loop forever; run the sync again later")
        tokens.add(token)


def cloud_count(client: JiraClient, jql: str) -> int:
    """How many issues a JQL matches (approximate: it bounds paging, it is not trusted as exact)."""
    return int((client.post(CLOUD_COUNT, {"jql": jql}) or {}).get("count") or 0)


def cloud_by_id(client: JiraClient, issue_ids: Sequence[str], fields: Sequence[str]) -> Iterator[list[dict]]:
    """Issues by id, 100 a call; ids Jira no longer has are simply absent from the answer."""
    return prefetched(_cloud_by_id(client, issue_ids, fields))


def _cloud_by_id(client: JiraClient, issue_ids: Sequence[str], fields: Sequence[str]) -> Iterator[list[dict]]:
    for start in range(0, len(issue_ids), BY_ID_BATCH):
        chunk = list(issue_ids[start:start + BY_ID_BATCH])
        page = client.post(CLOUD_BULKFETCH, {"issueIdsOrKeys": chunk, "fields": list(fields)}) or {}
        if page.get("issues"):
            yield page["issues"]


def datacenter_by_id(client: JiraClient, issue_ids: Sequence[str], fields: Sequence[str],
                     *, expand: str | None = None) -> Iterator[list[dict]]:
    """Issues by id on Data Center: a search ``id in (...)``, 100 ids at a time."""
    return prefetched(_datacenter_by_id(client, issue_ids, fields, expand))


def _datacenter_by_id(client: JiraClient, issue_ids: Sequence[str], fields: Sequence[str],
                      expand: str | None) -> Iterator[list[dict]]:
    for start in range(0, len(issue_ids), BY_ID_BATCH):
        chunk = issue_ids[start:start + BY_ID_BATCH]
        params: dict[str, Any] = {"jql": f"id in ({', '.join(str(int(i)) for i in chunk)}) ORDER BY key ASC",
                                  "startAt": 0, "maxResults": len(chunk), "fields": ",".join(fields)}
        if expand:
            params["expand"] = expand
        issues = (client.get(DC_SEARCH, params) or {}).get("issues") or []
        if issues:
            yield issues


def datacenter_pages(
    client: JiraClient, project_key: str, condition: str, fields: Sequence[str], page_size: int,
    *, expand: str | None = None, window: int = DC_WINDOW,
) -> Iterator[list[dict]]:
    """All issues of one project matching ``condition`` (JQL or ''), in key order, across windows."""
    return prefetched(_datacenter_pages(client, project_key, condition, fields, page_size, expand, window, raw=False))


def datacenter_raw_pages(
    client: JiraClient, project_key: str, condition: str, fields: Sequence[str], page_size: int,
    *, expand: str | None = None, window: int = DC_WINDOW,
) -> Iterator[RawPage | list[dict]]:
    """``datacenter_pages``, each answer kept as bytes (``RawPage``) when Arrow's reader takes its
    ``total`` and keys (else decoded), read up to ``RAW_AHEAD`` pages ahead, as ``cloud_raw_pages``."""
    return prefetched(_datacenter_pages(client, project_key, condition, fields, page_size, expand, window, raw=True),
                      depth=RAW_AHEAD)


def _datacenter_pages(client: JiraClient, project_key: str, condition: str, fields: Sequence[str], page_size: int,
                      expand: str | None, window: int, *, raw: bool) -> Iterator[Any]:
    after_key: str | None = None
    while True:
        clauses = [f"project = {jql_quote(project_key)}"]
        if condition:
            clauses.append(f"({condition})")
        if after_key:
            clauses.append(f"key > {jql_quote(after_key)}")
        jql = " AND ".join(clauses) + " ORDER BY key ASC"
        start, last_key, exhausted = 0, None, False
        while start < window:
            params: dict[str, Any] = {"jql": jql, "startAt": start, "maxResults": min(page_size, window - start),
                                      "fields": ",".join(fields)}
            if expand:
                params["expand"] = expand
            response = client.get_response(DC_SEARCH, params)
            head = read_datacenter_head(client, DC_SEARCH, response) if raw else None
            if head is None:
                page = client.decode("GET", DC_SEARCH, response) or {}
                issues: RawPage | list[dict] = page.get("issues") or []
                total = page.get("total", 0)
                page_key = next((i["key"] for i in reversed(issues) if i.get("key")), None)  # keyless: quarantined
            else:
                issues, total, page_key = head
            if issues:
                yield issues
                last_key = page_key or last_key
            start += len(issues)
            if not issues or start >= int(total):
                exhausted = True
                break
        if exhausted or last_key is None:
            return
        after_key = last_key  # the window is full: continue after the last key read
