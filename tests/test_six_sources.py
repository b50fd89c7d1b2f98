"""One portfolio mixing all six kinds of source - Jira, an MS Project plan, a spreadsheet tracker, Azure
DevOps, Smartsheet and Planner premium (the four services as their emulators on 127.0.0.1) - synced
into one set of marts by the real sync: one person spelt six ways is one resource whose hours add up
across the six, a Jira issue that slips pushes the Smartsheet row and the Azure DevOps story that
name it, the counts and hours per project and program match what was seeded, and the one bad row
planted is the only thing quarantined."""

from __future__ import annotations

import contextlib
import datetime as dt
import io
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape

import duckdb
import numpy as np
import pytest
from azure_devops_emulator import PAT, AzureDevOpsEmulator
from conftest import write_csv
from jira_emulator import EMAIL, JiraEmulator
from jira_emulator import TOKEN as JIRA_TOKEN
from planner_premium_emulator import CLIENT_ID, CLIENT_SECRET, TENANT, PlannerEmulator
from smartsheet_emulator import COLUMNS, Sheet, SmartsheetEmulator
from smartsheet_emulator import TOKEN as SMARTSHEET_TOKEN

from pipelines.config import load_portfolio
from pipelines.run import run_sync

pytestmark = pytest.mark.pipeline

AS_OF = "2026-03-04"  # a Wednesday
JOSE = "jose.nunez@example.com"  # the one resource José Núñez must become, whatever each tool calls him
ENV = {"JIRA_EMAIL": EMAIL, "JIRA_API_TOKEN": JIRA_TOKEN, "ADO_PAT": PAT, "SMARTSHEET_TOKEN": SMARTSHEET_TOKEN,
       "PP_TENANT": TENANT, "PP_CLIENT": CLIENT_ID, "PP_SECRET": CLIENT_SECRET}

# --- what each source holds (the expected numbers below are worked out from these, not from a sync) ---

# Jira PAY: (status, category, assignee or None, estimate hours, start, due). PAY-1 is José's, due Friday
# 27 February and still in progress on Wednesday 4 March: it is forecast to finish today.
JIRA_JOSE = {"accountId": "acc-jn", "displayName": "José Núñez", "emailAddress": "Jose.Nunez@Example.com"}
JIRA_PRIYA = {"accountId": "acc-1", "displayName": "Priya Shah", "emailAddress": "priya.shah@example.com"}
JIRA_ISSUES = [("In Progress", "indeterminate", JIRA_JOSE, 16, "2026-02-16", "2026-02-27"),
               ("Done", "done", JIRA_PRIYA, 8, "2026-02-09", "2026-02-13"),
               ("To Do", "new", None, 4, "2026-03-16", "2026-03-20")]
PREDECESSOR_DUE, PREDECESSOR_FORECAST = "2026-02-27", AS_OF
# Azure DevOps team project Billing: a Feature (the summary) over two items; the story is José's (his
# unique name in capitals) and waits on PAY-1 through a hyperlink to its Jira browse page.
ADO_STORY_HOURS, ADO_BUG_HOURS = 20.0, 12.0
ADO_STORY_START, ADO_STORY_FINISH = "2026-03-02", "2026-03-13"
# Smartsheet: a phase row over two tasks; the first is José's (name in capitals, accents kept) and
# "Depends on" PAY-1; the second is the planted bad record - its Start cell is not a date.
SHEET_TASK_HOURS = 6.0
SHEET_TASK_START, SHEET_TASK_FINISH = "2026-03-03", "2026-03-06"
BAD_START = "after the audit"
# Planner premium: a phase over three one-day tasks (8 h effort each), all José's.
PLANNER_TASKS, PLANNER_TASK_HOURS = 3, 8.0
# MS Project: a plan with a work task of José's (30 h) and a milestone; his name without one accent.
PLAN_WORK_HOURS = 30.0
# The tracker: José by name only (no e-mail column value), resolved through the other sources' e-mail.
TRACKER = [["T-1", "Train clerks", "In progress", "2026-03-09", "2026-03-11", "Jose NUNEZ", "", "12"],
           ["T-2", "Write guide", "Not started", "2026-03-12", "2026-03-13", "Tom Okafor", "", "5"]]

