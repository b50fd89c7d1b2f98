"""Credentials never reach an error, a table, a file or the console.

Tokens come from environment variables: stripped, checked before use, and their every form
(raw, base64 Basic credentials) removed from any error text a run records or prints."""

from __future__ import annotations

import base64
import contextlib
import json
import os
import subprocess
import sys
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler
from pathlib import Path
from typing import Any, ClassVar

import pytest
from jira_emulator import EMAIL, PAT, JiraEmulator
from loopback_http import send_json, serving

from connectors.base import Connector, SourceError, SourceSpec
from connectors.http import RetryPolicy, redact_sources
from connectors.jira import JiraConnector
from connectors.jira.client import JiraClient
from connectors.jira.options import JiraOptions
from pipelines import extract
from pipelines.config import ConfigError, load_portfolio
from warehouse import db

REPO = Path(__file__).resolve().parents[1]
# Long enough that any leak of it, whole or in part, would be unmistakable.
TOKEN = "tok-SECRET-7f3a9c1e5b2d8f4a6c0e9b7d5f3a1c8e"
CLOUD_AUTH = {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"}
ONE_RETRY = RetryPolicy(max_retries=1, backoff_base_seconds=0.01)


def basic(user: str, password: str) -> str:
    """The Basic header's credentials, worked out here rather than taken from the code."""
    return base64.b64encode(f"{user}:{password}".encode()).decode()


def secret_bytes() -> list[bytes]:
    return [TOKEN.encode(), basic(EMAIL, TOKEN).encode(), f"{EMAIL}:{TOKEN}".encode()]


@pytest.fixture
def cloud_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)


# --- a server that repeats the credentials it was sent -----------------------------------------------------


class Echo:
    """Answers 500, then 400 forever, with the request's headers (Authorization included) and the
    decoded credentials in a Jira-style error body; counts the requests it saw."""

    def __init__(self) -> None:
        self.requests = 0
        self.url = ""

    def reply(self, headers: dict[str, str]) -> tuple[int, dict[str, Any]]:
        self.requests += 1
        authorization = headers.get("Authorization", "")
        decoded = base64.b64decode(authorization[6:]).decode() if authorization.startswith("Basic ") else ""
        # Padding first, so the credentials straddle the 300 characters an error keeps of Jira's words.
        material = authorization.split(" ", 1)[-1]  # without its scheme word, so no pattern can spot it
        body = {"errorMessages": ["x" * 280 + f" you sent {decoded} {material}", f"headers were {json.dumps(headers)}"],
                "errors": {"raw": material}}
        return (500 if self.requests == 1 else 400), body


@contextlib.contextmanager
def echo_server() -> Iterator[Echo]:
    echo = Echo()

    class Handler(BaseHTTPRequestHandler):
        def log_message(self, *args: Any) -> None:
            return

        def do_GET(self) -> None:
            send_json(self, *self._answer())

        def do_POST(self) -> None:
            self.rfile.read(int(self.headers.get("Content-Length") or 0))
            send_json(self, *self._answer())

        def _answer(self) -> tuple[int, dict[str, str], Any]:
            status, body = echo.reply(dict(self.headers.items()))
            return status, {}, body

    with serving(Handler) as url:
        echo.url = url
        yield echo


def assert_no_secret(text: str) -> None:
    for secret in secret_bytes():
        assert secret.decode() not in text
    assert TOKEN[:12] not in text and TOKEN[-12:] not in text  # not even a part of it


# --- tokens from the environment ----------------------------------------------------------------------


