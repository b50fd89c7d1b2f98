"""Options of the Jira sources: the REST API (kind: jira) and CSV exports (kind: jira_csv)."""

from __future__ import annotations

import re
from typing import Annotated, Literal

from pydantic import AfterValidator, Field, model_validator

from connectors.http import HttpSourceOptions, secure_url
from connectors.jira.csv_headers import SPELLINGS
from connectors.jira.mapping import CUSTOM_FIELD_NAMES
from connectors.jira.search import DC_WINDOW
from connectors.options import OptionsModel, Seconds, Text, TimeZone, config_problem, one_of

CustomField = one_of(CUSTOM_FIELD_NAMES)
CsvColumn = one_of(SPELLINGS)
PROJECT_KEY = re.compile(r"^[A-Z][A-Z0-9_]*$")


def _project_key(key: str) -> str:
    if not PROJECT_KEY.match(key):
        raise config_problem(f"{key!r} is not a Jira project key; expected capital letters and digits such as PAY")
    return key


ProjectKey = Annotated[Text, AfterValidator(_project_key)]


def _site_url(url: str) -> str:
    return secure_url(url, "the site address, e.g. https://example.atlassian.net")


class JiraAuth(OptionsModel):
    email_env: Text | None = Field(None, description="the environment variable holding the account e-mail (Cloud)")
    token_env: Text = Field(description="the environment variable holding the API token or personal access token")


class JiraOptions(HttpSourceOptions):
    url: Annotated[Text, AfterValidator(_site_url)] = Field(
        description="the site address, e.g. https://example.atlassian.net")
    flavor: Literal["cloud", "datacenter"] = Field("cloud", description="cloud or datacenter")
    auth: JiraAuth = Field(description="{email_env: ENV_VAR, token_env: ENV_VAR} (Data Center: token_env only)")
    projects: tuple[ProjectKey, ...] | None = Field(
        None, description="a list of Jira project keys such as [PAY, EXP] (default: the projects naming this source)")
    jql: Text | None = Field(None, description="a JQL condition narrowing the scope")
    fields: dict[CustomField, Text] = Field({}, description="a mapping of field: Jira field name")
    risk_issue_type: Text = Field("Risk", description="the issue type read as risks")
    status_report_issue_type: Text = Field(
        "Status report", description="the issue type read as status reports (their fields.reported_status field)")
    project_status_property: Text | None = Field(
        None, description="the key of a Jira project property holding the project's own reported status: "
                          "a word such as Green, or {status, date, by, comment}")
    overlap_minutes: Seconds = Field(10, description="the incremental overlap window in minutes, a number >= 0")
    page_size: int = Field(100, strict=True, ge=1, description="issues per search page, a whole number >= 1")
    result_window: int = Field(DC_WINDOW, strict=True, ge=1,
                               description="how far the site lets one search page (Data Center), a whole number >= 1")

    @model_validator(mode="after")
    def _cloud_signs_in_with_an_email(self) -> JiraOptions:
        if self.flavor == "cloud" and self.auth.email_env is None:
            raise config_problem("is missing; Jira Cloud signs in with an e-mail and an API token; expected "
                                 "auth: {email_env: ENV_VAR, token_env: ENV_VAR}", at="auth.email_env")
        return self


class JiraCsvOptions(OptionsModel):
    path: Text = Field(description="the export file (or a glob), e.g. exports/jira.csv")
    columns: dict[CsvColumn, Text] = Field(
        {}, description="the export's own header for a column, by Jira's English name, e.g. {Issue key: Ticket}")
    timezone: TimeZone = Field("UTC", description="the IANA time zone the export was made in, e.g. Europe/London")
    fields: dict[CustomField, Text] = Field({}, description="a mapping of field: custom field name")
    risk_issue_type: Text = Field("Risk", description="the issue type read as risks")
    status_report_issue_type: Text = Field(
        "Status report", description="the issue type read as status reports (their fields.reported_status field)")
