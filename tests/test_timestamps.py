"""connectors.timestamps and connectors.http.header_problem: the helpers the REST connectors share."""

from __future__ import annotations

import datetime as dt

import pytest

from connectors.http import header_problem
from connectors.jira.mapping import IssueError
from connectors.timestamps import RecordError, parse_utc_time


@pytest.mark.parametrize(("text", "expected"), [
    ("2026-01-15T10:30:00.000+0000", dt.datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T10:30:00Z", dt.datetime(2026, 1, 15, 10, 30)),
    ("2026-01-15T01:00:00+05:30", dt.datetime(2026, 1, 14, 19, 30)),  # 01:00 - 5h30 is the day before
    ("2026-01-15T10:30:00", dt.datetime(2026, 1, 15, 10, 30)),  # no offset: taken as UTC already
    ("", None),
])
def test_times_are_read_as_naive_utc(text: str, expected: dt.datetime | None) -> None:
    assert parse_utc_time(text) == expected


def test_a_value_that_is_not_a_time_is_a_record_error_jira_catches() -> None:
    with pytest.raises(IssueError, match="'soon' is not a date"):
        parse_utc_time("soon")
    assert IssueError is RecordError


@pytest.mark.parametrize(("value", "problem"), [
    ("abc123", ""), ("tok\r", "a control character"), ("\u201ctok\u201d", "a character outside Latin-1"),
])
def test_header_problem_names_what_cannot_go_in_a_header(value: str, problem: str) -> None:
    found = header_problem(value)
    assert found.startswith(problem) if problem else found == ""
    assert value not in found or not value
