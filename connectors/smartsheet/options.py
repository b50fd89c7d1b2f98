"""Options of a Smartsheet source (kind: smartsheet)."""

from __future__ import annotations

from typing import Annotated

from pydantic import AfterValidator, Field

from connectors.http import HttpSourceOptions, secure_url
from connectors.options import OptionsModel, Text, config_problem, one_of
from connectors.spreadsheet.headers import TASK_FIELDS

DEFAULT_URL = "https://api.smartsheet.com/2.0"
TaskField = one_of(TASK_FIELDS)


def _api_url(url: str) -> str:
    return secure_url(url, f"the API address, e.g. {DEFAULT_URL}")


def _object_id(value: str) -> str:
    if not value.isdigit():
        raise config_problem(f"{value!r} is not a Smartsheet id; expected the number shown in the item's "
                             "properties, e.g. 4583173393803140")
    return value


SmartsheetId = Annotated[Text, AfterValidator(_object_id)]


class SmartsheetAuth(OptionsModel):
    token_env: Text = Field(description="the environment variable holding the Smartsheet API access token")


class SmartsheetOptions(HttpSourceOptions):
    url: Annotated[Text, AfterValidator(_api_url)] = Field(
        DEFAULT_URL, description=f"the API address, e.g. {DEFAULT_URL} (or api.smartsheet.eu, api.smartsheetgov.com)")
    auth: SmartsheetAuth = Field(description="{token_env: ENV_VAR}")
    workspaces: tuple[SmartsheetId, ...] = Field(
        (), description="a list of workspace ids: every sheet in them (and their folders) is a project")
    folders: tuple[SmartsheetId, ...] = Field(
        (), description="a list of folder ids: every sheet in them (and their sub-folders) is a project")
    columns: dict[TaskField, Text] = Field(
        {}, description="a mapping of field: column title, for columns whose title or type does not say, "
                        "e.g. {finish: Go-live}")
    page_size: int = Field(1000, strict=True, ge=1, le=10_000, description="rows per page, a whole number 1-10000")
    requests_per_minute: int = Field(
        300, strict=True, ge=1, description="the most requests sent in any minute, a whole number >= 1 "
                                            "(Smartsheet allows 300 per token)")
