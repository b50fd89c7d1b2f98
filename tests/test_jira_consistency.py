"""Jira under concurrent edits: issues edited or deleted between search pages, a repeating page
token, and issues with values that cannot be read. Against the emulator on 127.0.0.1."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pyarrow as pa
import pytest
from jira_emulator import PAT, JiraEmulator, PageHook
from test_jira import BY_ID, SEARCH, Warehouse, cloud_source, emulated_jira

from connectors.base import SourceSpec
from connectors.jira import connector as connector_module
from connectors.jira.connector import IssueSpool
from connectors.jira.mapping import RAW_SCHEMAS


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch):
    with emulated_jira(monkeypatch) as emulator:
        yield emulator


def live_state(emulator: JiraEmulator) -> dict[str, dt.datetime]:
    """The emulator's own issues: id -> `updated` as naive UTC, parsed here, not by the connector."""
    state = {}
    for issue_id, issue in emulator.issues.items():
        moment = dt.datetime.strptime(issue["fields"]["updated"], "%Y-%m-%dT%H:%M:%S.%f%z")
        state[issue_id] = moment.astimezone(dt.UTC).replace(tzinfo=None)
    return state


def raw_state(house: Warehouse) -> dict[str, dt.datetime]:
    rows = house.con.execute('SELECT issue_id, updated_at FROM raw."jira__issues"').fetchall()
    assert len(rows) == len({r[0] for r in rows}), "an issue landed twice"
    return dict(rows)


def read_before_the_change(emulator: JiraEmulator, hook: PageHook, page: int) -> list[str]:
    """Of the issues the hook edited, those on the pages already read (ordered by id) when it fired."""
    order = sorted({*emulator.issues, *hook.deleted}, key=int)
    return [i for i in hook.edited if order.index(i) < hook.after_page * page]


