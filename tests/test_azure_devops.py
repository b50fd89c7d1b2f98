"""The Azure DevOps Boards connector against the emulator on 127.0.0.1 (tests/support/azure_devops_emulator.py)."""

from __future__ import annotations

import base64
import datetime as dt
import math
from pathlib import Path

import duckdb
import pytest
from azure_devops_emulator import PAT, PROCESSES, AzureDevOpsEmulator, Fault, ado_time, basic
from loopback_http import serve

from connectors.azure_devops import AzureDevOpsConnector
from connectors.azure_devops.client import AdoClient
from connectors.base import SourceError, SourceSpec
from connectors.http import RetryPolicy
from pipelines.extract import load_source
from sightline.testing import extract_all
from warehouse import db
from warehouse.models import build_kind_staging


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("ADO_PAT", PAT)


def spec(emulator: AzureDevOpsEmulator, **options) -> SourceSpec:
    given = {"url": emulator.url, "auth": {"token_env": "ADO_PAT"}, "projects": sorted(emulator.projects),
             "max_retries": 0, "backoff_seconds": 0.01, "overlap_minutes": 0, **options}
    return SourceSpec(id="ado", kind="azure_devops", options=given, base_dir=Path("."))


def warehouse() -> duckdb.DuckDBPyConnection:
    con = duckdb.connect(":memory:")
    db.prepare(con, {"azure_devops": dict(AzureDevOpsConnector.raw_schemas)})
    return con


def load(con: duckdb.DuckDBPyConnection, source: SourceSpec, landing: Path) -> None:
    outcome = load_source(con, source, landing, retention_days=1)
    assert outcome.ok, outcome.error


# --- auth, errors, rate limits --------------------------------------------------------------------------


def test_the_token_goes_as_basic_auth_with_an_empty_user_and_every_call_names_the_api_version() -> None:
    with serve([(200, {}, {"value": []})]) as server:
        AdoClient("ado", server.url, "ADO_PAT").get("/Payroll/_apis/wit/workitemtypes")
    assert server.seen[0]["Authorization"] == "Basic " + base64.b64encode(f":{PAT}".encode()).decode()
    with AzureDevOpsEmulator() as emulator:
        emulator.add_items(12)
        extract_all(AzureDevOpsConnector, spec(emulator))
        assert emulator.log and all(r.params.get("api-version") == "7.1" and r.status == 200 for r in emulator.log)


def test_a_refused_token_fails_the_source_naming_the_variable_never_the_token(monkeypatch) -> None:
    monkeypatch.setenv("ADO_PAT", "revoked-pat-s3cr3t-0042")
    with AzureDevOpsEmulator() as emulator, pytest.raises(SourceError) as failure:
        extract_all(AzureDevOpsConnector, spec(emulator))
    text = str(failure.value)
    assert "HTTP 401" in text and "ADO_PAT" in text and "TF400813" in text
    assert "revoked-pat-s3cr3t-0042" not in text


def test_a_sign_in_page_instead_of_json_fails_the_source_saying_so() -> None:
    with AzureDevOpsEmulator() as emulator:
        emulator.faults.append(Fault(203, 1, body="<html><title>Sign In</title></html>"))
        with pytest.raises(SourceError, match=r"HTTP 203 answered something other than JSON \(a sign-in page"):
            extract_all(AzureDevOpsConnector, spec(emulator))


def test_an_error_body_echoing_the_credentials_is_redacted() -> None:
    header = basic(PAT)
    with AzureDevOpsEmulator() as emulator:
        emulator.faults.append(Fault(500, 1, body={"message": f"proxy failed; request had {header} and {PAT}"}))
        with pytest.raises(SourceError) as failure:
            extract_all(AzureDevOpsConnector, spec(emulator))
    text = str(failure.value)
    assert "HTTP 500" in text and PAT not in text and header.split()[1] not in text