PORTFOLIO = """
warehouse: var/sightline.duckdb
timezone: Europe/London
as_of: {as_of}
programs:
  - id: digital
    name: Digital
    projects:
      - {{id: payments, name: Payments platform, source: jira, key: PAY}}
      - {{id: billing, name: Billing, source: ado, key: Billing}}
      - {{id: website, name: Website relaunch, source: smartsheet, key: "{sheet}"}}
  - id: operations
    name: Operations
    projects:
      - {{id: rollout, name: HR rollout, source: planner, key: "{planner_project}"}}
      - {{id: migration, name: Data migration, source: plans, key: migration.xml}}
      - {{id: training, name: Training, source: trackers, key: training.csv}}
sources:
  - {{id: jira, kind: jira, url: "{jira}", auth: {{email_env: JIRA_EMAIL, token_env: JIRA_API_TOKEN}},
     backoff_seconds: 0.01}}
  - {{id: ado, kind: azure_devops, url: "{ado}", auth: {{token_env: ADO_PAT}}, backoff_seconds: 0.01}}
  - {{id: smartsheet, kind: smartsheet, url: "{smartsheet}", auth: {{token_env: SMARTSHEET_TOKEN}},
     backoff_seconds: 0.01}}
  - id: planner
    kind: planner_premium
    url: "{planner}"
    auth: {{tenant_id_env: PP_TENANT, client_id_env: PP_CLIENT, client_secret_env: PP_SECRET, authority: "{planner}"}}
    backoff_seconds: 0.01
  - {{id: plans, kind: msproject, path: "plans/*.xml"}}
  - {{id: trackers, kind: spreadsheet, path: "sheets/*.csv"}}
"""


@dataclass
class Seeded:
    """What the fixture planted that the tests need to name: the published warehouse and a few keys."""

    warehouse: Path
    sheet_name: str
    sheet_task_row: str
    bad_row: str
    bad_row_number: int
    ado_story: int


def _seed_jira(jira: JiraEmulator) -> None:
    for issue_id, (status, category, person, hours, start, due) in zip(
            jira.add_issues(len(JIRA_ISSUES), "PAY"), JIRA_ISSUES, strict=True):
        jira.edit(issue_id, status=(status, category), assignee=person, timeoriginalestimate=hours * 3600,
                  customfield_10015=start, duedate=due, issuelinks=[])


def _seed_ado(ado: AzureDevOpsEmulator) -> int:
    feature, bug, story = ado.add_items(3, "Billing")  # the Feature first: the other two are its children
    ado.edit(feature, System__AssignedTo=None)
    ado.edit(bug, System__AssignedTo={"displayName": "Aisha Bello", "uniqueName": "aisha.bello@example.com"},
             Microsoft__VSTS__Scheduling__OriginalEstimate=ADO_BUG_HOURS)
    ado.edit(story, state="Active", System__AssignedTo={"displayName": "Jose Nunez",
                                                        "uniqueName": "JOSE.NUNEZ@EXAMPLE.COM"},
             Microsoft__VSTS__Scheduling__OriginalEstimate=ADO_STORY_HOURS,
             Microsoft__VSTS__Scheduling__StartDate=f"{ADO_STORY_START}T00:00:00Z",
             Microsoft__VSTS__Scheduling__TargetDate=f"{ADO_STORY_FINISH}T00:00:00Z")
    ado.add_hyperlink(story, "https://example.atlassian.net/browse/PAY-1", "needs the payments API")
    return story


def _seed_smartsheet(smartsheet: SmartsheetEmulator) -> tuple[Sheet, dict, dict]:
    sheet = smartsheet.add_sheet("Website relaunch", columns=[*COLUMNS, ("Estimate (h)", "TEXT_NUMBER", False)])
    smartsheet.add_row(sheet, **{"Task Name": ("Launch", None), "Assigned To": (None, None)})  # the phase
    task = smartsheet.add_row(sheet, **{
        "Task Name": ("Build pages", None), "Start": (f"{SHEET_TASK_START}T08:00:00", None),
        "Finish": (f"{SHEET_TASK_FINISH}T17:00:00", None), "Duration": ("4d", {"objectType": "DURATION", "days": 4}),
        "Status": ("In Progress", None), "% Complete": (0.0, None), "Depends on": ("PAY-1", None),
        "Estimate (h)": (SHEET_TASK_HOURS, None),
        "Assigned To": ("jose.nunez@example.com",
                        {"objectType": "CONTACT", "name": "JOSÉ NÚÑEZ", "email": "jose.nunez@example.com"})})
    bad = smartsheet.add_row(sheet, **{"Task Name": ("Go live", None), "Start": (BAD_START, None),
                                       "Predecessors": (None, None), "Assigned To": (None, None)})
    return sheet, task, bad