def test_datacenter_token_with_trailing_crlf_is_stripped_and_loads(tmp_path: Path,
                                                                   monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_PAT", f"  {PAT}\r\n")  # the emulator accepts exactly "Bearer <PAT>"
    options = JiraOptions.model_validate({"url": "http://127.0.0.1:1", "flavor": "datacenter",
                                          "auth": {"token_env": "JIRA_PAT"}, "projects": ["PAY"]})
    con = db.open_connection(tmp_path / "build.duckdb")
    db.prepare(con, {"jira": dict(JiraConnector.raw_schemas)})
    with JiraEmulator() as jira:
        jira.add_issues(12, project="PAY")
        spec = SourceSpec(id="jira-dc", kind="jira", base_dir=tmp_path,
                          options=options.model_copy(update={"url": jira.url}))
        outcome = extract.load_source(con, spec, tmp_path / "landing", retention_days=7)
    assert outcome.ok, outcome.error
    assert con.execute('SELECT count(*) FROM raw."jira__issues"').fetchone()[0] == 12


def test_cloud_email_and_token_with_surrounding_whitespace_are_stripped(monkeypatch: pytest.MonkeyPatch) -> None:
    from jira_emulator import TOKEN as EMULATOR_TOKEN

    monkeypatch.setenv("JIRA_EMAIL", f"{EMAIL}\n")
    monkeypatch.setenv("JIRA_API_TOKEN", f"\t{EMULATOR_TOKEN} \r\n")
    with JiraEmulator() as jira:
        client = JiraClient("jira-cloud", jira.url, CLOUD_AUTH)
        assert "serverTime" in client.get("/rest/api/3/serverInfo")  # a 401 would raise


@pytest.mark.parametrize(("value", "what"), [
    (TOKEN[:10] + "\x01" + TOKEN[10:], "a control character"),
    (TOKEN[:10] + "\r\n" + TOKEN[10:], "a control character"),  # a header-injection attempt
    (TOKEN[:10] + "\u2019" + TOKEN[10:], "a character outside Latin-1"),
])
def test_unusable_token_names_the_variable_and_never_reaches_the_server(
    monkeypatch: pytest.MonkeyPatch, value: str, what: str
) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", value)
    with echo_server() as echo, pytest.raises(SourceError) as caught:
        JiraClient("jira-cloud", echo.url, CLOUD_AUTH).get("/rest/api/3/myself")
    message = str(caught.value)
    assert "environment variable JIRA_API_TOKEN (auth.token_env)" in message and what in message
    assert TOKEN[:10] not in message and TOKEN[10:] not in message
    assert echo.requests == 0


def test_unusable_email_names_its_variable(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", "robot\x1b@example.com")
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
    with pytest.raises(SourceError, match=r"environment variable JIRA_EMAIL \(auth.email_env\) holds a control"):
        JiraClient("jira-cloud", "http://127.0.0.1:1", CLOUD_AUTH)


@pytest.mark.parametrize("value", [None, "", " \r\n"])
def test_missing_or_blank_token_names_the_variable_and_what_to_do(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    if value is None:
        monkeypatch.delenv("JIRA_API_TOKEN", raising=False)
    else:
        monkeypatch.setenv("JIRA_API_TOKEN", value)
    with pytest.raises(SourceError) as caught:
        JiraClient("jira-cloud", "http://127.0.0.1:1", CLOUD_AUTH)
    assert str(caught.value) == ("jira-cloud: environment variable JIRA_API_TOKEN (auth.token_env) is empty or "
                                 "not set; set it in the environment that runs sightline")


# --- URLs with a user name or password --------------------------------------------------------------------


def test_url_with_user_info_is_refused_by_the_config_and_by_the_client(tmp_path: Path, cloud_env: None) -> None:
    with echo_server() as echo:
        inline = echo.url.replace("://", f"://robot:{TOKEN}@")
        config = tmp_path / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(url=inline))
        with pytest.raises(ConfigError) as refused:
            load_portfolio(config)
        assert "a user name or password in a URL is a secret" in str(refused.value)
        assert_no_secret(str(refused.value))

        # A spec built by hand skips the config: the client refuses the URL before any request.
        with pytest.raises(SourceError, match="the url carries a user name or password") as caught:
            JiraClient("jira-cloud", inline, CLOUD_AUTH)
        assert_no_secret(str(caught.value))
        assert echo.requests == 0


# --- the one redaction step ---------------------------------------------------------------------------


@pytest.mark.parametrize("auth", [CLOUD_AUTH, {"token_env": "JIRA_API_TOKEN"}])
def test_credentials_echoed_by_the_server_are_removed_from_the_error(cloud_env: None, auth: dict[str, str]) -> None:
    with echo_server() as echo, pytest.raises(SourceError) as caught:
        JiraClient("jira-cloud", echo.url, auth, retry=ONE_RETRY).get("/rest/api/3/myself")
    message = str(caught.value)
    assert echo.requests == 2  # the 500 was retried, the 400 failed the source
    assert message.startswith("jira-cloud: GET /rest/api/3/myself -> HTTP 400")
    assert "***" in message and "you sent" in message  # the server's words stay, the credentials go
    assert_no_secret(message)


class Leaky(Connector):
    """A connector whose failure quotes credentials, as a careless library might."""

    kind = "leaky"
    raw_schemas: ClassVar[dict] = {}
    other_token = "other-source-secret-31415926"

    def __init__(self, source: SourceSpec):  # options as given: this test double has no options model
        self.source, self.options = source, source.options

    @classmethod
    def staging_sql_dir(cls) -> Path:
        return Path()

    def extract(self, context: Any) -> Iterator[Any]:
        raise RuntimeError(f"boom: Authorization: Basic {basic(EMAIL, TOKEN)} token={TOKEN} "
                           f"header {TOKEN!r} other={self.other_token}")
        yield


def test_a_failure_is_recorded_without_any_sources_secrets(
    tmp_path: Path, cloud_env: None, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("OTHER_TOKEN", Leaky.other_token)
    monkeypatch.setattr(extract, "connector_class", lambda kind: Leaky)
    con = db.open_connection(tmp_path / "build.duckdb")
    db.prepare(con, {})
    leaky = SourceSpec(id="leaky", kind="leaky", options={"auth": CLOUD_AUTH}, base_dir=tmp_path)
    other = SourceSpec(id="other", kind="leaky", options={"nested": [{"api_token_env": "OTHER_TOKEN"}]},
                       base_dir=tmp_path)
    outcome = extract.load_source(con, leaky, tmp_path / "landing", 7, other_sources=[other])
    recorded = con.execute("SELECT last_error FROM meta.source_state WHERE source_id = 'leaky'").fetchone()[0]
    assert recorded == outcome.error
    assert recorded.startswith("RuntimeError: boom: Authorization: ***")
    assert_no_secret(recorded)
    assert Leaky.other_token not in recorded and recorded.count("***") >= 4


# --- a real sync, as a user runs it -------------------------------------------------------------------

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: 2026-03-01
programs:
  - id: finance
    name: Finance systems
    projects:
      - {{id: payroll, name: Payroll platform, source: jira-cloud, key: PAY}}
sources:
  - id: jira-cloud
    kind: jira
    url: {url}
    auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}
    backoff_seconds: 0.01
    max_retries: 1
"""


def test_sync_against_a_server_echoing_credentials_leaks_them_nowhere(tmp_path: Path) -> None:
    home = tmp_path / "dagster-home"
    home.mkdir()
    env = {**os.environ, "JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": TOKEN, "DAGSTER_HOME": str(home)}
    with echo_server() as echo:
        config = tmp_path / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(url=echo.url))
        done = subprocess.run([sys.executable, "-m", "pipelines.cli", "sync", "--config", str(config)],
                              capture_output=True, env=env, cwd=tmp_path, timeout=600)
    assert echo.requests >= 2  # the server did see (and echo) the credentials
    assert done.returncode == 1, done.stderr.decode()[-2000:]
    assert b"jira-cloud: " in done.stdout and b"HTTP 400" in done.stdout
    files = [p for p in tmp_path.rglob("*") if p.is_file() and p != config]
    assert any(p.suffix == ".duckdb" for p in files)  # the build file (and what else the run wrote) is checked
    for secret in secret_bytes():
        assert secret not in done.stdout and secret not in done.stderr
        for path in files:
            assert secret not in path.read_bytes(), f"{secret!r} in {path}"


def test_redaction_knows_every_form_a_value_takes_in_a_message(monkeypatch: pytest.MonkeyPatch) -> None:
    token = "pässwörd-Ωmega\t42"  # a tab inside: Python and JSON escape it, URLs encode it
    monkeypatch.setenv("U_ENV", "bot@example.com")
    monkeypatch.setenv("T_ENV", f"{token}\n")
    spec = SourceSpec(id="s", kind="jira", options={"auth": {"token_env": "T_ENV", "user_env": "U_ENV"}},
                      base_dir=Path())
    forms = {
        "raw": token, "python": "pässwörd-Ωmega\\t42", "json": "p\\u00e4ssw\\u00f6rd-\\u03a9mega\\t42",
        "url": "p%C3%A4ssw%C3%B6rd-%CE%A9mega%0942",
        "basic": base64.b64encode(f"bot@example.com:{token}".encode()).decode(),
    }
    for name, form in forms.items():
        assert redact_sources(f"seen {form} here", [spec]) == "seen *** here", name
    assert redact_sources("no secret here", [spec]) == "no secret here"
