"""The Smartsheet connector against the emulator on 127.0.0.1: scope, paging, column types, links,
people, the sheet summary, incremental syncs, faults and rate limits, quarantine and token hygiene."""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import duckdb
import pydantic
import pytest
from smartsheet_emulator import TOKEN, SmartsheetEmulator

from connectors.base import SourceError, SourceSpec
from connectors.http import RetryPolicy
from connectors.smartsheet import SmartsheetConnector
from connectors.smartsheet.client import SmartsheetClient
from connectors.smartsheet.options import SmartsheetOptions
from pipelines.extract import load_source
from sightline.testing import Extracted, extract_all
from warehouse import db
from warehouse.models import build_kind_staging

PLAIN_COLUMNS = [("Deliverable", "TEXT_NUMBER", True), ("Start Date", "DATE", False), ("End Date", "DATE", False),
                 ("Owner", "TEXT_NUMBER", False), ("Email", "TEXT_NUMBER", False), ("% Done", "TEXT_NUMBER", False)]


@pytest.fixture(autouse=True)
def _token(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("SMARTSHEET_TOKEN", TOKEN)


@pytest.fixture
def emulator() -> Iterator[SmartsheetEmulator]:
    with SmartsheetEmulator() as running:
        yield running


def source(emulator: SmartsheetEmulator, sheets: tuple[int, ...] = (), **options: Any) -> SourceSpec:
    given = {"url": emulator.url, "auth": {"token_env": "SMARTSHEET_TOKEN"}, "backoff_seconds": 0.01,
             "max_retries": 2, **options}
    return SourceSpec(id="pmo-ss", kind="smartsheet", options=given, base_dir=Path("."),
                      project_keys=tuple(str(s) for s in sheets))


def rows_by_name(extracted: Extracted) -> dict[str, dict[str, Any]]:
    return {row["name"]: row for row in extracted.table("rows").to_pylist()}


# --- mapping ------------------------------------------------------------------------------------------


def test_project_sheet_columns_are_read_by_their_types(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 12)
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    rows = rows_by_name(out)
    # Row 3 (a child of Phase 1): starts EPOCH + 3 days = 5 March, 1 + 3 % 4 = 4 working days of 8 h,
    # % complete 3 % 5 / 4 = 0.75 as a fraction, assigned to PEOPLE[3 % 3] = Priya Shah.
    task = rows["Task 3"]
    assert (str(task["start"]), str(task["finish"])) == ("2026-03-05", "2026-03-08")
    assert task["duration_hours"] == 4 * 8.0
    assert task["percent_complete"] == 75.0
    assert (task["owner_name"], task["owner_email"]) == ("Priya Shah", "priya.shah@example.com")
    assert task["parent_id"] == str(sheet.rows[0]["id"])
    assert task["row_id"] == str(sheet.rows[2]["id"])  # keys are row ids, not row numbers
    # Row 9 has 0 days: a milestone by its duration (checkbox set too); Tom's e-mail is folded to lower case.
    assert rows["Task 9"]["duration_hours"] == 0.0 and rows["Task 9"]["milestone"] is True
    assert rows["Phase 1"]["owner_email"] == "tom.okafor@example.com"  # PEOPLE[1 % 3]


def test_abstract_datetime_columns_are_the_schedule_whatever_else_is_titled_start(
        emulator: SmartsheetEmulator) -> None:
    """The project columns decide: End Date before Start Date is still read by title, and a text column
    titled "Start" (a note) does not take the start's place."""
    columns = [("Task Name", "TEXT_NUMBER", True), ("End Date", "ABSTRACT_DATETIME", False),
               ("Start Date", "ABSTRACT_DATETIME", False), ("Start", "TEXT_NUMBER", False)]
    sheet = emulator.add_sheet("Reordered", columns=columns)
    sheet.rows.append({"id": 5, "rowNumber": 1, "cells": {
        "Task Name": ("Kick-off", None), "End Date": ("2026-04-03T17:00:00", None),
        "Start Date": ("2026-03-30T08:00:00", None), "Start": ("after the board meets", None)}})
    [row] = extract_all(SmartsheetConnector, source(emulator, (sheet.id,))).table("rows").to_pylist()
    assert (str(row["start"]), str(row["finish"])) == ("2026-03-30", "2026-04-03")


def test_predecessors_keep_link_type_and_lag_in_working_hours(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 6)
    sheet.day_hours = 7.5  # the sheet's own length of day sets what a day of lag is
    sheet.rows[4]["cells"]["Predecessors"] = ("3SS-2d", {"objectType": "PREDECESSOR_LIST", "predecessors": [
        {"rowId": sheet.rows[2]["id"], "rowNumber": 3, "type": "SS",
         "lag": {"objectType": "DURATION", "days": 2, "hours": 4, "negative": True}}]})
    links = {link["row_id"]: link for link in extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
             .table("links").to_pylist()}
    # Row 3 follows row 2 finish-to-start with one day of lag (odd rows); row 4 with none.
    assert (links[str(sheet.rows[2]["id"])]["predecessor_row_id"], links[str(sheet.rows[2]["id"])]["lag_hours"]) == (
        str(sheet.rows[1]["id"]), 7.5)
    assert links[str(sheet.rows[3]["id"])]["lag_hours"] == 0.0
    negative = links[str(sheet.rows[4]["id"])]
    assert (negative["link_type"], negative["lag_hours"]) == ("SS", -(2 * 7.5 + 4))


def test_depends_on_cells_name_rows_here_and_items_elsewhere(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 4)
    emulator.edit(sheet, sheet.rows[1], **{"Depends on": ("PAY-12; Payroll!T-7 SS+1d, 4", None)})
    links = [link for link in extract_all(SmartsheetConnector, source(emulator, (sheet.id,))).table("links").to_pylist()
             if link["predecessor_row_id"] is None]
    got = {(lk["predecessor_project_ref"], lk["predecessor_item_ref"], lk["predecessor_row_number"],
            lk["link_type"], lk["lag_hours"]) for lk in links}
    assert got == {("PAY", "PAY-12", None, "FS", 0.0), ("Payroll", "T-7", None, "SS", 8.0), (None, None, 4, "FS", 0.0)}


def test_plain_sheet_is_read_by_its_titles(emulator: SmartsheetEmulator) -> None:
    """No project column types: the spreadsheet's header recognition decides, as for a workbook."""
    sheet = emulator.add_sheet("Vendor onboarding", columns=PLAIN_COLUMNS)
    sheet.rows.append({"id": 77, "rowNumber": 1, "modifiedAt": "2026-03-04T10:00:00Z", "cells": {
        "Deliverable": ("Contract signed", None), "Start Date": ("2026-03-09", None),
        "End Date": ("2026-03-13", None), "Owner": ("José Núñez", None), "Email": ("Jose.Nunez@Example.com", None),
        "% Done": ("40%", None)}})
    sheet.rows.append({"id": 78, "rowNumber": 2, "cells": {}})  # odd but legal: a row with no cells at all
    rows = extract_all(SmartsheetConnector, source(emulator, (sheet.id,))).table("rows").to_pylist()
    first = next(r for r in rows if r["row_id"] == "77")
    assert (first["name"], str(first["start"]), str(first["finish"]), first["percent_complete"]) == (
        "Contract signed", "2026-03-09", "2026-03-13", 40.0)
    assert (first["owner_name"], first["owner_email"]) == ("José Núñez", "jose.nunez@example.com")
    assert next(r for r in rows if r["row_id"] == "78")["name"] is None


def test_several_contacts_and_elapsed_durations(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 2)
    emulator.edit(sheet, sheet.rows[1], **{
        "Assigned To": ("Priya Shah, Aisha Bello", {"objectType": "MULTI_CONTACT", "values": [
            {"objectType": "CONTACT", "name": "Priya Shah", "email": "priya.shah@example.com"},
            {"objectType": "CONTACT", "name": "Aisha Bello", "email": "Aisha.Bello@example.com"}]}),
        "Duration": ("3ed", {"objectType": "DURATION", "days": 3, "elapsed": True})})
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    contacts = [c for c in out.table("contacts").to_pylist() if c["row_id"] == str(sheet.rows[1]["id"])]
    assert [(c["position"], c["email"]) for c in contacts] == [(0, "priya.shah@example.com"),
                                                               (1, "aisha.bello@example.com")]
    assert rows_by_name(out)["Task 2"]["duration_hours"] == 3 * 24.0  # elapsed days are calendar days


def test_a_duration_without_its_object_value_is_read_from_its_text(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 3)
    emulator.edit(sheet, sheet.rows[1], Duration=("~2w", None))  # an estimate of two working weeks
    emulator.edit(sheet, sheet.rows[2], Duration=("3", None))  # a bare number: days
    rows = rows_by_name(extract_all(SmartsheetConnector, source(emulator, (sheet.id,))))
    assert (rows["Task 2"]["duration_hours"], rows["Task 3"]["duration_hours"]) == (2 * 5 * 8.0, 3 * 8.0)


def test_sheet_summary_is_the_reported_status(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 2)
    emulator.set_summary(sheet, [
        ("Project Health", "PICKLIST", "Red", None), ("Comments", "TEXT_NUMBER", "Vendor late", None),
        ("Project Manager", "CONTACT_LIST", "dana@example.com",
         {"objectType": "CONTACT", "name": "Dana Whitfield", "email": "dana@example.com"}),
        ("Status Date", "DATE", "2026-02-27", None)])
    summary = extract_all(SmartsheetConnector, source(emulator, (sheet.id,))).table("summaries").to_pylist()
    assert summary == [{"sheet_id": str(sheet.id), "status": "Red", "owner_name": "Dana Whitfield",
                        "owner_email": "dana@example.com", "reported_at": dt.date(2026, 2, 27),
                        "comment": "Vendor late"}]


def test_project_settings_become_the_sheets_calendar(emulator: SmartsheetEmulator, tmp_path: Path) -> None:
    """Holidays on weekdays and the weekdays workingDays adds are the days that differ from Monday-Friday."""
    holiday = emulator.add_sheet("Holiday", 3)  # rows from 3 to 5 March 2026
    holiday.holidays = ("2026-04-03", "2026-04-04")  # Good Friday; the Saturday was off anyway
    six_days = emulator.add_sheet("Six days", 3)
    six_days.working_days = (*six_days.working_days, "SATURDAY")
    spec = source(emulator, (holiday.id, six_days.id))
    con = duckdb.connect(":memory:")
    db.prepare(con, {"smartsheet": dict(SmartsheetConnector.raw_schemas)})
    load_source(con, spec, tmp_path / "landing", retention_days=1)
    build_kind_staging(con, "smartsheet", SmartsheetConnector.staging_sql_dir())
    days = con.execute('SELECT project_source_key, date, is_working FROM staging."smartsheet__calendar_days"').fetchall()
    assert [(d, w) for k, d, w in days if k == str(holiday.id)] == [(dt.date(2026, 4, 3), False)]
    saturdays = sorted(d for k, d, w in days if k == str(six_days.id) and w)
    # every Saturday from a year before the first row (3 March 2026) to a year after the last finish
    first, last = dt.date(2025, 3, 3), dt.date(2027, 3, 8)
    expected = [first + dt.timedelta(days=n) for n in range((last - first).days + 1)
                if (first + dt.timedelta(days=n)).weekday() == 5]
    assert saturdays == expected and len(days) == 1 + len(expected)


# --- scope and paging -----------------------------------------------------------------------------------


def test_workspaces_and_nested_folders_bring_all_their_sheets(emulator: SmartsheetEmulator) -> None:
    a, b, c, d = (emulator.add_sheet(name, 1) for name in ("A", "B", "C", "D"))
    inner = emulator.add_folder("Archive", [c])
    outer = emulator.add_folder("Programmes", [b], [inner])
    workspace = emulator.add_workspace("PMO", [a], [outer])
    loose = emulator.add_folder("Loose", [d])
    out = extract_all(SmartsheetConnector, source(emulator, workspaces=[str(workspace)], folders=[str(loose)]))
    assert sorted(out.table("sheets").column("name").to_pylist()) == ["A", "B", "C", "D"]
    # the workspace comes whole with loadAll; the folder is asked once
    assert [e.path for e in emulator.requests_to("/workspaces/")] == [f"/2.0/workspaces/{workspace}"]
    assert len(emulator.requests_to("/folders/")) == 1


def test_pages_are_as_few_as_the_page_size_allows(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Big", 25)
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,), page_size=10))
    assert out.table("rows").num_rows == 25
    pages = [e for e in emulator.log if e.path == f"/2.0/sheets/{sheet.id}"]
    assert [e.params["page"] for e in pages] == ["1", "2", "3"]  # ceil(25 / 10)
    assert all(e.params["include"] == "objectValue" and e.params["pageSize"] == "10" for e in pages)
    assert len(emulator.log) == 3 + 1  # and the summary