def test_429_with_retry_after_and_a_spent_rate_limit_budget_are_waited_out() -> None:
    waits: list[float] = []
    with AzureDevOpsEmulator() as emulator:
        emulator.faults.append(Fault(429, 1, "wiql", {"Retry-After": "3"}))
        client = AdoClient("ado", emulator.url, "ADO_PAT", retry=RetryPolicy(max_retries=2), sleep=waits.append)
        answer = client.post("/Payroll/_apis/wit/wiql", {"query": "SELECT [System.Id] FROM WorkItems WHERE "
                                                                   "[System.TeamProject] = 'Payroll' ORDER BY [System.Id] ASC"})
        assert answer["workItems"] == [] and waits == [3.0]  # the 429's Retry-After, then the retry succeeded
        emulator.rate_limited = 1  # the next answer says X-RateLimit-Remaining: 0, reset in 2 s
        client.get("/Payroll/_apis/wit/workitemtypes")
        assert len(waits) == 2 and 0 < waits[1] <= 2.0
        emulator.faults.append(Fault(429, 1, headers={"Retry-After": "3600"}))
        with pytest.raises(SourceError, match=r"asked to wait 3,600 s .*max_wait_seconds"):
            client.get("/Payroll/_apis/wit/workitemtypes")


def test_an_unknown_team_project_fails_the_source_naming_it() -> None:
    with AzureDevOpsEmulator() as emulator, pytest.raises(SourceError, match="team project 'Paroll' not found"):
        extract_all(AzureDevOpsConnector, spec(emulator, projects=["Paroll"]))


def test_a_server_collection_url_works_and_domain_accounts_have_no_email(tmp_path: Path) -> None:
    with AzureDevOpsEmulator({"Payroll": "CMMI"}, collection="tfs/DefaultCollection") as emulator:
        emulator.add_items(10)
        rows = extract_all(AzureDevOpsConnector, spec(emulator)).table("work_items").to_pylist()
    assert emulator.url.endswith("/tfs/DefaultCollection") and len(rows) == 10
    people = {(r["assignee_key"], r["assignee_email"]) for r in rows if r["assignee_key"]}
    assert ("contoso\\scarter", None) in people and ("priya.shah@example.com", "priya.shah@example.com") in people


def test_the_token_is_in_no_landing_file_or_warehouse(tmp_path: Path) -> None:
    con_path = tmp_path / "build.duckdb"
    con = duckdb.connect(str(con_path))
    db.prepare(con, {"azure_devops": dict(AzureDevOpsConnector.raw_schemas)})
    with AzureDevOpsEmulator() as emulator:
        emulator.add_items(20)
        emulator.tamper(3, Microsoft__VSTS__Scheduling__Effort="lots")  # a quarantined record lands too
        load(con, spec(emulator), tmp_path / "landing")
    con.close()
    encoded = base64.b64encode(f":{PAT}".encode())
    files = [p for p in tmp_path.rglob("*") if p.is_file()]
    assert any(p.suffix == ".parquet" for p in files)
    for path in files:
        data = path.read_bytes()
        assert PAT.encode() not in data and encoded not in data, path


# --- paging -----------------------------------------------------------------------------------------------


def test_the_listing_continues_after_the_last_id_when_a_query_reaches_the_cap() -> None:
    with AzureDevOpsEmulator({"Payroll": "Agile"}) as emulator:
        emulator.add_items(20)
        extracted = extract_all(AzureDevOpsConnector, spec(emulator, wiql_cap=7))
        queries = [r.body["query"] for r in emulator.requests_to("/_apis/wit/wiql")]
    # 20 ids in queries of at most 7: 7, 7, 6 (short: the end), each after the last id read.
    assert len(queries) == 3
    assert "[System.Id] > 7" in queries[1] and "[System.Id] > 14" in queries[2]
    assert sorted(map(int, extracted.table("work_items")["work_item_id"].to_pylist())) == list(range(1, 21))


