"""Smartsheet's REST API on the shared HTTP plumbing (``connectors.http``).

What is Smartsheet's own here: a bearer token read from an environment variable, a pace of at most
``requests_per_minute`` requests (Smartsheet allows 300 a minute per token and answers 429 with
``errorCode`` 4003 past it; ``HttpSource`` retries those, honouring ``Retry-After``), and one-line
reasons for 401, 403 and 404 from Smartsheet's ``errorCode``/``message`` body.
"""

from __future__ import annotations

import collections
import datetime as dt
import email.utils
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any

import requests

from connectors.http import HttpSource, RetryPolicy, env_credential

RATE_WINDOW_SECONDS = 60.0
ADVICE = {
    401: "authentication failed; check the API token in {env} (it may have expired or been revoked)",
    403: "the token's user may not open it; share the sheet, folder or workspace with that user",
    404: "not found; check the sheet, folder or workspace id and that it is shared with the token's user",
    429: "Smartsheet's rate limit (300 requests a minute per token) was still exceeded after the retries; "
         "run the sync later or lower requests_per_minute",
}


class SmartsheetClient:
    """GET JSON from one Smartsheet API address, paced under the rate limit."""

    def __init__(self, source_id: str, base_url: str, token_env: str, *, verify: bool | str = True,
                 retry: RetryPolicy, requests_per_minute: int = 300,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.source_id = source_id
        self.token_env = token_env
        self.http = HttpSource(source_id, base_url, verify=verify, policy=retry, sleep=sleep, clock=clock,
                               headers={"Accept": "application/json", "User-Agent": "sightline-smartsheet-connector"})
        token = self._token()
        self.http.session.headers["Authorization"] = f"Bearer {token}"
        self.http.add_secrets(token)
        self.per_minute = requests_per_minute
        self.server_time: dt.datetime | None = None  # the server's clock (Date header) at the last answer
        self._sent: collections.deque[float] = collections.deque()

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def _token(self) -> str:
        return env_credential(self.source_id, self.token_env, "token_env",
                              unset="set it to a Smartsheet API access token",
                              unusable="copy the token from Smartsheet again (Account > Apps & Integrations > API Access)")

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        self._pace()
        response = self.http.request("GET", path, describe=self._describe, params=params)
        self.server_time = _server_time(response.headers.get("Date"))
        try:
            return response.json()
        except ValueError:
            raise self.http.fail(f"{self.source_id}: GET {path} answered something other than JSON; check that the "
                                 "source url is the Smartsheet API (https://api.smartsheet.com/2.0)") from None

    def _pace(self) -> None:
        """Never more than ``per_minute`` requests in any sliding minute: cheaper than being told 4003."""
        now = self.http.clock()
        while self._sent and now - self._sent[0] >= RATE_WINDOW_SECONDS:
            self._sent.popleft()
        if len(self._sent) >= self.per_minute:
            self.http.sleep(RATE_WINDOW_SECONDS - (now - self._sent[0]))
            self._sent.popleft()
        self._sent.append(self.http.clock())

    def _describe(self, method: str, path: str, response: requests.Response) -> str:
        advice = ADVICE.get(response.status_code, "unexpected response from Smartsheet").format(env=self.token_env)
        detail = self.http.redact(_smartsheet_error(response))[:200]  # redact first: a cut could halve a secret
        return f"{self.source_id}: {method} {path} -> HTTP {response.status_code}{f' ({detail})' if detail else ''}: {advice}"


def _server_time(header: str | None) -> dt.datetime | None:
    """An HTTP Date header as naive UTC (as the raw tables keep times); None when absent or unreadable."""
    try:
        moment = email.utils.parsedate_to_datetime(header) if header else None
    except (TypeError, ValueError, IndexError):
        return None
    return moment.astimezone(dt.UTC).replace(tzinfo=None) if moment and moment.tzinfo else moment


def _smartsheet_error(response: requests.Response) -> str:
    """Smartsheet's error body ``{"errorCode": 1006, "message": "Not Found"}`` on one line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict) or "errorCode" not in body:
        return ""
    return " ".join(f"errorCode {body.get('errorCode')}: {body.get('message') or ''}".split())


def sheet_pages(client: SmartsheetClient, sheet_id: str, page_size: int) -> Iterator[dict[str, Any]]:
    """A sheet page by page (``page``/``pageSize``), cells with their objectValue, until totalRowCount."""
    page = 1
    while True:
        body = client.get(f"/sheets/{sheet_id}", {"include": "objectValue", "page": page, "pageSize": page_size})
        if not isinstance(body, dict):
            raise client.http.fail(f"{client.source_id}: GET /sheets/{sheet_id} answered no sheet; check the sheet id")
        yield body
        rows, total = body.get("rows") or [], body.get("totalRowCount")
        if not rows or not isinstance(total, int) or page * page_size >= total:
            return
        page += 1