def test_full_sync_ends_with_the_live_set_despite_edits_and_deletions_between_pages(
        jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(480)
    hook = jira.between_pages(2, edit=20, delete=10)
    house = Warehouse(tmp_path)
    outcome = house.sync(cloud_source(jira))
    assert outcome.ok, outcome.error
    assert len(hook.edited) == 20 and len(hook.deleted) == 10 and len(jira.issues) == 470
    # The scenario bites: some edited issues had been read already (stale copies), and deletions on
    # read pages shifted later issues past the reader (misses, read again by id).
    assert read_before_the_change(jira, hook, 50)
    assert jira.requests_to(BY_ID)
    assert raw_state(house) == live_state(jira)


def test_incremental_sync_ends_with_the_live_set_despite_edits_and_deletions_between_pages(
        jira: JiraEmulator, tmp_path: Path) -> None:
    ids = jira.add_issues(400)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    for issue_id in ids[::2]:  # 200 changed issues: four pages of 50 for the incremental search
        jira.edit(issue_id)
    hook = jira.between_pages(jira.pages_served + 1, edit=20, delete=10)
    outcome = house.sync(cloud_source(jira, overlap_minutes=0))
    assert outcome.ok, outcome.error
    assert outcome.rows["deleted"] == 10
    assert len(hook.edited) == 20 and len(hook.deleted) == 10
    assert raw_state(house) == live_state(jira)


def test_data_center_sync_ends_with_the_live_set_despite_edits_and_deletions_between_pages(
        monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("JIRA_PAT", PAT)
    with JiraEmulator({"BIG": "Big project"}) as emulator:
        emulator.add_issues(300, project="BIG")
        hook = emulator.between_pages(1, edit=20, delete=10)
        spec = SourceSpec(id="jira-dc", kind="jira", base_dir=Path("."), options={
            "url": emulator.url, "flavor": "datacenter", "auth": {"token_env": "JIRA_PAT"}, "projects": ["BIG"],
            "page_size": 100})
        house = Warehouse(tmp_path)
        outcome = house.sync(spec)
        assert outcome.ok, outcome.error
        assert len(hook.deleted) == 10
        assert any("id in (" in r.params["jql"] for r in emulator.requests_to("/rest/api/2/search"))
        assert raw_state(house) == live_state(emulator)


def test_a_repeating_page_token_fails_the_source_with_a_reason(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(200)
    jira.repeat_token = True
    house = Warehouse(tmp_path)
    outcome = house.sync(cloud_source(jira))
    assert not outcome.ok
    assert outcome.error == ("jira-cloud: Jira returned the same nextPageToken twice while paging the issue search, "
                             "which would loop forever; run the sync again later")
    assert len(jira.requests_to(SEARCH)) == 2  # page 1 gives a token, page 2 gives it again: stop there


def test_paging_past_what_the_scope_holds_fails_the_source(jira: JiraEmulator, tmp_path: Path) -> None:
    jira.add_issues(300)
    jira.count_answer = 10  # the scope holds 10 issues by Jira's count, so 10 + 100 margin at most
    outcome = Warehouse(tmp_path).sync(cloud_source(jira))
    assert not outcome.ok and "went past 110 pages or issues" in outcome.error
    assert len(jira.requests_to(SEARCH)) == 3  # 50 + 50 + 50 issues: the third page passes 110


def test_each_unreadable_issue_is_quarantined_by_key_and_the_others_load(jira: JiraEmulator, tmp_path: Path) -> None:
    ids = jira.add_issues(60, project="PAY")
    bad = {
        ids[11]: ({"customfield_10016": "13 points"}, (), 'PAY-12: story points "13 points" is not a number'),
        ids[12]: ({"updated": "yesterday"}, (), 'PAY-13: updated "yesterday" is not a date'),
        ids[13]: ({}, ("id",), "PAY-14: the issue has no id"),
        ids[14]: ({"timeoriginalestimate": 3600 * 200_000}, (),
                  "PAY-15: original estimate (hours) 200000 is out of range; expected 0 to 100000"),
        ids[15]: ({"customfield_10016": 20_000}, (),
                  "PAY-16: story points 20000 is out of range; expected 0 to 10000"),
        ids[16]: ({"timespent": -7200}, (), "PAY-17: time spent (hours) -2 is out of range; expected 0 to 100000"),
        ids[17]: ({"customfield_10016": float("nan")}, (),
                  "PAY-18: story points nan is not a finite number"),
        ids[18]: ({"status": "Done"}, (), "PAY-19: unexpected content (AttributeError: 'str' object has no "
                                          "attribute 'get'); check the issue in Jira"),
        # Values Arrow cannot hold in their column: they used to fail the whole source.
        ids[19]: ({"summary": 404}, (), "PAY-20: summary 404 is not text"),
        ids[20]: ({"priority": {"name": ["High"]}}, (), "PAY-21: priority ['High'] is not text"),
    }
    for issue_id, (fields, omit, _) in bad.items():
        jira.tamper(issue_id, omit=omit, **fields)
    house = Warehouse(tmp_path)
    outcome = house.sync(cloud_source(jira, projects=["PAY"]))
    assert outcome.ok, outcome.error
    assert house.issue_ids() == set(ids) - set(bad)
    rows = house.con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall()
    quarantined = dict(rows)
    assert len(rows) == len(quarantined)  # PAY-14 is read twice (search, then by id): quarantined once
    # By id where the issue has one (a later good read clears it), by key where it has none.
    expected = {("PAY-14" if omit else issue_id): reason for issue_id, (_, omit, reason) in bad.items()}
    assert quarantined == expected


def rows(issue_id: str, updated: dt.datetime | None, summary: str) -> dict[str, list[dict]]:
    issue = {name: None for name in RAW_SCHEMAS["issues"].names}
    issue.update(issue_id=issue_id, issue_key=f"PAY-{issue_id}", updated_at=updated, summary=summary,
                 components=[], labels=[], objectives=[])
    link = {"issue_id": issue_id, "issue_key": f"PAY-{issue_id}", "link_type": "Blocks", "direction": "outward",
            "other_key": summary}
    return {"issues": [issue], "links": [link], "versions": [], "changelog": []}


def test_spool_reads_back_large_pages_in_slices_with_each_row_once(tmp_path: Path,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    """Pages mapped 50 together spool as slices of SPOOL_BATCH_ROWS rows; a later page's copy still
    wins over a copy in any slice of an earlier page."""
    monkeypatch.setattr(connector_module, "SPOOL_BATCH_ROWS", 3)
    early, late = dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 10)

    def page(ids: range, updated: dt.datetime, summary: str) -> dict[str, pa.Table]:
        tables = [rows(str(i), updated, summary) for i in ids]
        return {name: pa.Table.from_pylist([row for t in tables for row in t[name]], schema=RAW_SCHEMAS[name])
                for name in tables[0]}

    spool = IssueSpool(tmp_path)
    spool.add(page(range(1, 11), early, "first"))  # 10 issues: slices of 3, 3, 3 and 1
    spool.add(page(range(4, 8), late, "second"))  # 4 to 7 edited since: this copy wins
    assert spool._reads["issues"] == [1, 1, 1, 1, 2, 2]
    final = spool.final_ids({str(i) for i in range(1, 11)} - {"9"})  # 9 deleted during the run
    issues = [row for batch in spool.batches(final) if batch.table == "issues" for row in batch.data.to_pylist()]
    assert sorted((int(r["issue_id"]), r["summary"]) for r in issues) == [
        (i, "second" if 4 <= i <= 7 else "first") for i in range(1, 11) if i != 9]


def test_spool_keeps_one_copy_per_issue_latest_updated_then_later_read(tmp_path: Path) -> None:
    early, late = dt.datetime(2026, 3, 1, 9), dt.datetime(2026, 3, 1, 10)
    spool = IssueSpool(tmp_path)
    spool.add(rows("1", late, "first read, newest"))
    spool.add(rows("2", early, "first read"))
    spool.add(rows("3", early, "deleted during the run"))
    spool.add(rows("1", early, "second read, older"))  # an older copy never wins
    spool.add(rows("2", early, "second read, same time"))  # a tie goes to the later read
    final = spool.final_ids({"1", "2"})
    assert final == {"1", "2"}
    out: dict[str, list[pa.Table]] = {}
    for batch in spool.batches(final):
        out.setdefault(batch.table, []).append(batch.data)
    issues = pa.concat_tables(out["issues"]).to_pylist()
    links = pa.concat_tables(out["links"]).to_pylist()
    assert sorted((r["issue_id"], r["summary"]) for r in issues) == [("1", "first read, newest"),
                                                                      ("2", "second read, same time")]
    assert sorted((r["issue_id"], r["other_key"]) for r in links) == [("1", "first read, newest"),
                                                                      ("2", "second read, same time")]
    assert spool.newest(final) == int(late.replace(tzinfo=dt.UTC).timestamp() * 1000)
