"""Cloud search pages read from their bytes by Arrow's JSON reader (connectors/jira/jsonpage.py) must
map to exactly what the row mapping (``checked_issue_rows``) gives: every value, every quarantined issue and
message. Pages Arrow cannot read exactly (another JSON type, another spelling) go to the row path;
these tests check that both paths were really taken, and that the tables are equal either way."""

from __future__ import annotations

import copy
import datetime as dt
import json
from collections.abc import Iterator
from typing import Any

import pyarrow as pa
import pytest
import requests
from jira_emulator import JiraEmulator
from test_jira_page import ADF, FIELDS, UNREADABLE, by_rows, varied_page

from connectors.http import decode_json
from connectors.jira import jsonpage
from connectors.jira.jsonpage import (
    RawChanges,
    RawPage,
    batched,
    changes_table,
    map_pages,
    read_changes,
    read_datacenter_head,
    read_head,
)
from connectors.jira.page import PageTables, changelog_table

TABLES = ("issues", "links", "versions", "changelog")


class Client:
    """What ``read_head`` needs of a JiraClient: its decoding of an answer."""

    def decode(self, method: str, path: str, response: requests.Response) -> Any:
        return decode_json(response)


def response(body: bytes) -> requests.Response:
    answer = requests.Response()
    answer.status_code, answer._content, answer.encoding = 200, body, "utf-8"
    return answer


def answer(issues: list[dict], **paging: Any) -> bytes:
    """A search answer as Jira Cloud sends it: compact JSON on one line (NaN kept, as Python writes it)."""
    return json.dumps({"issues": issues, **paging}).encode()


def raw_page(issues: list[dict], **paging: Any) -> RawPage:
    head = read_head(Client(), "/rest/api/3/search/jql", response(answer(issues, **paging)))
    assert head is not None
    return head[0]


def mapped(pages: list[RawPage | list[dict]]) -> Iterator[PageTables]:
    for group in batched(pages):
        yield from map_pages(group, FIELDS, "Risk", "Status report")


def assert_as_rows(pages: list[PageTables], issues: list[dict]) -> None:
    expected, expected_failures = by_rows(issues)
    for name in TABLES:
        assert pa.concat_tables([page.tables[name] for page in pages]).equals(expected[name]), name
    failures = [(str(i.get("id")), type(e).__name__, str(e)) for page in pages for i, e in page.failures]
    assert failures == expected_failures


def taken() -> dict[str, int]:
    return dict(jsonpage.TAKEN)


def delta(before: dict[str, int]) -> dict[str, int]:
    return {path: jsonpage.TAKEN[path] - before.get(path, 0) for path in ("arrow", "rows")}


# Every variant of test_jira_page's page (times of every spelling, malformed numbers, DC sprints, ADF,
# options, bad keys...) in pages of 1000 (one page holding them all), 7 and 1, through the raw path.
@pytest.mark.parametrize(("seed", "size"), [(1, 1000), (2, 1000), (1, 7), (2, 1)])
def test_every_payload_variant_maps_as_the_row_path(seed: int, size: int) -> None:
    issues = varied_page(seed)
    before = taken()
    raw = [raw_page(issues[start:start + size]) for start in range(0, len(issues), size)]
    pages = list(mapped(raw))
    assert_as_rows(pages, issues)
    took = delta(before)
    assert took["arrow"] + took["rows"] == len(raw)
    if size == 1:  # the 20 plain issues and the variants Arrow reads exactly went through Arrow
        assert took["arrow"] >= 25 and took["rows"] >= 30
    if size == 1000:  # a page holding a refused value goes whole to the row path
        assert took == {"arrow": 0, "rows": 1}


def test_plain_pages_are_read_by_arrow_together_with_the_values_worked_by_hand() -> None:
    emulator = JiraEmulator(seed=5)
    emulator.add_issues(230)
    issues = list(emulator.issues.values())
    before = taken()
    pages = list(mapped([raw_page(issues[start:start + 50], nextPageToken="t") for start in range(0, 230, 50)]))
    assert delta(before) == {"arrow": 5, "rows": 0}
    assert [page.tables["issues"].num_rows for page in pages] == [230]  # read together, no issue twice: one
    assert_as_rows(pages, issues)
    rows = {row["issue_id"]: row for page in pages for row in page.tables["issues"].to_pylist()}
    issue = next(i for i in issues if i["fields"]["timeestimate"] and i["fields"]["customfield_10021"])
    row, fields = rows[issue["id"]], issue["fields"]
    assert row["remaining_hours"] == 6.0  # 21,600 seconds
    assert row["is_flagged"] is True and row["sprint_name"] == "Sprint 7"
    assert (row["sprint_start"], row["sprint_end"]) == (dt.date(2026, 1, 5), dt.date(2026, 1, 19))
    assert row["components"] == [fields["components"][0]["name"]] and row["labels"] == fields["labels"]
    assert row["due_date"] == dt.date.fromisoformat(fields["duedate"])


