"""The Planner premium connector against an emulated Dataverse on 127.0.0.1: real HTTP, no mocks of requests."""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from planner_premium_emulator import API, CLIENT_ID, CLIENT_SECRET, TENANT, Fault, PlannerEmulator
from pydantic import ValidationError

from connectors.base import SourceError, SourceSpec
from connectors.planner_premium import PlannerPremiumConnector
from connectors.planner_premium.client import DataverseClient
from connectors.planner_premium.options import PlannerPremiumOptions
from pipelines.extract import LoadOutcome, load_source
from sightline.testing import extract_all
from warehouse import db
from warehouse.models import build_kind_staging

TASKS = "msdyn_projecttasks"
KIND = "planner_premium"


@pytest.fixture
def emulator(monkeypatch: pytest.MonkeyPatch) -> Iterator[PlannerEmulator]:
    monkeypatch.setenv("PP_TENANT", TENANT)
    monkeypatch.setenv("PP_CLIENT", CLIENT_ID)
    monkeypatch.setenv("PP_SECRET", CLIENT_SECRET)
    with PlannerEmulator() as running:
        yield running


@pytest.fixture
def waits(monkeypatch: pytest.MonkeyPatch) -> list[float]:
    """The waits the client asks for (instead of sleeping them)."""
    asked: list[float] = []
    original = DataverseClient.__init__

    def recording(self: DataverseClient, *args: object, **kwargs: object) -> None:
        original(self, *args, **{**kwargs, "sleep": asked.append})

    monkeypatch.setattr(DataverseClient, "__init__", recording)
    return asked


def spec(emulator: PlannerEmulator, projects: tuple[str, ...], **extra: object) -> SourceSpec:
    options = {"url": emulator.url, "auth": {"tenant_id_env": "PP_TENANT", "client_id_env": "PP_CLIENT",
                                             "client_secret_env": "PP_SECRET", "authority": emulator.url},
               "backoff_seconds": 0.01, **extra}
    return SourceSpec(id="planner", kind=KIND, options=options, base_dir=Path("."), project_keys=projects)


class Warehouse:
    """A build database with the planner_premium raw tables, loaded through the real load path."""

    def __init__(self, folder: Path):
        self.folder = folder
        self.con = duckdb.connect(str(folder / "build.duckdb"))
        db.prepare(self.con, {KIND: dict(PlannerPremiumConnector.raw_schemas)})

    def sync(self, source: SourceSpec, **kwargs: object) -> LoadOutcome:
        outcome = load_source(self.con, source, self.folder / "landing", retention_days=1, **kwargs)
        assert outcome.ok, outcome.error
        return outcome

    def rows(self, sql: str, *params: object) -> list[tuple]:
        return self.con.execute(sql, list(params)).fetchall()

    def staging(self) -> None:
        build_kind_staging(self.con, KIND, PlannerPremiumConnector.staging_sql_dir())


@pytest.fixture
def warehouse(tmp_path: Path) -> Warehouse:
    return Warehouse(tmp_path)


def test_every_page_is_read_through_next_links_of_the_asked_size(emulator: PlannerEmulator) -> None:
    project = emulator.add_project("Payroll", 40)  # 40 tasks + 4 phase summaries
    extracted = extract_all(PlannerPremiumConnector, spec(emulator, (project,), page_size=7))
    assert extracted.table("tasks").num_rows == 44
    assert len(set(extracted.table("tasks").column("record_id").to_pylist())) == 44
    task_pages = [r for r in emulator.data_requests(TASKS)]
    assert len(task_pages) == math.ceil(44 / 7)  # 7 a page, as Prefer: odata.maxpagesize asked
    assert [r.params.get("$skiptoken") for r in task_pages] == [None, "7", "14", "21", "28", "35", "42"]
    assert all(f"_msdyn_project_value eq {project}" in r.params["$filter"] for r in task_pages)


