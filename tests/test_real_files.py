"""Public real files, written by P6, Jira Cloud and a French Jira Server, through Sightline's readers.

The files and their origin and licence are in ``tests/data/p6-real/`` and ``tests/data/jira-real/``
(README.md in each). Every expectation is read from the file itself here - XER tables with a tiny
tab parser, the CSV with the csv module, the JSON with json - and never from what the reader returns.
"""

from __future__ import annotations

import copy
import csv
import datetime as dt
import json
import shutil
from collections.abc import Iterator
from pathlib import Path

import duckdb
import pytest
from jira_emulator import EMAIL, TOKEN, JiraEmulator
from test_jira import Warehouse, cloud_source
from test_jira_csv import spec as csv_spec
from test_msproject import load
from test_primavera import _need_mpxj

from connectors.jira import JiraCsvConnector
from pipelines.config import load_portfolio
from pipelines.extract import load_source
from pipelines.run import run_sync
from warehouse import db
from warehouse.models import build_kind_staging

DATA = Path(__file__).resolve().parent / "data"
P6_REAL = DATA / "p6-real"
JIRA_REAL = DATA / "jira-real"
PERCENT_XER = P6_REAL / "percent-complete-8.4.xer"
RATES_XER = P6_REAL / "resource-rates-20.12.xer"
AGILE_JSON = JIRA_REAL / "agile-epic-issues-cloud.json"
NO_IDS_JSON = JIRA_REAL / "search-v3-no-ids.json"
FRENCH_CSV = JIRA_REAL / "cned-fr-28-issues.csv"


# --- the test's own readings of the files -------------------------------------------------------------

def xer_tables(path: Path) -> dict[str, list[dict[str, str]]]:
    """An XER file as P6 writes it: %T names a table, %F its fields, each %R a row (tab separated)."""
    tables: dict[str, list[dict[str, str]]] = {}
    fields: list[str] = []
    rows: list[dict[str, str]] = []
    for line in path.read_text(encoding="cp1252").splitlines():
        kind, _, rest = line.partition("\t")
        if kind == "%T":
            rows = tables.setdefault(rest, [])
        elif kind == "%F":
            fields = rest.split("\t")
        elif kind == "%R":
            rows.append(dict(zip(fields, rest.split("\t"), strict=True)))
    return tables


def p6_time(value: str) -> dt.datetime | None:
    return dt.datetime.strptime(value, "%Y-%m-%d %H:%M") if value else None


def p6_percent(task: dict[str, str]) -> float:
    """P6's activity % complete: by duration, physical or units, as the activity's type says."""
    if task["complete_pct_type"] == "CP_Phys":
        return float(task["phys_complete_pct"])
    if task["complete_pct_type"] == "CP_Units":
        done, left = float(task["act_work_qty"]), float(task["remain_work_qty"])
        return 100 * done / (done + left) if done + left else 0.0
    total, left = float(task["target_drtn_hr_cnt"]), float(task["remain_drtn_hr_cnt"])
    return 100 * (total - left) / total if total else 0.0


def status_by_progress(percent: float, actual_start: str) -> str:
    """The README's rule for plans: 100% done, any progress or an actual start in progress."""
    if percent >= 100:
        return "done"
    return "in_progress" if percent > 0 or actual_start else "not_started"


def utc(jira_time: str) -> dt.datetime:
    """'2021-06-14T15:22:58.891-0400' as the naive UTC time the warehouse keeps."""
    moment = dt.datetime.strptime(jira_time, "%Y-%m-%dT%H:%M:%S.%f%z")
    return moment.astimezone(dt.UTC).replace(tzinfo=None)


def french_export() -> tuple[list[str], list[list[str]]]:
    with FRENCH_CSV.open(encoding="utf-8", newline="") as handle:
        header, *rows = list(csv.reader(handle))
    return header, rows


def unreadable_numbers(header: list[str], rows: list[list[str]]) -> set[str]:
    """Keys of the rows whose estimate or story-point cell holds something that is not a number: the
    uploader split each work-log cell into several, so the later columns of some rows shifted."""
    numeric = [header.index(label) for label in
               ("Estimation originale", "Estimation restante", "Temps consacré", "Custom field (Story Points)")]
    bad = set()
    for row in rows:
        for i in numeric:
            try:
                float(row[i] or 0)
            except ValueError:
                bad.add(row[header.index("Issue key")])
    return bad


# --- Primavera P6 XER -------------------------------------------------------------------------------------