def test_a_sheet_edited_between_its_pages_is_read_again_whole(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Busy", 25)
    emulator.edit_after_page = (sheet.id, 1)
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,), page_size=10))
    assert out.table("rows").num_rows == 25
    assert rows_by_name(out)["Task 25"]["status"] == "Complete"  # the edit made after page 1 is in
    assert out.table("sheets").column("version").to_pylist() == [sheet.version]
    assert any("changed while it was read" in m for m in out.messages)


# --- incremental ----------------------------------------------------------------------------------------


def test_incremental_sync_skips_unchanged_sheets_and_drops_removed_ones(emulator: SmartsheetEmulator) -> None:
    kept, changed, removed = (emulator.add_sheet(name, 5) for name in ("Kept", "Changed", "Removed"))
    named = emulator.add_sheet("Named by id", 5)  # a project key, in no listing
    workspace = emulator.add_workspace("PMO", [kept, changed, removed])
    spec = source(emulator, (named.id,), workspaces=[str(workspace)])
    first = extract_all(SmartsheetConnector, spec)
    assert first.context.incremental is False
    emulator.edit(changed, changed.rows[0], **{"Status": ("Complete", None)})
    emulator.workspaces[workspace]["sheets"].remove(removed.id)
    emulator.log.clear()
    second = extract_all(SmartsheetConnector, spec, first.context.state)
    assert second.context.incremental is True
    assert second.table("sheets").column("sheet_id").to_pylist() == [str(changed.id)]
    assert rows_by_name(second)["Phase 1"]["status"] == "Complete"
    assert sorted(second.table("present_keys").column("key").to_pylist()) == sorted(
        str(s.id) for s in (kept, changed, named))
    # The listing's modifiedAt settles the listed sheets; the sheet named by id is asked its version.
    assert [e.path for e in emulator.log] == [f"/2.0/workspaces/{workspace}", f"/2.0/sheets/{named.id}/version",
                                              f"/2.0/sheets/{changed.id}", f"/2.0/sheets/{changed.id}/summary"]
    assert second.context.state["sheets"][str(changed.id)]["version"] == changed.version