def _seed_planner(planner: PlannerEmulator) -> str:
    jose, = planner.add_people([("Jose Núñez", "Jose.Nunez@example.COM")])
    return planner.add_project("HR rollout", PLANNER_TASKS, people=[jose], start=dt.date(2026, 3, 9))


def _write_plan(path: Path) -> None:
    """An MS Project "Save As XML" plan: the project summary, a work task assigned to José, a milestone."""
    def task(uid: int, name: str, start: str, finish: str, hours: float, level: int = 1, milestone: int = 0) -> str:
        return (f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{escape(name)}</Name><OutlineLevel>{level}</OutlineLevel>"
                f"<Start>{start}T08:00:00</Start><Finish>{finish}T17:00:00</Finish><Duration>PT{hours:g}H0M0S"
                f"</Duration><Work>PT{hours:g}H0M0S</Work><Milestone>{milestone}</Milestone>"
                f"<Summary>{1 if level == 0 else 0}</Summary><PercentComplete>0</PercentComplete></Task>")
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(
        '<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="http://schemas.microsoft.com/project">'
        "<Name>migration.xml</Name><Title>Data migration</Title><MinutesPerDay>480</MinutesPerDay><Tasks>"
        + task(0, "Data migration", "2026-03-16", "2026-03-20", 0, level=0)
        + task(1, "Migrate data", "2026-03-16", "2026-03-19", PLAN_WORK_HOURS)
        + task(2, "Cutover", "2026-03-20", "2026-03-20", 0, milestone=1)
        + "</Tasks><Resources><Resource><UID>1</UID><ID>1</ID><Name>José Nuñez</Name><Type>1</Type>"
        "<MaxUnits>1.00</MaxUnits><EmailAddress>jose.nunez@EXAMPLE.com</EmailAddress></Resource></Resources>"
        "<Assignments><Assignment><UID>1</UID><TaskUID>1</TaskUID><ResourceUID>1</ResourceUID><Units>1</Units>"
        f"<Work>PT{PLAN_WORK_HOURS:g}H0M0S</Work><Start>2026-03-16T08:00:00</Start>"
        "<Finish>2026-03-19T17:00:00</Finish></Assignment></Assignments></Project>\n", encoding="utf-8")


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Seeded:
    folder = tmp_path_factory.mktemp("six-sources")
    _write_plan(folder / "plans" / "migration.xml")
    write_csv(folder / "sheets" / "training.csv",
              ["ID", "Task", "Status", "Start", "Finish", "Owner", "Email", "Estimate (h)"], TRACKER)
    monkeypatch = pytest.MonkeyPatch()
    for name, value in ENV.items():
        monkeypatch.setenv(name, value)
    with (JiraEmulator({"PAY": "Payments platform"}) as jira, AzureDevOpsEmulator({"Billing": "Agile"}) as ado,
          SmartsheetEmulator() as smartsheet, PlannerEmulator() as planner):
        _seed_jira(jira)
        story = _seed_ado(ado)
        sheet, task, bad = _seed_smartsheet(smartsheet)
        planner_project = _seed_planner(planner)
        config = folder / "portfolio.yaml"
        config.write_text(PORTFOLIO.format(as_of=AS_OF, jira=jira.url, ado=ado.url, smartsheet=smartsheet.url,
                                           sheet=sheet.id, planner=planner.url, planner_project=planner_project),
                          encoding="utf-8")
        with contextlib.redirect_stdout(io.StringIO()), contextlib.redirect_stderr(io.StringIO()):
            report = run_sync(load_portfolio(config))
    monkeypatch.undo()
    assert report.success, report
    return Seeded(report.published, sheet.name, str(task["id"]), str(bad["id"]), bad["rowNumber"], story)


@pytest.fixture(scope="module")
def con(seeded: Seeded) -> Iterator[duckdb.DuckDBPyConnection]:
    with duckdb.connect(str(seeded.warehouse), read_only=True) as connection:
        yield connection


