"""Generate the sample portfolio's spreadsheets (deterministic: same bytes every run).

    python examples/generate_sample.py            # rewrites examples/sheets/, exports/ and plans/

Two programs, seven projects in two spreadsheet sources, a risk log, a RAID log, a contact sheet
(skipped: not a plan), a tracker numbering its rows (numeric predecessors), and the seed's case: a new
payroll system and a new expense system built at the same time in the HR program, both touching
the General Ledger. The files deliberately use different header words, date and percent styles,
a title row above a header, and a few bad rows, as real trackers do.

``build_sample()`` returns the same data as Python objects, so tests can compute the expected
rollups independently of the pipeline.
"""

from __future__ import annotations

import csv
import datetime as dt
import random
from dataclasses import dataclass, field
from pathlib import Path

HERE = Path(__file__).parent
ANCHOR = dt.date(2026, 11, 16)  # "now" inside the sample plans: work before it is done or late
FIXED_TIMESTAMP = dt.datetime(2026, 1, 1)


@dataclass
class Task:
    project: str  # config project id
    task_id: str
    name: str
    start: dt.date
    finish: dt.date
    status: str | None  # the word written in the sheet
    canonical: str | None  # what Sightline should map it to (None = unmapped)
    percent: float  # 0-100
    owner: str | None
    email: str | None
    work_hours: float | None
    milestone: bool = False
    systems: list[str] = field(default_factory=list)
    objectives: list[str] = field(default_factory=list)
    depends_on: list[str] = field(default_factory=list)
    baseline_finish: dt.date | None = None
    budget: float | None = None
    actual_cost: float | None = None
    bad_cell: str | None = None  # an Excel error in the Task cell: the row cannot load (quarantined)
    story_points: float | None = None


@dataclass
class Risk:
    risk_id: str
    project: str  # the word in the log's Project column
    title: str
    probability: str
    impact: str
    owner: str
    status: str
    mitigation: str
    due: dt.date


@dataclass
class RaidEntry:
    """A row of the RAID log sheet: Type decides where it goes (risks, issues, dependencies, raid_log)."""

    entry_id: str
    entry_type: str  # as written: Risk, Issue, Assumption, Decision, Dependency, D
    project: str
    title: str
    probability: str  # risks only
    impact: str  # risks and issues
    owner: str
    status: str
    due: dt.date | None
    depends_on: str = ""  # dependencies: [<project>!]<item id>
    affects: str = ""


@dataclass
class StatusReport:
    project: str  # the word in the register's Project column (a project value or a configured id)
    rag: str
    date: dt.date
    reported_by: str
    comment: str


@dataclass
class ProjectPlan:
    project_id: str
    source: str
    file: str
    sheet: str | None
    tasks: list[Task]


PEOPLE = {
    "Priya Shah": "priya.shah@example.com",
    "Tom Okafor": "tom.okafor@example.com",
    "Lena Fischer": "lena.fischer@example.com",
    "Ravi Menon": "ravi.menon@example.com",
    "Grace Kim": "grace.kim@example.com",
    "Diego Alvarez": "diego.alvarez@example.com",
    "Aisha Bello": "aisha.bello@example.com",
    "Sam Carter": "sam.carter@example.com",
}

PHASES = ["Discovery", "Requirements", "Design", "Build", "Build", "Build", "Integration", "Test", "Training",
          "Cutover"]