def test_an_issue_on_two_pages_keeps_the_pages_apart_for_the_spool() -> None:
    """The spool prefers an issue's later read: pages holding one issue twice are handed over one by one,
    each with its own links and versions."""
    emulator = JiraEmulator(seed=5)
    emulator.add_issues(90)
    issues = list(emulator.issues.values())
    chunks = [issues[0:30], issues[29:60], issues[60:90]]  # the 30th issue on the first two pages
    before = taken()
    pages = list(mapped([raw_page(chunk) for chunk in chunks]))
    assert delta(before) == {"arrow": 3, "rows": 0}
    assert [page.tables["issues"].num_rows for page in pages] == [30, 31, 30]
    for page, chunk in zip(pages, chunks, strict=True):
        expected, _ = by_rows(chunk)
        for name in TABLES:
            assert page.tables[name].equals(expected[name]), name
    assert sum(page.tables["links"].num_rows for page in pages) > 20


def odd_but_legal() -> list[dict]:
    """Shapes Jira sends that the Arrow path must read exactly or hand to the row path."""
    emulator = JiraEmulator(seed=6)
    emulator.add_issues(12)
    issues = [copy.deepcopy(issue) for issue in emulator.issues.values()]
    changes: list[dict[str, Any]] = [
        {"customfield_10020": [{"name": "Old", "startDate": "2025-12-01T09:00:00.000Z"},
                               {"name": "New", "startDate": "2026-01-05", "endDate": "<null>"}]},
        {"customfield_10021": [{"value": "  "}], "customfield_10050": [{"value": " a "}, {"name": ""}, {"title": "b"}]},
        {"customfield_10071": {"id": "3f9c", "title": "Platform squad"}, "customfield_10060": {"value": "High"}},
        {"issuelinks": [{"type": {"name": "Blocks"}, "outwardIssue": {"key": "PAY-1"}, "inwardIssue": {"key": "X-2"}},
                        {"type": {"name": "Relates"}, "inwardIssue": {"key": "PAY-3"}}]},
        {"assignee": {"name": "", "key": "dc.key"}, "parent": {"key": "", "id": "7"}, "customfield_10014": "PAY-9"},
        {"status": None, "issuetype": None, "priority": {}, "labels": None, "components": []},
        {"fixVersions": [{"id": "1", "name": "1.0", "releaseDate": "2026-07-01T23:30:00.000-0200"}]},
        {"customfield_10070": ADF},  # a paragraph field: the row path reads ADF
    ]
    for issue, change in zip(issues, changes, strict=False):
        issue["fields"].update(change)
    del issues[-1]["fields"]["summary"]  # a missing field
    return issues


def test_odd_but_legal_shapes_map_as_the_row_path() -> None:
    issues = odd_but_legal()
    before = taken()
    pages = list(mapped([raw_page([issue]) for issue in issues]))
    assert_as_rows(pages, issues)
    assert delta(before) == {"arrow": len(issues) - 1, "rows": 1}  # only the ADF page left Arrow
    rows = [page.tables["issues"].to_pylist()[0] for page in pages]
    assert (rows[0]["sprint_name"], rows[0]["sprint_start"], rows[0]["sprint_end"]) == ("New", dt.date(2026, 1, 5),
                                                                                         None)
    assert rows[1]["is_flagged"] is False and rows[1]["objectives"] == ["a", "b"]
    assert (rows[2]["team"], rows[2]["probability"]) == ("Platform squad", 4.0)
    assert (rows[4]["assignee_key"], rows[4]["parent_key"], rows[4]["parent_id"]) == ("dc.key", "PAY-9", "7")
    assert pages[3].tables["links"].to_pylist() == [
        {"issue_id": issues[3]["id"], "issue_key": issues[3]["key"], "link_type": t, "direction": d, "other_key": k}
        for t, d, k in [("Blocks", "outward", "PAY-1"), ("Blocks", "inward", "X-2"), ("Relates", "inward", "PAY-3")]]
    assert pages[6].tables["versions"].column("release_date").to_pylist() == [dt.date(2026, 7, 2)]