def test_one_person_spelt_six_ways_is_one_resource_with_the_hours_of_all_six(con) -> None:
    identities = con.execute("SELECT source_id FROM core.resource_identities WHERE resource_id = ? ORDER BY 1",
                             [JOSE]).fetchall()
    assert identities == [(s,) for s in sorted(["jira", "ado", "smartsheet", "planner", "plans", "trackers"])]
    named = con.execute("SELECT count(*) FROM core.resources WHERE strip_accents(lower(name)) LIKE '%nunez%'")
    assert named.fetchone() == (1,)
    # Every assignment's work lands in the weeks of its dates; over all weeks it adds up to the work itself.
    expected = {"payments": JIRA_ISSUES[0][3], "billing": ADO_STORY_HOURS, "website": SHEET_TASK_HOURS,
                "rollout": PLANNER_TASKS * PLANNER_TASK_HOURS, "migration": PLAN_WORK_HOURS,
                "training": float(TRACKER[0][7])}
    hours, projects = con.execute(
        "SELECT sum(demand_hours), list_sort(list_distinct(flatten(list(project_ids)))) "
        "FROM marts.resource_deployment WHERE resource_id = ?", [JOSE]).fetchone()
    assert hours == pytest.approx(sum(expected.values())) == pytest.approx(108)
    assert projects == sorted(expected)


def test_a_slipping_jira_issue_pushes_the_smartsheet_row_and_the_ado_story_that_name_it(con, seeded) -> None:
    links = con.execute("""
        SELECT p.source_key, s.source_id, s.source_key, d.link_type, d.is_cross_project
        FROM core.dependencies AS d
        JOIN core.work_items AS p ON p.work_item_id = d.predecessor_id
        JOIN core.work_items AS s ON s.work_item_id = d.successor_id
        WHERE p.source_id <> s.source_id ORDER BY s.source_id""").fetchall()
    assert links == [("PAY-1", "ado", str(seeded.ado_story), "FS", True),
                     ("PAY-1", "smartsheet", seeded.sheet_task_row, "FS", True)]
    slips = dict(con.execute(  # a pair is listed once, its two project ids in alphabetical order
        "SELECT CASE WHEN project_id_a = 'payments' THEN project_id_b ELSE project_id_a END, slip_days "
        "FROM marts.cross_project_linkages WHERE linkage_type = 'dependency'").fetchall())
    # PAY-1 was due Friday 27 February and is still open on Wednesday 4 March: it slips to today, 3
    # working days. Finish-to-start, its successors may start Thursday 5 March at the earliest.
    assert np.busday_count(PREDECESSOR_DUE, PREDECESSOR_FORECAST) == 3
    earliest = np.busday_offset(PREDECESSOR_FORECAST, 1, roll="forward")
    assert slips == {"billing": int(np.busday_count(ADO_STORY_START, earliest)),  # planned Mon 2 March: 3
                     "website": int(np.busday_count(SHEET_TASK_START, earliest))}  # planned Tue 3 March: 2
    assert slips == {"billing": 3, "website": 2}


def test_items_per_project_and_per_program_match_what_was_seeded(con) -> None:
    # Summary rows (the Feature, the Smartsheet phase, the Planner phase, the plan's summary) carry no
    # count of their own; the bad Smartsheet row is not loaded.
    items = {"payments": len(JIRA_ISSUES), "billing": 2, "website": 1, "rollout": PLANNER_TASKS,
             "migration": 2, "training": len(TRACKER)}
    hours = {"payments": sum(i[3] for i in JIRA_ISSUES), "billing": ADO_STORY_HOURS + ADO_BUG_HOURS,
             "website": SHEET_TASK_HOURS, "rollout": PLANNER_TASKS * PLANNER_TASK_HOURS,
             "migration": PLAN_WORK_HOURS, "training": sum(float(row[7]) for row in TRACKER)}
    got = {p: (n, h) for p, n, h in con.execute(
        "SELECT project_id, items_total, work_hours_total FROM marts.project_health").fetchall()}
    assert got == {p: (items[p], pytest.approx(hours[p])) for p in items}
    programs = {"digital": ["payments", "billing", "website"], "operations": ["rollout", "migration", "training"]}
    rollup = {p: (n, h) for p, n, h in con.execute(
        "SELECT program_id, items_total, work_hours_total FROM marts.program_rollup").fetchall()}
    assert rollup == {program: (sum(items[p] for p in members), pytest.approx(sum(hours[p] for p in members)))
                      for program, members in programs.items()}


def test_only_the_planted_bad_row_is_quarantined_with_its_location(con, seeded) -> None:
    rows = con.execute("SELECT source_id, object_key, location, reason, level FROM core.quarantine").fetchall()
    assert len(rows) == 1, rows
    source_id, key, location, reason, level = rows[0]
    assert (source_id, level) == ("smartsheet", "row")
    assert seeded.bad_row in key
    assert seeded.sheet_name in location and str(seeded.bad_row_number) in location
    assert "Start" in reason and BAD_START in reason
