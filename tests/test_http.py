"""The shared HTTP plumbing against loopback servers: bounded waits, TLS, unreachable hosts, redaction."""

from __future__ import annotations

import base64
import email.utils
import time
from pathlib import Path

import pytest
from jira_emulator import EMAIL, TOKEN
from loopback_http import closed_port, make_authority, serve

from connectors.base import SourceError
from connectors.http import HttpSource, RetryPolicy, offset_pages, redact, retry_after_seconds, token_pages
from connectors.jira.client import JiraClient

FAST = RetryPolicy(backoff_base_seconds=0.01, max_retries=3)
OK = (200, {}, {"ok": True})


def source(url: str, policy: RetryPolicy = FAST, **kwargs: object) -> tuple[HttpSource, list[float]]:
    pauses: list[float] = []
    return HttpSource("src", url, policy=policy, sleep=pauses.append, **kwargs), pauses


def test_retry_after_longer_than_max_wait_fails_at_once_naming_the_wait() -> None:
    with serve([(429, {"Retry-After": "3600"}, {})]) as server:
        http, pauses = source(server.url, RetryPolicy(max_wait_seconds=120))
        started = time.monotonic()
        with pytest.raises(SourceError) as failure:
            http.request("GET", "/rest/thing")
    assert time.monotonic() - started < 5 and pauses == [] and len(server.seen) == 1
    message = str(failure.value)
    assert "\n" not in message and message.startswith("src: GET /rest/thing -> HTTP 429")
    assert "wait 3,600 s" in message and "max_wait_seconds (120)" in message


@pytest.mark.parametrize(("header", "expected_wait"), [("0.5", 0.5), ("0", 0.0), ("7", 7.0)])
def test_readable_retry_after_is_slept_exactly(header: str, expected_wait: float) -> None:
    with serve([(503, {"Retry-After": header}, {}), OK]) as server:
        http, pauses = source(server.url)
        assert http.request("GET", "/x").json() == {"ok": True}
    assert pauses == [expected_wait]


@pytest.mark.parametrize("header", ["soon", "-5", "nan", "Mon, 99 Foo 2026"])
def test_unreadable_retry_after_falls_back_to_the_backoff(header: str) -> None:
    with serve([(429, {"Retry-After": header}, {}), OK]) as server:
        http, pauses = source(server.url, RetryPolicy(backoff_base_seconds=0.2))
        assert http.request("GET", "/x").status_code == 200
    assert len(pauses) == 1 and 0.1 <= pauses[0] <= 0.2  # first backoff: base x [0.5, 1] jitter


def test_retry_after_as_an_http_date_counts_from_now() -> None:
    now = 1_800_000_000.0
    assert retry_after_seconds(email.utils.formatdate(now + 90, usegmt=True), now=now) == 90.0
    assert retry_after_seconds(email.utils.formatdate(now - 30, usegmt=True), now=now) == 0.0  # past: go now
    assert retry_after_seconds(None) is None and retry_after_seconds("  ") is None


