"""REST payloads as Jira Cloud really sends them, served by the loopback emulator: Atlassian
Document Format in text fields, custom fields as options/arrays/users/teams, numbers where the docs
say strings, nulls, team-managed parents and sub-tasks, statuses without a category - and one
malformed issue quarantined by key while the rest load."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

from support.jira_emulator import JiraEmulator
from test_jira import Warehouse, cloud_source, jira  # noqa: F401 - jira is the emulator fixture

from connectors.jira.mapping import adf_text


def doc(*blocks: dict) -> dict:
    return {"type": "doc", "version": 1, "content": list(blocks)}


def paragraph(*inline: dict) -> dict:
    return {"type": "paragraph", "content": list(inline)}


def text(words: str) -> dict:
    return {"type": "text", "text": words}


def test_adf_becomes_the_text_a_person_reads() -> None:
    body = doc(
        {"type": "heading", "attrs": {"level": 2}, "content": [text("Status")]},
        paragraph(text("Amber: "), {"type": "mention", "attrs": {"id": "acc-1", "text": "@Priya Shah"}},
                  text(" owns the fix"), {"type": "hardBreak"}, text("due "),
                  {"type": "date", "attrs": {"timestamp": "1772323200000"}}),  # 2026-03-01 00:00 UTC
        {"type": "bulletList", "content": [
            {"type": "listItem", "content": [paragraph(text("vendor late "),
                                                       {"type": "emoji", "attrs": {"shortName": ":warning:"}})]},
            {"type": "listItem", "content": [paragraph({"type": "status", "attrs": {"text": "AT RISK"}})]},
        ]},
    )
    assert adf_text(body) == "Status\nAmber: @Priya Shah owns the fix\ndue 2026-03-01\nvendor late :warning:\nAT RISK"


def test_payload_shapes_jira_sends_load_and_one_malformed_issue_is_quarantined(jira: JiraEmulator,  # noqa: F811
                                                                               tmp_path: Path) -> None:
    ids = jira.add_issues(9, project="PAY")
    key = {issue_id: jira.issues[issue_id]["key"] for issue_id in ids}
    report, teamed, risk, uncategorised, story, subtask, stringly, nulls, broken = ids
    jira.tamper(report, issuetype={"name": "Status report", "subtask": False},
                customfield_10070=doc(paragraph(text("Amber")), paragraph(text("Vendor is two weeks late"))))
    jira.tamper(teamed, customfield_10071={"id": "3f9c", "title": "Platform squad", "isShared": True},
                customfield_10050=[{"value": "cost-efficiency"}, {"id": "10009"}, {"name": "growth"}])
    jira.tamper(risk, issuetype={"name": "Risk", "subtask": False},
                customfield_10060=doc(paragraph(text("High"))), customfield_10061=4)
    jira.tamper(uncategorised, status={"name": "On hold"})  # a workflow status Jira sends without a category
    # Team-managed: the story's parent is the epic itself (no Epic Link field), the sub-task's its story.
    jira.tamper(story, parent={"id": teamed, "key": key[teamed]}, customfield_10014=None)
    jira.tamper(subtask, issuetype={"name": "Subtask", "subtask": True}, parent={"id": story, "key": key[story]})
    jira.tamper(stringly, timeoriginalestimate="7200", customfield_10016="5",
                fixVersions=[{"id": 100, "name": "1.0", "releaseDate": "2026-06-30", "released": False}])
    jira.tamper(nulls, assignee=None, priority=None, components=None, labels=None, fixVersions=None,
                issuelinks=None, customfield_10020=None, customfield_10050=None, duedate=None)
    jira.tamper(broken, fixVersions={"name": "1.0"})  # an object where Jira's schema has an array

    house = Warehouse(tmp_path)
    source = cloud_source(jira, projects=["PAY"],
                          fields={"objectives": "Strategic theme", "probability": "Risk likelihood",
                                  "impact": "Risk impact", "reported_status": "Project health",
                                  "team": "Delivery team"})
    outcome = house.sync(source)
    assert outcome.ok, outcome.error
    assert house.issue_ids() == set(ids) - {broken}
    (object_key, reason), = house.con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall()
    assert object_key == broken and reason.startswith(f"{key[broken]}: ")

    row = {r[0]: r[1:] for r in house.con.execute(
        'SELECT issue_id, reported_status, team, objectives, probability, impact, status_category, parent_key, '
        'is_subtask, original_estimate_hours, story_points, labels, components FROM raw."jira__issues"').fetchall()}
    assert row[report][0] == "Amber\nVendor is two weeks late"
    assert row[teamed][1:3] == ("Platform squad", ["cost-efficiency", "growth"])  # the id-only option says nothing
    assert row[risk][3:5] == (4.0, 4.0)  # High on the 1-5 scale, and the number 4
    assert row[uncategorised][5] is None
    assert row[story][6] == key[teamed] and row[subtask][6:8] == (key[story], True)
    assert row[stringly][8:10] == (2.0, 5.0)
    assert row[nulls][10:12] == ([], [])
    version = house.con.execute('SELECT version_id, release_date FROM raw."jira__versions" WHERE issue_id = ?',
                                [stringly]).fetchone()
    assert version == ("100", dt.date(2026, 6, 30))

    staged = dict(house.con.execute("SELECT source_key, status_default FROM staging.jira__work_items").fetchall())
    assert staged[key[uncategorised]] == "blocked"  # "On hold" by its name, no category needed
    reports = house.con.execute("SELECT source_key, reported_status FROM staging.jira__status_reports").fetchall()
    assert reports == [(key[report], "Amber\nVendor is two weeks late")]
