"""The Jira connector passes the connector contract against the Jira emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from jira_emulator import EMAIL, TOKEN, JiraEmulator

from connectors.base import SourceSpec
from connectors.jira import JiraConnector
from sightline.testing import ConnectorContract

AUTH = {"email_env": "JIRA_EMAIL", "token_env": "JIRA_API_TOKEN"}


def cloud(emulator: JiraEmulator, auth: dict[str, str] = AUTH) -> SourceSpec:
    options = {"url": emulator.url, "auth": auth, "projects": ["PAY", "EXP"], "backoff_seconds": 0.01,
               "max_retries": 0, "fields": {"probability": "Risk likelihood", "impact": "Risk impact"}}
    return SourceSpec(id="jira-cloud", kind="jira", options=options, base_dir=Path("."))


class TestJiraContract(ConnectorContract):
    connector = JiraConnector

    @pytest.fixture(autouse=True)
    def _credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("JIRA_EMAIL", EMAIL)
        monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)
        monkeypatch.setenv("JIRA_OLD_TOKEN", "expired-token-s3cr3t-4242")  # one Jira refuses

    @pytest.fixture
    def source(self) -> Iterator[SourceSpec]:
        with JiraEmulator() as emulator:
            self.emulator = emulator
            emulator.add_issues(40)
            yield cloud(emulator)

    @pytest.fixture
    def bad_source(self) -> Iterator[SourceSpec]:
        with JiraEmulator() as emulator:
            ids = emulator.add_issues(40)
            emulator.tamper(ids[5], customfield_10016="13 points")  # story points that are not a number
            yield cloud(emulator)

    @pytest.fixture
    def failing_source(self) -> Iterator[SourceSpec]:
        with JiraEmulator() as emulator:
            yield cloud(emulator, {**AUTH, "token_env": "JIRA_OLD_TOKEN"})

    def change_source(self, source: SourceSpec) -> None:
        """Between the runs an issue moves on, one is deleted and two are created."""
        ids = sorted(self.emulator.issues)
        self.emulator.edit(ids[3])
        self.emulator.delete(ids[7])
        self.emulator.add_issues(2)
