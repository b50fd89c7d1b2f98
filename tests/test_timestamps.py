"""connectors.timestamps and the small connectors.http helpers the REST connectors share."""

from __future__ import annotations

import datetime as dt

import pytest
from pydantic_core import PydanticCustomError

from connectors.base import SourceError
from connectors.http import env_credential, header_problem, secure_url
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


def test_secure_url_takes_https_and_loopback_http_only() -> None:
    assert secure_url("https://jira.example.com", "x") == "https://jira.example.com"
    assert secure_url("http://127.0.0.1:8080/jira", "x") == "http://127.0.0.1:8080/jira"
    with pytest.raises(PydanticCustomError, match="plain http would send the PAT unencrypted"):
        secure_url("http://jira.example.com", "x", "the PAT")
    with pytest.raises(PydanticCustomError, match="is the text 'jira.example.com'; expected the site"):
        secure_url("jira.example.com", "the site")


def test_env_credential_names_the_variable_never_the_value(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TIDY_TOKEN", " s3cret\n")
    assert env_credential("src", "TIDY_TOKEN", "token_env", unset="u", unusable="b") == "s3cret"
    monkeypatch.setenv("TIDY_TOKEN", "s3\u2019cret")
    with pytest.raises(SourceError) as bad:
        env_credential("src", "TIDY_TOKEN", "token_env", unset="u", unusable="copy it again")
    assert str(bad.value) == ("src: environment variable TIDY_TOKEN (auth.token_env) holds a character outside "
                              "Latin-1 (such as a typographic quote), which cannot be sent in an HTTP header; copy it again")
    monkeypatch.delenv("TIDY_TOKEN")
    with pytest.raises(SourceError, match=r"^src: environment variable TIDY_TOKEN \(auth.token_env\) is empty or not set; "
                                          "set it$"):
        env_credential("src", "TIDY_TOKEN", "token_env", unset="set it", unusable="b")