def test_a_sheet_read_right_after_an_edit_is_checked_by_version(emulator: SmartsheetEmulator) -> None:
    """modifiedAt has whole seconds: a sheet read within SETTLED_SECONDS of its last edit (by the
    server's clock) could be edited again in that same second, so next time its version decides."""
    emulator.clock = dt.datetime.now(dt.UTC)  # edits happen "now", as the server's Date header says
    sheet = emulator.add_sheet("Busy", 3)
    workspace = emulator.add_workspace("PMO", [sheet])
    spec = source(emulator, workspaces=[str(workspace)])
    first = extract_all(SmartsheetConnector, spec)
    assert first.context.state["sheets"][str(sheet.id)]["settled"] is False
    emulator.log.clear()
    second = extract_all(SmartsheetConnector, spec, first.context.state)
    assert [e.path for e in emulator.log] == [f"/2.0/workspaces/{workspace}", f"/2.0/sheets/{sheet.id}/version"]
    assert "sheets" not in second.batches  # same version: not read again


# --- faults ---------------------------------------------------------------------------------------------


def test_a_wrong_token_fails_naming_the_variable_not_the_value(emulator: SmartsheetEmulator,
                                                               monkeypatch: pytest.MonkeyPatch) -> None:
    sheet = emulator.add_sheet("A", 1)
    monkeypatch.setenv("SMARTSHEET_TOKEN", "wrong-token-s3cr3t-1234")
    with pytest.raises(SourceError) as failure:
        extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    text = str(failure.value)
    assert "HTTP 401" in text and "errorCode 1002" in text and "SMARTSHEET_TOKEN" in text
    assert "wrong-token-s3cr3t-1234" not in text


