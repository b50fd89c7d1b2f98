"""Primavera P6 files (XER and PMXML) written by MPXJ's own P6 writers, for the P6 reader's tests.

The schedule is small enough to check by eye: a substation build with two WBS elements, four
activities, a finish-to-start link with a day's lag and a start-to-start link, planned (target)
dates that differ from the current ones for one activity, and two resources on three assignments.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any


@dataclass(frozen=True)
class Activity:
    code: str
    name: str
    wbs: str
    start: tuple[int, int, int]  # current (early) dates, 08:00 to 17:00 on a standard calendar
    finish: tuple[int, int, int]
    days: int
    planned_start: tuple[int, int, int] | None = None  # P6's target dates when they differ
    planned_finish: tuple[int, int, int] | None = None
    milestone: bool = False


WBS = {"CIV": "Civil works", "ELE": "Electrical"}
ACTIVITIES = (
    Activity("A1000", "Excavate", "CIV", (2026, 3, 2), (2026, 3, 6), 5),
    Activity("A1010", "Pour foundations", "CIV", (2026, 3, 10), (2026, 3, 16), 5,
             planned_start=(2026, 3, 9), planned_finish=(2026, 3, 13)),
    Activity("A2000", "Install transformer", "ELE", (2026, 3, 12), (2026, 3, 18), 5),
    Activity("A2010", "Energise", "ELE", (2026, 3, 18), (2026, 3, 18), 0, milestone=True),
)
#: (predecessor code, successor code, MPXJ relation type, lag in working days)
LINKS = (("A1000", "A1010", "FINISH_START", 1), ("A1010", "A2000", "START_START", 2),
         ("A2000", "A2010", "FINISH_FINISH", 0))
RESOURCES = ("Crew A", "Electrician")
#: (activity code, resource name, hours of work)
ASSIGNMENTS = (("A1000", "Crew A", 40), ("A1010", "Crew A", 40), ("A2000", "Electrician", 40))


def write_p6(folder: Path, stem: str = "substation") -> tuple[Path, Path]:
    """Write ``<stem>.xer`` and ``<stem>-pmxml.xml`` (the latter under the MSPDI extension on purpose)."""
    from connectors.msproject.mpp import _start_jvm

    _start_jvm()
    from org.mpxj.primavera import PrimaveraPMFileWriter, PrimaveraXERFileWriter

    project = _project()
    xer, pmxml = folder / f"{stem}.xer", folder / f"{stem}-pmxml.xml"
    PrimaveraXERFileWriter().write(project, str(xer))
    PrimaveraPMFileWriter().write(project, str(pmxml))
    return xer, pmxml


def _project() -> Any:
    from java.time import LocalDateTime
    from org.mpxj import ActivityType, Duration, ProjectFile, Relation, RelationType, TimeUnit

    def at(day: tuple[int, int, int], hour: int) -> Any:
        return LocalDateTime.of(*day, hour, 0)

    project = ProjectFile()
    project.getProjectProperties().setName("Substation")
    project.setDefaultCalendar(project.addDefaultBaseCalendar())
    wbs = {}
    for code, name in WBS.items():
        wbs[code] = project.addTask()
        wbs[code].setName(name)
        wbs[code].setWBS(code)
    tasks = {}
    for act in ACTIVITIES:
        task = tasks[act.code] = wbs[act.wbs].addTask()
        task.setName(act.name)
        task.setActivityID(act.code)
        # P6 knows a milestone by its activity type, not by a zero duration.
        task.setActivityType(ActivityType.FINISH_MILESTONE if act.milestone else ActivityType.TASK_DEPENDENT)
        days = Duration.getInstance(act.days, TimeUnit.DAYS)
        start, finish = at(act.start, 8), at(act.finish, 8 if act.milestone else 17)
        # The XER writer takes the schedule from the early/remaining dates, the planned ones from target.
        for setter in (task.setStart, task.setEarlyStart, task.setLateStart, task.setRemainingEarlyStart):
            setter(start)
        for setter in (task.setFinish, task.setEarlyFinish, task.setLateFinish, task.setRemainingEarlyFinish):
            setter(finish)
        task.setPlannedStart(at(act.planned_start or act.start, 8))
        task.setPlannedFinish(at(act.planned_finish or act.finish, 8 if act.milestone else 17))
        for setter in (task.setDuration, task.setPlannedDuration, task.setRemainingDuration):
            setter(days)
    for before, after, kind, lag in LINKS:
        tasks[after].addPredecessor(Relation.Builder().predecessorTask(tasks[before])
                                    .type(RelationType.valueOf(kind)).lag(Duration.getInstance(lag, TimeUnit.DAYS)))
    resources = {}
    for name in RESOURCES:
        resources[name] = project.addResource()
        resources[name].setName(name)
    for code, name, hours in ASSIGNMENTS:
        tasks[code].addResourceAssignment(resources[name]).setWork(Duration.getInstance(hours, TimeUnit.HOURS))
    return project