def test_one_token_serves_the_whole_sync_and_a_refused_one_is_replaced_once(emulator: PlannerEmulator) -> None:
    project = emulator.add_project("Payroll", 20)
    extract_all(PlannerPremiumConnector, spec(emulator, (project,), page_size=5))
    token_calls = [r for r in emulator.log if r.path.endswith("/oauth2/v2.0/token")]
    assert len(token_calls) == 1 and token_calls[0].path == f"/{TENANT}/oauth2/v2.0/token"
    emulator.log.clear()
    emulator.faults.append(Fault(401, 1, API + "/" + TASKS))  # a token revoked mid-sync: one new token, then on
    extracted = extract_all(PlannerPremiumConnector, spec(emulator, (project,)))
    assert extracted.table("tasks").num_rows == 22
    assert len([r for r in emulator.log if r.path.endswith("/token")]) == 2


def test_a_token_is_asked_again_before_it_expires(emulator: PlannerEmulator) -> None:
    emulator.token_lifetime = 30  # shorter than the client's safety margin: every request needs a new one
    project = emulator.add_project("Payroll", 3)
    extract_all(PlannerPremiumConnector, spec(emulator, (project,)))
    data = len([r for r in emulator.log if r.path.startswith(API)])
    assert len([r for r in emulator.log if r.path.endswith("/token")]) == data


def test_an_api_that_keeps_refusing_fails_the_source_after_one_new_token(emulator: PlannerEmulator) -> None:
    project = emulator.add_project("Payroll", 3)
    emulator.faults.append(Fault(401, 5, API + "/msdyn_projects"))
    with pytest.raises(SourceError, match=r"HTTP 401.*PP_TENANT, PP_CLIENT, PP_SECRET"):
        extract_all(PlannerPremiumConnector, spec(emulator, (project,)))
    assert len([r for r in emulator.log if r.path.endswith("/token")]) == 2


