"""The sync maps each page of issues in columns (connectors/jira/page.py); the row mapping
(``checked_issue_rows``, the reference; ``issue_rows`` without the type check for CSV exports) must read exactly the same: every value,
every quarantined issue and every message, on a page of varied and malformed issues."""

from __future__ import annotations

import copy
import datetime as dt
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pyarrow as pa
import pytest
from support.jira_emulator import JiraEmulator

from connectors.jira.connector import IssueSpool
from connectors.jira.mapping import RAW_SCHEMAS, FieldIds, checked_issue_rows, parse_jira_time, read_day
from connectors.jira.page import UNREADABLE, changelog_table, jira_days, jira_times, page_tables

FIELDS = FieldIds({"story_points": "customfield_10016", "start_date": "customfield_10015",
                   "sprint": "customfield_10020", "flagged": "customfield_10021", "epic_link": "customfield_10014",
                   "objectives": "customfield_10050", "probability": "customfield_10060",
                   "impact": "customfield_10061", "team": "customfield_10071", "reported_status": "customfield_10070"})
DC_SPRINT = ("com.atlassian.greenhopper.service.sprint.Sprint@5a1[id=3,rapidViewId=1,state=ACTIVE,name=Sprint 3,"
             "startDate=2026-01-05T09:00:00.000+01:00,endDate=<null>,sequence=3]")
ADF = {"type": "doc", "version": 1, "content": [{"type": "paragraph", "content": [{"type": "text", "text": "Amber"}]}]}


def field(name: str, value: Any) -> Callable[[dict], None]:
    def change(issue: dict) -> None:
        issue["fields"][name] = value
    return change


def whole(name: str, value: Any) -> Callable[[dict], None]:
    def change(issue: dict) -> None:
        if value is None:
            issue.pop(name, None)
        else:
            issue[name] = value
    return change


def history(created: Any) -> Callable[[dict], None]:
    return whole("changelog", {"histories": [
        {"created": created, "items": [{"field": "status", "fieldId": "status", "fromString": "To Do",
                                        "toString": "Done"}, {"field": "assignee", "toString": "x"}]}]})


#: One change per issue: every shape a time, date, number or custom field comes in, and malformed ones.
VARIANTS: list[Callable[[dict], None]] = [
    field("created", "2026-01-05T09:00:00.000+0530"), field("created", "2026-01-05T09:00:00.000-0800"),
    field("updated", "2026-01-05T09:00:00.000Z"), field("updated", "2026-01-05T09:00:00+05:30"),
    field("updated", "2026-01-05T09:00:00.123456+0000"), field("updated", "2026-01-05T09:00:00.000"),
    field("updated", "2026-01-05"), field("resolutiondate", ""), field("resolutiondate", 0),
    field("created", "2026-02-30T09:00:00.000+0000"), field("updated", "yesterday"), field("created", 1767600000),
    field("created", "0999-01-05T09:00:00.000+0000"), field("resolutiondate", "2026-01-05T25:00:00.000+0000"),
    field("duedate", "2026-02-30"), field("duedate", "2026-03-01T23:30:00.000-0200"),
    field("duedate", "2026-03-01 noon"), field("duedate", 20260301), field("duedate", "03/01/2026"),
    field("customfield_10015", "2026-03-01T00:30:00.000+0100"),
    field("customfield_10020", DC_SPRINT), field("customfield_10020", [{"name": "S", "startDate": "soon"}]),
    field("customfield_10020", [{"name": "S", "startDate": "2026-01-05", "endDate": "2026-01-19T17:00:00.000Z"}]),
    field("timeoriginalestimate", "7200"), field("timeoriginalestimate", "two hours"),
    field("timespent", True), field("timeestimate", 3600 * 200_000), field("customfield_10016", float("nan")),
    field("customfield_10016", "13 points"), field("customfield_10016", math.inf), field("customfield_10016", "5"),
    field("customfield_10016", 20_000),
    field("status", "Done"), whole("fields", "oops"), whole("key", None), whole("id", ""),
    field("fixVersions", [{"id": 7, "name": "2.0", "releaseDate": "2026-13-01", "released": True}]),
    field("fixVersions", [{"id": 8, "name": "2.1", "releaseDate": "2026-07-01", "released": True},
                          {"id": 9, "name": "2.2", "releaseDate": None}]),
    history("2026-01-06T10:00:00.000+0100"), history("not a time"),
    field("customfield_10071", {"id": "3f9c", "title": "Platform squad"}), field("customfield_10070", ADF),
    field("customfield_10050", [{"value": "cost-efficiency"}, {"id": "10009"}, {"name": "growth"}, "plain"]),
    field("customfield_10060", "50%"), field("customfield_10061", 4), field("customfield_10060", "very"),
    field("labels", ["a", 3]), field("summary", None), field("issuetype", {"name": "Risk", "subtask": True}),
    field("issuelinks", [{"type": {"name": "Blocks"}, "outwardIssue": {"key": "PAY-1"},
                          "inwardIssue": {"key": "PAY-2"}}]),
    field("customfield_10021", [{"value": "Impediment"}]), field("assignee", {"name": "dc.user"}),
]


