"""Binary .mpp plans, read with MPXJ (Java) through JPype, into the same project model as MSPDI.

Optional: ``pip install 'pmo-sightline[mpp]'`` and a Java runtime (11 or newer). Without either, an
.mpp file fails with a message saying exactly that, and the source's other files still load.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from connectors.base import Batch, ExtractContext, SourceError
from connectors.msproject.calendars import WorkingFn, window
from connectors.msproject.options import MsProjectOptions
from connectors.msproject.records import PlanBuilder

EXTRA_HINT = ("install the optional extra with: pip install 'pmo-sightline[mpp]', and a Java runtime 11+ "
              "(e.g. apt-get install default-jre-headless)")
INSTALL_HINT = f"{EXTRA_HINT}, or save the plan as XML from Project"
RELATIONS = {"FINISH_FINISH": "FF", "FINISH_START": "FS", "START_FINISH": "SF", "START_START": "SS"}
_jvm_lock = threading.Lock()


#: Log4j (inside MPXJ) otherwise prints "could not find a logging provider" on stderr on every run.
JVM_QUIET = ("-Dlog4j2.level=off", "-Dlog4j2.statusLoggerLevel=OFF")
PASSWORD_ADVICE = ("the plan is password-protected; remove the password in Project (File > Info > Protect), "
                   "save it and drop it again")


def _start_jvm(what: str = ".mpp", hint: str = INSTALL_HINT) -> Any:
    try:
        import jpype
        import mpxj  # noqa: F401 - puts MPXJ's jars on the class path
    except ImportError:
        raise SourceError(f"reading {what} files needs MPXJ: {hint}") from None
    with _jvm_lock:
        if not jpype.isJVMStarted():
            try:
                jpype.startJVM(jpype.getDefaultJVMPath(), *JVM_QUIET, convertStrings=True)
            except (jpype.JVMNotFoundException, OSError) as exc:
                raise SourceError(f"reading {what} files needs Java, which was not found ({exc}): {hint}") from None
    return jpype


def mpp_available() -> bool:
    try:
        _start_jvm()
    except SourceError:
        return False
    return True


def _time(value: Any) -> dt.datetime | None:
    return None if value is None else dt.datetime.fromisoformat(str(value))


def read(path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
         options: MsProjectOptions) -> Iterator[Batch]:
    """The .mpp reader (``records.Reader``): MPXJ loads the whole plan, so batches come at the end."""
    read_mpp(path, name, builder, context)
    yield from builder.drain()


def load_projects(path: Path) -> list[Any]:
    """MPXJ's in-memory projects of a file in any format it recognises (none when it recognises none;
    a P6 export can hold several)."""
    from org.mpxj.reader import UniversalProjectReader

    return list(UniversalProjectReader().readAll(str(path)))


@dataclass(frozen=True)
class Flavour:
    """How one kind of file MPXJ reads is named in the warehouse (``fmt``) and in its errors."""

    fmt: str
    what: str  # "reading <what> files needs MPXJ", "not a <what> file"
    resave: str  # what to do with a file MPXJ cannot read
    hint: str = INSTALL_HINT  # what to do without the extra


MPP = Flavour("mpp", ".mpp", "save it again from Project")


def _open(path: Path, name: str, flavour: Flavour) -> Any:
    what, resave = flavour.what, flavour.resave
    _start_jvm(what, flavour.hint)
    try:
        projects = load_projects(path)
    except Exception as exc:  # MPXJ raises MPXJException and runtime errors for damaged files
        if "password protected" in str(exc).lower():  # MPXJException.PASSWORD_PROTECTED(_ENTER_PASSWORD)
            raise SourceError(f"{name}: {PASSWORD_ADVICE}") from None
        raise SourceError(f"{name}: MPXJ cannot read this plan ({exc}); {resave}") from None
    if not projects:
        raise SourceError(f"{name}: not a {what} file MPXJ recognises; {resave}")
    if len(projects) > 1:  # one file is one project: which of them would the rollups mean?
        names = ", ".join(repr(str(p.getProjectProperties().getName() or "?")) for p in projects)
        raise SourceError(f"{name}: holds {len(projects)} projects ({names}); export one project per file")
    return projects[0]


def read_mpp(path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
             flavour: Flavour = MPP) -> None:
    """Any plan MPXJ reads (``.mpp``, Primavera P6 XER and PMXML) into ``builder``."""
    project = _open(path, name, flavour)
    from org.mpxj import FieldTypeClass, TimeUnit

    props = project.getProjectProperties()

    def hours(duration: Any) -> float | None:
        if duration is None:
            return None
        return float(duration.convertUnits(TimeUnit.HOURS, props).getDuration())

    def number(value: Any) -> float | None:
        return None if value is None else float(value.doubleValue() if hasattr(value, "doubleValue") else value)

    fields = {}
    for role, alias in builder.wanted_aliases().items():
        field = project.getCustomFields().getFieldByAlias(FieldTypeClass.TASK, alias)
        if field is not None:
            fields[role] = field

    for task in project.getTasks():
        if task.getNull():
            continue
        uid = int(task.getUniqueID())
        tags = {role: [p.strip() for p in str(task.get(field) or "").replace(";", ",").split(",") if p.strip()]
                for role, field in fields.items()}
        try:
            builder.task(
                uid=uid, id=int(task.getID()) if task.getID() is not None else None, name=task.getName(),
                wbs=task.getWBS(), outline_number=task.getOutlineNumber(),
                outline_level=int(task.getOutlineLevel() or 0), summary_flag=bool(task.getSummary()),
                is_milestone=bool(task.getMilestone()), start=_time(task.getStart()), finish=_time(task.getFinish()),
                duration_hours=hours(task.getDuration()), work_hours=hours(task.getWork()),
                percent_complete=number(_percent_complete(task, flavour)),
                percent_work_complete=number(task.getPercentageWorkComplete()),
                actual_start=_time(task.getActualStart()), actual_finish=_time(task.getActualFinish()),
                cost=number(task.getCost()), actual_cost=number(task.getActualCost()),
                priority=int(task.getPriority().getValue()) if task.getPriority() is not None else None,
                critical=bool(task.getCritical()),
                baseline_start=_time(task.getBaselineStart()), baseline_finish=_time(task.getBaselineFinish()),
                baseline_duration_hours=hours(task.getBaselineDuration()), baseline_work_hours=hours(task.getBaselineWork()),
                baseline_cost=number(task.getBaselineCost()),
                systems=tags.get("systems", []), objectives=tags.get("objectives", []),
                deadline=_time(task.getDeadline()),
                is_active=bool(task.getActive()), reported_status=", ".join(tags.get("reported_status", [])) or None,
            )
        except ValueError as exc:  # a number out of bounds: this task only
            context.quarantine(f"{name}#{uid}", f"{name}, task UID {uid}", str(exc), {"name": str(task.getName() or "")})
            continue
        for number_ in range(11):
            finish = task.getBaselineFinish(number_) if number_ else task.getBaselineFinish()
            start = task.getBaselineStart(number_) if number_ else task.getBaselineStart()
            cost = task.getBaselineCost(number_) if number_ else task.getBaselineCost()
            if finish is None and start is None and cost is None:
                continue
            builder.rows["baselines"].append({
                "file": name, "uid": uid, "number": number_, "start": _time(start), "finish": _time(finish),
                "duration_hours": hours(task.getBaselineDuration(number_) if number_ else task.getBaselineDuration()),
                "work_hours": hours(task.getBaselineWork(number_) if number_ else task.getBaselineWork()),
                "cost": number(cost),
            })
        for relation in task.getPredecessors():
            builder.link(
                successor_uid=uid, predecessor_uid=int(relation.getPredecessorTask().getUniqueID()),
                link_type=RELATIONS[str(relation.getType().name())], lag_hours=hours(relation.getLag()),
                lag_percent=None, cross_project=False, cross_project_name=None,
            )

    for resource in project.getResources():
        if resource.getUniqueID() is None or bool(resource.getRole()):
            continue  # a P6 role is a job category, not a person: it is no one's capacity
        kind = str(resource.getType() or "WORK").lower()
        max_units = number(resource.getMaxUnits())
        builder.resource(
            uid=int(resource.getUniqueID()), name=resource.getName(), type=kind,
            max_units=None if max_units is None else max_units / 100,  # MPXJ gives percent
            email=resource.getEmailAddress(), group_name=resource.getGroup(),
        )
    for assignment in project.getResourceAssignments():
        units = number(assignment.getUnits())
        builder.assignment(
            uid=int(assignment.getUniqueID()), task_uid=int(assignment.getTaskUniqueID()),
            resource_uid=assignment.getResourceUniqueID() and int(assignment.getResourceUniqueID()),
            units=None if units is None else units / 100, work_hours=hours(assignment.getWork()),
            actual_work_hours=hours(assignment.getActualWork()), start=_time(assignment.getStart()),
            finish=_time(assignment.getFinish()),
        )
    _calendars(project, builder)
    builder.finish({
        "Name": props.getName(), "Title": props.getProjectTitle(), "Manager": props.getManager(),
        "StatusDate": str(props.getStatusDate()) if props.getStatusDate() is not None else None,
        "MinutesPerDay": str(props.getMinutesPerDay()) if props.getMinutesPerDay() is not None else None,
        "MinutesPerWeek": str(props.getMinutesPerWeek()) if props.getMinutesPerWeek() is not None else None,
        "CurrencyCode": props.getCurrencyCode(),
        "StartDate": str(props.getStartDate()) if props.getStartDate() is not None else None,
        "FinishDate": str(props.getFinishDate()) if props.getFinishDate() is not None else None,
    }, fmt=flavour.fmt)


def _percent_complete(task: Any, flavour: Flavour) -> Any:
    """The % complete the plan's own tool shows: P6's activity % complete follows each activity's
    percent complete type (duration, physical or units); Project's is the duration % complete."""
    if flavour.fmt.startswith("p6-"):
        return task.getActivityPercentComplete()
    return task.getPercentageComplete()


