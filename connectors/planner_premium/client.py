"""The Dataverse Web API (``/api/data/v9.2/``) on the shared HTTP plumbing (``connectors.http``).

What is Dataverse's own here: OAuth 2.0 client credentials against Microsoft Entra ID (the token
is asked for at ``<authority>/<tenant>/oauth2/v2.0/token`` with the scope ``<environment>/.default``,
kept until a minute before it expires, and asked for again once when the API answers 401), OData
paging (``Prefer: odata.maxpagesize``, ``@odata.nextLink``), formatted values of option sets and
lookups (``Prefer: odata.include-annotations``), and one-line reasons naming the source and what
to check. Retries, ``Retry-After`` (Dataverse's service-protection limits answer 429 with one),
bounded waits, TLS and the redaction of credentials are ``HttpSource``'s.
"""

from __future__ import annotations

import email.utils
import os
import time
from collections.abc import Callable, Iterator, Mapping
from typing import Any
from urllib.parse import quote

import requests

from connectors.base import SourceError
from connectors.http import HttpSource
from connectors.planner_premium.options import PlannerPremiumOptions

API = "/api/data/v9.2"
FORMATTED = "OData.Community.Display.V1.FormattedValue"
ODATA_SAFE = "$,()'*:"
TOKEN_MARGIN_SECONDS = 60  # ask for a new token this long before the old one expires
ADVICE = {
    400: "Dataverse rejected the query; check that the environment has Planner premium (Project for the web) "
         "installed",
    401: "authentication failed; check the app registration's credentials in {env} (a client secret may have "
         "expired)",
    403: "the application user may not read this table; give it a security role with read access to the "
         "Project tables (e.g. Project Manager) in the environment",
    404: "not found; check the source url (the environment, e.g. https://contoso.crm.dynamics.com)",
}


def odata_query(params: Mapping[str, str]) -> str:
    """``$select=a,b&$filter=x eq 1``: OData's own characters kept, spaces as %20 (never +)."""
    return "&".join(f"{name}={quote(str(value), safe=ODATA_SAFE)}" for name, value in params.items())