@pytest.fixture(scope="module")
def p6_real(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    _need_mpxj()
    con, outcome = load(tmp_path_factory.mktemp("p6_real"), str(P6_REAL / "*.xer"))
    assert outcome.ok, outcome.error
    return con


@pytest.mark.slow
def test_p6_activities_with_their_wbs_dates_baseline_and_percent_by_type(p6_real: duckdb.DuckDBPyConnection) -> None:
    tables = xer_tables(PERCENT_XER)
    file = PERCENT_XER.name
    assert p6_real.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (0,)
    (wbs,) = tables["PROJWBS"]
    assert p6_real.execute("SELECT format, name FROM raw.msproject__projects WHERE file = ?",
                           [file]).fetchone() == ("p6-xer", wbs["wbs_name"])
    got = {r[0]: r[1:] for r in p6_real.execute(
        "SELECT t.name, p.name, t.start, t.finish, t.baseline_start, t.baseline_finish, t.percent_complete "
        "FROM raw.msproject__tasks AS t JOIN raw.msproject__tasks AS p ON p.file = t.file AND p.uid = t.parent_uid "
        "WHERE t.file = ?", [file]).fetchall()}
    expected = {
        task["task_name"]: (
            # started: the actual start; the work left runs over P6's remaining early dates
            wbs["wbs_name"], p6_time(task["act_start_date"] or task["restart_date"]),
            p6_time(task["act_end_date"] or task["reend_date"]), p6_time(task["target_start_date"]),
            p6_time(task["target_end_date"]),
            pytest.approx(p6_percent(task)),
        ) for task in tables["TASK"]}
    assert len(expected) == 12 and got == expected
    # Before the fix every physical and units activity read 0%: "Physical 75%" is 75% done in P6.
    assert got["Physical 75%"][-1] == 75 and got["Units 25%"][-1] == 25

    staged = dict(p6_real.execute("SELECT source_key, status_default FROM staging.msproject__work_items").fetchall())
    for task in tables["TASK"]:
        key = f"{file}#{task['task_id']}"
        assert staged[key] == status_by_progress(p6_percent(task), task["act_start_date"]), task["task_name"]


@pytest.mark.slow
def test_p6_resources_and_assignments_and_a_role_is_not_a_person(p6_real: duckdb.DuckDBPyConnection) -> None:
    tables = xer_tables(RATES_XER)
    file = RATES_XER.name
    people = p6_real.execute("SELECT name FROM raw.msproject__resources WHERE file = ?", [file]).fetchall()
    assert sorted(people) == sorted((r["rsrc_name"],) for r in tables["RSRC"])
    assert {r["role_name"] for r in tables["ROLES"]}.isdisjoint(name for (name,) in people)
    got = sorted(p6_real.execute(
        "SELECT uid, task_uid, resource_uid, work_hours, start, finish FROM raw.msproject__assignments WHERE file = ?",
        [file]).fetchall())
    expected = sorted(
        (int(a["taskrsrc_id"]), int(a["task_id"]), int(a["rsrc_id"]),
         float(a["act_reg_qty"]) + float(a["act_ot_qty"]) + float(a["remain_qty"]),
         p6_time(a["target_start_date"]), p6_time(a["target_end_date"]))
        for a in tables["TASKRSRC"])
    assert len(expected) == 5 and got == expected


# --- Jira REST payloads -------------------------------------------------------------------------------

@pytest.fixture
def jira_env(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("JIRA_EMAIL", EMAIL)
    monkeypatch.setenv("JIRA_API_TOKEN", TOKEN)


def serve(jira: JiraEmulator, issues: list[dict], project: dict | None = None, *, omit_id: bool = False) -> None:
    """Put recorded issues in the emulator as Jira holds them. ``project`` is given to issues recorded
    without one (the emulator's JQL needs it); ``omit_id`` answers them as recorded, without ``id``."""
    for number, issue in enumerate(issues, 1):
        stored = copy.deepcopy(issue)
        stored.setdefault("id", str(number))
        if project is not None:
            stored["fields"].setdefault("project", project)
        jira.issues[stored["id"]] = stored
        jira.histories[stored["id"]] = []
        if omit_id:
            jira.tamper(stored["id"], omit=("id",))
    jira._changed()


def test_jira_cloud_agile_payload_loads_as_recorded(jira_env: None, tmp_path: Path) -> None:
    (issue,) = json.loads(AGILE_JSON.read_text(encoding="utf-8"))["issues"]
    fields = issue["fields"]
    project = fields["project"]
    with JiraEmulator(projects={project["key"]: project["name"]}) as jira:
        serve(jira, [issue])
        house = Warehouse(tmp_path)
        outcome = house.sync(cloud_source(jira, projects=[project["key"]], fields={}))
    assert outcome.ok, outcome.error
    assert house.con.execute("SELECT count(*) FROM raw.quarantine").fetchone() == (0,)
    row = house.con.execute(
        'SELECT issue_id, issue_key, project_key, summary, issue_type, is_subtask, status_name, status_category, '
        'assignee_key, assignee_name, assignee_email, created_at, updated_at, resolved_at, due_date, labels, '
        'priority, original_estimate_hours FROM raw."jira__issues"').fetchone()
    assert row == (
        issue["id"], issue["key"], project["key"], fields["summary"], fields["issuetype"]["name"],
        fields["issuetype"]["subtask"], fields["status"]["name"], fields["status"]["statusCategory"]["key"],
        fields["assignee"]["accountId"], fields["assignee"]["displayName"], fields["assignee"]["emailAddress"],
        utc(fields["created"]), utc(fields["updated"]), utc(fields["resolutiondate"]), None, fields["labels"],
        fields["priority"]["name"], None,
    )
    staged = house.con.execute("SELECT source_key, status_default, actual_finish FROM staging.jira__work_items").fetchall()
    assert staged == [(issue["key"], "done", utc(fields["resolutiondate"]).date())]


def test_jira_search_payload_without_ids_is_refused_issue_by_issue(jira_env: None, tmp_path: Path) -> None:
    issues = json.loads(NO_IDS_JSON.read_text(encoding="utf-8"))["issues"]
    assert all("id" not in issue for issue in issues)  # as the recording has them
    project = {"id": "1", "key": "TEST", "name": "Test"}
    with JiraEmulator(projects={"TEST": "Test"}) as jira:
        serve(jira, issues, project, omit_id=True)
        house = Warehouse(tmp_path)
        outcome = house.sync(cloud_source(jira, projects=["TEST"], fields={}))
    assert outcome.ok, outcome.error  # refused one by one, never a failed source
    assert sorted(house.con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall()) == sorted(
        (i["key"], f"{i['key']}: the issue has no id") for i in issues)
    assert house.con.execute('SELECT count(*) FROM raw."jira__issues"').fetchone() == (0,)


def test_jira_search_payload_statuses_without_category_are_read_by_name(jira_env: None, tmp_path: Path) -> None:
    issues = json.loads(NO_IDS_JSON.read_text(encoding="utf-8"))["issues"]
    with JiraEmulator(projects={"TEST": "Test"}) as jira:
        serve(jira, issues, {"id": "1", "key": "TEST", "name": "Test"})  # ids as Jira itself always sends
        house = Warehouse(tmp_path)
        outcome = house.sync(cloud_source(jira, projects=["TEST"], fields={}))
    assert outcome.ok, outcome.error
    got = {r[0]: r[1:] for r in house.con.execute(
        'SELECT issue_key, summary, status_name, assignee_name, labels, priority FROM raw."jira__issues"').fetchall()}
    assert got == {i["key"]: (
        i["fields"]["summary"], i["fields"]["status"]["name"], (i["fields"]["assignee"] or {}).get("displayName"),
        i["fields"]["labels"], i["fields"]["priority"]["name"]) for i in issues}
    staged = dict(house.con.execute("SELECT source_key, status_default FROM staging.jira__work_items").fetchall())
    # No statusCategory in the recording: To Do, In Progress and Done are known by their names.
    assert staged == {"TEST-1": "not_started", "TEST-2": "in_progress", "TEST-3": "done"}


# --- a French Jira Server CSV export --------------------------------------------------------------------

def test_french_jira_csv_export_reads_its_columns_and_quarantines_the_shifted_rows(tmp_path: Path) -> None:
    header, rows = french_export()
    col = {label: header.index(label) for label in
           ("Issue key", "Issue id", "resume", "Parent id", "Type de demande", "Etat", "Responsable", "Priorité")}
    shutil.copy(FRENCH_CSV, tmp_path)
    con = duckdb.connect(str(tmp_path / "build.duckdb"))
    db.prepare(con, {"jira_csv": dict(JiraCsvConnector.raw_schemas)})
    outcome = load_source(con, csv_spec(tmp_path, timezone="Europe/Paris"), tmp_path / "landing", retention_days=3)
    assert outcome.ok, outcome.error
    build_kind_staging(con, "jira_csv", JiraCsvConnector.staging_sql_dir())

    shifted = unreadable_numbers(header, rows)
    quarantined = dict(con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall())
    assert set(quarantined) == shifted and len(shifted) == 13
    assert all(reason.startswith(f"{key}: ") for key, reason in quarantined.items())

    got = {r[0]: r[1:] for r in con.execute(
        "SELECT issue_key, issue_id, summary, issue_type, is_subtask, status_name, assignee_name, priority "
        "FROM raw.jira_csv__issues").fetchall()}
    expected = {
        row[col["Issue key"]]: (
            row[col["Issue id"]], row[col["resume"]].strip(), row[col["Type de demande"]],
            row[col["Type de demande"]] == "Sous-tâche", row[col["Etat"]], row[col["Responsable"]] or None,
            row[col["Priorité"]],
        ) for row in rows if row[col["Issue key"]] not in shifted}
    assert len(got) == len(rows) - len(shifted) == 14
    assert got == expected

    key_of = {row[col["Issue id"]]: row[col["Issue key"]] for row in rows}
    parents = dict(con.execute("SELECT source_key, parent_source_key FROM staging.jira_csv__work_items "
                               "WHERE parent_source_key IS NOT NULL").fetchall())
    expected_parents = {row[col["Issue key"]]: key_of[row[col["Parent id"]]] for row in rows
                        if row[col["Parent id"]] and row[col["Issue key"]] not in shifted}
    assert expected_parents and {k: v for k, v in parents.items() if k in expected_parents} == expected_parents


# --- all of them in one sync ------------------------------------------------------------------------------

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: 2026-03-01
programs:
  - id: real
    name: Real files
    projects:
      - {{id: percent, name: Percent complete test, source: p6, key: percent-complete-8.4.xer}}
      - {{id: rates, name: Resource rates test, source: p6, key: resource-rates-20.12.xer}}
      - {{id: cned, name: CNED Adapt, source: jira-export, key: CNED}}
      - {{id: mircoll, name: miR collaboration, source: jira-cloud, key: MIRCOLL}}
sources:
  - {{id: p6, kind: msproject, path: p6/*.xer}}
  - {{id: jira-export, kind: jira_csv, path: exports/*.csv, timezone: Europe/Paris}}
  - id: jira-cloud
    kind: jira
    url: {url}
    auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}}
    backoff_seconds: 0.01
    max_retries: 1
"""


@pytest.fixture(scope="module")
def real_sync(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[Path, object]]:
    _need_mpxj()
    folder = tmp_path_factory.mktemp("real_sync")
    for target, sources in (("p6", [PERCENT_XER, RATES_XER]), ("exports", [FRENCH_CSV])):
        (folder / target).mkdir()
        for path in sources:
            shutil.copy(path, folder / target)
    payload = json.loads(AGILE_JSON.read_text(encoding="utf-8"))
    with pytest.MonkeyPatch.context() as env, JiraEmulator(projects={"MIRCOLL": "miR"}) as jira:
        env.setenv("JIRA_EMAIL", EMAIL)
        env.setenv("JIRA_API_TOKEN", TOKEN)
        serve(jira, payload["issues"])
        (folder / "portfolio.yaml").write_text(PORTFOLIO.format(url=jira.url))
        yield folder, run_sync(load_portfolio(folder / "portfolio.yaml"))


@pytest.mark.slow
@pytest.mark.pipeline
def test_the_real_files_sync_together_and_publish(real_sync: tuple[Path, object]) -> None:
    folder, report = real_sync
    assert report.success and not report.failed_checks and not report.failed_sources, report
    assert report.published_this_run
    header, rows = french_export()
    with duckdb.connect(str(folder / "var" / "sightline.duckdb"), read_only=True) as con:
        items = dict(con.execute("SELECT project_id, count(*) FROM core.work_items GROUP BY 1").fetchall())
        quarantined = {key for (key,) in con.execute(
            "SELECT object_key FROM core.quarantine WHERE source_id = 'jira-export' AND location LIKE ?",
            [f"{FRENCH_CSV.name}, row %"]).fetchall()}
        dangling = {key for (key,) in con.execute(
            "SELECT object_key FROM core.quarantine WHERE source_id = 'jira-export' AND reason LIKE 'dependency on %'"
        ).fetchall()}
    percent, rates = xer_tables(PERCENT_XER), xer_tables(RATES_XER)
    # Each plan's activities and its WBS element; the CSV's rows that read; the one recorded issue.
    assert items == {
        "percent": len(percent["TASK"]) + len(percent["PROJWBS"]),
        "rates": len(rates["TASK"]) + len(rates["PROJWBS"]),
        "cned": len(rows) - len(unreadable_numbers(header, rows)),
        "mircoll": 1,
    }
    assert quarantined == unreadable_numbers(header, rows)
    # The shifted cells that land under the Blocks and Relates link columns (the links read as
    # dependencies) of rows that load are no issue keys: each is reported as a link that does not
    # resolve, and none of them blocks the publish.
    links = [header.index(f"Outward issue link ({kind})") for kind in ("Blocks", "Relates")]
    loaded = [row for row in rows if row[header.index("Issue key")] not in quarantined]
    assert dangling == {row[i] for row in loaded for i in links if row[i]}