def _calendars(project: Any, builder: PlanBuilder) -> None:
    """The plan's default calendar and each work resource's, through MPXJ's own resolution of bases,
    exceptions and work weeks (ProjectCalendar.isWorkingDate), as the dates that differ."""
    dates = [row[key] for row in builder.rows["tasks"] for key in ("start", "finish", "baseline_start", "baseline_finish")
             if row.get(key) is not None]
    plan = project.getDefaultCalendar()
    if not dates or plan is None:
        return
    from java.time import LocalDate

    cache: dict[int, dict[dt.date, bool]] = {}

    def working(calendar: Any) -> WorkingFn:
        days = cache.setdefault(int(calendar.getUniqueID()), {})

        def is_working(day: dt.date) -> bool:
            if day not in days:  # one call into Java per calendar and date
                days[day] = bool(calendar.isWorkingDate(LocalDate.of(day.year, day.month, day.day)))
            return days[day]

        return is_working

    resources = {}
    for resource in project.getResources():
        calendar = resource.getCalendar()
        if (resource.getUniqueID() is None or calendar is None or not resource.getName()
                or str(resource.getType() or "WORK") != "WORK" or not _own_rules(calendar)):
            continue  # a calendar with no rules of its own is its base's: the plan's dates stand
        resources[int(resource.getUniqueID())] = (working(calendar), calendar.getName())
    span = window(min(dates).date(), max(dates).date())
    builder.calendar_days(working(plan), plan.getName(), resources, span)


def _own_rules(calendar: Any) -> bool:
    """Whether a (resource) calendar changes anything of its base: exceptions, work weeks, or a day
    not left to the base."""
    from java.time import DayOfWeek
    from org.mpxj import DayType

    return (calendar.getParent() is None or not calendar.getCalendarExceptions().isEmpty()
            or not calendar.getWorkWeeks().isEmpty()
            or any(calendar.getCalendarDayType(day) != DayType.DEFAULT for day in DayOfWeek.values()))
