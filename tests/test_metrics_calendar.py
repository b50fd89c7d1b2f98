"""Issue #10, rules 1 and 10: MS Project calendars in PV, deployment demand and capacity, with every
answer worked out by hand from the plans below. Today (as_of) is Tuesday 10 March 2026.

March 2026: Mon 2, Tue 3, Wed 4, Thu 5, Fri 6, Sat 7, Sun 8, Mon 9, Tue 10, Wed 11, Thu 12, Fri 13.

Plan A (a.xml), calendar "Standard" in the pre-2007 form (WeekDay DayType 0): Fri 6 Mar is a holiday.
Ann's own resource calendar (based on Standard) adds her holiday on Thu 12 Mar; Bob's is Standard's.
Plan B (b.xml), calendar "Shifts" in the 2007+ form (<Exceptions> only): Wed 4 - Fri 6 Mar off (one
multi-day exception), Sat 7 Mar worked, and every Monday from 2 to 16 Mar off (a weekly recurrence).
A spreadsheet project "sheet" is Monday-Friday whatever the plans say.
"""

from __future__ import annotations

import csv
import datetime as dt
import xml.etree.ElementTree as ET
from pathlib import Path

import duckdb
import pytest
from conftest import build_directly

from pipelines.config import load_portfolio

REAL = Path(__file__).parent / "data" / "msproject-real"
NS = "http://schemas.microsoft.com/project"


def week(working: dict[int, bool]) -> str:
    """WeekDays of a calendar: DayType 1 = Sunday ... 7 = Saturday."""
    return "".join(f"<WeekDay><DayType>{t}</DayType><DayWorking>{int(w)}</DayWorking></WeekDay>"
                   for t, w in working.items())


MON_FRI = {1: False, 2: True, 3: True, 4: True, 5: True, 6: True, 7: False}


def day_off(day: str) -> str:
    return (f"<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod><FromDate>{day}T00:00:00"
            f"</FromDate><ToDate>{day}T23:59:00</ToDate></TimePeriod></WeekDay>")


def exception(start: str, finish: str, working: bool, extra: str = "<Type>1</Type>") -> str:
    return (f"<Exception><TimePeriod><FromDate>{start}T00:00:00</FromDate><ToDate>{finish}T23:59:00</ToDate>"
            f"</TimePeriod>{extra}<DayWorking>{int(working)}</DayWorking></Exception>")


def task(uid: int, name: str, start: str, finish: str, budget: float = 0, work: float = 0) -> str:
    baseline = (f"<Baseline><Number>0</Number><Start>{start}T08:00:00</Start><Finish>{finish}T17:00:00</Finish>"
                f"<Cost>{budget * 100:.0f}</Cost></Baseline>" if budget else "")
    return (f"<Task><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><OutlineLevel>1</OutlineLevel>"
            f"<Start>{start}T08:00:00</Start><Finish>{finish}T17:00:00</Finish><Work>PT{work:g}H0M0S</Work>"
            f"<PercentComplete>0</PercentComplete>{baseline}</Task>")


def resource(uid: int, name: str, calendar: int) -> str:
    return (f"<Resource><UID>{uid}</UID><ID>{uid}</ID><Name>{name}</Name><Type>1</Type><MaxUnits>1.00</MaxUnits>"
            f"<EmailAddress>{name.lower()}@example.org</EmailAddress><CalendarUID>{calendar}</CalendarUID></Resource>")


def assignment(uid: int, task_uid: int, resource_uid: int, start: str, finish: str, work: float) -> str:
    return (f"<Assignment><UID>{uid}</UID><TaskUID>{task_uid}</TaskUID><ResourceUID>{resource_uid}</ResourceUID>"
            f"<Units>1</Units><Work>PT{work:g}H0M0S</Work><Start>{start}T08:00:00</Start>"
            f"<Finish>{finish}T17:00:00</Finish></Assignment>")