def test_items_are_read_200_a_call_with_a_field_list_and_relations_only_for_linked_items() -> None:
    with AzureDevOpsEmulator({"Payroll": "Agile"}) as emulator:
        emulator.add_items(450)
        linked = {i for i in emulator.items if emulator.relations[i]}  # dependencies (hierarchy is System.Parent)
        emulator.add_hyperlink(1, "https://example.atlassian.net/browse/PAY-1")  # a summary with a hyperlink
        extract_all(AzureDevOpsConnector, spec(emulator))
        batches = emulator.requests_to("/_apis/wit/workitemsbatch")
    by_fields = [b.body for b in batches if "fields" in b.body]
    by_relations = [b.body for b in batches if "$expand" in b.body]
    assert [len(b["ids"]) for b in by_fields] == [200, 200, 50]
    assert all("$expand" not in b for b in by_fields) and all("fields" not in b for b in by_relations)
    assert {i for b in by_relations for i in b["ids"]} == linked | {1} and len(linked) > 100
    assert len(by_relations) == math.ceil(len(linked | {1}) / 200)


def test_status_history_comes_from_the_revisions_pages_and_matches_the_revision_log() -> None:
    with AzureDevOpsEmulator({"Payroll": "Scrum"}, revisions_page=4) as emulator:
        ids = emulator.add_items(15)
        emulator.edit(ids[4], state="Done")
        expected = set()
        for item in ids:  # each change of state between consecutive revisions, worked out here
            revisions = [r for r in emulator.revisions if r[0] == item]
            expected |= {(str(item), b[1], a[3], b[3]) for a, b in zip(revisions, revisions[1:], strict=False)
                         if a[3] != b[3]}
        extracted = extract_all(AzureDevOpsConnector, spec(emulator))
        pages = emulator.requests_to("/reporting/workitemrevisions")
    got = {(r["work_item_id"], r["rev"], r["from_state"], r["to_state"]) for r in extracted.table("changelog").to_pylist()}
    assert got == expected and len(expected) >= 10
    assert len(pages) == math.ceil(len(emulator.revisions) / 4) and pages[1].params["continuationToken"] == "4"


# --- incremental, deletions, quarantine ---------------------------------------------------------------------


def test_an_incremental_run_reads_only_what_changed_and_drops_what_was_deleted(tmp_path: Path) -> None:
    con = warehouse()
    with AzureDevOpsEmulator() as emulator:
        ids = emulator.add_items(30)
        source = spec(emulator)
        load(con, source, tmp_path)
        # ChangedDate >= the server's clock at the first listing: what changed at that very moment too.
        at_cursor = {i for i, f in emulator.items.items() if f["System.ChangedDate"] >= ado_time(emulator.clock)}
        emulator.log.clear()
        emulator.edit(ids[2], state="Closed")
        emulator.delete(ids[5])  # to the recycle bin
        emulator.delete(ids[6])
        load(con, source, tmp_path)
        read = {i for r in emulator.requests_to("/_apis/wit/workitemsbatch") if "fields" in r.body for i in r.body["ids"]}
        updates = emulator.requests_to("/updates")
    assert read == {ids[2]} | at_cursor and len(at_cursor) == 1  # overlap 0: the edited item and the boundary
    assert sorted(r.path.rsplit("/", 2)[-2] for r in updates) == sorted(map(str, read))  # history by updates
    rows = dict(con.execute("SELECT work_item_id, state FROM raw.azure_devops__work_items").fetchall())
    assert rows[str(ids[2])] == "Closed" and str(ids[5]) not in rows and str(ids[6]) not in rows
    assert len(rows) == 28


def test_a_bad_item_is_quarantined_under_its_id_and_the_rest_loads(tmp_path: Path) -> None:
    con = warehouse()
    with AzureDevOpsEmulator() as emulator:
        ids = emulator.add_items(10)
        emulator.tamper(ids[3], Microsoft__VSTS__Scheduling__RemainingWork=-4)
        emulator.tamper(ids[4], Microsoft__VSTS__Scheduling__StoryPoints="13 points")
        load(con, spec(emulator), tmp_path)
    quarantined = con.execute("SELECT object_key, location, reason FROM raw.quarantine ORDER BY object_key").fetchall()
    assert quarantined == [
        (str(ids[3]), f"ado, work item {ids[3]}", f"work item {ids[3]}: remaining work (hours) -4 is out of range; expected 0 to 100000"),
        (str(ids[4]), f"ado, work item {ids[4]}", f'work item {ids[4]}: story points "13 points" is not a number'),
    ]
    assert con.execute("SELECT count(*) FROM raw.azure_devops__work_items").fetchone()[0] == 8


