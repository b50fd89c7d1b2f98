"""Azure DevOps REST on the shared HTTP plumbing (``connectors.http``).

What is Azure DevOps' own here: a personal access token sent as basic auth with an empty user name,
``api-version`` on every call, the rate-limit headers (``Retry-After`` on a delayed answer, and
``X-RateLimit-Remaining``/``X-RateLimit-Reset``: when the budget is spent, wait for the reset before
the next call, never longer than ``max_wait_seconds``), an answer that is not JSON (the sign-in page
Azure DevOps serves with HTTP 203 to a request it did not authenticate), and one-line reasons for
400, 401, 403 and 404. Sessions, retries on 429/5xx, bounded waits and redaction are ``HttpSource``'s.
"""

from __future__ import annotations

import base64
import time
from collections.abc import Callable, Mapping
from typing import Any
from urllib.parse import urlsplit

import requests

from connectors.base import SourceError
from connectors.http import DEFAULT_POLICY, HttpSource, RetryPolicy, env_credential, retry_after_seconds

ADVICE = {
    400: "Azure DevOps rejected the request; check the source's wiql and field reference names",
    401: "authentication failed; check the personal access token in {env} (it may have expired or been revoked)",
    403: "the token may not read {scope}; give it the Work Items (Read) scope and the account access to the project",
    404: "not found; check the source url (https://dev.azure.com/<org> or the Server collection URL) and the "
         "project name",
}


class AdoClient:
    """GET/POST JSON against one organisation or collection."""

    def __init__(self, source_id: str, base_url: str, token_env: str, *, api_version: str = "7.1",
                 verify: bool | str = True, retry: RetryPolicy = DEFAULT_POLICY, scope: str = "the projects",
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.time):
        self.source_id = source_id
        self.api_version = api_version
        self.retry = retry
        self.scope = scope
        self.token_env = token_env
        self.wall_clock = clock
        if urlsplit(base_url).netloc.rpartition("@")[1]:  # config refuses these; specs built by hand too
            raise SourceError(f"{source_id}: the url carries a user name or password; give the address without "
                              f"it and the token in auth.token_env ({token_env})")
        self.http = HttpSource(source_id, base_url, verify=verify, policy=retry, sleep=sleep,
                               headers={"Accept": "application/json", "User-Agent": "sightline-azure-devops"})
        token = _token(source_id, token_env)
        self.http.session.auth = ("", token)  # a PAT is basic auth with an empty user name
        self.http.add_secrets(token)
        self.http.secrets.append(base64.b64encode(f":{token}".encode("latin-1")).decode())  # as the header sends it

    @property
    def requests_made(self) -> int:
        return self.http.requests_made

    def get(self, path: str, params: Mapping[str, Any] | None = None) -> Any:
        return self._request("GET", path, params={**(params or {}), "api-version": self.api_version})

    def post(self, path: str, body: Mapping[str, Any], params: Mapping[str, Any] | None = None) -> Any:
        return self._request("POST", path, json=body, params={**(params or {}), "api-version": self.api_version})

    def _request(self, method: str, path: str, **kwargs: Any) -> Any:
        response = self.http.request(method, path, describe=self._describe, **kwargs)
        self._pace(response)
        if not response.content:
            return None
        try:
            return response.json()
        except ValueError:
            raise self.http.fail(
                f"{self.source_id}: {method} {path} -> HTTP {response.status_code} answered something other than "
                f"JSON (a sign-in page when the token is not accepted); check {self.token_env} and that the url "
                "is the organisation or collection itself"
            ) from None

    def _pace(self, response: requests.Response) -> None:
        """Slow down as Azure DevOps asks: a delayed answer's Retry-After, or a spent budget until its reset."""
        cap = self.retry.max_wait_seconds
        asked = retry_after_seconds(response.headers.get("Retry-After"))
        if asked:
            self.http.sleep(min(asked, cap))
            return
        remaining, reset = response.headers.get("X-RateLimit-Remaining"), response.headers.get("X-RateLimit-Reset")
        try:
            spent = remaining is not None and float(remaining) <= 0
            wait = float(reset) - self.wall_clock() if spent and reset else 0.0
        except ValueError:  # unreadable headers: no pause; a 429 would still be honoured
            return
        if wait > 0:
            self.http.sleep(min(wait, cap))

    def _describe(self, method: str, path: str, response: requests.Response) -> str:
        advice = ADVICE.get(response.status_code, "unexpected response from Azure DevOps").format(
            env=self.token_env, scope=self.scope)
        detail = self.http.redact(_ado_message(response))[:300]  # redact first: a cut could halve a secret
        return (f"{self.source_id}: {method} {path} -> HTTP {response.status_code}"
                f"{f' ({detail})' if detail else ''}: {advice}")


def _token(source_id: str, name: str) -> str:
    """The PAT the variable holds, stripped; a SourceError naming the variable (never its value) otherwise."""
    return env_credential(source_id, name, "token_env",
                          unset="set it to a personal access token in the environment that runs sightline",
                          unusable="copy the token from Azure DevOps again")


def _ado_message(response: requests.Response) -> str:
    """Azure DevOps' own error text (``message``), on one line."""
    try:
        body = response.json()
    except ValueError:
        return ""
    return " ".join(str(body.get("message") or "").split()) if isinstance(body, dict) else ""