def test_a_missing_token_fails_before_any_request(emulator: SmartsheetEmulator,
                                                  monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("SMARTSHEET_TOKEN")
    with pytest.raises(SourceError, match="SMARTSHEET_TOKEN"):
        extract_all(SmartsheetConnector, source(emulator, (123,)))
    assert emulator.log == []


def test_an_unknown_sheet_is_named(emulator: SmartsheetEmulator) -> None:
    with pytest.raises(SourceError) as failure:
        extract_all(SmartsheetConnector, source(emulator, (4242,)))
    assert "/sheets/4242" in str(failure.value) and "errorCode 1006" in str(failure.value)
    assert "shared with the token's user" in str(failure.value)


def test_rate_limit_4003_with_retry_after_is_waited_out(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("A", 3)
    emulator.faults.append((429, 2, {"Retry-After": "0.05"}, {"errorCode": 4003, "message": "Rate limit exceeded."}))
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    assert out.table("rows").num_rows == 3
    assert [e.status for e in emulator.log][:3] == [429, 429, 200]


def test_a_server_side_limit_is_respected(emulator: SmartsheetEmulator) -> None:
    """The emulator enforces 3 requests per 0.3 s window: the run still completes, through 429s."""
    sheet = emulator.add_sheet("A", 20)
    emulator.limit, emulator.window_seconds, emulator.retry_after = 3, 0.3, "0.1"
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,), page_size=4, max_retries=8))
    assert out.table("rows").num_rows == 20
    assert any(e.status == 429 for e in emulator.log)


