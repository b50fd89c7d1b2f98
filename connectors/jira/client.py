"""Jira's REST API on the shared HTTP plumbing (``connectors.http``).

What is Jira's own here: authentication (Cloud basic auth with an API token, Data Center bearer
PATs, both read from environment variables), the pause when Jira says ``X-RateLimit-NearLimit:
true``, and one-line reasons for 400, 401, 403 and 404 naming the source and what to check.
Sessions, timeouts, retries, bounded waits and the redaction of credentials are ``HttpSource``'s.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import SourceError
from connectors.http import DEFAULT_POLICY, HttpSource, RetryPolicy, decode_json, env_credential

__all__ = ["JiraClient", "RetryPolicy"]

ADVICE = {
    400: "Jira rejected the request; check the source's projects, jql and field names",
    401: "authentication failed; check the credentials in {env} (an API token may have expired or been revoked)",
    403: "the account may not browse {scope}; grant it the 'Browse projects' permission, or remove the project",
    404: "not found; check the source url and flavor (cloud or datacenter)",
}


class JiraClient:
    """GET/POST JSON against one Jira site."""

    def __init__(
        self, source_id: str, base_url: str, auth: Mapping[str, str], *, verify: bool | str = True,
        retry: RetryPolicy = DEFAULT_POLICY, scope: str = "the projects", sleep: Callable[[float], None] = time.sleep,
    ):
        self.source_id = source_id
        self.retry = retry
        self.scope = scope
        self._env_names = ", ".join(v for k, v in auth.items() if k.endswith("_env"))
        self.http = HttpSource(
            source_id, base_url, verify=verify, policy=retry, sleep=sleep,
            headers={"Accept": "application/json", "User-Agent": "sightline-jira-connector"},
        )
        self._authenticate(auth)

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def _authenticate(self, auth: Mapping[str, str]) -> None:
        if urlsplit(self.http.base_url).netloc.rpartition("@")[1]:  # config refuses these; specs built by hand too
            raise SourceError(f"{self.source_id}: the url carries a user name or password; give the address "
                              f"without it and the credentials in auth ({self._env_names or 'token_env'})")
        token = _env(self.source_id, auth, "token_env")
        if "email_env" in auth:  # Cloud: e-mail + API token, basic auth
            email = _env(self.source_id, auth, "email_env")
            self.http.session.auth = (email, token)
            self.http.add_secrets(email, token)
        else:  # Data Center / Server: personal access token
            self.http.session.headers["Authorization"] = f"Bearer {token}"
            self.http.add_secrets(token)

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params=params)

    def post(self, path: str, body: Mapping[str, Any]) -> Any:
        return self._request("POST", path, json=body)

    def get_response(self, path: str, params: Mapping[str, Any]) -> requests.Response:
        """The answer itself, undecoded (its bytes go to Arrow's JSON reader); ``decode`` reads it as ``get``."""
        return self._respond("GET", path, params=params)

    def post_response(self, path: str, body: Mapping[str, Any]) -> requests.Response:
        """The answer itself, undecoded (its bytes go to Arrow's JSON reader); ``decode`` reads it as ``post``."""
        return self._respond("POST", path, json=body)

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        return self.decode(method, path, self._respond(method, path, **kwargs))

    def _respond(self, method: str, path: str, **kwargs: Any) -> requests.Response:
        response = self.http.request(method, path, describe=self._describe, **kwargs)
        if response.headers.get("X-RateLimit-NearLimit", "").lower() == "true":
            self.http.pause(self.retry.near_limit_pause_seconds)  # slow down before Jira makes us (every thread)
        return response

    def decode(self, method: str, path: str, response: requests.Response) -> Any:
        """The answer as JSON (None when empty); a SourceError when it is something else."""
        if not response.content:
            return None
        try:
            return decode_json(response)
        except ValueError:
            raise self.http.fail(
                f"{self.source_id}: {method} {path} answered something other than JSON; "
                "check that the source url is the Jira site itself, not a login or proxy page"
            ) from None

    def _describe(self, method: str, path: str, response: requests.Response) -> str:
        advice = ADVICE.get(response.status_code, "unexpected response from Jira").format(
            env=self._env_names or "the source's auth", scope=self.scope
        )
        detail = self.http.redact(_jira_messages(response))[:300]  # redact first: a cut could halve a secret
        return (
            f"{self.source_id}: {method} {path} -> HTTP {response.status_code}"
            f"{f' ({detail})' if detail else ''}: {advice}"
        )


def _env(source_id: str, auth: Mapping[str, str], key: str) -> str:
    """The credential an ``auth.*_env`` key names, stripped; a SourceError naming the variable (never
    quoting its value) when it is missing or could not go into an HTTP header."""
    name = auth.get(key)
    if not name:
        raise SourceError(f"{source_id}: auth.{key} is not set; name the environment variable that holds it")
    return env_credential(source_id, name, key, unset="set it in the environment that runs sightline",
                          unusable="set it again, copying the credential from Jira itself")


def _jira_messages(response: requests.Response) -> str:
    """Jira's own words (errorMessages / errors) on one line, whole (the caller redacts, then shortens)."""
    try:
        body = response.json()
    except ValueError:
        return ""
    if not isinstance(body, dict):
        return ""
    messages = list(body.get("errorMessages") or []) + [f"{k}: {v}" for k, v in (body.get("errors") or {}).items()]
    return " ".join("; ".join(str(m) for m in messages).split())