def test_odd_but_legal_values_load(tmp_path: Path) -> None:
    """An identity as "Name <e-mail>" text (older servers), tags with a trailing separator, seven
    fractional digits in a time, and a sprint with no dates."""
    with AzureDevOpsEmulator({"Payroll": "Agile"}) as emulator:
        ids = emulator.add_items(3)
        emulator.tamper(ids[1], System__AssignedTo="Priya Shah <Priya.Shah@Example.com>",
                        System__Tags="Payroll Engine; ; General Ledger; ",
                        System__ChangedDate="2026-01-05T09:30:00.1234567Z")
        rows = {r["work_item_id"]: r for r in extract_all(AzureDevOpsConnector, spec(emulator))
                .table("work_items").to_pylist()}
    odd = rows[str(ids[1])]
    assert (odd["assignee_key"], odd["assignee_name"], odd["assignee_email"]) == (
        "priya.shah@example.com", "Priya Shah", "priya.shah@example.com")
    assert odd["tags"] == ["Payroll Engine", "General Ledger"]
    assert odd["changed_at"] == dt.datetime(2026, 1, 5, 9, 30, 0, 123456)


# --- mapping ----------------------------------------------------------------------------------------------


def _staged(tmp_path: Path, emulator: AzureDevOpsEmulator, **options) -> duckdb.DuckDBPyConnection:
    con = warehouse()
    load(con, spec(emulator, **options), tmp_path)
    build_kind_staging(con, "azure_devops", AzureDevOpsConnector.staging_sql_dir())
    return con


def test_state_categories_of_every_process_map_to_the_canonical_status(tmp_path: Path) -> None:
    expected = {"Proposed": "not_started", "InProgress": "in_progress", "Resolved": "in_progress",
                "Completed": "done", "Removed": "cancelled"}
    with AzureDevOpsEmulator({"A": "Agile", "S": "Scrum", "B": "Basic", "C": "CMMI"}) as emulator:
        emulator.add_items(8 * 4)
        cases = []
        for item_id, fields in emulator.items.items():
            states = PROCESSES[emulator.projects[fields["System.TeamProject"]].process][fields["System.WorkItemType"]]
            state, category = states[item_id % len(states)]
            emulator.edit(item_id, state=state)
            cases.append((str(item_id), expected[category]))
        con = _staged(tmp_path, emulator)
    got = dict(con.execute("SELECT source_key, status_default FROM staging.azure_devops__work_items").fetchall())
    assert got == dict(cases)
    assert {c for _, c in cases} == set(expected.values())  # every category was exercised


def test_scheduling_work_points_team_and_sprint_dates(tmp_path: Path) -> None:
    with AzureDevOpsEmulator({"Expenses": "Scrum"}) as emulator:
        feature, pbi, task = emulator.add_items(3)
        emulator.edit(pbi, state="Committed", Microsoft__VSTS__Scheduling__OriginalEstimate=10.0,
                      Microsoft__VSTS__Scheduling__CompletedWork=3.0, Microsoft__VSTS__Scheduling__RemainingWork=9.0,
                      Microsoft__VSTS__Scheduling__Effort=5.0, System__AreaPath="Expenses\\Apps\\Mobile",
                      System__Tags="Card Feed; blocked")
        emulator.edit(task, System__IterationPath="Expenses\\Sprint 3", System__AreaPath="Expenses")
        sprint = emulator.projects["Expenses"].sprints[2]
        con = _staged(tmp_path, emulator, fields={"objectives": "Custom.StrategicTheme"})
    rows = {r[0]: r[1:] for r in con.execute(
        "SELECT source_key, percent_complete, work_hours, actual_work_hours, story_points, team, status_default, "
        "systems, is_summary, parent_source_key FROM staging.azure_devops__work_items").fetchall()}
    assert rows[str(pbi)] == (25.0, 10.0, 3.0, 5.0, "Mobile", "blocked", ["Card Feed", "blocked"], False, str(feature))
    # the configured objectives field (the emulator gives items with an even id this theme)
    objectives = dict(con.execute("SELECT source_key, objectives FROM staging.azure_devops__work_items").fetchall())
    assert objectives == {str(i): ["cost-efficiency"] if i % 2 == 0 else [] for i in (feature, pbi, task)}
    assert rows[str(feature)][-2] is True  # the parent of the other two: a summary
    dates = con.execute("SELECT planned_start, planned_finish, team FROM staging.azure_devops__work_items "
                        "WHERE source_key = ?", [str(task)]).fetchone()
    assert dates == (sprint[1], sprint[2], None)  # no dates of its own: its sprint's; root area: no team


