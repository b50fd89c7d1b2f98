"""The Jira connector against an emulated Jira on 127.0.0.1: real HTTP, no mocks of requests."""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import time
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from jira_emulator import EMAIL, PAT, TOKEN, Fault, JiraEmulator
from pydantic import ValidationError

from connectors.base import SourceError, SourceSpec
from connectors.jira import JiraConnector, jsonpage
from connectors.jira.client import JiraClient, RetryPolicy
from connectors.jira.options import JiraOptions
from pipelines.extract import LoadOutcome, load_source
from warehouse import db
from warehouse.models import build_kind_staging

SEARCH, BULK, BY_ID = "/rest/api/3/search/jql", "/rest/api/3/changelog/bulkfetch", "/rest/api/3/issue/bulkfetch"


@contextlib.contextmanager
def emulated_jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[JiraEmulator]:
    """A running emulator, with the credentials it accepts in the environment."""
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    monkeypatch.setenv("JIRA_PAT", PAT)
    with JiraEmulator() as emulator:
        yield emulator


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    with emulated_jira(monkeypatch) as emulator:
        yield emulator


def cloud_source(emulator: JiraEmulator, **extra: object) -> SourceSpec:
    options = {"url": emulator.url, "auth": {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"},
               "projects": ["PAY", "EXP"], "backoff_seconds": 0.01,
               "fields": {"objectives": "Strategic theme", "probability": "Risk likelihood", "impact": "Risk impact"},
               **extra}
    return SourceSpec(id="jira-cloud", kind="jira", options=JiraOptions.model_validate(options), base_dir=Path("."))


class Warehouse:
    """A build database with the Jira raw tables and staging views."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.con = duckdb.connect(str(folder / "build.duckdb"))
        db.prepare(self.con, {"jira": dict(JiraConnector.raw_schemas)})

    def sync(self, spec: SourceSpec, **kwargs: object) -> LoadOutcome:
        outcome = load_source(self.con, spec, self.folder / "landing", retention_days=7, **kwargs)
        build_kind_staging(self.con, "jira", JiraConnector.staging_sql_dir())
        return outcome

    def issue_ids(self) -> set[str]:
        return {r[0] for r in self.con.execute('SELECT issue_id FROM raw."jira__issues"').fetchall()}


def test_full_sync_lands_every_issue_with_its_fields(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(230)
    house = Warehouse(tmp_path)
    outcome = house.sync(cloud_source(jira))
    assert outcome.ok, outcome.error
    assert house.issue_ids() == set(jira.issues)

    staged = {r[0]: r for r in house.con.execute(
        "SELECT source_key, status_raw, status_default, assignee_key, story_points, work_hours, due_date, systems, "
        "objectives, planned_start FROM staging.jira__work_items WHERE item_type <> 'release'").fetchall()}
    risks = {r[0]: r for r in house.con.execute(
        "SELECT source_key, probability, impact FROM staging.jira__risks").fetchall()}
    for issue in jira.issues.values():
        f = issue["fields"]
        if f["issuetype"]["name"] == "Risk":  # the risk issue type goes to risks, not work items
            assert risks[issue["key"]][1:] == (4.0, 3.0)  # High, Medium on the 1-5 scale
            continue
        row = staged[issue["key"]]
        category = f["status"]["statusCategory"]["key"]
        expected_status = "blocked" if f["customfield_10021"] else {
            "new": "not_started", "indeterminate": "in_progress", "done": "done"}[category]
        assert row[1] == f["status"]["name"] and row[2] == expected_status
        assert row[3] == (f["assignee"] or {}).get("accountId")
        assert row[4] == f["customfield_10016"]
        assert row[5] == (None if f["timeoriginalestimate"] is None else f["timeoriginalestimate"] / 3600)
        assert row[6] == dt.date.fromisoformat(f["duedate"])
        assert sorted(row[7]) == sorted({c["name"] for c in f["components"]} | set(f["labels"]))
        assert row[8] == ([v["value"] for v in f["customfield_10050"]] if f["customfield_10050"] else [])
        assert row[9] == dt.date.fromisoformat(f["customfield_10015"])
    # Status history: every recorded transition, through bulkfetch (not expand=changelog).
    changes = house.con.execute('SELECT count(*) FROM raw."jira__changelog"').fetchone()[0]
    assert changes == sum(len(h) for h in jira.histories.values())
    assert len(jira.requests_to(BULK)) == 1
    blocks = house.con.execute("SELECT count(*) FROM staging.jira__dependencies WHERE link_type = 'blocks'").fetchone()[0]
    assert blocks == sum(len(i["fields"]["issuelinks"]) for i in jira.issues.values())


def test_incremental_sync_fetches_only_what_changed(jira: JiraEmulator, tmp_path: Path) -> None:
    ids = jira.add_issues(480)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    state = house.con.execute("SELECT sync_state FROM meta.source_state").fetchone()[0]
    assert "updated_ms" in state

    edited, deleted = ids[10:47], ids[300:305]  # M = 37 edits, D = 5 deletions
    for issue_id in edited:
        jira.edit(issue_id, ("Done", "done"))
    for issue_id in deleted:
        jira.delete(issue_id)
    jira.clear_log()
    outcome = house.sync(cloud_source(jira, overlap_minutes=0))
    assert outcome.ok, outcome.error

    # Requests: fields, projects, Jira's clock and the scope's count (1 each), changed issues in pages
    # of 50 (23 fields asked) and one catch-up search for issues edited meanwhile, one bulkfetch for
    # their histories, and two id listings in pages of 5000: the changed ids (to notice misses) and
    # every id (to notice deletions).
    searches = jira.requests_to(SEARCH, fields_only_id=False)
    changed_pages, catch_up = searches[:-1], searches[-1]
    assert len(changed_pages) == math.ceil(len(edited) / 50)
    assert catch_up.body["jql"] != changed_pages[0].body["jql"] and "updated >= " in catch_up.body["jql"]
    assert len(jira.requests_to(BULK)) == 1
    listings = jira.requests_to(SEARCH, fields_only_id=True)
    assert len(listings) == 1 + math.ceil((480 - 5) / 5000)
    assert not jira.requests_to(BY_ID)  # nothing was missed
    assert len(jira.log) == 4 + len(searches) + 1 + len(listings)
    assert "updated >= " in changed_pages[0].body["jql"] and changed_pages[0].body["jql"].endswith(" ORDER BY id ASC")

    assert house.issue_ids() == set(jira.issues)  # deletions noticed, nothing duplicated
    assert outcome.rows["deleted"] == len(deleted)
    statuses = dict(house.con.execute('SELECT issue_id, status_name FROM raw."jira__issues"').fetchall())
    assert all(statuses[i] == "Done" for i in edited)
    counts = house.con.execute('SELECT count(*), count(DISTINCT issue_id) FROM raw."jira__issues"').fetchone()
    assert counts == (475, 475)
    # The edited issues' histories were replaced by their new, longer ones.
    history = house.con.execute('SELECT count(*) FROM raw."jira__changelog" WHERE issue_id = ?', [edited[0]]).fetchone()[0]
    assert history == len(jira.histories[edited[0]])


def test_overlap_window_refetches_but_never_duplicates(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(40)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    jira.clear_log()
    assert house.sync(cloud_source(jira, overlap_minutes=5)).ok  # the last 5 issues were updated within 5 minutes
    refetched = jira.requests_to(SEARCH, fields_only_id=False)
    assert len(refetched) == 2  # one page of the overlap window, one catch-up of edits made meanwhile
    assert house.con.execute('SELECT count(*), count(DISTINCT issue_id) FROM raw."jira__issues"').fetchone() == (40, 40)


def test_full_refresh_ignores_the_cursor(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(30)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    jira.clear_log()
    assert house.sync(cloud_source(jira), full_refresh=True).ok
    searches = jira.requests_to(SEARCH)
    assert "updated >=" not in searches[0].body["jql"]
    # A full load lists the ids at the end too: deletions during the run and misses are reconciled.
    assert searches[-1].body["fields"] == ["id"] and "updated >=" not in searches[-1].body["jql"]


@pytest.mark.slow  # honours real Retry-After pauses
def test_429_storm_is_survived_honouring_retry_after(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(20)
    jira.faults.append(Fault(429, times=3, path=SEARCH, headers={"Retry-After": "1"}))
    outcome = Warehouse(tmp_path).sync(cloud_source(jira))
    assert outcome.ok, outcome.error
    attempts = [r for r in jira.log if r.path == SEARCH][:4]  # the first search; catch-up and listing follow
    assert [r.status for r in attempts] == [429, 429, 429, 200]
    gaps = [b.at - a.at for a, b in zip(attempts, attempts[1:], strict=False)]
    assert all(gap >= 0.95 for gap in gaps), gaps  # waited as told, not the 0.01 s backoff


def test_a_retry_after_beyond_max_wait_fails_the_source_without_waiting(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(5)
    jira.faults.append(Fault(429, times=100, path=SEARCH, headers={"Retry-After": "600"}))
    started = time.monotonic()
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, max_wait_seconds=30))
    assert time.monotonic() - started < 10 and len([r for r in jira.log if r.path == SEARCH]) == 1
    assert not outcome.ok and "asked to wait 600 s" in outcome.error and "max_wait_seconds (30)" in outcome.error


def test_server_errors_are_retried_with_backoff(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(5)
    jira.faults.append(Fault(503, times=2, path="/rest/api/3/field"))
    assert Warehouse(tmp_path).sync(cloud_source(jira)).ok
    assert [r.status for r in jira.log if r.path == "/rest/api/3/field"] == [503, 503, 200]
    jira.faults.append(Fault(500, times=50, path=SEARCH))
    jira.clear_log()
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, max_retries=2))
    assert not outcome.ok and "HTTP 500" in outcome.error and "jira-cloud" in outcome.error
    assert len(jira.requests_to(SEARCH)) == 0 and len([r for r in jira.log if r.path == SEARCH]) == 3


@pytest.mark.slow  # waits out real timeouts
def test_slow_responses_time_out_and_are_retried(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(10)
    jira.delay_seconds, jira.slow_requests = 1.5, 2  # the first two requests hang past the read timeout
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, timeout_seconds=0.5))
    assert outcome.ok, outcome.error
    field_calls = [r for r in jira.log if r.path == "/rest/api/3/field"]
    assert len(field_calls) == 3  # two timed out, the third answered in time
    jira.delay_seconds, jira.slow_requests = 1.5, -1  # now every request hangs
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, timeout_seconds=0.3, max_retries=1))
    assert not outcome.ok and "failed after 2 attempts (ReadTimeout)" in outcome.error


def test_near_limit_header_slows_the_client_down(jira: JiraEmulator) -> None:
    jira.near_limit = True
    pauses: list[float] = []
    client = JiraClient("jira-cloud", jira.url, {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"},
                        retry=RetryPolicy(near_limit_pause_seconds=0.5), sleep=pauses.append)
    client.get("/rest/api/3/field")
    assert pauses == [0.5]


def test_403_fails_loudly_and_keeps_last_good_data(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(25)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    jira.forbidden_projects.add("PAY")
    outcome = house.sync(cloud_source(jira, overlap_minutes=0))
    assert not outcome.ok
    assert outcome.error.startswith("jira-cloud: POST /rest/api/3/search/jql -> HTTP 403")
    assert "PAY" in outcome.error and "Browse projects" in outcome.error
    assert house.issue_ids() == set(jira.issues)  # last good data kept
    assert house.con.execute("SELECT last_status FROM meta.source_state").fetchone()[0] == "failed"


def test_expired_token_names_the_variable_not_the_secret(jira: JiraEmulator, tmp_path: Path,
                                                         monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_API_TOKEN", "expired-token-value-42")
    outcome = Warehouse(tmp_path).sync(cloud_source(jira))
    assert not outcome.ok and "HTTP 401" in outcome.error and "JIRA_API_TOKEN" in outcome.error
    assert "expired-token-value-42" not in outcome.error
    monkeypatch.delenv("JIRA_API_TOKEN")
    outcome = Warehouse(tmp_path).sync(cloud_source(jira))
    assert outcome.error == ("jira-cloud: environment variable JIRA_API_TOKEN (auth.token_env) is empty or not set; "
                             "set it in the environment that runs sightline")


def test_unknown_project_and_unknown_field_say_what_to_check(jira: JiraEmulator, tmp_path: Path) -> None:
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, projects=["PAY", "NOPE"]))
    assert "project(s) NOPE not found or not visible" in outcome.error
    outcome = Warehouse(tmp_path).sync(cloud_source(jira, fields={"story_points": "Velocity"}))
    assert "no Jira field named 'Velocity' (fields.story_points)" in outcome.error


def utc(jira_time: str) -> dt.datetime:
    """A Jira time (2026-01-05T09:00:00.000+0000) as naive UTC, by the standard library."""
    moment = dt.datetime.strptime(jira_time, "%Y-%m-%dT%H:%M:%S.%f%z")
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def test_data_center_pages_through_the_result_window(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JIRA_PAT", PAT)
    with JiraEmulator({"BIG": "Big project"}, window=250) as jira:
        jira.add_issues(610, project="BIG")
        spec = SourceSpec(id="jira-dc", kind="jira", base_dir=Path("."), options={
            "url": jira.url, "flavor": "datacenter", "auth": {"token_env": "JIRA_PAT"}, "projects": ["BIG"],
            "page_size": 100, "result_window": 250})
        house = Warehouse(tmp_path)
        before = dict(jsonpage.TAKEN)
        outcome = house.sync(spec)
        assert outcome.ok, outcome.error
        # The search pages were mapped in columns (none decoded), 100 issues a page.
        assert jsonpage.TAKEN["arrow"] - before.get("arrow", 0) >= 7
        assert jsonpage.TAKEN["rows"] == before.get("rows", 0)
        assert house.issue_ids() == set(jira.issues)
        searches = jira.requests_to("/rest/api/2/search")
        restarts = {r.params["jql"] for r in searches if "updated >=" not in r.params["jql"]}  # not the catch-up
        assert len(restarts) == 3  # 610 issues through a 250-result window: three key ranges
        assert any('key > "BIG-250"' in q for q in restarts)
        assert all(int(r.params["startAt"]) + int(r.params["maxResults"]) <= 250 for r in searches)
        # Data Center has no bulkfetch: the search's changelog expansion carries the history, with the key.
        changes = house.con.execute('SELECT issue_id, issue_key, changed_at, from_status, to_status '
                                    'FROM raw."jira__changelog" ORDER BY issue_id, changed_at').fetchall()
        keys = {issue_id: issue["key"] for issue_id, issue in jira.issues.items()}
        expected = sorted((issue_id, keys[issue_id], utc(h["created"]), item["fromString"], item["toString"])
                          for issue_id, histories in jira.histories.items() for h in histories for item in h["items"])
        assert changes == expected and len(expected) > 300


def test_config_validation_of_jira_sources() -> None:
    with pytest.raises(ValidationError) as info:
        JiraOptions.model_validate(
            {"url": "http://jira.example.com", "auth": {"token_env": "X"}, "projects": ["pay"], "flavor": "server"})
    problems = {error["loc"][0]: error["msg"] for error in info.value.errors()}
    assert problems["url"].startswith("plain http")
    assert {"flavor", "projects"} <= set(problems)
    with pytest.raises(SourceError, match="auth.token_env is not set"):
        JiraClient("s", "https://x", {})