def _plan(rng: random.Random, project_id: str, label: str, start: dt.date, people: list[str],
          systems: list[str], objectives: list[str], n_tasks: int, *, prefix: str,
          with_costs: bool = False, points: bool = False, numeric_ids: bool = False) -> list[Task]:
    def task_id(number: int) -> str:  # PAY-03, or 3 where the tracker numbers its rows
        return str(number) if numeric_ids else f"{prefix}-{number:02d}"

    tasks: list[Task] = []
    day = start
    for i in range(n_tasks):
        phase = PHASES[min(i * len(PHASES) // n_tasks, len(PHASES) - 1)]
        length = rng.randint(5, 20)
        finish = day + dt.timedelta(days=length)
        owner = rng.choice(people)
        work = float(rng.choice([16, 24, 40, 60, 80, 120]))
        if finish < ANCHOR:
            status, canonical, percent = "Done", "done", 100.0
        elif day <= ANCHOR:
            percent = float(rng.choice([20, 40, 50, 60, 80]))
            status, canonical = "In Progress", "in_progress"
        else:
            status, canonical, percent = "Not Started", "not_started", 0.0
        task = Task(
            project=project_id, task_id=task_id(i + 1), name=f"{label}: {phase} {i + 1}",
            start=day, finish=finish, status=status, canonical=canonical, percent=percent,
            owner=owner, email=PEOPLE[owner], work_hours=work,
            systems=[rng.choice(systems)] if systems else [],
            objectives=[objectives[i % len(objectives)]] if objectives else [],
            depends_on=[tasks[-1].task_id] if tasks and rng.random() < 0.6 else [],
            baseline_finish=finish - dt.timedelta(days=rng.choice([0, 0, 3, 7])),
        )
        if with_costs:
            task.budget = work * 95.0
            task.actual_cost = round(task.budget * percent / 100 * rng.choice([0.9, 1.0, 1.2]), 2) if percent else None
        if points:
            task.story_points = float(rng.choice([1, 2, 3, 5, 8]))
        tasks.append(task)
        day = finish - dt.timedelta(days=rng.randint(0, 3))
    # A go-live milestone at the end, the plan's key date.
    last = tasks[-1]
    reached = last.finish < ANCHOR
    tasks.append(Task(
        project=project_id, task_id=task_id(n_tasks + 1), name=f"{label} go-live", start=last.finish,
        finish=last.finish, status="Done" if reached else "Not Started",
        canonical="done" if reached else "not_started", percent=100.0 if reached else 0.0,
        owner=people[0], email=PEOPLE[people[0]], work_hours=0.0, milestone=True, systems=list(systems[:1]),
        depends_on=[last.task_id], baseline_finish=last.finish - dt.timedelta(days=14),
    ))
    return tasks


def build_sample() -> list[ProjectPlan]:
    rng = random.Random(20261125)
    payroll = _plan(rng, "payroll", "Payroll", dt.date(2026, 8, 3), ["Priya Shah", "Tom Okafor", "Lena Fischer"],
                    ["General Ledger", "Employee Master"], ["cost-efficiency"], 14, prefix="PAY", with_costs=True)
    expenses = _plan(rng, "expenses", "Expenses", dt.date(2026, 9, 1), ["Priya Shah", "Ravi Menon"],
                     ["General Ledger", "Corporate Card Feed"], ["cost-efficiency"], 12, prefix="EXP",
                     with_costs=True)
    onboarding = _plan(rng, "onboarding", "Onboarding", dt.date(2026, 7, 6), ["Lena Fischer", "Grace Kim"],
                       ["Employee Master"], ["cost-efficiency", "", "", "", ""], 10, prefix="ONB",
                       numeric_ids=True)
    mobile = _plan(rng, "mobile-app", "Mobile app", dt.date(2026, 6, 1), ["Diego Alvarez", "Aisha Bello"],
                   ["Customer API"], [], 16, prefix="MOB", points=True)
    web = _plan(rng, "web-portal", "Web portal", dt.date(2026, 9, 14), ["Aisha Bello", "Sam Carter"],
                ["Customer API", "CMS"], [], 12, prefix="WEB", points=True)
    crm = _plan(rng, "crm-migration", "CRM migration", dt.date(2026, 5, 4), ["Sam Carter", "Grace Kim"],
                ["CRM", "Customer API"], ["customer-experience", "regulatory-compliance"], 12, prefix="CRM")
    data = _plan(rng, "data-platform", "Data platform", dt.date(2026, 10, 5), ["Ravi Menon", "Tom Okafor"],
                 ["Data Lake"], [], 8, prefix="DAT")
    capi = _plan(rng, "customer-api", "Customer API", dt.date(2026, 8, 17), ["Aisha Bello", "Diego Alvarez"],
                 ["Customer API"], [], 10, prefix="CAPI", points=True)
    for task in payroll + expenses + onboarding:
        task.objectives = [o for o in task.objectives if o]

    # The seed's integration point: expenses posts to the GL through the payroll GL mapping.
    gl_mapping = payroll[6]
    gl_mapping.name, gl_mapping.systems = "Payroll: General Ledger mapping", ["General Ledger"]
    expenses[5].name, expenses[5].systems = "Expenses: GL posting interface", ["General Ledger"]
    expenses[5].depends_on = [f"Payroll!{gl_mapping.task_id}"]
    # A late milestone and blocked work, so the health rules have something to say.
    signoff = payroll[4]
    signoff.name, signoff.milestone, signoff.work_hours = "Payroll: design sign-off", True, 0.0
    signoff.start = signoff.finish = dt.date(2026, 10, 23)
    signoff.status, signoff.canonical, signoff.percent = "In Progress", "in_progress", 0.0
    # The expense plan lives in MS Project: a policy sign-off milestone that is late.
    policy = expenses[3]
    policy.name, policy.milestone, policy.work_hours = "Expenses: policy sign-off", True, 0.0
    policy.start = policy.finish = dt.date(2026, 10, 28)
    policy.baseline_finish = dt.date(2026, 10, 21)
    policy.status, policy.canonical, policy.percent = "Not Started", "not_started", 0.0
    crm[9].status, crm[9].canonical = "Blocked", "blocked"
    # Words the default mapping does not know: one mapped in portfolio.yaml, one left unmapped.
    mobile[12].status, mobile[12].canonical = "Parked", "blocked"
    web[7].status, web[7].canonical = "Needs info", None
    # Bad rows: a task name that is a broken formula, so no task to load: quarantined by the pipeline,
    # counted nowhere else. (One unreadable optional cell would only leave that field empty.)
    data[3].bad_cell = "#REF!"
    mobile[5].bad_cell = "#N/A"
    # The same person written without an e-mail in another source is still one resource.
    for task in crm:
        if task.owner == "Grace Kim":
            task.email = None

    return [
        ProjectPlan("payroll", "hr-tracker", "hr_programme.xlsx", "Payroll", payroll),
        ProjectPlan("expenses", "hr-plans", "expenses.xml", None, expenses),
        ProjectPlan("onboarding", "hr-tracker", "hr_programme.xlsx", "Onboarding", onboarding),
        ProjectPlan("mobile-app", "digital-tracker", "mobile_app.csv", None, mobile),
        ProjectPlan("web-portal", "digital-tracker", "web_portal.csv", None, web),
        ProjectPlan("crm-migration", "digital-tracker", "crm_migration.csv", None, crm),
        ProjectPlan("data-platform", "digital-tracker", "data_platform.csv", None, data),
        ProjectPlan("customer-api", "jira-export", "customer_api.csv", None, capi),
    ]


def build_risks() -> list[Risk]:
    return [
        Risk("R-01", "Payroll", "Parallel run shows pay differences", "High", "Very high", "Priya Shah", "Open",
             "Extend parallel run by one cycle", dt.date(2026, 11, 2)),
        Risk("R-02", "Expenses", "Card feed format change by the bank", "Medium", "High", "Ravi Menon", "Open",
             "Agree a format freeze with the bank", dt.date(2027, 1, 15)),
        Risk("R-03", "Payroll", "GL chart of accounts redesign collides with both projects", "High", "High",
             "Dana Whitfield", "Open", "One GL design authority for payroll and expenses", dt.date(2026, 12, 1)),
        Risk("R-04", "Onboarding", "HRIS licence renewal", "Low", "Medium", "Grace Kim", "Closed",
             "Renewed for 3 years", dt.date(2026, 9, 1)),
        Risk("R-05", "mobile-app", "App store review delays release", "40%", "3", "Diego Alvarez", "Open",
             "Submit two weeks early", dt.date(2026, 12, 10)),
        Risk("R-06", "Expenses", "Receipts OCR vendor not yet contracted", "Sometimes", "High", "Ravi Menon",
             "Open", "", dt.date(2026, 12, 1)),  # 'Sometimes' is on no scale: quarantined, the scales listed
    ]


def build_raid_log() -> list[RaidEntry]:
    """The HR programme's RAID log (sheet RAID of hr_programme.xlsx), as of 16 Nov 2026.

    Payroll's payslip issue (impact High: severity 20) is open past its due date: red. Onboarding's
    laptop issue (Low) is open past due: amber. DEP-01 links two Onboarding tasks by their numbers;
    DEP-02 waits for the Finance programme, which no source holds: a cross-team dependency.
    """
    return [
        RaidEntry("R-20", "Risk", "Onboarding", "Badge system vendor exits the market", "Unlikely", "Major",
                  "Grace Kim", "Open", dt.date(2027, 2, 1)),
        RaidEntry("I-01", "Issue", "Payroll", "Works council has not approved the new payslip", "", "High",
                  "Priya Shah", "Open", dt.date(2026, 11, 9)),
        RaidEntry("I-02", "Issue", "Onboarding", "Laptop stock short for November starters", "", "Low",
                  "Lena Fischer", "In progress", dt.date(2026, 11, 12)),
        RaidEntry("A-01", "Assumption", "Payroll", "2027 tax tables are published by 1 December", "", "",
                  "Tom Okafor", "Open", dt.date(2026, 12, 1)),
        RaidEntry("D-01", "Decision", "Expenses", "Card feed moves to the bank's new API format", "", "",
                  "Ravi Menon", "Closed", dt.date(2026, 10, 20)),
        RaidEntry("DEP-01", "Dependency", "Onboarding", "Accounts exist before the portal pilot", "", "",
                  "Grace Kim", "Open", dt.date(2026, 9, 1), depends_on="2", affects="9"),
        RaidEntry("DEP-02", "D", "Payroll", "Chart of accounts from the Finance programme", "", "",
                  "Dana Whitfield", "Open", dt.date(2026, 12, 15), depends_on="Finance!GL-12", affects="PAY-10"),
    ]


def build_status_reports() -> list[StatusReport]:
    """The PMO status register (sheet Status of hr_programme.xlsx): what each project reported, by date.

    crm-migration reports Green while an item is blocked (computed amber, the same rule every day): a
    watermelon from the second snapshot on. Onboarding's latest report is 24 days old on 16 Nov:
    stale. Payroll's Red of 12 Nov supersedes its Amber of 30 Oct.
    """
    return [
        StatusReport("Payroll", "Amber", dt.date(2026, 10, 30), "Priya Shah", "Parallel run differences"),
        StatusReport("Payroll", "Red", dt.date(2026, 11, 12), "Priya Shah", "Go-live milestone missed"),
        StatusReport("Onboarding", "Green", dt.date(2026, 10, 23), "Grace Kim", ""),
        StatusReport("crm-migration", "Amber", dt.date(2026, 10, 30), "Aisha Bello", "Data mapping open"),
        StatusReport("crm-migration", "Green", dt.date(2026, 11, 13), "Aisha Bello", "All on track"),
        StatusReport("web-portal", "Green", dt.date(2026, 11, 13), "Diego Alvarez", ""),
    ]


def _excel_rows(plan: ProjectPlan) -> tuple[list[str], list[list[object]]]:
    header = ["ID", "Task", "Status", "Start", "Finish", "% Complete", "Owner", "Email", "Estimate (h)",
              "Milestone", "Systems", "Objective", "Depends on", "Baseline Start", "Baseline Finish", "Budget",
              "Actual cost"]
    rows = []
    for t in plan.tasks:
        rows.append([
            t.task_id, t.bad_cell or t.name, t.status, t.start, t.finish, t.percent / 100, t.owner, t.email,
            t.work_hours, "Yes" if t.milestone else "", "; ".join(t.systems), "; ".join(t.objectives),
            ", ".join(t.depends_on), t.start, t.baseline_finish, t.budget, t.actual_cost,
        ])
    return header, rows


def write_workbook(path: Path, plans: list[ProjectPlan], risks: list[Risk],
                   reports: list[StatusReport] = (), raid: list[RaidEntry] = ()) -> None:
    import xlsxwriter

    workbook = xlsxwriter.Workbook(str(path), {"strings_to_numbers": False})
    workbook.set_properties({"created": FIXED_TIMESTAMP, "author": "Sightline sample generator"})
    date_format = workbook.add_format({"num_format": "yyyy-mm-dd"})
    percent_format = workbook.add_format({"num_format": "0%"})
    for plan in plans:
        sheet = workbook.add_worksheet(plan.sheet)
        header, rows = _excel_rows(plan)
        first = 0
        if plan.sheet in ("Payroll", "Onboarding"):  # a title line above the header, as trackers often have
            sheet.write(0, 0, f"{plan.sheet} tracker (weekly export)")
            first = 2
        sheet.write_row(first, 0, header)
        for r, row in enumerate(rows, start=first + 1):
            for c, value in enumerate(row):
                if isinstance(value, dt.date):
                    sheet.write_datetime(r, c, dt.datetime.combine(value, dt.time()), date_format)
                elif header[c] == "% Complete":
                    sheet.write_number(r, c, value, percent_format)
                elif value is None or value == "":
                    continue
                elif header[c] in ("ID", "Depends on") and str(value).isdigit():
                    sheet.write_number(r, c, int(value))  # numbered rows: Excel stores 3, read back as 3.0
                else:
                    sheet.write(r, c, value)
    log = workbook.add_worksheet("Risks")
    log.write_row(0, 0, ["ID", "Risk", "Project", "Probability", "Impact", "Owner", "Status", "Mitigation", "Due"])
    for r, risk in enumerate(risks, start=1):
        log.write_row(r, 0, [risk.risk_id, risk.title, risk.project, risk.probability, risk.impact, risk.owner,
                             risk.status, risk.mitigation])
        log.write_datetime(r, 8, dt.datetime.combine(risk.due, dt.time()), date_format)
    if reports:
        register = workbook.add_worksheet("Status")  # Project + RAG + Date, no task name: a status register
        register.write_row(0, 0, ["Project", "RAG", "Date", "Reported by", "Comment"])
        for r, report in enumerate(reports, start=1):
            register.write_row(r, 0, [report.project, report.rag])
            register.write_datetime(r, 2, dt.datetime.combine(report.date, dt.time()), date_format)
            register.write_row(r, 3, [report.reported_by] + ([report.comment] if report.comment else []))
    if raid:
        write_raid_sheet(workbook.add_worksheet("RAID"), raid, date_format)
    contacts = workbook.add_worksheet("Contacts")  # not a plan: skipped, with a note naming the rule
    contacts.write_row(0, 0, ["Name", "Role", "Email", "Phone"])
    for r, name in enumerate(sorted(PEOPLE)[:3], start=1):
        contacts.write_row(r, 0, [name, "Project manager", PEOPLE[name], f"+44 20 7946 0{r:03d}"])
    workbook.close()


def write_raid_sheet(sheet: object, raid: list[RaidEntry], date_format: object) -> None:
    sheet.write_row(0, 0, ["ID", "Type", "Project", "Description", "Probability", "Impact", "Owner", "Status",
                           "Due", "Depends on", "Affects"])
    for r, e in enumerate(raid, start=1):
        sheet.write_row(r, 0, [e.entry_id, e.entry_type, e.project, e.title, e.probability, e.impact, e.owner,
                               e.status])
        if e.due:
            sheet.write_datetime(r, 8, dt.datetime.combine(e.due, dt.time()), date_format)
        sheet.write_row(r, 9, [e.depends_on, e.affects])


def write_csv(path: Path, plan: ProjectPlan) -> None:
    """Day-first dates, 'Activity'/'State'/'Progress' headers, percent written as 45%."""
    header = ["ID", "Activity", "State", "Start Date", "End Date", "Progress", "Assignee", "Assignee Email",
              "Work", "Story points", "Milestone", "System", "Objective", "Depends On"]
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(header)
        for t in plan.tasks:
            writer.writerow([
                t.task_id, t.bad_cell or t.name, t.status or "", t.start.strftime("%d/%m/%Y"),
                t.finish.strftime("%d/%m/%Y"), f"{t.percent:g}%", t.owner or "", t.email or "",
                f"{t.work_hours:g}h" if t.work_hours is not None else "",
                f"{t.story_points:g}" if t.story_points is not None else "",
                "x" if t.milestone else "", ", ".join(t.systems), ", ".join(t.objectives), "; ".join(t.depends_on),
            ])


JIRA_HEADER = [
    "Summary", "Issue key", "Issue id", "Issue Type", "Status", "Status Category", "Project key", "Project name",
    "Project lead", "Priority", "Assignee", "Assignee Id", "Created", "Updated", "Resolved", "Due Date",
    "Original Estimate", "Remaining Estimate", "Time Spent", "Labels", "Labels", "Component/s", "Component/s",
    "Sprint", "Sprint", "Watchers", "Watchers", "Custom field (Story Points)", "Custom field (Start date)",
    "Parent", "Outward issue link (Blocks)", "Inward issue link (Blocks)",
]
JIRA_CATEGORY = {"not_started": ("To Do", "To Do"), "in_progress": ("In Progress", "In Progress"),
                 "done": ("Done", "Done"), "blocked": ("Blocked", "In Progress")}


def _jira_time(moment: dt.datetime) -> str:
    """Jira's export style: 12/Jan/24 3:04 PM (hour without a leading zero)."""
    text = moment.strftime("%d/%b/%y %I:%M %p")
    return text[:10] + text[10:].lstrip("0")


def write_jira_export(path: Path, plan: ProjectPlan) -> None:
    """A Jira "Export -> CSV (all fields)" of one project: repeated headers, custom fields, Jira dates.

    Time tracking carries progress: spent / (spent + remaining) is the task's percent complete.
    """
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(JIRA_HEADER)
        for number, t in enumerate(plan.tasks, start=1):
            status, category = JIRA_CATEGORY[t.canonical]
            work = int((t.work_hours or 0) * 3600)
            spent = int(work * t.percent / 100)
            created = dt.datetime.combine(t.start, dt.time(9, 30)) - dt.timedelta(days=14)
            updated = dt.datetime.combine(min(t.finish, ANCHOR), dt.time(16, 5))
            person = t.owner or ""
            blocks = [d for d in t.depends_on if "!" not in d]
            writer.writerow([
                t.name, f"CAPI-{number}", str(30000 + number), "Milestone" if t.milestone else "Story", status,
                category, "CAPI", "Customer API", "Diego Alvarez", "Medium", person,
                f"acc-{person.split()[0].lower()}" if person else "", _jira_time(created), _jira_time(updated),
                _jira_time(updated) if t.canonical == "done" else "", t.finish.strftime("%d/%b/%y"),
                str(work) if work else "", str(work - spent) if work else "", str(spent) if work else "",
                "api", "customer", *(t.systems + ["", ""])[:2], "Sprint 12", "Sprint 13" if number % 2 else "",
                "dana.whitfield", "", f"{t.story_points:g}" if t.story_points else "",
                t.start.strftime("%d/%b/%y"), "", "",
                ", ".join(f"CAPI-{int(d.split('-')[1])}" for d in blocks),
            ])


def _mspdi_time(day: dt.date, end: bool = False) -> str:
    return f"{day.isoformat()}T{'17:00:00' if end else '08:00:00'}"


def _working_hours(start: dt.date, finish: dt.date) -> float:
    days = sum(1 for n in range((finish - start).days + 1) if (start + dt.timedelta(days=n)).weekday() < 5)
    return 8.0 * days


def write_mspdi(path: Path, plan: ProjectPlan, project_name: str) -> None:
    """The plan as Project's "Save As XML" (MSPDI): a summary task over the work, baselines, costs in
    cents, resources and assignments, a System custom field (Text1), and a cross-project link."""
    from xml.sax.saxutils import escape

    people = sorted({t.owner for t in plan.tasks if t.owner})
    resource_uid = {name: n for n, name in enumerate(people, start=1)}
    uid_of = {t.task_id: n for n, t in enumerate(plan.tasks, start=2)}
    out = ['<?xml version="1.0" encoding="UTF-8" standalone="yes"?>',
           '<Project xmlns="http://schemas.microsoft.com/project">',
           f"<SaveVersion>14</SaveVersion><Name>{escape(path.name)}</Name><Title>{escape(project_name)}</Title>",
           "<Manager>Dana Whitfield</Manager><StatusDate>2026-11-16T17:00:00</StatusDate>",
           "<MinutesPerDay>480</MinutesPerDay><MinutesPerWeek>2400</MinutesPerWeek><CurrencyCode>GBP</CurrencyCode>",
           "<ExtendedAttributes><ExtendedAttribute><FieldID>188743731</FieldID><FieldName>Text1</FieldName>"
           "<Alias>System</Alias></ExtendedAttribute></ExtendedAttributes><Tasks>"]
    start, finish = min(t.start for t in plan.tasks), max(t.finish for t in plan.tasks)

    def task_xml(uid: int, level: int, name: str, begin: dt.date, end: dt.date, t: Task | None) -> str:
        duration = 0.0 if t and t.milestone else _working_hours(begin, end)
        parts = [f"<UID>{uid}</UID><ID>{uid}</ID><Name>{escape(name)}</Name><OutlineLevel>{level}</OutlineLevel>",
                 f"<Start>{_mspdi_time(begin)}</Start><Finish>{_mspdi_time(end, True)}</Finish>",
                 f"<Duration>PT{duration:g}H0M0S</Duration>"]
        if t is None:
            return "<Task>" + "".join(parts) + "<Summary>1</Summary></Task>"
        parts.append(f"<Work>PT{t.work_hours or 0:g}H0M0S</Work><PercentComplete>{t.percent:g}</PercentComplete>"
                     f"<Milestone>{int(t.milestone)}</Milestone><Summary>0</Summary>")
        if t.actual_cost is not None:
            parts.append(f"<ActualCost>{round(t.actual_cost * 100)}</ActualCost>")
        if t.percent > 0:
            parts.append(f"<ActualStart>{_mspdi_time(t.start)}</ActualStart>")
        for link in t.depends_on:
            if "!" in link:  # another plan: Project writes "<plan>\<task>"
                scope, other = link.split("!")
                parts.append(f"<PredecessorLink><CrossProject>1</CrossProject><CrossProjectName>{escape(scope)}\\"
                             f"{escape(other)}</CrossProjectName><Type>1</Type><LinkLag>0</LinkLag>"
                             "<LagFormat>7</LagFormat></PredecessorLink>")
            else:
                parts.append(f"<PredecessorLink><PredecessorUID>{uid_of[link]}</PredecessorUID><Type>1</Type>"
                             "<CrossProject>0</CrossProject><LinkLag>0</LinkLag><LagFormat>7</LagFormat>"
                             "</PredecessorLink>")
        base_duration = 0.0 if t.milestone else _working_hours(t.start, t.baseline_finish or t.finish)
        parts.append(f"<Baseline><Number>0</Number><Start>{_mspdi_time(t.start)}</Start>"
                     f"<Finish>{_mspdi_time(t.baseline_finish or t.finish, True)}</Finish>"
                     f"<Duration>PT{base_duration:g}H0M0S</Duration><Work>PT{t.work_hours or 0:g}H0M0S</Work>"
                     f"<Cost>{round((t.budget or 0) * 100)}</Cost></Baseline>")
        if t.systems:
            parts.append(f"<ExtendedAttribute><FieldID>188743731</FieldID><Value>{escape(', '.join(t.systems))}"
                         "</Value></ExtendedAttribute>")
        return "<Task>" + "".join(parts) + "</Task>"

    out.append(task_xml(0, 0, project_name, start, finish, None).replace("<Summary>1</Summary>", ""))
    out.append(task_xml(1, 1, project_name, start, finish, None))
    for t in plan.tasks:
        out.append(task_xml(uid_of[t.task_id], 2, t.name, t.start, t.finish, t))
    out.append("</Tasks><Resources>")
    for name, uid in resource_uid.items():
        out.append(f"<Resource><UID>{uid}</UID><ID>{uid}</ID><Name>{escape(name)}</Name><Type>1</Type>"
                   f"<MaxUnits>1.00</MaxUnits><EmailAddress>{PEOPLE[name]}</EmailAddress><Group>Finance IT</Group>"
                   "</Resource>")
    out.append("</Resources><Assignments>")
    for n, t in enumerate([t for t in plan.tasks if t.owner], start=1):
        out.append(f"<Assignment><UID>{n}</UID><TaskUID>{uid_of[t.task_id]}</TaskUID>"
                   f"<ResourceUID>{resource_uid[t.owner]}</ResourceUID><Units>1</Units>"
                   f"<Work>PT{t.work_hours or 0:g}H0M0S</Work><Start>{_mspdi_time(t.start)}</Start>"
                   f"<Finish>{_mspdi_time(t.finish, True)}</Finish></Assignment>")
    out.append("</Assignments></Project>")
    path.write_text("\n".join(out) + "\n", encoding="utf-8")


def generate(root: Path = HERE) -> list[Path]:
    """Write sheets/ and exports/ under ``root`` (the examples folder by default)."""
    plans = build_sample()
    out_dir = root / "sheets"
    (out_dir / "digital").mkdir(parents=True, exist_ok=True)
    workbook = out_dir / "hr_programme.xlsx"
    write_workbook(workbook, [p for p in plans if p.source == "hr-tracker"], build_risks(), build_status_reports(),
                   build_raid_log())
    written = [workbook]
    for plan in plans:
        if plan.source == "digital-tracker":
            path = out_dir / "digital" / plan.file
            write_csv(path, plan)
            written.append(path)
        elif plan.source == "hr-plans":
            plans = root / "plans"
            plans.mkdir(parents=True, exist_ok=True)
            path = plans / plan.file
            write_mspdi(path, plan, "New expense system")
            written.append(path)
        elif plan.source == "jira-export":
            exports = root / "exports"
            exports.mkdir(parents=True, exist_ok=True)
            path = exports / plan.file
            write_jira_export(path, plan)
            written.append(path)
    return written


if __name__ == "__main__":
    for written_path in generate():
        print(written_path)