def test_dependency_links_and_a_hyperlink_to_another_tools_item(tmp_path: Path) -> None:
    with AzureDevOpsEmulator({"Payroll": "Agile", "Expenses": "Agile"}) as emulator:
        a, b = emulator.add_items(1, "Payroll")[0], emulator.add_items(1, "Expenses")[0]
        emulator.add_dependency(a, b)  # cross-project, both ends report it
        emulator.add_hyperlink(b, "https://example.atlassian.net/browse/PAY-12", "depends on the payroll API")
        emulator.add_hyperlink(a, "https://app.smartsheet.com/sheets/4583173393803140?rowId=7281", None)
        emulator.add_hyperlink(a, "https://wiki.example.com/Payroll", "design notes")  # names no item
        con = _staged(tmp_path, emulator)
    rows = sorted(con.execute(
        "SELECT predecessor_key, successor_key, predecessor_project_ref, predecessor_item_ref, link_type "
        "FROM staging.azure_devops__dependencies").fetchall(), key=repr)
    assert rows == sorted([
        (str(a), str(b), None, None, "FS"), (str(a), str(b), None, None, "FS"),
        (None, str(b), "PAY", "PAY-12", "FS"), (None, str(a), "4583173393803140", "7281", "FS"),
    ], key=repr)


# --- config ---------------------------------------------------------------------------------------------------


def test_config_mistakes_are_reported_with_their_key_path(tmp_path: Path) -> None:
    from pipelines.config import ConfigError, load_portfolio

    config = tmp_path / "portfolio.yaml"
    config.write_text("""
warehouse: var/w.duckdb
programs: []
sources:
  - id: ado
    kind: azure_devops
    url: http://dev.azure.com/contoso
    auth: {token_env: ADO_PAT}
    fields: {objectives: Strategic theme, colour: Custom.Colour}
    wiql_cap: 50000
  - {id: ado2, kind: azure_devops, url: "https://dev.azure.com/contoso", auth: {token: abc}}
""", encoding="utf-8")
    with pytest.raises(ConfigError) as info:
        load_portfolio(config)
    problems = "\n".join(info.value.problems)
    assert "sources[0].url" in problems and "plain http would send the personal access token" in problems
    assert "sources[0].fields.objectives" in problems and "'Strategic theme' is not a field reference name" in problems
    assert "sources[0].fields.colour" in problems  # not a role
    assert "sources[0].wiql_cap" in problems
    assert "sources[1].auth.token" in problems and "abc" not in problems


def test_the_starters_commented_azure_devops_source_is_a_valid_config(tmp_path: Path) -> None:
    from pipelines.config import load_portfolio
    from pipelines.starter import write_starter

    write_starter(tmp_path)
    config = tmp_path / "portfolio.yaml"
    lines = config.read_text(encoding="utf-8").splitlines()
    start = lines.index("  # - id: ado")
    end = lines.index("", start)  # the block ends at the next blank line
    lines[start:end] = [line.replace("  # ", "  ", 1) for line in lines[start:end]]
    config.write_text("\n".join(lines) + "\n", encoding="utf-8")
    ado = [s for s in load_portfolio(config).sources if s.kind == "azure_devops"]
    assert [(s.id, s.options.url, s.options.auth.token_env) for s in ado] == [
        ("ado", "https://dev.azure.com/<org>", "ADO_PAT")]
