"""Jira pages read one ahead (``connectors.http.prefetched``): the next page is requested while the
current one is mapped, pages still arrive in order, a 429 holds every thread of the source, and an
error on a later page fails the source with nothing of the load committed."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from jira_emulator import SEARCH_CAP_MANY_FIELDS, Fault, JiraEmulator
from test_jira import SEARCH, Warehouse, cloud_source, emulated_jira

from connectors.base import SourceError
from connectors.http import prefetched
from connectors.jira.client import JiraClient, RetryPolicy
from connectors.jira.mapping import STANDARD_FIELDS
from connectors.jira.search import cloud_pages

AUTH = {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"}
JQL = 'project in ("PAY", "EXP") ORDER BY id ASC'


@pytest.fixture
def jira(monkeypatch: pytest.MonkeyPatch) -> Iterator[JiraEmulator]:
    with emulated_jira(monkeypatch) as emulator:
        yield emulator


def searches(jira: JiraEmulator) -> list[int]:
    """Status of every search request so far, in the order the server saw them."""
    return [r.status for r in list(jira.log) if r.path == SEARCH]


def wait_for(condition, what: str, seconds: float = 20.0) -> None:
    """Poll until ``condition()`` holds (a behaviour, not a timing: the bound only stops a hang)."""
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            raise AssertionError(f"never happened: {what}")
        time.sleep(0.01)


def test_prefetched_yields_items_in_order_then_the_error_after_them() -> None:
    def pages() -> Iterator[int]:
        for number in range(1, 6):
            time.sleep(0.002 * (number % 3))  # uneven producer: order must not depend on it
            yield number
        raise SourceError("page 6 could not be read")

    seen = []
    with pytest.raises(SourceError, match="page 6"):
        for item in prefetched(pages()):
            seen.append(item)
    assert seen == [1, 2, 3, 4, 5]


def test_closing_early_stops_the_reading_thread() -> None:
    produced: list[int] = []

    def pages() -> Iterator[int]:
        for number in range(1000):
            produced.append(number)
            yield number

    reader = prefetched(pages(), depth=1)
    assert next(reader) == 0
    reader.close()
    time.sleep(0.3)  # the thread notices the stop within one of its 0.1 s put attempts
    settled = len(produced)
    time.sleep(0.3)
    assert len(produced) == settled < 10  # it stopped, a page or two ahead, not at the end


def test_the_next_page_is_requested_while_the_current_one_is_mapped(jira: JiraEmulator) -> None:
    jira.add_issues(3 * SEARCH_CAP_MANY_FIELDS)  # three full pages
    client = JiraClient("jira-cloud", jira.url, AUTH)
    fields = [*STANDARD_FIELDS, "customfield_10016", "customfield_10020", "customfield_10021"]
    order = []
    for page in cloud_pages(client, JQL, fields, SEARCH_CAP_MANY_FIELDS):
        if not order:  # "mapping" page 1: the request for page 2 goes out meanwhile, unasked
            wait_for(lambda: len(searches(jira)) >= 2, "page 2 requested while page 1 was held")
        order.extend(int(issue["id"]) for issue in page)
    assert order == sorted(int(i) for i in jira.issues)  # every issue once, in id order
    assert searches(jira) == [200, 200, 200]


def test_a_429_mid_prefetch_is_honoured_and_holds_back_every_thread(jira: JiraEmulator) -> None:
    jira.add_issues(4 * SEARCH_CAP_MANY_FIELDS)
    held_during_wait: list[bool] = []
    waits: list[float] = []

    def sleep(seconds: float) -> None:  # runs on the prefetch thread
        waits.append(seconds)
        held_during_wait.append(client.http.lock.locked())

    client = JiraClient("jira-cloud", jira.url, AUTH, retry=RetryPolicy(backoff_base_seconds=0.01), sleep=sleep)
    pages = cloud_pages(client, JQL, ["summary", "updated"], SEARCH_CAP_MANY_FIELDS)
    order = [int(issue["id"]) for issue in next(pages)]
    jira.faults.append(Fault(429, times=1, path=SEARCH, headers={"Retry-After": "7"}))  # a later page gets it
    for page in pages:
        order.extend(int(issue["id"]) for issue in page)
    assert order == sorted(int(i) for i in jira.issues)
    assert searches(jira).count(429) == 1 and searches(jira).count(200) == 4
    assert waits == [7.0]  # Retry-After, not the 0.01 s backoff
    assert held_during_wait == [True]  # the source's one lock: no other thread may send meanwhile


def test_an_error_on_a_later_page_fails_the_sync_with_nothing_committed(jira: JiraEmulator, tmp_path: Path,
                                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    jira.add_issues(5 * SEARCH_CAP_MANY_FIELDS)
    house = Warehouse(tmp_path)
    assert house.sync(cloud_source(jira)).ok
    before = house.con.execute('SELECT * FROM raw."jira__issues" ORDER BY issue_id').fetchall()
    loads_before = sorted(p.name for p in (tmp_path / "landing" / "jira-cloud").iterdir())
    for issue_id in list(jira.issues)[:10]:
        jira.edit(issue_id)  # so a partial commit would show

    served = jira._after_page

    def fail_from_page_three() -> None:
        served()
        if jira.pages_served == 2:
            jira.faults.append(Fault(400, times=1, path=SEARCH))

    monkeypatch.setattr(jira, "_after_page", fail_from_page_three)
    jira.pages_served = 0
    outcome = house.sync(cloud_source(jira), full_refresh=True)
    assert not outcome.ok and "HTTP 400" in (outcome.error or "")
    assert [s for s in searches(jira) if s != 200] == [400]
    assert house.con.execute('SELECT * FROM raw."jira__issues" ORDER BY issue_id').fetchall() == before
    assert sorted(p.name for p in (tmp_path / "landing" / "jira-cloud").iterdir()) == loads_before
    assert house.con.execute("SELECT last_status FROM meta.source_state").fetchone()[0] == "failed"
    wait_for(lambda: not [t for t in threading.enumerate() if t.name == "sightline-prefetch"],
             "no reading thread outlives the failed sync")