def test_a_wrong_secret_fails_naming_the_variables_never_the_values(emulator: PlannerEmulator,
                                                                    monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PP_SECRET", "wrong-s3cr3t-value")
    with pytest.raises(SourceError) as failure:
        extract_all(PlannerPremiumConnector, spec(emulator, (emulator.add_project("P", 2),)))
    text = str(failure.value)
    assert "HTTP 401" in text and "PP_SECRET" in text and "invalid_client" in text
    for secret in ("wrong-s3cr3t-value", CLIENT_ID, TENANT):
        assert secret not in text  # Entra ID echoes the client id: redacted


def test_service_protection_429_waits_as_asked_then_reads_on(emulator: PlannerEmulator, waits: list[float]) -> None:
    project = emulator.add_project("Payroll", 10)
    emulator.faults.append(Fault(429, 2, API + "/" + TASKS, {"Retry-After": "17"}))
    extracted = extract_all(PlannerPremiumConnector, spec(emulator, (project,)))
    assert waits == [17.0, 17.0]
    assert extracted.table("tasks").num_rows == 11


def test_a_retry_after_past_the_limit_fails_at_once_naming_the_wait(emulator: PlannerEmulator,
                                                                     waits: list[float]) -> None:
    project = emulator.add_project("Payroll", 2)
    emulator.faults.append(Fault(429, 1, API + "/" + TASKS, {"Retry-After": "900"}))
    with pytest.raises(SourceError, match=r"asked to wait 900 s .*max_wait_seconds \(300\)"):
        extract_all(PlannerPremiumConnector, spec(emulator, (project,)))
    assert waits == []


def test_a_next_link_to_another_host_is_not_followed(emulator: PlannerEmulator, monkeypatch: pytest.MonkeyPatch) -> None:
    project = emulator.add_project("Payroll", 12)
    monkeypatch.setattr(PlannerEmulator, "url", property(lambda self: "https://attacker.example"))
    with pytest.raises(SourceError, match="led outside the environment"):
        extract_all(PlannerPremiumConnector, spec(emulator, (project,), page_size=5,
                                                  url=f"http://127.0.0.1:{emulator.server.server_address[1]}",
                                                  auth={"tenant_id_env": "PP_TENANT", "client_id_env": "PP_CLIENT",
                                                        "client_secret_env": "PP_SECRET",
                                                        "authority": f"http://127.0.0.1:"
                                                                     f"{emulator.server.server_address[1]}"}))


def test_a_repeated_next_link_fails_instead_of_looping(emulator: PlannerEmulator) -> None:
    project = emulator.add_project("Payroll", 30)
    emulator.repeat_next_link = True
    with pytest.raises(SourceError, match="same @odata.nextLink twice"):
        extract_all(PlannerPremiumConnector, spec(emulator, (project,), page_size=5))


def test_unknown_project_keys_fail_naming_them(emulator: PlannerEmulator) -> None:
    emulator.add_project("Payroll", 2)
    with pytest.raises(SourceError, match="not Planner premium project ids.*msdyn_projectid"):
        extract_all(PlannerPremiumConnector, spec(emulator, ("Payroll",)))
    missing = "0f0f0f0f-0000-4000-8000-000000000000"
    with pytest.raises(SourceError, match=f"project\\(s\\) {missing} not found"):
        extract_all(PlannerPremiumConnector, spec(emulator, (missing,)))


def test_config_refuses_plain_http_and_a_path_in_the_url() -> None:
    auth = {"tenant_id_env": "T", "client_id_env": "C", "client_secret_env": "S"}
    with pytest.raises(ValidationError, match="unencrypted"):
        PlannerPremiumOptions.model_validate({"url": "http://contoso.crm.dynamics.com", "auth": auth})
    with pytest.raises(ValidationError, match="the address alone"):
        PlannerPremiumOptions.model_validate({"url": "https://contoso.crm.dynamics.com/api/data/v9.2", "auth": auth})
    options = PlannerPremiumOptions.model_validate({"url": "https://contoso.crm.dynamics.com/", "auth": auth})
    assert options.auth.authority == "https://login.microsoftonline.com" and options.baseline == "none"


def test_a_bad_row_is_quarantined_with_its_id_and_the_rest_loads(emulator: PlannerEmulator,
                                                                 warehouse: Warehouse) -> None:
    project = emulator.add_project("Payroll", 10)
    bad, odd = emulator.tasks_of(project)[2], emulator.tasks_of(project)[4]
    emulator.tamper(bad, msdyn_progress=float("inf"))
    emulator.tamper(odd, msdyn_scheduledstart="2026-02-10T08:00:00Z", msdyn_scheduledend="2026-02-01T17:00:00Z")
    warehouse.sync(spec(emulator, (project,)))
    quarantined = warehouse.rows("SELECT object_key, location, reason FROM raw.quarantine ORDER BY object_key")
    assert [row[0] for row in quarantined] == sorted([bad, odd])
    reasons = {row[0]: row[2] for row in quarantined}
    assert "progress (msdyn_progress) inf is not a number" in reasons[bad]
    assert "is before start" in reasons[odd] and "project Payroll" in dict((r[0], r[1]) for r in quarantined)[odd]
    assert warehouse.rows("SELECT count(*) FROM raw.planner_premium__tasks")[0][0] == 9


def test_an_odd_but_legal_payload_reads(emulator: PlannerEmulator, warehouse: Warehouse) -> None:
    """An empty first page that still has a nextLink, fractions with ten decimals, a task without dates or
    bucket, a link without a type (Planner's default, FS), formatted values beside the raw ones."""
    project = emulator.add_project("Payroll", 10)
    first = emulator.tasks_of(project)[0]
    emulator.tamper(first, msdyn_progress=0.3333333333, msdyn_scheduledstart=None, msdyn_scheduledend=None,
                    _msdyn_projectbucket_value=None)
    link = next(iter(emulator.tables["msdyn_projecttaskdependencies"]))
    emulator.tamper(link, msdyn_projecttaskdependencylinktype=None)
    emulator.empty_first_page = True
    warehouse.sync(spec(emulator, (project,)))
    assert warehouse.rows("SELECT count(*) FROM raw.quarantine") == [(0,)]
    row = warehouse.rows("SELECT percent_complete, start, bucket_id FROM raw.planner_premium__tasks WHERE record_id = ?",
                         first)[0]
    assert row[0] == pytest.approx(33.33333333) and row[1] is None and row[2] is None
    assert warehouse.rows("SELECT link_type FROM raw.planner_premium__dependencies WHERE record_id = ?", link) == [("FS",)]
    assert warehouse.rows("SELECT manager, overall_status FROM raw.planner_premium__projects") == [
        ("Dana Whitfield", "Yellow")]


def test_edits_and_deletions_between_two_syncs_land_and_only_changes_are_read(emulator: PlannerEmulator,
                                                                             warehouse: Warehouse) -> None:
    project = emulator.add_project("Payroll", 30)
    warehouse.sync(spec(emulator, (project,)))
    tasks = emulator.tasks_of(project)
    emulator.edit(TASKS, tasks[1], msdyn_subject="Renamed", msdyn_progress=1.0)
    emulator.delete(TASKS, tasks[2])
    emulator.log.clear()
    outcome = warehouse.sync(spec(emulator, (project,)))
    changed = [r for r in emulator.data_requests(TASKS) if "modifiedon ge" in r.params["$filter"]]
    assert len(changed) == 1  # one page: only what changed since the last sync (less the overlap)
    names = dict(warehouse.rows("SELECT record_id, name FROM raw.planner_premium__tasks"))
    assert names[tasks[1]] == "Renamed" and tasks[2] not in names and len(names) == 32
    assert outcome.rows["deleted"] == 1
    warehouse.staging()
    status = warehouse.rows("SELECT status_default FROM staging.planner_premium__work_items WHERE source_key = ?",
                            tasks[1])
    assert status == [("done",)]


def test_mapping_to_the_canonical_streams(emulator: PlannerEmulator, warehouse: Warehouse) -> None:
    people = emulator.add_people()
    project = emulator.add_project("Payroll", 10, people=people)
    warehouse.sync(spec(emulator, (project,)))
    warehouse.staging()
    tasks = emulator.tasks_of(project)
    by_name = {row["msdyn_subject"]: rid for rid, row in emulator.tables[TASKS].items()}
    phase, milestone = by_name["Payroll phase 1"], by_name["Payroll task 10"]
    items = {r[0]: r[1:] for r in warehouse.rows(
        "SELECT source_key, item_type, is_milestone, parent_source_key, duration_hours, team "
        "FROM staging.planner_premium__work_items")}
    assert len(items) == len(tasks) == 11
    assert items[phase][:2] == ("summary", False)
    assert items[milestone][:3] == ("milestone", True, phase)
    assert items[by_name["Payroll task 2"]][3:] == (8.0, "Test")  # 1 day x 8 h; the second bucket
    links = warehouse.rows("SELECT predecessor_key, successor_key, link_type, lag_hours FROM "
                           "staging.planner_premium__dependencies WHERE successor_key = ?", by_name["Payroll task 5"])
    assert links == [(by_name["Payroll task 4"], by_name["Payroll task 5"], "SS", 8.0)]  # 480 minutes
    emails = {r[0] for r in warehouse.rows("SELECT email FROM staging.planner_premium__resources")}
    assert emails == {"priya.shah@example.com", "aisha.bello@example.com", "sam.carter@example.com", None}
    assert warehouse.rows("SELECT source_key, aliases FROM staging.planner_premium__projects") == [
        (project, ["Payroll", project.upper()])]  # a key written in capitals finds the project too
    reports = warehouse.rows("SELECT project_ref, reported_status, reported_at FROM staging.planner_premium__status_reports")
    assert reports == [(project, "Yellow", dt.date(2026, 1, 9))]


def test_first_seen_baseline_survives_edits_and_a_full_refresh(emulator: PlannerEmulator, warehouse: Warehouse) -> None:
    project = emulator.add_project("Payroll", 10)
    source = spec(emulator, (project,), baseline="first_seen")
    warehouse.sync(source)
    task = emulator.tasks_of(project)[3]
    first_finish = emulator.tables[TASKS][task]["msdyn_scheduledend"]
    emulator.edit(TASKS, task, msdyn_scheduledend="2026-04-30T17:00:00Z")
    added = emulator.add_task(project, "Added later", day=dt.date(2026, 3, 2), days=3)

    def dates(rid: str) -> tuple:
        return warehouse.rows("SELECT CAST(finish AS DATE), CAST(baseline_finish AS DATE) FROM "
                              "raw.planner_premium__tasks WHERE record_id = ?", rid)[0]

    for full_refresh in (False, True):  # an incremental sync, then a full refresh: the baseline stays
        warehouse.sync(source, full_refresh=full_refresh)
        assert dates(task) == (dt.date(2026, 4, 30), dt.date.fromisoformat(first_finish[:10]))
        assert dates(added) == (dt.date(2026, 3, 4), dt.date(2026, 3, 4))  # first seen now: its own dates
    warehouse.staging()
    assert warehouse.rows("SELECT baseline_finish FROM staging.planner_premium__work_items WHERE source_key = ?",
                          task) == [(dt.date.fromisoformat(first_finish[:10]),)]


def test_without_the_option_there_is_no_baseline(emulator: PlannerEmulator, warehouse: Warehouse) -> None:
    project = emulator.add_project("Payroll", 4)
    outcome = warehouse.sync(spec(emulator, (project,)))
    assert outcome.ok
    assert warehouse.rows("SELECT count(*) FROM raw.planner_premium__tasks WHERE baseline_finish IS NOT NULL") == [(0,)]


def test_no_credential_reaches_any_output_log_or_file(emulator: PlannerEmulator, warehouse: Warehouse,
                                                      caplog: pytest.LogCaptureFixture) -> None:
    project = emulator.add_project("Payroll", 12)
    source = spec(emulator, (project,), baseline="first_seen")
    caplog.set_level("DEBUG")
    warehouse.sync(source)
    emulator.edit(TASKS, emulator.tasks_of(project)[0], msdyn_progress=0.5)
    warehouse.sync(source)
    warehouse.con.close()
    tokens = [token for token in emulator.tokens] + [f"eyJ0eXAi.planner-token-{n}-s3cr3t" for n in (1, 2)]
    secrets = [CLIENT_SECRET, CLIENT_ID, TENANT, *tokens]
    for path in warehouse.folder.rglob("*"):
        if path.is_file():
            data = path.read_bytes()
            assert not [s for s in secrets if s.encode() in data], f"{path} holds a credential"
    # Even urllib3's DEBUG lines carry no token or secret; the tenant id is in the token endpoint's path
    # by the protocol, so only the lines Sightline itself logs (INFO and up) are free of it too.
    assert not [s for s in (CLIENT_SECRET, *tokens) if s in caplog.text]
    ours = " ".join(r.getMessage() for r in caplog.records if r.levelno >= 20)
    assert "incremental" in ours and not [s for s in secrets if s in ours]


def test_the_starters_commented_planner_source_is_a_valid_config(tmp_path: Path) -> None:
    from pipelines.config import load_portfolio
    from pipelines.starter import write_starter

    write_starter(tmp_path)
    config = tmp_path / "portfolio.yaml"
    lines = config.read_text(encoding="utf-8").splitlines()
    start = lines.index("  # - id: planner")
    config.write_text("\n".join(lines[:start] + [line.replace("  # ", "  ", 1) for line in lines[start:]]) + "\n",
                      encoding="utf-8")
    planner = [s for s in load_portfolio(config).sources if s.kind == KIND]
    assert [s.id for s in planner] == ["planner"] and planner[0].options.baseline == "first_seen"


def test_a_sync_without_the_option_drops_the_kept_baselines(emulator: PlannerEmulator, warehouse: Warehouse) -> None:
    project = emulator.add_project("Payroll", 4)
    task = emulator.tasks_of(project)[1]
    warehouse.sync(spec(emulator, (project,), baseline="first_seen"))
    emulator.edit(TASKS, task, msdyn_scheduledend="2026-05-29T17:00:00Z")
    warehouse.sync(spec(emulator, (project,)), full_refresh=True)  # baseline: none - nothing kept
    warehouse.sync(spec(emulator, (project,), baseline="first_seen"), full_refresh=True)
    assert warehouse.rows("SELECT CAST(baseline_finish AS DATE) FROM raw.planner_premium__tasks WHERE record_id = ?",
                          task) == [(dt.date(2026, 5, 29),)]  # re-baselined on today's dates
