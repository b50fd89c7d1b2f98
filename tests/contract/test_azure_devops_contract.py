"""The Azure DevOps connector passes the connector contract against the emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from azure_devops_emulator import PAT, AzureDevOpsEmulator

from connectors.azure_devops import AzureDevOpsConnector
from connectors.base import SourceSpec
from sightline.testing import ConnectorContract


def ado_source(emulator: AzureDevOpsEmulator, token_env: str = "ADO_PAT") -> SourceSpec:
    options = {"url": emulator.url, "auth": {"token_env": token_env}, "projects": ["Payroll", "Expenses"],
               "max_retries": 0, "backoff_seconds": 0.01, "fields": {"objectives": "Custom.StrategicTheme"}}
    return SourceSpec(id="ado", kind="azure_devops", options=options, base_dir=Path("."))


class TestAzureDevOpsContract(ConnectorContract):
    connector = AzureDevOpsConnector

    @pytest.fixture(autouse=True)
    def _credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("ADO_PAT", PAT)
        monkeypatch.setenv("ADO_OLD_PAT", "revoked-pat-s3cr3t-0042")  # one the emulator refuses

    @pytest.fixture
    def source(self) -> Iterator[SourceSpec]:
        with AzureDevOpsEmulator({"Payroll": "Agile", "Expenses": "CMMI"}) as emulator:
            self.emulator = emulator
            emulator.add_items(40)
            risk = emulator.add_items(1, "Expenses")[0]
            emulator.items[risk].update({"System.WorkItemType": "Risk", "Microsoft.VSTS.CMMI.Probability": 70,
                                         "Microsoft.VSTS.Common.Severity": "2 - High"})
            yield ado_source(emulator)

    @pytest.fixture
    def bad_source(self) -> Iterator[SourceSpec]:
        with AzureDevOpsEmulator() as emulator:
            ids = emulator.add_items(40)
            emulator.tamper(ids[5], Microsoft__VSTS__Scheduling__StoryPoints="13 points")
            yield ado_source(emulator)

    @pytest.fixture
    def failing_source(self) -> Iterator[SourceSpec]:
        with AzureDevOpsEmulator() as emulator:
            yield ado_source(emulator, "ADO_OLD_PAT")

    def change_source(self, source: SourceSpec) -> None:
        """Between the runs an item moves on, one is deleted, two are created and a link is added."""
        ids = sorted(self.emulator.items)
        self.emulator.edit(ids[3], state="Closed")
        self.emulator.delete(ids[7])
        new = self.emulator.add_items(2)
        self.emulator.add_dependency(ids[10], new[0])