def varied_page(seed: int) -> list[dict]:
    emulator = JiraEmulator(seed=seed)
    emulator.add_issues(len(VARIANTS) + 20)
    issues = [copy.deepcopy(issue) for issue in emulator.issues.values()]
    for issue, change in zip(issues, VARIANTS, strict=False):  # the last 20 stay as the emulator made them
        change(issue)
    return issues


def by_rows(issues: list[dict]) -> tuple[dict[str, pa.Table], list[tuple[str, str, str]]]:
    """The reference: each issue through the row path, the page's rows built into tables after."""
    rows: dict[str, list[dict]] = {name: [] for name in ("issues", "links", "versions", "changelog")}
    failures = []
    for issue in issues:
        try:
            mapped = checked_issue_rows(issue, FIELDS, "Risk", "Status report")
        except UNREADABLE as exc:
            failures.append((str(issue.get("id")), type(exc).__name__, str(exc)))
            continue
        for name, table_rows in mapped.items():
            rows[name].extend(table_rows)
    return {name: pa.Table.from_pylist(r, schema=RAW_SCHEMAS[name]) for name, r in rows.items()}, failures


# One page of them all (a Feb 30 on it sends every time to Python's parser), then pages of 7 and
# of 1 (most with only times Arrow reads), so both readings are compared with the row mapping.
@pytest.mark.parametrize(("seed", "size"), [(1, 1000), (2, 1000), (1, 7), (2, 1)])
def test_page_in_columns_reads_exactly_what_the_row_mapping_reads(seed: int, size: int) -> None:
    issues = varied_page(seed)
    expected, expected_failures = by_rows(issues)
    pages = [page_tables(issues[start:start + size], FIELDS, "Risk", "Status report")
             for start in range(0, len(issues), size)]
    for name, table in expected.items():
        assert pa.concat_tables([page.tables[name] for page in pages]).equals(table), name
    failures = [failure for page in pages for failure in page.failures]
    assert [(str(i.get("id")), type(e).__name__, str(e)) for i, e in failures] == expected_failures
    # The page really held what it is meant to: malformed issues refused, odd shapes read.
    assert len(expected_failures) >= 15 and expected["issues"].num_rows >= 40
    assert expected["changelog"].num_rows == 1 and expected["versions"].num_rows >= 2


def test_hand_worked_values_of_the_columnar_page() -> None:
    issues = varied_page(1)
    page = page_tables(issues, FIELDS, "Risk", "Status report")
    issues_table = page.tables["issues"]
    row = {r["issue_id"]: r for r in issues_table.to_pylist()}
    first, second = issues[0]["id"], issues[1]["id"]
    assert row[first]["created_at"] == dt.datetime(2026, 1, 5, 3, 30)  # 09:00 at +05:30 is 03:30 UTC
    assert row[second]["created_at"] == dt.datetime(2026, 1, 5, 17, 0)  # 09:00 at -08:00 is 17:00 UTC
    due = {issue["id"]: row[issue["id"]]["due_date"] for issue in issues[15:18]}
    # A time in a date field is its UTC day; "2026-03-01 noon" is read by its first ten characters.
    assert list(due.values()) == [dt.date(2026, 3, 2), dt.date(2026, 3, 1), dt.date(2026, 3, 1)]
    dc_sprint = row[issues[20]["id"]]
    assert (dc_sprint["sprint_name"], dc_sprint["sprint_start"], dc_sprint["sprint_end"]) == (
        "Sprint 3", dt.date(2026, 1, 5), None)
    reasons = {str(issue.get("id")): str(exc) for issue, exc in page.failures}
    assert reasons[issues[9]["id"]] == 'created "2026-02-30T09:00:00.000+0000" is not a date'
    assert reasons[issues[28]["id"]] == 'story points "13 points" is not a number'