def test_a_retry_after_beyond_max_wait_fails_at_once(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("A", 1)
    emulator.faults.append((429, 1, {"Retry-After": "3600"}, {"errorCode": 4003, "message": "Rate limit exceeded."}))
    with pytest.raises(SourceError, match="max_wait_seconds"):
        extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))


def test_an_error_body_echoing_the_token_is_redacted(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("A", 1)
    emulator.faults.append((403, 1, {}, {"errorCode": 1004, "message": f"Bearer {TOKEN} may not open this"}))
    with pytest.raises(SourceError) as failure:
        extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    assert TOKEN not in str(failure.value) and "errorCode 1004" in str(failure.value)


def test_the_client_paces_itself_under_the_per_minute_limit(emulator: SmartsheetEmulator) -> None:
    """A fake clock: 5 requests a minute allowed, the 6th waits until the first is a minute old."""
    now = [0.0]
    waits: list[float] = []

    def sleep(seconds: float) -> None:
        waits.append(seconds)
        now[0] += seconds

    sheet = emulator.add_sheet("A", 1)
    client = SmartsheetClient("pmo-ss", emulator.url, "SMARTSHEET_TOKEN", retry=RetryPolicy(max_retries=0),
                              requests_per_minute=5, sleep=sleep, clock=lambda: now[0])
    for _ in range(6):
        client.get(f"/sheets/{sheet.id}/version")
        now[0] += 1.0  # each request takes a second of the fake clock
    assert waits == [60.0 - 5.0]  # the first went at t=0; the 6th is asked at t=5


# --- quarantine -----------------------------------------------------------------------------------------


def test_an_unreadable_row_is_quarantined_with_its_ids(emulator: SmartsheetEmulator) -> None:
    sheet = emulator.add_sheet("Website relaunch", 6)
    bad = sheet.rows[3]
    emulator.edit(sheet, bad, **{"% Complete": ("lots", None), "Depends on": ("ask Tom", None)})
    out = extract_all(SmartsheetConnector, source(emulator, (sheet.id,)))
    assert out.table("rows").num_rows == 5
    [entry] = out.table("quarantine").to_pylist()
    assert entry["object_key"] == f"{sheet.id}#{bad['id']}"
    assert f"row 4 (id {bad['id']})" in entry["location"]
    assert "'% Complete'" in entry["reason"] and "'ask Tom'" in entry["reason"]


# --- options --------------------------------------------------------------------------------------------


def test_options_refuse_plain_http_and_ids_that_are_not_numbers() -> None:
    with pytest.raises(pydantic.ValidationError, match="unencrypted"):
        SmartsheetOptions.model_validate({"url": "http://api.example.com/2.0", "auth": {"token_env": "T"}})
    with pytest.raises(pydantic.ValidationError, match="not a Smartsheet id"):
        SmartsheetOptions.model_validate({"auth": {"token_env": "T"}, "workspaces": ["PMO"]})
    assert SmartsheetOptions.model_validate({"auth": {"token_env": "T"}}).url == "https://api.smartsheet.com/2.0"