def test_an_http_date_without_a_zone_is_gmt_whatever_the_local_zone(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("TZ", "America/New_York")
    time.tzset()
    try:  # 1_800_000_000 is 2027-01-15 08:00:00 UTC; "-0000" marks a GMT date with no zone given
        assert retry_after_seconds("Fri, 15 Jan 2027 08:00:30 -0000", now=1_800_000_000.0) == 30.0
    finally:
        monkeypatch.undo()
        time.tzset()


def test_connection_refused_fails_within_the_connect_bound() -> None:
    http, pauses = source(f"http://127.0.0.1:{closed_port()}", RetryPolicy())  # default policy: 8 retries
    started = time.monotonic()
    with pytest.raises(SourceError) as failure:
        http.request("GET", "/x")
    assert time.monotonic() - started < 5
    assert http.requests_made == 3 and len(pauses) == 2 and sum(pauses) <= 4  # 2 short retries, not 8
    assert "failed after 3 attempts (ConnectionError: could not connect)" in str(failure.value)


def test_connect_retries_stop_when_the_time_budget_is_spent() -> None:
    clock = iter([0.0, 9.0, 30.0])  # start, after the 1st failure, after the 2nd
    policy = RetryPolicy(connect_timeout_seconds=10, connect_budget_seconds=25)
    http = HttpSource("src", f"http://127.0.0.1:{closed_port()}", policy=policy, sleep=lambda _: None,
                      clock=lambda: next(clock))
    with pytest.raises(SourceError, match="failed after 2 attempts"):
        http.request("GET", "/x")  # 9 s gone + ~1 s wait + 10 s timeout fits 25; 30 s does not


@pytest.fixture(scope="module")
def authorities(tmp_path_factory: pytest.TempPathFactory):
    folder = tmp_path_factory.mktemp("tls")
    return make_authority(folder, "right"), make_authority(folder, "other")


def test_untrusted_certificate_is_not_retried_and_says_so_in_words(authorities) -> None:
    right, _ = authorities
    with serve([OK], tls=(right.chain, right.key)) as server:
        http, pauses = source(server.url)
        with pytest.raises(SourceError) as failure:
            http.request("GET", "/x")
    assert http.requests_made == 1 and pauses == []
    message = str(failure.value)
    assert "certificate of 127.0.0.1" in message and "could not be verified" in message
    assert "verify_tls: /path/ca.pem" in message


@pytest.mark.filterwarnings("ignore::urllib3.exceptions.InsecureRequestWarning")  # verify=False, on purpose
def test_verify_tls_wins_over_ca_bundle_variables(authorities, monkeypatch: pytest.MonkeyPatch) -> None:
    right, other = authorities
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", str(other.ca))  # trusts a different CA only
    monkeypatch.setenv("CURL_CA_BUNDLE", str(other.ca))
    with serve([OK], tls=(right.chain, right.key)) as server:
        assert source(server.url, verify=str(right.ca))[0].request("GET", "/x").json() == {"ok": True}
        assert source(server.url, verify=False)[0].request("GET", "/x").status_code == 200
        with pytest.raises(SourceError, match="could not be verified"):  # the variable is still used by default
            source(server.url)[0].request("GET", "/x")


def test_missing_ca_bundle_names_verify_tls(tmp_path: Path) -> None:
    with serve([OK]) as server:
        http, _ = source(server.url.replace("http:", "https:"), verify=str(tmp_path / "nope.pem"))
        with pytest.raises(SourceError, match="check verify_tls"):
            http.request("GET", "/x")


def test_a_secret_echoed_by_the_server_never_reaches_the_message(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    basic = base64.b64encode(f"{EMAIL}:{TOKEN}".encode()).decode()
    echo = {"errorMessages": [f"bad token {TOKEN}", f"Authorization: Basic {basic}", "Bearer abc.def-123"]}
    with serve([(400, {}, echo)]) as server:
        client = JiraClient("jira", server.url, {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"})
        with pytest.raises(SourceError) as failure:
            client.get("/rest/api/3/field")
    message = str(failure.value)
    assert server.seen[0]["Authorization"] == f"Basic {basic}"  # it was sent, so it could have leaked
    assert TOKEN not in message and basic not in message and "abc.def-123" not in message
    assert message.startswith("jira: GET /rest/api/3/field -> HTTP 400 (bad token ***")
    assert message.endswith("check the source's projects, jql and field names")  # Jira's advice kept


def test_redact_masks_configured_values_and_auth_material() -> None:
    text = "token=hunter22 url=https://x/?t=a%2Fb header {'Authorization': 'Token zz9'} then Bearer q.w-e"
    assert redact(text, ["hunter22", "a%2Fb"]) == (
        "token=*** url=https://x/?t=*** header {'Authorization': '***'} then Bearer ***")


def test_token_and_offset_paging_read_every_page_once() -> None:
    tokens = {None: {"values": [1, 2], "nextPageToken": "b"}, "b": {"values": [3], "nextPageToken": "c"},
              "c": {"values": [4], "isLast": True, "nextPageToken": "d"}}
    asked: list[str | None] = []
    assert list(token_pages(lambda t: asked.append(t) or tokens[t], "values")) == [[1, 2], [3], [4]]
    assert asked == [None, "b", "c"]  # isLast stops it even with a token
    rows = list(range(7))
    starts: list[int] = []
    pages = offset_pages(lambda s: starts.append(s) or {"issues": rows[s:s + 3], "total": 7}, "issues")
    assert list(pages) == [[0, 1, 2], [3, 4, 5], [6]] and starts == [0, 3, 6]