class DataverseClient:
    """GET JSON from one Dataverse environment as an application (client credentials)."""

    def __init__(self, source_id: str, options: PlannerPremiumOptions, *, verify: bool | str = True,
                 sleep: Callable[[float], None] = time.sleep, clock: Callable[[], float] = time.monotonic):
        self.source_id = source_id
        self.options = options
        self.clock = clock
        auth = options.auth
        self._env_names = ", ".join((auth.tenant_id_env, auth.client_id_env, auth.client_secret_env))
        self.tenant = _env(source_id, auth.tenant_id_env, "tenant_id_env")
        self.client_id = _env(source_id, auth.client_id_env, "client_id_env")
        self._secret = _env(source_id, auth.client_secret_env, "client_secret_env")
        prefer = f'odata.maxpagesize={options.page_size},odata.include-annotations="{FORMATTED}"'
        common = {"verify": verify, "policy": options.retry_policy(), "sleep": sleep, "clock": clock}
        self.http = HttpSource(source_id, options.url + API, **common, headers={
            "Accept": "application/json", "OData-MaxVersion": "4.0", "OData-Version": "4.0", "Prefer": prefer,
            "User-Agent": "sightline-planner-premium-connector"})
        self.login = HttpSource(source_id, auth.authority, **common, headers={"Accept": "application/json"})
        for http in (self.http, self.login):
            http.add_secrets(self.tenant, self.client_id, self._secret)
        self._token: str | None = None
        self._expires_at = 0.0
        self._status = 0  # the status of the last refused request, for the one retry after a 401
        self.server_date: float | None = None  # the server's clock at the first answer (epoch seconds)

    @property
    def requests_made(self) -> int:
        return self.http.requests_made + self.login.requests_made

    # --- the token --------------------------------------------------------------------------------------

    def _authorise(self) -> None:
        if self._token and self.clock() < self._expires_at - TOKEN_MARGIN_SECONDS:
            return
        form = {"grant_type": "client_credentials", "client_id": self.client_id, "client_secret": self._secret,
                "scope": f"{self.options.url}/.default"}
        response = self.login.request("POST", f"/{quote(self.tenant, safe='')}/oauth2/v2.0/token",
                                      describe=self._describe_login, data=form)
        body = _json(response)
        token = body.get("access_token") if isinstance(body, dict) else None
        if not token or not isinstance(token, str):
            raise self.login.fail(f"{self.source_id}: the token endpoint answered without an access_token; check "
                                  "auth.authority (it must be the Microsoft Entra ID login address)")
        self.http.add_secrets(token)
        self.login.add_secrets(token)
        self._token = token
        self._expires_at = self.clock() + _seconds(body.get("expires_in"))
        self.http.session.headers["Authorization"] = f"Bearer {token}"

    def _describe_login(self, method: str, path: str, response: requests.Response) -> str:
        body = _json(response)
        detail = ""
        if isinstance(body, dict):
            detail = " ".join(str(body.get(k) or "") for k in ("error", "error_description")).strip()
        detail = self.login.redact(" ".join(detail.split()))[:300]
        return (f"{self.source_id}: asking {self.options.auth.authority} for a token -> HTTP {response.status_code}"
                f"{f' ({detail})' if detail else ''}: check the tenant id, client id and client secret in "
                f"{self._env_names}, and that the app registration's secret has not expired")

    # --- reading ----------------------------------------------------------------------------------------

    def get(self, path: str) -> dict[str, Any]:
        """One answer of the API (``path`` below /api/data/v9.2, query included); a new token once on 401."""
        for attempt in (1, 2):
            self._authorise()
            try:
                response = self.http.request("GET", path, describe=self._describe)
            except SourceError:
                if self._status != 401 or attempt == 2:
                    raise
                self._token = None  # revoked or expired early: one fresh token, then give up
                continue
            if self.server_date is None:
                self.server_date = _date_header(response)
            body = _json(response)
            if not isinstance(body, dict):
                raise self.http.fail(f"{self.source_id}: GET {path.split('?')[0]} answered something other than a "
                                     "JSON object; check that the source url is the Dataverse environment itself")
            return body
        raise AssertionError("unreachable")  # pragma: no cover

    def pages(self, entity_set: str, params: Mapping[str, str]) -> Iterator[list[dict[str, Any]]]:
        """Every page of a query, following ``@odata.nextLink`` (on this environment only) to the end."""
        path: str | None = f"/{entity_set}?{odata_query(params)}"
        seen: set[str] = set()
        while path:
            page = self.get(path)
            rows = page.get("value")
            if not isinstance(rows, list):
                raise self.http.fail(f"{self.source_id}: GET /{entity_set} answered without a 'value' list; check "
                                     "that the source url is the Dataverse environment itself")
            if rows:
                yield rows
            path = self._next(entity_set, page.get("@odata.nextLink"), seen)

    def _next(self, entity_set: str, link: Any, seen: set[str]) -> str | None:
        if not link:
            return None
        base = self.http.base_url
        if not isinstance(link, str) or not link.startswith(base + "/"):
            # Never follow a link elsewhere: the bearer token would go with it.
            raise self.http.fail(f"{self.source_id}: paging /{entity_set} led outside the environment ({base}); "
                                 "check the source url")
        if link in seen:
            raise self.http.fail(f"{self.source_id}: Dataverse returned the same @odata.nextLink twice while paging "
                                 f"/{entity_set}, which would loop forever; run the sync again later")
        seen.add(link)
        return link[len(base):]

    def _describe(self, method: str, path: str, response: requests.Response) -> str:
        self._status = response.status_code
        advice = ADVICE.get(response.status_code, "unexpected response from Dataverse").format(env=self._env_names)
        body = _json(response)
        error = body.get("error") if isinstance(body, dict) else None
        detail = ""
        if isinstance(error, dict):
            detail = " ".join(f"{error.get('code') or ''} {error.get('message') or ''}".split())
        detail = self.http.redact(detail)[:300]  # redact first: a cut could halve a secret
        return (f"{self.source_id}: {method} {path.split('?')[0]} -> HTTP {response.status_code}"
                f"{f' ({detail})' if detail else ''}: {advice}")


def _json(response: requests.Response) -> Any:
    try:
        return response.json()
    except ValueError:
        return None


def _seconds(value: Any) -> float:
    try:
        seconds = float(value)
    except (TypeError, ValueError):
        return 0.0  # no lifetime given: use the token for this request only
    return max(0.0, seconds)


def _date_header(response: requests.Response) -> float | None:
    try:
        moment = email.utils.parsedate_to_datetime(response.headers.get("Date", ""))
    except (TypeError, ValueError, IndexError):
        return None
    return moment.timestamp() if moment is not None and moment.tzinfo is not None else None


def _env(source_id: str, name: str, key: str) -> str:
    """The credential an ``auth.*_env`` key names, stripped; a SourceError naming the variable, never its value."""
    value = (os.environ.get(name) or "").strip()  # a pasted secret often carries a newline
    if not value:
        raise SourceError(f"{source_id}: environment variable {name} (auth.{key}) is empty or not set; set it in "
                          "the environment that runs sightline")
    if any(ord(c) < 0x20 or 0x7F <= ord(c) < 0xA0 for c in value):
        raise SourceError(f"{source_id}: environment variable {name} (auth.{key}) holds a control character; set it "
                          "again, copying the value from the app registration in the Microsoft Entra admin center")
    return value
