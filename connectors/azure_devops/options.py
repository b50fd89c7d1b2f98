"""Options of Azure DevOps Boards sources (kind: azure_devops)."""

from __future__ import annotations

import re
from typing import Annotated

from pydantic import AfterValidator, Field

from connectors.http import HttpSourceOptions, secure_url
from connectors.options import OptionsModel, Seconds, Text, config_problem, one_of

#: Roles a configured field can play: its values become the item's objectives, systems or story points.
FIELD_ROLES = ("objectives", "systems", "story_points")
FIELD_REFERENCE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*(\.[A-Za-z0-9_]+)+$")


def _collection_url(url: str) -> str:
    return secure_url(url, "the organisation or collection address, e.g. https://dev.azure.com/contoso or "
                      "https://tfs.example.com/tfs/DefaultCollection", "the personal access token").rstrip("/")


def _field_reference(name: str) -> str:
    if not FIELD_REFERENCE.match(name):
        raise config_problem(f"{name!r} is not a field reference name; expected one such as Custom.StrategicTheme "
                             "(Organization settings > Process > the field's reference name)")
    return name


class AzureDevOpsAuth(OptionsModel):
    token_env: Text = Field(description="the environment variable holding a personal access token (Work Items: Read)")


class AzureDevOpsOptions(HttpSourceOptions):
    url: Annotated[Text, AfterValidator(_collection_url)] = Field(
        description="the organisation (https://dev.azure.com/<org>) or Server collection URL")
    auth: AzureDevOpsAuth = Field(description="{token_env: ENV_VAR}")
    projects: tuple[Text, ...] | None = Field(
        None, description="a list of team project names (default: the keys of the projects naming this source)")
    wiql: Text | None = Field(None, description="a WIQL condition narrowing the scope, e.g. [System.AreaPath] UNDER 'HR'")
    fields: dict[one_of(FIELD_ROLES), Annotated[Text, AfterValidator(_field_reference)]] = Field(
        {}, description="a mapping of role (objectives, systems, story_points): field reference name")
    risk_work_item_type: Text = Field("Risk", description="the work item type read as risks (CMMI: Risk)")
    overlap_minutes: Seconds = Field(10, description="the incremental overlap window in minutes, a number >= 0")
    history_by_item_limit: int = Field(
        100, strict=True, ge=0, description="the most changed items an incremental run reads the updates of one by one "
        "(when fewer calls than the project's revisions), a whole number >= 0")
    api_version: Text = Field("7.1", description="the REST api-version, e.g. 7.1 (Server 2022: 7.0)")
    wiql_cap: int = Field(20_000, strict=True, ge=1, le=20_000,
                          description="ids one WIQL query may return, a whole number from 1 to 20000 (the service's cap)")