def plan(name: str, calendars: str, tasks: str, resources: str = "", assignments: str = "") -> str:
    return (f'<?xml version="1.0" encoding="UTF-8"?>\n<Project xmlns="{NS}"><Name>{name}</Name>'
            "<MinutesPerDay>480</MinutesPerDay><MinutesPerWeek>2400</MinutesPerWeek><CalendarUID>1</CalendarUID>"
            f"<Calendars>{calendars}</Calendars><Tasks><Task><UID>0</UID><ID>0</ID><Name>{name}</Name>"
            f"<OutlineLevel>0</OutlineLevel></Task>{tasks}</Tasks><Resources>{resources}</Resources>"
            f"<Assignments>{assignments}</Assignments></Project>")


PLAN_A = plan(
    "a",
    "<Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar><BaseCalendarUID>-1"
    f"</BaseCalendarUID><WeekDays>{week(MON_FRI)}{day_off('2026-03-06')}</WeekDays></Calendar>"
    "<Calendar><UID>2</UID><Name>Ann</Name><IsBaseCalendar>0</IsBaseCalendar><BaseCalendarUID>1</BaseCalendarUID>"
    f"<WeekDays>{day_off('2026-03-12')}</WeekDays></Calendar>"
    "<Calendar><UID>3</UID><Name>Bob</Name><IsBaseCalendar>0</IsBaseCalendar><BaseCalendarUID>1</BaseCalendarUID>"
    "</Calendar>",
    task(1, "Build", "2026-03-02", "2026-03-11", budget=700)
    + task(2, "Ann's work", "2026-03-09", "2026-03-13", work=32)
    + task(3, "Bob's work", "2026-03-02", "2026-03-06", work=32)
    + task(4, "Holiday work", "2026-03-06", "2026-03-06", work=8),
    resource(1, "Ann", 2) + resource(2, "Bob", 3) + resource(3, "Dee", 3),
    assignment(1, 2, 1, "2026-03-09", "2026-03-13", 32) + assignment(2, 3, 2, "2026-03-02", "2026-03-06", 32)
    + assignment(3, 4, 3, "2026-03-06", "2026-03-06", 8),
)
PLAN_B = plan(
    "b",
    "<Calendar><UID>1</UID><Name>Shifts</Name><IsBaseCalendar>1</IsBaseCalendar><BaseCalendarUID>-1"
    f"</BaseCalendarUID><WeekDays>{week(MON_FRI)}</WeekDays><Exceptions>"
    + exception("2026-03-04", "2026-03-06", False)
    + exception("2026-03-07", "2026-03-07", True)
    # weekly (Type 6), every week (Period 1), on Mondays (DaysOfWeek bit 2): 2, 9 and 16 Mar
    + exception("2026-03-02", "2026-03-16", False, "<Type>6</Type><Period>1</Period><DaysOfWeek>2</DaysOfWeek>")
    + "</Exceptions></Calendar>",
    task(1, "Run", "2026-03-02", "2026-03-11", budget=900) + task(2, "Cy's work", "2026-03-06", "2026-03-10", work=20),
    resource(1, "Cy", 1),
    assignment(1, 2, 1, "2026-03-06", "2026-03-10", 20),
)
SHEET = [["ID", "Task", "Status", "Start", "Finish", "Baseline Start", "Baseline Finish", "Budget", "% Complete"],
         ["S1", "Sheet work", "In progress", "2026-03-02", "2026-03-11", "2026-03-02", "2026-03-11", "800", "0%"]]