def test_a_type_conflict_sends_only_its_page_to_the_row_path() -> None:
    issues = varied_page(3)[-20:]  # plain issues
    issues[7]["fields"]["customfield_10016"] = "5"  # a number elsewhere, text here: Arrow refuses the read
    pages = [raw_page(issues[start:start + 5]) for start in range(0, 20, 5)]
    before = taken()
    result = list(mapped(pages))
    assert delta(before) == {"arrow": 3, "rows": 1}
    assert result[1].tables["issues"].column("story_points").to_pylist()[2] == 5.0  # read by the row path
    assert_as_rows(result, issues)


def test_a_value_out_of_range_is_quarantined_by_the_row_path_with_its_words() -> None:
    issues = varied_page(4)[-3:]
    issues[1]["fields"]["timespent"] = 3600 * 200_000  # 200,000 hours: beyond the believable
    before = taken()
    result = list(mapped([raw_page(issues)]))
    assert delta(before) == {"arrow": 0, "rows": 1}
    assert [str(exc) for _, exc in result[0].failures] == ["time spent (hours) 200000 is out of range; expected 0 to "
                                                           "100000"]
    assert_as_rows(result, issues)


@pytest.mark.parametrize("body", [
    b"null", b"[]", b"", b"<html>login</html>", b'{"issues": []}\nnull', b'{"issues": [1]}',
    json.dumps({"issues": [], "isLast": True}, indent=2).encode(),  # pretty-printed: lines
])
def test_answers_arrow_does_not_take_are_decoded_as_before(body: bytes) -> None:
    assert read_head(Client(), "/rest/api/3/search/jql", response(body)) is None


def test_paging_fields_are_read_from_the_same_bytes() -> None:
    issues = varied_page(1)[-2:]
    head = read_head(Client(), "/p", response(answer(issues, nextPageToken="abc", isLast=False)))
    assert head is not None
    page, token, last = head
    assert (len(page), token, last) == (2, "abc", False)
    assert page.decode() == json.loads(answer(issues))["issues"]
    assert read_head(Client(), "/p", response(b'{"isLast": true}'))[1:] == (None, True)
    # The row path's own answer to a value Arrow read but orjson refuses (NaN): the client's decoding.
    nan = raw_page([{**issues[0], "fields": {**issues[0]["fields"], "customfield_10016": float("nan")}}])
    assert_as_rows(list(mapped([nan])), nan.decode())


def test_failures_carry_the_decoded_issue_for_the_quarantine_row() -> None:
    issues = varied_page(1)[-3:]
    issues[0]["key"] = ""
    [page] = mapped([raw_page(issues)])
    [(issue, exc)] = page.failures
    assert isinstance(exc, UNREADABLE) and str(exc) == "the issue has no key" and issue == issues[0]


def changes(page: dict) -> tuple[RawChanges | dict, str | None]:
    return read_changes(Client(), "/rest/api/3/changelog/bulkfetch", response(json.dumps(page).encode()))


def history_page(logs: int, seed: int = 7) -> dict:
    """A bulkfetch answer: histories of varied items, Jira-spelled times, an issue without history."""
    def created(n: int) -> str:
        moment = dt.datetime(2026, 1, 5, 9, tzinfo=dt.UTC) + dt.timedelta(minutes=37 * n + seed)
        return moment.strftime("%Y-%m-%dT%H:%M:%S.") + f"{n % 1000:03d}" + ("Z" if n % 2 else "+0530")

    def items(n: int) -> list[dict]:
        return [{"fieldId": "status", "field": "status", "fromString": f"S{n}", "toString": f"S{n + 1}"},
                {"fieldId": "assignee", "field": "assignee", "toString": "Priya"},
                {"field": "status", "fromString": None, "toString": "Done"}][: 1 + n % 3]

    return {"issueChangeLogs": [{"issueId": str(10000 + i), "changeHistories": [
        {"id": f"h{i}-{j}", "created": created(i * 3 + j), "items": items(i + j)} for j in range(i % 4)]}
        for i in range(logs)], "nextPageToken": "next"}


