"""HttpSource's session reads the proxy variables once per origin, and still the way requests does."""

from __future__ import annotations

import pytest
import requests

from connectors.http import HttpSource

PROXY = "http://proxy.invalid:3128"


def _settings(session: requests.Session, url: str, verify: bool | str = True) -> dict:
    return session.merge_environment_settings(url, {}, None, verify, None)


@pytest.mark.parametrize("no_proxy", ["", "jira.example.com", "other.example.com"])
def test_environment_settings_match_a_plain_session(monkeypatch: pytest.MonkeyPatch, no_proxy: str) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    monkeypatch.setenv("NO_PROXY", no_proxy)
    monkeypatch.setenv("REQUESTS_CA_BUNDLE", "/etc/company-ca.pem")
    source = HttpSource("s", "https://jira.example.com")
    url = "https://jira.example.com/rest/api/3/search/jql"
    for verify in (True, False, "/tmp/own-ca.pem"):
        # requests' own Session is the oracle: the same proxies, bypass and CA bundle choice
        assert _settings(source.session, url, verify) == _settings(requests.Session(), url, verify)
    expected = None if no_proxy == "jira.example.com" else PROXY  # NO_PROXY names the host: no proxy
    assert _settings(source.session, url)["proxies"].get("https") == expected


def test_proxy_variables_are_read_once_per_origin(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    calls: list[str] = []
    real = requests.utils.get_environ_proxies

    def counting(url: str, no_proxy: str | None = None) -> dict:
        calls.append(url)
        return real(url, no_proxy=no_proxy)

    monkeypatch.setattr(requests.utils, "get_environ_proxies", counting)
    session = HttpSource("s", "https://jira.example.com").session
    for page in range(3):
        assert _settings(session, f"https://jira.example.com/rest/api/3/search?page={page}")["proxies"] == {
            "https": PROXY}
    assert _settings(session, "https://other.example.com/x")["proxies"] == {"https": PROXY}
    assert len(calls) == 2  # one per origin, not one per request


def test_trust_env_off_ignores_the_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HTTPS_PROXY", PROXY)
    session = HttpSource("s", "https://jira.example.com").session
    session.trust_env = False
    assert _settings(session, "https://jira.example.com/x")["proxies"] == {}
