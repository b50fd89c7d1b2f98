"""A thin, careful HTTP client for Jira's REST API.

One ``requests.Session`` per source; connect and read timeouts; retries with exponential backoff
and jitter on 429, 5xx and connection errors, honouring ``Retry-After``; a pause when Jira says
``X-RateLimit-NearLimit: true``. Client errors (400, 401, 403, 404) fail at once with a one-line
reason naming the source and what to check. Credentials never appear in a message or a log.
"""

from __future__ import annotations

import email.utils
import os
import random
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any

import requests

from connectors.base import SourceError

RETRYABLE = {429, 500, 502, 503, 504}
ADVICE = {
    400: "Jira rejected the request; check the source's projects, jql and field names",
    401: "authentication failed; check the credentials in {env} (an API token may have expired or been revoked)",
    403: "the account may not browse {scope}; grant it the 'Browse projects' permission, or remove the project",
    404: "not found; check the source url and flavor (cloud or datacenter)",
}


@dataclass(frozen=True)
class RetryPolicy:
    max_retries: int = 8
    backoff_base_seconds: float = 1.0
    backoff_cap_seconds: float = 60.0
    near_limit_pause_seconds: float = 1.0
    connect_timeout_seconds: float = 10.0
    read_timeout_seconds: float = 60.0


class JiraClient:
    """GET/POST JSON against one Jira site, with the reliability rules above."""

    def __init__(
        self, source_id: str, base_url: str, auth: Mapping[str, str], *, verify: bool | str = True,
        retry: RetryPolicy = RetryPolicy(), scope: str = "the projects", sleep: Callable[[float], None] = time.sleep,
    ):
        self.source_id = source_id
        self.base_url = base_url.rstrip("/")
        self.retry = retry
        self.scope = scope
        self.sleep = sleep
        self.requests_made = 0
        self._env_names = ", ".join(v for k, v in auth.items() if k.endswith("_env"))
        self.session = requests.Session()
        self.session.verify = verify
        self.session.headers.update({"Accept": "application/json", "User-Agent": "sightline-jira-connector"})
        self._authenticate(auth)

    def _authenticate(self, auth: Mapping[str, str]) -> None:
        token = _env(self.source_id, auth, "token_env")
        if "email_env" in auth:  # Cloud: e-mail + API token, basic auth
            self.session.auth = (_env(self.source_id, auth, "email_env"), token)
        else:  # Data Center / Server: personal access token
            self.session.headers["Authorization"] = f"Bearer {token}"

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("POST", path, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        url = f"{self.base_url}{path}"
        timeout = (self.retry.connect_timeout_seconds, self.retry.read_timeout_seconds)
        for attempt in range(self.retry.max_retries + 1):
            self.requests_made += 1
            try:
                response = self.session.request(method, url, timeout=timeout, **kwargs)
            except (requests.ConnectionError, requests.Timeout) as exc:
                if attempt == self.retry.max_retries:
                    raise SourceError(
                        f"{self.source_id}: {method} {path} failed after {attempt + 1} attempts "
                        f"({type(exc).__name__}); check that {self.base_url} is reachable"
                    ) from None
                self.sleep(self._backoff(attempt))
                continue
            if response.status_code in RETRYABLE and attempt < self.retry.max_retries:
                self.sleep(self._retry_after(response) or self._backoff(attempt))
                continue
            if response.status_code >= 400:
                raise SourceError(self._describe(method, path, response)) from None
            if response.headers.get("X-RateLimit-NearLimit", "").lower() == "true":
                self.sleep(self.retry.near_limit_pause_seconds)  # slow down before Jira makes us
            return response.json() if response.content else None
        raise AssertionError("unreachable")  # pragma: no cover

    def _backoff(self, attempt: int) -> float:
        delay = min(self.retry.backoff_cap_seconds, self.retry.backoff_base_seconds * 2**attempt)
        return delay * random.uniform(0.5, 1.0)  # noqa: S311 - jitter, not cryptography

    @staticmethod
    def _retry_after(response: requests.Response) -> float | None:
        value = response.headers.get("Retry-After")
        if not value:
            return None
        if value.strip().isdigit():
            return float(value)
        parsed = email.utils.parsedate_to_datetime(value)
        return max(0.0, parsed.timestamp() - time.time()) if parsed else None

    def _describe(self, method: str, path: str, response: requests.Response) -> str:
        advice = ADVICE.get(response.status_code, "unexpected response from Jira").format(
            env=self._env_names or "the source's auth", scope=self.scope
        )
        detail = _jira_messages(response)
        return (
            f"{self.source_id}: {method} {path} -> HTTP {response.status_code}"
            f"{f' ({detail})' if detail else ''}: {advice}"
        )


def _env(source_id: str, auth: Mapping[str, str], key: str) -> str:
    name = auth.get(key)
    if not name:
        raise SourceError(f"{source_id}: auth.{key} is not set; name the environment variable that holds it")
    value = os.environ.get(name)
    if not value:
        raise SourceError(f"{source_id}: environment variable {name} (auth.{key}) is empty or not set")
    return value


def _jira_messages(response: requests.Response) -> str:
    """Jira's own words (errorMessages / errors), shortened to one line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    messages = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return " ".join("; ".join(str(m) for m in messages).split())[:300]
