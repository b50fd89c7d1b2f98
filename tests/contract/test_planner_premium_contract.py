"""The Planner premium connector passes the connector contract against the Dataverse emulator on 127.0.0.1."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from planner_premium_emulator import CLIENT_ID, CLIENT_SECRET, TENANT, PlannerEmulator

from connectors.base import SourceSpec
from connectors.planner_premium import PlannerPremiumConnector
from sightline.testing import ConnectorContract

AUTH = {"tenant_id_env": "PP_TENANT", "client_id_env": "PP_CLIENT", "client_secret_env": "PP_SECRET"}


def planner(emulator: PlannerEmulator, projects: tuple[str, ...], secret_env: str = "PP_SECRET") -> SourceSpec:
    options = {"url": emulator.url, "auth": {**AUTH, "client_secret_env": secret_env, "authority": emulator.url},
               "page_size": 9, "max_retries": 0, "backoff_seconds": 0.01}
    return SourceSpec(id="planner", kind="planner_premium", options=options, base_dir=Path("."),
                      project_keys=projects)


class TestPlannerPremiumContract(ConnectorContract):
    connector = PlannerPremiumConnector

    @pytest.fixture(autouse=True)
    def _credentials(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv("PP_TENANT", TENANT)
        monkeypatch.setenv("PP_CLIENT", CLIENT_ID)
        monkeypatch.setenv("PP_SECRET", CLIENT_SECRET)
        monkeypatch.setenv("PP_OLD_SECRET", "rotated-client-s3cr3t~4242")  # one Entra ID refuses

    @pytest.fixture
    def source(self) -> Iterator[SourceSpec]:
        with PlannerEmulator() as emulator:
            self.emulator = emulator
            self.projects = (emulator.add_project("Payroll", 24), emulator.add_project("Expenses", 12))
            yield planner(emulator, self.projects)

    @pytest.fixture
    def bad_source(self) -> Iterator[SourceSpec]:
        with PlannerEmulator() as emulator:
            project = emulator.add_project("Payroll", 24)
            emulator.tamper(emulator.tasks_of(project)[3], msdyn_effort="13 hours")  # not a number
            yield planner(emulator, (project,))

    @pytest.fixture
    def failing_source(self) -> Iterator[SourceSpec]:
        with PlannerEmulator() as emulator:
            yield planner(emulator, (emulator.add_project("Payroll", 3),), "PP_OLD_SECRET")

    def change_source(self, source: SourceSpec) -> None:
        """Between the runs a task moves on, one is deleted with its links, a dependency goes and a task is added."""
        emulator = self.emulator
        tasks = emulator.tasks_of(self.projects[0])
        emulator.edit("msdyn_projecttasks", tasks[2], msdyn_progress=1.0, msdyn_scheduledend="2026-03-02T17:00:00Z")
        emulator.delete("msdyn_projecttasks", tasks[5])
        for table in ("msdyn_projecttaskdependencies", "msdyn_resourceassignments"):
            for rid, row in list(emulator.tables[table].items()):
                if tasks[5] in (row.get("_msdyn_predecessortask_value"), row.get("_msdyn_successortask_value"),
                                row.get("_msdyn_taskid_value")):
                    emulator.delete(table, rid)
        emulator.add_task(self.projects[1], "Late addition", day=emulator.clock.date(), days=2)