@pytest.fixture(scope="module")
def con(tmp_path_factory: pytest.TempPathFactory) -> duckdb.DuckDBPyConnection:
    folder = tmp_path_factory.mktemp("metrics_calendar")
    (folder / "plans").mkdir()
    (folder / "plans" / "a.xml").write_text(PLAN_A, encoding="utf-8")
    (folder / "plans" / "b.xml").write_text(PLAN_B, encoding="utf-8")
    with (folder / "sheet.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows(SHEET)
    config = folder / "portfolio.yaml"
    config.write_text("""
warehouse: var/w.duckdb
as_of: 2026-03-10
programs:
  - id: p
    name: Calendars
    projects:
      - {id: a, name: Plan A, source: plans, key: a.xml}
      - {id: b, name: Plan B, source: plans, key: b.xml}
      - {id: sheet, name: Sheet, source: sheets, key: sheet.csv}
sources:
  - {id: plans, kind: msproject, path: plans/*.xml}
  - {id: sheets, kind: spreadsheet, path: sheet.csv}
""")
    build_directly(config)
    connection = duckdb.connect(str(load_portfolio(config).warehouse), read_only=True)
    yield connection
    connection.close()


def pv(con: duckdb.DuckDBPyConnection, project: str) -> float:
    return con.execute("SELECT pv FROM marts.project_health WHERE project_id = ?", [project]).fetchone()[0]


def deployment(con: duckdb.DuckDBPyConnection, person: str) -> dict[dt.date, tuple[float, float]]:
    rows = con.execute("SELECT week_start, demand_hours, capacity_hours FROM marts.resource_deployment "
                       "WHERE resource_id = ? ORDER BY week_start", [f"{person}@example.org"]).fetchall()
    return {w: (pytest.approx(d), pytest.approx(c)) for w, d, c in rows}


MON_2, MON_9 = dt.date(2026, 3, 2), dt.date(2026, 3, 9)


@pytest.mark.pipeline
def test_pv_across_a_weekend_and_a_calendar_holiday(con) -> None:
    # Build, baseline Mon 2 - Wed 11 Mar (10 calendar days): minus Sat 7, Sun 8 and the holiday Fri 6 =
    # 7 working days (2, 3, 4, 5, 9, 10, 11). Before today (Tue 10): 2, 3, 4, 5, 9 = 5.
    # PV = 700 x 5/7 = 500 (Monday-Friday alone would say 700 x 6/8 = 525).
    assert pv(con, "a") == pytest.approx(700 * 5 / 7)


@pytest.mark.pipeline
def test_pv_with_a_multi_day_exception_a_worked_saturday_and_a_recurring_one(con) -> None:
    # Run, baseline Mon 2 - Wed 11 Mar: Mon 2 off (Mondays), Tue 3 on, Wed 4 - Fri 6 off (multi-day),
    # Sat 7 worked, Sun 8 off, Mon 9 off (Mondays), Tue 10, Wed 11 on = 4 working days (3, 7, 10, 11).
    # Before today: 3 and 7 = 2. PV = 900 x 2/4 = 450 (Monday-Friday: 900 x 6/8 = 675).
    assert pv(con, "b") == pytest.approx(900 * 2 / 4)


@pytest.mark.pipeline
def test_a_spreadsheet_project_is_monday_to_friday(con) -> None:
    # S1, Mon 2 - Wed 11 Mar: 8 weekdays, 6 before today (2-6, 9): PV = 800 x 6/8 = 600. Plan A's
    # holiday on Fri 6 is not the sheet's.
    assert pv(con, "sheet") == pytest.approx(800 * 6 / 8)


@pytest.mark.pipeline
def test_a_resource_holiday_reduces_demand_days_and_capacity(con) -> None:
    # Ann: 32 h over Mon 9 - Fri 13 Mar, her own holiday Thu 12 -> 4 working days, all in the week of
    # 9 Mar: 32 h demand. Capacity 40 h (max units 1 x 2400 min) x 4/5 = 32 h.
    assert deployment(con, "ann") == {MON_9: (32, 32)}


@pytest.mark.pipeline
def test_the_plan_holiday_reduces_capacity_of_a_person_without_their_own(con) -> None:
    # Bob: 32 h over Mon 2 - Fri 6 Mar, the plan's holiday Fri 6 -> 4 days; capacity 40 x 4/5 = 32.
    assert deployment(con, "bob") == {MON_2: (32, 32)}


@pytest.mark.pipeline
def test_an_assignment_only_on_a_holiday_is_reported_and_still_counted(con) -> None:
    # Dee: 8 h on Fri 6 Mar only, the plan's holiday: no working day. Reported, and the 8 h count on
    # the weekday nearest its start (Fri 6 itself) rather than vanish; capacity that week 40 x 4/5.
    assert deployment(con, "dee") == {MON_2: (8, 32)}
    findings = con.execute("SELECT object_key, detail FROM marts.data_quality "
                           "WHERE check_name = 'assignment_without_working_day'").fetchall()
    assert [key for key, _ in findings] == ["plans:a.xml#4"]
    assert "Dee is assigned 8.0 h on plans:a.xml#4 from 2026-03-06 to 2026-03-06" in findings[0][1]


@pytest.mark.pipeline
def test_a_worked_saturday_carries_demand_and_capacity(con) -> None:
    # Cy: 20 h over Fri 6 - Tue 10 Mar in plan B: Fri 6 off, Sat 7 worked, Sun 8 off, Mon 9 off,
    # Tue 10 on = 2 days, 10 h each: 10 h in the week of 2 Mar (Sat 7), 10 h in the week of 9 Mar.
    # Capacity, week of 2 Mar: Tue 3 and Sat 7 = 2 working days -> 40 x 2/5 = 16; week of 9 Mar:
    # Tue 10 - Fri 13 = 4 days (Mon 9 off) -> 32.
    assert deployment(con, "cy") == {MON_2: (10, 16), MON_9: (10, 32)}


@pytest.mark.pipeline
def test_core_calendar_days_holds_only_the_dates_that_differ(con) -> None:
    rows = con.execute("SELECT project_id, resource_id, date, is_working FROM core.calendar_days "
                       "WHERE date BETWEEN '2026-03-01' AND '2026-03-31' ORDER BY project_id, resource_id NULLS FIRST, date").fetchall()
    d = dt.date
    assert rows == [
        ("a", None, d(2026, 3, 6), False),  # the plan's holiday
        ("a", "ann@example.org", d(2026, 3, 12), False),  # Ann's own, against the plan's calendar
        ("b", None, d(2026, 3, 2), False), ("b", None, d(2026, 3, 4), False), ("b", None, d(2026, 3, 5), False),
        ("b", None, d(2026, 3, 6), False), ("b", None, d(2026, 3, 7), True), ("b", None, d(2026, 3, 9), False),
        ("b", None, d(2026, 3, 16), False),
    ]


# --- the reader, on real files -----------------------------------------------------------------------

def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def test_real_files_calendars_parse_with_every_exception() -> None:
    from connectors.msproject.calendars import parse_mspdi_calendar

    for path in sorted(REAL.glob("*-mspdi.xml")):
        root = ET.parse(path).getroot()
        calendars = [e for e in root.iter() if _local(e.tag) == "Calendar"]
        for element in calendars:
            # The test's own count: WeekDay entries of DayType 0 with a TimePeriod.
            expected = sum(1 for w in element.iter() if _local(w.tag) == "WeekDay"
                           and any(_local(c.tag) == "DayType" and c.text == "0" for c in w)
                           and any(_local(c.tag) == "TimePeriod" for c in w))
            parsed = parse_mspdi_calendar(_lxml(element))
            assert len(parsed.exceptions) == expected, (path.name, parsed.name)
            assert parsed.week == {0: True, 1: True, 2: True, 3: True, 4: True, 5: False, 6: False} or \
                parsed.base_uid is not None, (path.name, parsed.name)
    assert sum(1 for _ in REAL.glob("*-mspdi.xml")) > 10


def test_real_recurring_exceptions_expand_to_their_occurrences() -> None:
    """The 2007+ <Exceptions> of types 1 (daily), 6 (weekly) and 7 (every n days) expand to exactly
    <Occurrences> dates, each one of the dates Project wrote out as a DayType 0 entry."""
    from connectors.msproject.calendars import _mspdi_exception

    path = REAL / "calendar-recurring-exceptions-project2016-mspdi.xml"
    root = ET.parse(path).getroot()
    listed = {dt.date.fromisoformat(f.text[:10]) for w in root.iter() if _local(w.tag) == "WeekDay"
              for p in w if _local(p.tag) == "TimePeriod" for f in p if _local(f.tag) == "FromDate"}
    checked = 0
    for element in (e for e in root.iter() if _local(e.tag) == "Exception"):
        fields = {_local(c.tag): c.text for c in element}
        if fields.get("Type") not in {"1", "6", "7"}:
            continue
        dates = list(_mspdi_exception(_lxml(element)).dates(dt.date(1990, 1, 1), dt.date(2030, 1, 1)))
        assert len(dates) == int(fields["Occurrences"]), fields["Name"]
        assert dates[0] in listed, fields["Name"]  # the first occurrence is one Project listed
        checked += 1
    assert checked == 1 + 7 + 3  # the file has 1 exception of Type 1, 7 of Type 6, 3 of Type 7


def _lxml(element: ET.Element):
    """The stdlib element as lxml (what the reader gets from iterparse)."""
    from lxml import etree

    return etree.fromstring(ET.tostring(element))


@pytest.mark.slow  # starts a JVM
@pytest.mark.parametrize("stem", ["calendar-recurring-exceptions", "calendar-calendars"])
def test_mspdi_calendars_agree_with_mpxj_on_the_mpp_twin(stem: str) -> None:
    """Every date of 2000-2002 (where the real files' exceptions are), for every calendar in both files:
    our reading of the MSPDI file says working exactly when MPXJ's ProjectCalendar.isWorkingDate does
    on the .mpp of the same plan - monthly and yearly recurrences included."""
    from connectors.msproject.calendars import Resolver, parse_mspdi_calendar
    from connectors.msproject.mpp import mpp_available

    if not mpp_available():
        pytest.skip("the mpp extra (MPXJ + JPype) or a Java runtime is missing")
    from java.time import LocalDate
    from lxml import etree
    from org.mpxj.reader import UniversalProjectReader

    root = etree.parse(str(REAL / f"{stem}-project2016-mspdi.xml")).getroot()
    ours = {c.uid: c for c in map(parse_mspdi_calendar, root.iter("{*}Calendar"))}
    low, high = dt.date(1999, 12, 1), dt.date(2003, 1, 31)
    resolver = Resolver(ours, low, high)
    mpxj = UniversalProjectReader().read(str(REAL / f"{stem}-project2016-mpp14.mpp"))
    compared = 0
    for calendar in mpxj.getCalendars():
        if int(calendar.getUniqueID()) not in ours:
            continue  # MPXJ's own placeholder calendars, not in the XML
        working = resolver.working(int(calendar.getUniqueID()))
        days = [low + dt.timedelta(days=n) for n in range((high - low).days + 1)]
        differ = [d for d in days if working(d) != bool(calendar.isWorkingDate(LocalDate.of(d.year, d.month, d.day)))]
        assert differ == [], (stem, str(calendar.getName()))
        compared += 1
    assert compared == len(ours)


def test_an_absurd_exception_is_quarantined_and_the_plan_still_loads(tmp_path: Path) -> None:
    from test_msproject import load

    # A "holiday" from 2026 to 2099 (73 years) is a typo, not a calendar: the calendar is left out,
    # named by its UID, and the plan counts Monday-Friday.
    absurd = ("<Calendar><UID>1</UID><Name>Standard</Name><IsBaseCalendar>1</IsBaseCalendar><WeekDays>"
              f"{week(MON_FRI)}<WeekDay><DayType>0</DayType><DayWorking>0</DayWorking><TimePeriod><FromDate>"
              "2026-03-06T00:00:00</FromDate><ToDate>2099-03-06T23:59:00</ToDate></TimePeriod></WeekDay>"
              "</WeekDays></Calendar>")
    (tmp_path / "p.xml").write_text(plan("p", absurd, task(1, "Build", "2026-03-02", "2026-03-11", budget=700)))
    con, outcome = load(tmp_path, "*.xml")
    assert outcome.ok, outcome.error
    (key, reason), = con.execute("SELECT object_key, reason FROM raw.quarantine").fetchall()
    assert key == "p.xml#calendar1" and "2026-03-06 to 2099-03-06" in reason and "longer than 30 years" in reason
    assert con.execute("SELECT count(*) FROM raw.msproject__calendar_days").fetchone()[0] == 0
    assert con.execute("SELECT count(*) FROM raw.msproject__tasks").fetchone()[0] == 2  # UID 0 and Build
