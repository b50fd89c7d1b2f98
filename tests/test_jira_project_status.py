"""Issue #10, rule 3(d): a Jira project's own status, read from a configured project property
(GET /project/{key}/properties/{property}), against the emulator on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from jira_emulator import JiraEmulator
from test_jira import Warehouse, cloud_source, jira  # noqa: F401 - the fixture


def test_the_projects_status_property_is_a_status_report(jira: JiraEmulator, tmp_path: Path) -> None:  # noqa: F811
    jira.add_issues(3)
    # PAY sets the property as an object (status, date, by, comment); EXP as a plain word, undated;
    # a property of another name is not read.
    jira.project_properties = {
        "PAY": {"pmo-status": {"status": "Amber", "date": "2026-02-20", "by": "Dana Whitfield",
                               "comment": "Vendor late"}, "other": "Red"},
        "EXP": {"pmo-status": "Green"},
    }
    house = Warehouse(tmp_path)
    outcome = house.sync(cloud_source(jira, project_status_property="pmo-status"))
    assert outcome.ok, outcome.error
    rows = house.con.execute(
        "SELECT source_key, project_ref, reported_status, reported_at, reported_by, comment, source_url "
        "FROM staging.jira__status_reports ORDER BY source_key").fetchall()
    assert rows == [
        ("EXP#project-status", "EXP", "Green", None, None, None, f"{jira.url}/browse/EXP"),
        ("PAY#project-status", "PAY", "Amber", dt.date(2026, 2, 20), "Dana Whitfield", "Vendor late",
         f"{jira.url}/browse/PAY"),
    ]
    # Two projects, one listing each and one value each: four requests, and no 404 for a project
    # without the property.
    assert len(jira.requests_to("/rest/api/3/project/PAY/properties")) == 1
    assert len(jira.requests_to("/rest/api/3/project/PAY/properties/pmo-status")) == 1


def test_without_the_option_no_property_is_asked_for(jira: JiraEmulator, tmp_path: Path) -> None:  # noqa: F811
    jira.add_issues(3)
    jira.project_properties = {"PAY": {"pmo-status": "Red"}}
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    assert house.con.execute("SELECT count(*) FROM staging.jira__status_reports").fetchone()[0] == 0
    assert not [entry for entry in jira.log if "/properties" in entry.path]


def test_a_project_without_the_property_reports_nothing(jira: JiraEmulator, tmp_path: Path) -> None:  # noqa: F811
    jira.add_issues(3)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira, project_status_property="pmo-status")).ok
    assert house.con.execute("SELECT count(*) FROM staging.jira__status_reports").fetchone()[0] == 0
    asked = [e for e in jira.log if "/properties" in e.path]
    # One listing per project (PAY, EXP), each answered 200; the value itself is never asked for.
    assert sorted(e.path for e in asked) == ["/rest/api/3/project/EXP/properties", "/rest/api/3/project/PAY/properties"]
    assert all(e.status == 200 for e in asked)