def test_vectorised_times_equal_parse_jira_time_value_by_value() -> None:
    values = ["2024-01-02T03:04:05.000+0000", "2024-01-02T03:04:05.123+0530", "2024-07-01T00:00:00.000-1200",
              "2024-01-02T03:04:05.999Z", "2024-01-02T03:04:05+05:30", "2024-01-02T03:04:05", "2024-01-02",
              "2024-01-02T03:04:05.1234567+0000", None, "", 0, "2024-12-02T03:04:05.000+0000", "garbage",
              "1999-12-31T23:59:59.999+0100", "2024-01-02T03:04:05.000+2359", "0000-01-02T03:04:05.000+0000"]
    assert_times_as_parse_jira_time(values, refused_at=[12, 15])  # no year 0 in Python
    parsed, _ = jira_times(values)
    assert parsed[1].as_py() == dt.datetime(2024, 1, 1, 21, 34, 5, 123000)  # hand-worked: 03:04:05.123 - 05:30
    assert parsed[6].as_py() == dt.datetime(2024, 1, 2)
    two_in_one = "2024-01-02T03:04:05.000+0000\n2024-01-02T03:04:05.000+0000"  # two times in one value
    assert_times_as_parse_jira_time([values[0], two_in_one], refused_at=[1])
    values[11] = "2024-13-02T03:04:05.000+0000"  # Arrow refuses it: the whole list is read by Python
    assert_times_as_parse_jira_time(values, refused_at=[11, 12, 15])


def assert_times_as_parse_jira_time(values: list[Any], refused_at: list[int]) -> None:
    parsed, refused = jira_times(values)
    expected, expected_refused = [], []
    for position, value in enumerate(values):
        try:
            expected.append(parse_jira_time(value))
        except ValueError:
            expected.append(None)
            expected_refused.append(position)
    assert parsed.to_pylist() == expected and refused == expected_refused
    assert expected_refused == refused_at


def test_one_impossible_day_sends_the_page_to_the_python_parser_and_only_it_is_refused() -> None:
    values = ["2026-01-05", "2026-02-28", "2026-03-01T23:30:00.000-0200", None, "2026-12-31"]
    days = [dt.date(2026, 1, 5), dt.date(2026, 2, 28), dt.date(2026, 3, 2), None, dt.date(2026, 12, 31)]
    assert jira_days(values) == (pa.array(days, pa.date32()), [])
    values[1], days[1] = "2026-02-30", None
    parsed, refused = jira_days(values)
    assert parsed.to_pylist() == days and refused == [1]
    with pytest.raises(ValueError, match="is not a date"):
        read_day(None, values[1])


def test_spool_cursor_stamps_from_a_table_are_the_row_readings(tmp_path: Path) -> None:
    """epoch_ms truncates seconds*1000 toward zero: 500 us before 1970 is 0 ms, not -1."""
    moments = [dt.datetime(2026, 1, 5, 9, 0, 0, 123000), dt.datetime(1969, 12, 31, 23, 59, 59, 999500), None]
    table = pa.Table.from_pylist([{"issue_id": str(i), "issue_key": f"PAY-{i}", "updated_at": moment,
                                   "components": [], "labels": [], "objectives": []}
                                  for i, moment in enumerate(moments)], schema=RAW_SCHEMAS["issues"])
    spool = IssueSpool(tmp_path)
    spool.add({"issues": table})
    stamps = dict(zip(spool.latest().column("id").to_pylist(), spool.latest().column("updated").to_pylist(),
                      strict=True))
    assert stamps == {"0": 1767603600123, "1": 0, "2": -1}


def test_bulk_changelog_page_rows_and_a_bad_time_fails_with_the_parsers_message() -> None:
    def change(created: str, *items: dict) -> dict:
        return {"id": "h", "created": created, "items": list(items)}

    status = {"fieldId": "status", "fromString": "To Do", "toString": "In Progress"}
    page = {"issueChangeLogs": [
        {"issueId": 10001, "changeHistories": [change("2026-01-06T10:00:00.000+0100", status,
                                                      {"fieldId": "assignee", "toString": "Priya"})]},
        {"issueId": "10002", "changeHistories": [change("2026-01-07T08:15:30.250Z",
                                                        {"field": "status", "fromString": "In Progress",
                                                         "toString": "Done"}),
                                                 change("2026-01-08T00:00:00+00:00", status)]},
    ]}
    assert changelog_table(page).to_pylist() == [
        {"issue_id": "10001", "issue_key": None, "changed_at": dt.datetime(2026, 1, 6, 9, 0),
         "from_status": "To Do", "to_status": "In Progress"},
        {"issue_id": "10002", "issue_key": None, "changed_at": dt.datetime(2026, 1, 7, 8, 15, 30, 250000),
         "from_status": "In Progress", "to_status": "Done"},
        {"issue_id": "10002", "issue_key": None, "changed_at": dt.datetime(2026, 1, 8),
         "from_status": "To Do", "to_status": "In Progress"},
    ]
    assert changelog_table({}).num_rows == 0
    page["issueChangeLogs"][1]["changeHistories"][1]["created"] = "last Tuesday"
    with pytest.raises(ValueError, match="^'last Tuesday' is not a date$"):
        changelog_table(page)
