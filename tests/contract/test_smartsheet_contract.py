"""The Smartsheet connector passes the connector contract against the Smartsheet emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from smartsheet_emulator import TOKEN, SmartsheetEmulator

from connectors.base import SourceSpec
from connectors.smartsheet import SmartsheetConnector
from sightline.testing import ConnectorContract


def spec(emulator: SmartsheetEmulator, sheets: list[int], token_env: str = "SMARTSHEET_TOKEN") -> SourceSpec:
    options = {"url": emulator.url, "auth": {"token_env": token_env}, "page_size": 7, "max_retries": 0,
               "backoff_seconds": 0.01}
    return SourceSpec(id="pmo-smartsheet", kind="smartsheet", options=options, base_dir=Path("."),
                      project_keys=tuple(str(s) for s in sheets))


def filled(emulator: SmartsheetEmulator) -> list[int]:
    plan = emulator.add_sheet("Website relaunch", 18)
    other = emulator.add_sheet("CRM rollout", 6)
    emulator.set_summary(plan, [("Project Status", "PICKLIST", "Amber", None)])
    plan.holidays = ("2026-03-20",)  # a Friday off: the sheet's calendar differs from Monday-Friday
    return [plan.id, other.id]


class TestSmartsheetContract(ConnectorContract):
    connector = SmartsheetConnector

    @pytest.fixture(autouse=True)
    def _credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("SMARTSHEET_TOKEN", TOKEN)
        monkeypatch.setenv("SMARTSHEET_OLD_TOKEN", "revoked-ss-token-s3cr3t-77")  # one Smartsheet refuses

    @pytest.fixture
    def source(self) -> Iterator[SourceSpec]:
        with SmartsheetEmulator() as emulator:
            self.emulator = emulator
            ids = filled(emulator)
            plan = emulator.sheets[ids[0]]
            emulator.edit(plan, plan.rows[4], **{"Depends on": ("PAY-12", None)})  # another tool's item
            yield spec(emulator, ids)

    @pytest.fixture
    def bad_source(self) -> Iterator[SourceSpec]:
        with SmartsheetEmulator() as emulator:
            ids = filled(emulator)
            plan = emulator.sheets[ids[0]]
            emulator.edit(plan, plan.rows[5], **{"% Complete": ("lots", None)})  # typed over the % column
            yield spec(emulator, ids)

    @pytest.fixture
    def failing_source(self) -> Iterator[SourceSpec]:
        with SmartsheetEmulator() as emulator:
            yield spec(emulator, filled(emulator), token_env="SMARTSHEET_OLD_TOKEN")

    def change_source(self, source: SourceSpec) -> None:
        """Between the runs a row is edited, one deleted and one added in the first sheet; the second
        sheet does not change (and is not read again)."""
        plan = self.emulator.sheets[int(source.project_keys[0])]
        self.emulator.edit(plan, plan.rows[2], **{"Status": ("Complete", None)})
        self.emulator.delete(plan, plan.rows[7])
        self.emulator.add_row(plan)
