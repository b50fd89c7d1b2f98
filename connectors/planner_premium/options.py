"""Options of a Planner premium source (``kind: planner_premium``): a Dataverse environment."""

from __future__ import annotations

from typing import Annotated, Literal
from urllib.parse import urlsplit

from pydantic import AfterValidator, Field

from connectors.http import MAX_WAIT_DESCRIPTION, HttpSourceOptions
from connectors.options import OptionsModel, Seconds, Text, config_problem

LOOPBACK_HOSTS = {"127.0.0.1", "localhost", "::1"}


def _https(url: str, example: str) -> str:
    parts = urlsplit(url)
    if parts.scheme not in ("https", "http") or not parts.hostname:
        raise config_problem(f"is the text {url!r}; expected an address such as {example}")
    if parts.scheme == "http" and parts.hostname not in LOOPBACK_HOSTS:
        raise config_problem("plain http would send the credentials unencrypted; expected https://")
    if parts.path.strip("/") or parts.query:
        raise config_problem(f"is the text {url!r}; expected the address alone, such as {example}")
    return url.rstrip("/")


def _environment(url: str) -> str:
    return _https(url, "https://contoso.crm.dynamics.com")


def _authority(url: str) -> str:
    return _https(url, "https://login.microsoftonline.com")


class PlannerAuth(OptionsModel):
    tenant_id_env: Text = Field(description="the environment variable holding the Microsoft Entra tenant id")
    client_id_env: Text = Field(description="the environment variable holding the app registration's client id")
    client_secret_env: Text = Field(description="the environment variable holding the app registration's secret")
    authority: Annotated[Text, AfterValidator(_authority)] = Field(
        "https://login.microsoftonline.com",
        description="where tokens are asked for (<authority>/<tenant>/oauth2/v2.0/token), "
                    "e.g. https://login.microsoftonline.com")


class PlannerPremiumOptions(HttpSourceOptions):
    url: Annotated[Text, AfterValidator(_environment)] = Field(
        description="the Dataverse environment, e.g. https://contoso.crm.dynamics.com")
    auth: PlannerAuth = Field(
        description="{tenant_id_env: ENV_VAR, client_id_env: ENV_VAR, client_secret_env: ENV_VAR}")
    baseline: Literal["none", "first_seen"] = Field(
        "none", description="none, or first_seen: keep each task's first observed dates as its baseline")
    overlap_minutes: Seconds = Field(5, description="the incremental overlap window in minutes, a number >= 0")
    page_size: int = Field(5000, strict=True, ge=1, le=5000,
                           description="records per page (Prefer: odata.maxpagesize), a whole number 1-5000")
    max_wait_seconds: Seconds = Field(300, description=MAX_WAIT_DESCRIPTION)
