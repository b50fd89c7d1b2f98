"""Issue search, page by page, the way each Jira flavour pages.

Cloud: ``POST /rest/api/3/search/jql`` with ``nextPageToken`` until it is absent or ``isLast``.
Data Center: ``GET /rest/api/2/search`` with ``startAt``/``maxResults``/``total``; a query can page
through at most ``window`` results, so a project is read in key order and, at the edge of the
window, the query restarts after the last key read (``key > "PAY-10000"``). Pages are yielded as
they arrive: nothing holds the whole result.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from typing import Any

from connectors.jira.client import JiraClient

CLOUD_SEARCH = "/rest/api/3/search/jql"
DC_SEARCH = "/rest/api/2/search"
DC_WINDOW = 10_000


def jql_quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'


def cloud_pages(client: JiraClient, jql: str, fields: Sequence[str], page_size: int) -> Iterator[list[dict]]:
    token: str | None = None
    while True:
        body: dict[str, Any] = {"jql": jql, "fields": list(fields), "maxResults": page_size}
        if token:
            body["nextPageToken"] = token
        page = client.post(CLOUD_SEARCH, body) or {}
        issues = page.get("issues") or []
        if issues:
            yield issues
        token = page.get("nextPageToken")
        if not token or page.get("isLast", False):
            return


def datacenter_pages(
    client: JiraClient, project_key: str, condition: str, fields: Sequence[str], page_size: int,
    *, expand: str | None = None, window: int = DC_WINDOW,
) -> Iterator[list[dict]]:
    """All issues of one project matching ``condition`` (JQL or ''), in key order, across windows."""
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
            page = client.get(DC_SEARCH, params) or {}
            issues = page.get("issues") or []
            if issues:
                yield issues
                last_key = issues[-1]["key"]
            start += len(issues)
            if not issues or start >= int(page.get("total", 0)):
                exhausted = True
                break
        if exhausted or last_key is None:
            return
        after_key = last_key  # the window is full: continue after the last key read