def test_status_history_read_by_arrow_equals_the_row_path() -> None:
    page = history_page(300)
    page["issueChangeLogs"][2]["changeHistories"][1]["created"] = "2026-01-05T10:00:00.000+0530"  # 04:30 UTC
    raw, token = changes(page)
    assert isinstance(raw, RawChanges) and token == "next"
    before = taken()
    table = changes_table(raw)
    assert delta(before) == {"arrow": 1, "rows": 0}
    assert table.equals(changelog_table(page))
    # By hand: issue 10001 has one history (n = 3: 09:00 + 111 + 7 minutes, .003 s, odd so Z), one status item.
    first = table.to_pylist()[0]
    assert first == {"issue_id": "10001", "issue_key": None, "changed_at": dt.datetime(2026, 1, 5, 10, 58, 0, 3000),
                     "from_status": "S1", "to_status": "S2"}
    assert table.num_rows > 200
    assert table.filter(pa.compute.equal(table["issue_id"], "10002"))["changed_at"].to_pylist()[-1] == dt.datetime(
        2026, 1, 5, 4, 30)


@pytest.mark.parametrize("spoil", [
    lambda page: page["issueChangeLogs"][5]["changeHistories"][0].update(created="2026-01-06T10:00:00+01:00"),
    lambda page: page["issueChangeLogs"][6]["changeHistories"][1].update(created="last Tuesday"),
    lambda page: page["issueChangeLogs"][2].update(issueId=10002),  # a number: the reader refuses
    lambda page: page["issueChangeLogs"][3].update(issueId=None),  # the row path's "None"
    lambda page: page["issueChangeLogs"][5]["changeHistories"][0]["items"][0].update(toString=7),
])
def test_status_history_arrow_refuses_goes_to_changelog_table(spoil: Any) -> None:
    page = history_page(30)
    spoil(page)
    try:
        expected: pa.Table | str = changelog_table(copy.deepcopy(page))
    except UNREADABLE as exc:
        expected = str(exc)
    raw, _ = changes(page)
    before = taken()
    try:
        got: pa.Table | str = changes_table(raw)
    except UNREADABLE as exc:
        got = str(exc)
    if isinstance(raw, RawChanges):
        assert delta(before) == {"arrow": 0, "rows": 1}
    assert got == expected if isinstance(expected, str) else got.equals(expected)


def test_a_status_change_of_another_type_fails_the_history_page_naming_it() -> None:
    page = history_page(30)
    page["issueChangeLogs"][5]["changeHistories"][0]["items"][0].update(toString=7)
    with pytest.raises(UNREADABLE, match=r"^to status 7 is not text$"):
        changelog_table(page)  # it used to fail with pyarrow's own words, naming neither field nor value


def dc_histories(n: int) -> list[dict]:
    """Data Center's expanded histories for issue n: none, or a few, with status and other items,
    ``fieldId`` present or not (Server omits it), times in Jira's spellings and offsets."""
    def created(k: int) -> str:
        minute = (n * 7 + k * 13) % 60
        return f"2026-02-{1 + n % 27:02d}T{9 + k:02d}:{minute:02d}:00.000{'+0000' if (n + k) % 2 else '-0500'}"

    def items(k: int) -> list[dict]:
        status = {"field": "status", "fieldtype": "jira", "from": "1", "fromString": f"S{k}", "to": "2",
                  "toString": f"S{k + 1}"}
        if n % 2:
            status["fieldId"] = "status"
        other = {"field": "assignee", "fieldtype": "jira", "fromString": None, "toString": "Ann"}
        return [[status], [other, status], [other], []][(n + k) % 4]

    return [{"id": f"{n}-{k}", "author": {"name": "ann"}, "created": created(k), "items": items(k)}
            for k in range(n % 4)]


def dc_issues(count: int) -> list[dict]:
    emulator = JiraEmulator(seed=9)
    emulator.add_issues(count)
    issues = copy.deepcopy(list(emulator.issues.values()))
    for n, issue in enumerate(issues):
        issue["changelog"] = {"startAt": 0, "maxResults": n % 4, "total": n % 4, "histories": dc_histories(n)}
    issues[3]["changelog"] = None  # legal: read as no history
    issues[5].pop("changelog")
    issues[7]["changelog"] = {"histories": None}
    issues[9]["changelog"]["histories"] = [{"created": "2026-02-02T10:00:00.000+0100", "items": None}]
    issues[11]["changelog"]["histories"] = [{"created": None, "items": [{"field": "status", "toString": "Done"}]}]
    return issues


def test_an_expanded_history_is_mapped_by_arrow_as_the_row_path() -> None:
    issues = dc_issues(60)
    before = taken()
    pages = list(mapped([raw_page(issues[start:start + 20], total=60) for start in range(0, 60, 20)]))
    assert delta(before) == {"arrow": 3, "rows": 0}
    assert_as_rows(pages, issues)
    changes = pa.concat_tables(page.tables["changelog"] for page in pages).to_pylist()
    # By hand, issue 1 (n = 1): one history, k = 0: 09:(7 % 60) at +0000, items[(1 + 0) % 4]: other, then status.
    first = issues[1]
    assert changes[0] == {"issue_id": first["id"], "issue_key": first["key"],
                          "changed_at": dt.datetime(2026, 2, 2, 9, 7), "from_status": "S0", "to_status": "S1"}
    # n = 2, k = 0 at -0500: 09:14 local is 14:14 UTC; items[2]: an assignee change only, so no row.
    # n = 2, k = 1 at +0000: 10:27; items[3]: none. So issue 2 has no status change at all.
    assert not [c for c in changes if c["issue_id"] == issues[2]["id"]]
    assert [c["changed_at"] for c in changes if c["issue_id"] == issues[11]["id"]] == [None]
    expected_rows = sum(1 for n, issue in enumerate(issues) if n not in (3, 5, 7, 9, 11)
                        for history in dc_histories(n) for item in history["items"] if item["field"] == "status") + 1
    assert len(changes) == expected_rows


@pytest.mark.parametrize("spoil", [
    lambda issues: issues[4]["changelog"]["histories"].append(None),  # the row path's AttributeError
    lambda issues: issues[6]["changelog"]["histories"][0]["items"].append(None),
    # Issue 1's first history holds an assignee change, then a status change (dc_histories).
    lambda issues: issues[1]["changelog"]["histories"][0].update(created="last Tuesday"),
    lambda issues: issues[1]["changelog"]["histories"][0].update(created=20260202),  # a number: the reader refuses
    lambda issues: issues[1]["changelog"]["histories"][0]["items"][1].update(toString=7),
    lambda issues: issues[6].update(changelog="none"),
])
def test_a_history_arrow_does_not_read_exactly_sends_its_page_to_the_row_path(spoil: Any) -> None:
    """Only a status item's time is read (the row path parses no other), so a spoiled time elsewhere is no refusal."""
    issues = dc_issues(20)
    assert [item["field"] for item in issues[1]["changelog"]["histories"][0]["items"]] == ["assignee", "status"]
    spoil(issues)
    before = taken()
    pages = list(mapped([raw_page(issues[:10]), raw_page(issues[10:])]))
    assert delta(before) == {"arrow": 1, "rows": 1}  # the other page still goes through Arrow
    assert_as_rows(pages, issues)


def test_an_expanded_history_is_read_however_its_key_is_spelled() -> None:
    issues = varied_page(8)[-3:]
    issues[0]["changelog"] = {"histories": []}
    issues[1]["changelog"] = {"histories": [{"created": "2026-01-06T10:00:00.000+0100", "items": [
        {"field": "status", "fromString": "To Do", "toString": "Done"}]}]}
    # The key written as a JSON escape: no byte search would see it, the reader does.
    body = answer(issues).replace(b'"changelog"', b'"change\\u006cog"')
    assert json.loads(body) == {"issues": issues}
    escaped = read_head(Client(), "/rest/api/3/search/jql", response(body))[0]
    before = taken()
    [page] = mapped([escaped])
    assert delta(before) == {"arrow": 1, "rows": 0}
    assert_as_rows([page], issues)
    assert page.tables["changelog"].column("changed_at").to_pylist() == [dt.datetime(2026, 1, 6, 9, 0)]


def test_a_data_center_answer_gives_its_total_and_last_key_from_the_same_bytes() -> None:
    issues = dc_issues(12)[:5]
    issues[4]["key"] = ""  # keyless (quarantined later): the window restarts after the last key there is
    head = read_datacenter_head(Client(), "/rest/api/2/search", response(answer(issues, startAt=0, total=730)))
    assert head is not None
    page, total, last_key = head
    assert (page.count, total, last_key) == (5, 730, issues[3]["key"])
    assert page.decode() == issues
    # A key that is a number: Arrow refuses, and the caller decodes the answer as before.
    issues[2]["key"] = 12
    assert read_datacenter_head(Client(), "/rest/api/2/search", response(answer(issues, total=5))) is None
