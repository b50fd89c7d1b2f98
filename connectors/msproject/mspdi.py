"""MSPDI (Project's "Save As XML") read as a stream, securely.

The file is parsed with ``lxml.etree.iterparse``; each ``Task``, ``Resource``, ``Assignment`` and
``ExtendedAttribute`` definition is read when its element ends, then cleared, so memory does not
grow with the number of tasks. A large plain file is parsed instead in slices on a second thread
(``slices``: lxml frees the GIL while it parses, so the parse overlaps the reading), which yields
the same records in the same order. Tasks and assignments go into column buffers (``columns.Cells``)
and are typed 5,000 at a time with Arrow compute; a batch holding a value the bulk path will not
judge is mapped row by row instead (``_mspdi_task``), which quarantines as it always did.
Elements are found by local name, so a file without
the ``http://schemas.microsoft.com/project`` namespace reads the same, and children are read by
name, not position (real files break the documented order).

Security: a DTD is refused before the parser sees it (a document type declaration is the only way
to define entities), the parser resolves no entities, loads no DTD and never touches the network.
"""

from __future__ import annotations

import codecs
import contextlib
import datetime as dt
import gc
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pyarrow as pa
import pyarrow.compute as pc
from lxml import etree

from connectors.base import Batch, ExtractContext, SourceError
from connectors.msproject import slices
from connectors.msproject.calendars import Calendar, Resolver, parse_mspdi_calendar, window
from connectors.msproject.columns import (
    Cells,
    Irregular,
    decimals,
    flags,
    hours,
    integers,
    present,
    timestamps,
)
from connectors.msproject.options import MsProjectOptions
from connectors.msproject.records import (
    UNASSIGNED_RESOURCE,
    PlanBuilder,
    number,
    tasks_within_limits,
    timestamp,
)

LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
PERCENT_LAG_FORMATS = {"19", "20"}  # LinkLag is a percentage of the predecessor's duration
RESOURCE_TYPES = {"0": "material", "1": "work", "2": "cost"}
PROJECT_PROPERTIES = {"Name", "Title", "StatusDate", "MinutesPerDay", "MinutesPerWeek", "CurrencyCode",
                      "StartDate", "FinishDate", "Author", "Manager", "CalendarUID"}
SCAN_CHUNK = 64 * 1024  # the prolog scan reads this much at a time, however long the prolog
XML_SPACE = " \t\r\n"
_BOMS = ((codecs.BOM_UTF8, "utf-8"), (codecs.BOM_UTF16_LE, "utf-16-le"), (codecs.BOM_UTF16_BE, "utf-16-be"))
_BARE_UTF16 = ((b"<\x00?\x00", "utf-16-le"), (b"\x00<\x00?", "utf-16-be"))  # "<?" without a BOM
_DECLARED_ENCODING = re.compile(rb"""<\?xml[^>]*?encoding\s*=\s*["']([A-Za-z0-9._-]+)["']""")
_DURATION = re.compile(r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


_LOCAL_NAMES: dict[str, str] = {}


def local(tag: Any) -> str:
    """'{http://schemas.microsoft.com/project}Task' -> 'Task' (cached: a plan repeats a few dozen tags)."""
    if not isinstance(tag, str):
        return ""
    name = _LOCAL_NAMES.get(tag)
    if name is None:
        name = _LOCAL_NAMES[tag] = tag.rpartition("}")[2]
    return name


_HOURS_ONLY = re.compile(r"^PT(\d+)H(\d+)M(\d+)S$")  # what Project writes almost always


def iso_hours(value: str | None, hours_per_day: float = 8.0) -> float | None:
    """ISO 8601 duration -> hours ('PT8H0M0S' -> 8.0). MSPDI writes hours; days count as working days."""
    if not value:
        return None
    if quick := _HOURS_ONLY.match(value):
        return int(quick.group(1)) + int(quick.group(2)) / 60 + int(quick.group(3)) / 3600
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO 8601 duration")
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        raise ValueError(f"{value!r}: durations in years or months are ambiguous")
    total = float(days or 0) * hours_per_day + float(hours or 0) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    return -total if sign else total


@dataclass
class Collected:
    """A record element turned into plain data: text children by name, repeated children as lists."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[dict[str, str]]] = field(default_factory=dict)


NESTED = {"PredecessorLink", "Baseline", "ExtendedAttribute", "TimephasedData", "OutlineCode"}
COLUMN_KINDS = ("task", "assignment")  # the records a plan has by the thousand
UNREAD = ("TimephasedData", "OutlineCode")  # nested groups the column path never reads
BUFFER_ROWS = 5_000
TASK_TEXTS = {"name": "Name", "wbs": "WBS", "outline_number": "OutlineNumber"}
TASK_FLAGS = {"summary_flag": "Summary", "is_milestone": "Milestone", "critical": "Critical", "is_active": "Active"}
TASK_TIMES = {"start": "Start", "finish": "Finish", "actual_start": "ActualStart", "actual_finish": "ActualFinish",
              "deadline": "Deadline"}


def _collect(element: etree._Element) -> Collected:
    record = Collected()
    values, lists, names = record.values, record.lists, _LOCAL_NAMES
    for child in element:  # the hot loop of a large plan: no function calls where a lookup will do
        tag = child.tag
        name = names.get(tag) or local(tag)
        if name in NESTED:  # repeated groups: PredecessorLink, Baseline, ExtendedAttribute ...
            lists.setdefault(name, []).append({(names.get(g.tag) or local(g.tag)): g.text or "" for g in child})
        elif name:
            values[name] = child.text or ""
    return record


def check_prologue(path: Path, name: str) -> None:
    """Refuse DTDs (and so entity definitions) before any parser sees the file.

    Everything before the root element's start tag is scanned, however long, as text decoded the
    way an XML parser would decode it (BOM, UTF-16's zero bytes, the declared encoding), so neither
    100 KB of comments nor UTF-16 hides a ``<!DOCTYPE``. Streamed: memory stays at one chunk.
    """
    with path.open("rb") as handle:
        head = handle.read(SCAN_CHUNK)
        codec, skip = _encoding(head)
        try:
            decoder = codecs.getincrementaldecoder(codec)(errors="strict")
        except LookupError:
            raise SourceError(f"{name}: refused, unknown XML encoding {codec!r}; export the plan again "
                              "from Project (it writes UTF-8)") from None

        def chunks() -> Iterator[str]:
            data = head[skip:]
            while data:
                yield decoder.decode(data)
                data = handle.read(SCAN_CHUNK)
            yield decoder.decode(b"", final=True)

        try:
            found = _scan_prolog(chunks(), name)
        except UnicodeDecodeError as exc:
            raise SourceError(f"{name}: not well-formed XML (the text before the root element is not valid "
                              f"{codec}: {exc.reason}); export the plan again from Project") from None
    if found == "empty":
        raise SourceError(f"{name}: the file is empty; export the plan again with File > Save As > XML")


def _encoding(head: bytes) -> tuple[str, int]:
    """(codec, BOM bytes to skip), detected as XML 1.0 appendix F does: BOM, zero-byte pattern, declaration."""
    for bom, codec in _BOMS:
        if head.startswith(bom):
            return codec, len(bom)
    for pattern, codec in _BARE_UTF16:
        if head.startswith(pattern):
            return codec, 0
    declared = _DECLARED_ENCODING.match(head)
    return (declared.group(1).decode("ascii") if declared else "utf-8"), 0


def _scan_prolog(chunks: Iterator[str], name: str) -> str:
    """'root' once the root start tag is reached, 'empty' when the file has no markup at all;
    raises SourceError on a ``<!`` declaration (DOCTYPE, ENTITY ...) or text before the root."""
    buffer, closing, seen_markup = "", "", False
    for chunk in chunks:
        buffer += chunk
        while True:
            if closing:  # inside a comment or processing instruction: only its end matters
                end = buffer.find(closing)
                if end < 0:
                    buffer = buffer[-(len(closing) - 1):]  # the terminator may straddle two chunks
                    break
                buffer, closing = buffer[end + len(closing):], ""
            buffer = buffer.lstrip(XML_SPACE)
            if len(buffer) < len("<!--"):
                break  # too short to tell a comment from a declaration: read on
            closing = _classify(buffer, name)
            if not closing:
                return "root"
            seen_markup = True
            buffer = buffer[2 if closing == "?>" else 4:]
    if buffer and not closing:
        _classify(buffer, name)  # a root element shorter than "<!--", or a stray declaration
        return "root"
    return "root" if seen_markup else "empty"


def _classify(buffer: str, name: str) -> str:
    """What starts ``buffer``: the terminator to skip to for a PI or comment, '' for the root element."""
    if buffer.startswith("<?"):
        return "?>"
    if buffer.startswith("<!--"):
        return "-->"
    if buffer.startswith("<!"):
        raise SourceError(
            f"{name}: refused, the XML declares a DTD or entities (MSPDI files never do); "
            "this may be a malicious file - export the plan again from Project"
        )
    if buffer.startswith("<"):
        return ""
    raise SourceError(f"{name}: not well-formed XML (text {buffer[:20]!r} before the root element); "
                      "export the plan again with File > Save As > XML")


RECORD_TAGS = tuple(f"{{*}}{name}" for name in ("Task", "Resource", "Assignment", "ExtendedAttribute", "Calendar"))
RECORD_KINDS = {"Task": "task", "Resource": "resource", "Assignment": "assignment",
                "ExtendedAttribute": "attribute_definition", "Calendar": "calendar"}


def iter_records(path: Path, name: str, properties: dict[str, str]) -> Iterator[tuple[str, Any]]:
    """Yield ('task', ...), ('resource', ...), ('assignment', ...), ('attribute_definition', ...) as
    :class:`Collected`, and ('calendar', the element itself: nested, read before the next record) in
    file order; project properties (Name, MinutesPerDay ...) fill ``properties`` as soon as the first
    record is reached (MSPDI writes them before any record)."""
    for kind, element in iter_elements(path, name, properties):
        yield kind, element if kind == "calendar" else _collect(element)


def iter_elements(path: Path, name: str, properties: dict[str, str]) -> Iterator[tuple[str, etree._Element]]:
    """As :func:`iter_records`, but every record as its element, valid only until the next one."""
    for kind, run in iter_runs(path, name, properties):
        for element in run:
            yield kind, element


def iter_runs(path: Path, name: str, properties: dict[str, str]) -> Iterator[tuple[str, list[etree._Element]]]:
    """As :func:`iter_elements`, in runs of records of one kind: (kind, elements), each run valid
    only until the next is asked for.

    A large plain file is read in slices parsed on a second thread (``slices``), a slice's records
    a run; any other file, or the rest of one whose slices stop being plain, with ``iterparse``,
    one record a run.
    """
    check_prologue(path, name)
    done = 0
    if path.stat().st_size >= slices.MIN_BYTES:
        def first_event(root: etree._Element, child: etree._Element | None) -> None:
            _check_root(root, name)
            _read_properties(root, properties, child)

        try:
            for kind, run in slices.plain_runs(path, _record_kind, first_event):
                yield kind, run
                done += len(run)
            return
        except slices.NotPlain:
            pass  # iterparse reads on from the first record not yet given, and words any error
    for kind, element in _iterparse(path, name, properties, done):
        yield kind, [element]


def _record_kind(tag: Any) -> str | None:
    return RECORD_KINDS.get(local(tag))


def _iterparse(path: Path, name: str, properties: dict[str, str], skip: int) -> Iterator[tuple[str, etree._Element]]:
    """iter_elements with lxml's iterparse, leaving out the first ``skip`` records."""
    # Only record elements raise events ({*} matches any namespace or none): the parser does the
    # filtering in C, and each record's children are read when the record ends.
    context = etree.iterparse(str(path), events=("end",), tag=RECORD_TAGS, **slices.SETTINGS)
    checked = False
    try:
        for _, element in context:
            if not checked:
                root = element.getroottree().getroot()
                _check_root(root, name)
                _read_properties(root, properties)
                checked = True
            parent = element.getparent()
            grand = parent.getparent() if parent is not None else None
            if grand is None or grand.getparent() is not None:
                continue  # a task's own ExtendedAttribute value: read with its task
            if skip:
                skip -= 1  # already given from the slices
            else:
                yield RECORD_KINDS[local(element.tag)], element
            element.clear()
            while element.getprevious() is not None:  # free what was already read
                del parent[0]
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{name}: not well-formed XML ({exc.msg}, line {exc.lineno}); the file may be "
                          "truncated - export it again") from None
    if not checked:
        root = getattr(context, "root", None)
        if root is None:
            raise SourceError(f"{name}: no XML content; export the plan again with File > Save As > XML")
        _check_root(root, name)
        _read_properties(root, properties)


def _check_root(root: etree._Element, name: str) -> None:
    if local(root.tag) != "Project":
        raise SourceError(
            f"{name}: not a Microsoft Project XML file (root element <{local(root.tag)}>, expected <Project>); "
            "export with File > Save As > XML (MSPDI)"
        )


def _read_properties(root: etree._Element, properties: dict[str, str], before: etree._Element | None = None) -> None:
    """The root's property elements (those before ``before``: the ones iterparse has seen by then)."""
    for child in root:
        if child is before:
            break
        tag = local(child.tag)
        if tag in PROJECT_PROPERTIES and len(child) == 0:
            properties[tag] = (child.text or "").strip()


def read(path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
         options: MsProjectOptions) -> Iterator[Batch]:
    """The MSPDI reader (``records.Reader``): streamed, a batch out every thousand records."""
    mapper = _Mapper(builder)
    properties: dict[str, str] = {}
    with _no_cyclic_gc():
        since_drain = 0
        for kind, run in iter_runs(path, name, properties):
            mapper.add_run(kind, run, properties, context)
            since_drain += len(run)
            if since_drain >= 1000:
                since_drain = 0
                yield from builder.drain()
        mapper.flush(properties, context)
    mapper.calendar_days(properties)
    builder.finish(properties)


@contextlib.contextmanager
def _no_cyclic_gc() -> Iterator[None]:
    """Parsing a plan allocates millions of short-lived, acyclic objects; the cycle collector would
    walk them over and over for nothing. Reference counting still frees them as they go."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            gc.enable()


class _Mapper:
    """MSPDI records of one file into the project model. Custom fields are found through their
    definitions (alias or field name), which MSPDI writes before the tasks using them."""

    def __init__(self, builder: PlanBuilder):
        self.builder = builder
        self.wanted = {name.lower(): role for role, name in builder.wanted_aliases().items()}
        self.field_roles: dict[str, str] = {}  # FieldID -> systems | objectives
        self.calendars: dict[int, Calendar] = {}
        self.resource_calendars: dict[int, int] = {}  # resource UID -> its calendar's UID
        self.span: list[str] = []  # [first, last] ISO date of the tasks' (baseline) starts and finishes
        self.buffers = {kind: Cells(local, NESTED, UNREAD) for kind in COLUMN_KINDS}

    def add_run(self, kind: str, elements: list[etree._Element], properties: Mapping[str, str],
                context: ExtractContext) -> None:
        """Records of one kind, in file order: tasks and assignments into column buffers, typed a
        batch at a time; the rest row by row."""
        for other, cells in self.buffers.items():
            if other != kind and cells.count:  # another kind begins: earlier records go first
                self._flush(other, properties, context)
        buffer = self.buffers.get(kind)
        if buffer is None:
            for element in elements:
                self.add(kind, element if kind == "calendar" else _collect(element), properties, context)
            return
        for element in elements:  # the hot loop of a large plan: a slice's records at a time
            buffer.add(element)
            if buffer.count >= BUFFER_ROWS:
                self._flush(kind, properties, context)
                buffer = self.buffers[kind]

    def flush(self, properties: Mapping[str, str], context: ExtractContext) -> None:
        for kind in self.buffers:
            self._flush(kind, properties, context)

    def _flush(self, kind: str, properties: Mapping[str, str], context: ExtractContext) -> None:
        cells = self.buffers[kind]
        self.buffers[kind] = Cells(local, NESTED, UNREAD)
        if not cells.count:
            return
        hours_per_day = (number(properties.get("MinutesPerDay")) or 480) / 60
        try:
            (self._task_columns if kind == "task" else self._assignment_columns)(cells, hours_per_day)
        except Irregular:  # a value only the row path can judge (and quarantine, naming it)
            for values, lists in cells.records():
                self.add(kind, Collected(values, lists), properties, context)

    def add(self, kind: str, record: Any, properties: Mapping[str, str], context: ExtractContext) -> None:
        if kind == "calendar":
            self._calendar(record, context)
            return
        try:
            if kind == "task":
                self._mspdi_task(record, properties)
            elif kind == "resource":
                self._mspdi_resource(record)
            elif kind == "assignment":
                self._mspdi_assignment(record, properties)
            elif kind == "attribute_definition":
                self._attribute_definition(record.values)
        except ValueError as exc:
            uid = record.values.get("UID", "?")
            context.quarantine(f"{self.builder.file}#{uid}", f"{self.builder.file}, {kind} UID {uid}", str(exc),
                               {**record.values})

    def _calendar(self, element: etree._Element, context: ExtractContext) -> None:
        try:
            calendar = parse_mspdi_calendar(element)
        except ValueError as exc:
            # A bad calendar is left out (its plan counts Monday-Friday), named so it can be fixed.
            uid = next((c.text for c in element if local(c.tag) == "UID"), "?")
            context.quarantine(f"{self.builder.file}#calendar{uid}", f"{self.builder.file}, calendar UID {uid}",
                               str(exc), {"UID": uid or ""})
            return
        self.calendars[calendar.uid] = calendar

    def calendar_days(self, properties: Mapping[str, str]) -> None:
        """The plan's and its resources' calendars, as the dates that differ, once the file is read."""
        self._span(properties.get("StartDate"), properties.get("FinishDate"))
        span = window(dt.date.fromisoformat(self.span[0]), dt.date.fromisoformat(self.span[1])) if self.span else None
        if span is None or not self.calendars:
            return
        resolver = Resolver(self.calendars, *span)
        plan_uid = _int(properties.get("CalendarUID"))
        resources = {uid: (resolver.working(cal), self.calendars[cal].name)
                     for uid, cal in self.resource_calendars.items() if cal in self.calendars}
        self.builder.calendar_days(resolver.working(plan_uid), getattr(self.calendars.get(plan_uid or -1), "name", None),
                                   resources, span)

    def _span(self, *values: str | None) -> None:
        for value in values:  # ISO dates order as text: no parsing in the hot loop
            if value and len(value) >= 10:
                day = value[:10]
                self.span = [min(self.span[0], day), max(self.span[1], day)] if self.span else [day, day]

    def _attribute_definition(self, values: Mapping[str, str]) -> None:
        for name in (values.get("Alias"), values.get("FieldName")):
            if name and name.lower() in self.wanted:
                self.field_roles[values.get("FieldID", "")] = self.wanted[name.lower()]

    def _mspdi_task(self, record: Collected, properties: Mapping[str, str]) -> None:
        values = record.values
        if values.get("IsNull") == "1":
            return  # a blank row in Project's grid, not a task
        hours_per_day = (number(properties.get("MinutesPerDay")) or 480) / 60
        baselines = {int(b.get("Number", "0")): b for b in record.lists.get("Baseline", [])}
        base = baselines.get(0, {})
        tagged: dict[str, list[str]] = {"systems": [], "objectives": [], "reported_status": []}
        for attribute in record.lists.get("ExtendedAttribute", []):
            role = self.field_roles.get(attribute.get("FieldID", ""))
            if role and attribute.get("Value"):
                tagged[role].extend(p.strip() for p in attribute["Value"].replace(";", ",").split(",") if p.strip())
        uid = int(values["UID"])
        self.builder.task(
            uid=uid, id=_int(values.get("ID")), name=values.get("Name"), wbs=values.get("WBS"),
            outline_number=values.get("OutlineNumber"), outline_level=_int(values.get("OutlineLevel")) or 0,
            summary_flag=_flag(values.get("Summary")), is_milestone=_flag(values.get("Milestone")),
            start=timestamp(values.get("Start")), finish=timestamp(values.get("Finish")),
            duration_hours=iso_hours(values.get("Duration"), hours_per_day),
            work_hours=iso_hours(values.get("Work"), hours_per_day),
            percent_complete=number(values.get("PercentComplete")),
            percent_work_complete=number(values.get("PercentWorkComplete")),
            actual_start=timestamp(values.get("ActualStart")), actual_finish=timestamp(values.get("ActualFinish")),
            cost=_cents(values.get("Cost")), actual_cost=_cents(values.get("ActualCost")),
            priority=_int(values.get("Priority")), critical=_flag(values.get("Critical")),
            baseline_start=timestamp(base.get("Start")), baseline_finish=timestamp(base.get("Finish")),
            baseline_duration_hours=iso_hours(base.get("Duration"), hours_per_day),
            baseline_work_hours=iso_hours(base.get("Work"), hours_per_day), baseline_cost=_cents(base.get("Cost")),
            systems=tagged["systems"], objectives=tagged["objectives"], deadline=timestamp(values.get("Deadline")),
            is_active=_flag(values.get("Active")), reported_status=", ".join(tagged["reported_status"]) or None,
        )
        # Only a task that loads widens the calendar span: a quarantined one's dates may not be dates.
        self._span(values.get("Start"), values.get("Finish"), base.get("Start"), base.get("Finish"))
        for number_, baseline in sorted(baselines.items()):
            self.builder.rows["baselines"].append({
                "file": self.builder.file, "uid": uid, "number": number_, "start": timestamp(baseline.get("Start")),
                "finish": timestamp(baseline.get("Finish")),
                "duration_hours": iso_hours(baseline.get("Duration"), hours_per_day),
                "work_hours": iso_hours(baseline.get("Work"), hours_per_day), "cost": _cents(baseline.get("Cost")),
            })
        for link in record.lists.get("PredecessorLink", []):
            lag = number(link.get("LinkLag")) or 0.0
            percent = link.get("LagFormat") in PERCENT_LAG_FORMATS
            self.builder.link(
                successor_uid=uid, predecessor_uid=_int(link.get("PredecessorUID")),
                link_type=LINK_TYPES.get(link.get("Type", "1"), "FS"),
                lag_hours=None if percent else lag / 600,  # tenths of a minute
                lag_percent=lag / 10 if percent else None,
                cross_project=link.get("CrossProject") == "1", cross_project_name=link.get("CrossProjectName"),
            )

    # --- the column path: a batch of tasks or assignments typed in bulk --------------------------------
    # Every step mirrors a line of _mspdi_task / _mspdi_assignment; anything they might refuse raises
    # Irregular before the builder is touched, and the batch goes through them instead.

    def _task_columns(self, cells: Cells, hours_per_day: float) -> None:
        # blank rows of Project's grid are not tasks
        keep = pc.fill_null(pc.not_equal(cells.strings("IsNull"), "1"), True).to_numpy(zero_copy_only=False)
        count = int(keep.sum())
        if not count:
            return

        def col(name: str) -> pa.Array:
            return present(cells.strings(name, keep))

        def as_hours(value: str) -> float | None:
            return iso_hours(value, hours_per_day)

        uid_text = col("UID")
        if uid_text.null_count:
            raise Irregular
        uid = integers(uid_text, int)
        base, baselines = self._baseline_columns(cells, keep, count, uid, as_hours)
        columns = {
            "uid": uid, "id": integers(col("ID"), _int),
            **{key: cells.strings(tag, keep) for key, tag in TASK_TEXTS.items()},
            "outline_level": pc.fill_null(integers(col("OutlineLevel"), _int), 0),
            **{key: flags(col(tag)) for key, tag in TASK_FLAGS.items()},
            **{key: timestamps(col(tag), timestamp) for key, tag in TASK_TIMES.items()},
            "duration_hours": hours(col("Duration"), as_hours), "work_hours": hours(col("Work"), as_hours),
            "percent_complete": decimals(col("PercentComplete"), number),
            "percent_work_complete": decimals(col("PercentWorkComplete"), number),
            "cost": _cents_of(col("Cost")), "actual_cost": _cents_of(col("ActualCost")),
            "priority": integers(col("Priority"), _int),
            **base, **self._attribute_columns(cells, keep, count),
        }
        links = self._link_columns(cells, keep, uid)
        if not tasks_within_limits(columns):
            raise Irregular
        self._span_of(col("Start"), col("Finish"), base["baseline_start_text"], base["baseline_finish_text"])
        del columns["baseline_start_text"], columns["baseline_finish_text"]
        self.builder.add_tasks(columns)
        for table, data in (("baselines", baselines), ("links", links)):
            if len(data["uid" if table == "baselines" else "successor_uid"]):
                self.builder.add_table(table, data)

    def _baseline_columns(self, cells: Cells, keep: np.ndarray, count: int, uid: pa.Array,
                          as_hours: Any) -> tuple[dict[str, pa.Array], dict[str, pa.Array]]:
        """(the task's baseline 0 fields, the baselines table) of a batch."""
        group, owners, rows = _group(cells, "Baseline", keep)

        def col(name: str) -> pa.Array:
            return present(group.strings(name, rows))

        numbers = integers(pc.fill_null(group.strings("Number", rows), "0"), int)
        pairs = pa.table({"owner": pa.array(owners, pa.int64()), "number": numbers})
        if pairs.group_by(["owner", "number"]).aggregate([]).num_rows != len(pairs):
            raise Irregular  # one baseline number twice in a task: the row path keeps the last
        table = {"uid": pc.take(uid, pa.array(owners, pa.int64())), "number": numbers,
                 "start": timestamps(col("Start"), timestamp), "finish": timestamps(col("Finish"), timestamp),
                 "duration_hours": hours(col("Duration"), as_hours), "work_hours": hours(col("Work"), as_hours),
                 "cost": _cents_of(col("Cost"))}
        order = pc.sort_indices(pairs, [("owner", "ascending"), ("number", "ascending")])
        zero = (numbers.to_numpy(zero_copy_only=False) == 0) if len(numbers) else np.zeros(0, bool)
        pick = np.full(count, -1, np.int64)
        pick[owners[zero]] = np.flatnonzero(zero)
        take = pa.array(pick, mask=pick < 0)
        base = {f"baseline_{key}": pc.take(table[key], take) for key in ("start", "finish", "cost")}
        base |= {"baseline_duration_hours": pc.take(table["duration_hours"], take),
                 "baseline_work_hours": pc.take(table["work_hours"], take),
                 "baseline_start_text": pc.take(col("Start"), take), "baseline_finish_text": pc.take(col("Finish"), take)}
        return base, {key: pc.take(value, order) for key, value in table.items()}

    def _attribute_columns(self, cells: Cells, keep: np.ndarray, count: int) -> dict[str, pa.Array]:
        """systems, objectives (lists) and reported_status from the custom fields aliased to them."""
        group, owners, rows = _group(cells, "ExtendedAttribute", keep)
        field_ids = pc.fill_null(group.strings("FieldID", rows), "")
        values = group.strings("Value", rows)
        tagged = {}
        for role in ("systems", "objectives", "reported_status"):
            ids = pa.array([key for key, wanted in self.field_roles.items() if wanted == role], pa.string())
            chosen = pc.and_(pc.is_in(field_ids, ids), pc.not_equal(pc.fill_null(values, ""), ""))
            parts = pc.split_pattern(pc.replace_substring(values.filter(chosen), ";", ","), ",")
            words = pc.utf8_trim_whitespace(pc.list_flatten(parts))
            nonempty = pc.not_equal(words, "").to_numpy(zero_copy_only=False)
            parents = owners[chosen.to_numpy(zero_copy_only=False)][pc.list_parent_indices(parts).to_numpy()]
            offsets = np.concatenate([[0], np.cumsum(np.bincount(parents[nonempty], minlength=count))])
            tagged[role] = pa.ListArray.from_arrays(pa.array(offsets, pa.int32()), words.filter(nonempty))
        joined = pc.binary_join(tagged["reported_status"], ", ")
        return {"systems": tagged["systems"], "objectives": tagged["objectives"],
                "reported_status": pc.if_else(pc.equal(joined, ""), pa.scalar(None, pa.string()), joined)}

    def _link_columns(self, cells: Cells, keep: np.ndarray, uid: pa.Array) -> dict[str, pa.Array]:
        group, owners, rows = _group(cells, "PredecessorLink", keep)

        def raw(name: str) -> pa.Array:
            return group.strings(name, rows)

        kinds = pc.index_in(pc.fill_null(raw("Type"), "1"), pa.array(list(LINK_TYPES)))
        lag = pc.add(pc.fill_null(decimals(present(group.strings("LinkLag", rows)), number), 0.0), 0.0)  # -0 or 0.0
        percent = pc.is_in(pc.fill_null(raw("LagFormat"), ""), pa.array(sorted(PERCENT_LAG_FORMATS)))
        nothing = pa.scalar(None, pa.float64())
        return {
            "successor_uid": pc.take(uid, pa.array(owners, pa.int64())),
            "predecessor_uid": integers(present(group.strings("PredecessorUID", rows)), _int),
            "link_type": pc.fill_null(pc.take(pa.array(list(LINK_TYPES.values())), kinds), "FS"),
            "lag_hours": pc.if_else(percent, nothing, pc.divide(lag, 600.0)),  # tenths of a minute
            "lag_percent": pc.if_else(percent, pc.divide(lag, 10.0), nothing),
            "cross_project": pc.fill_null(pc.equal(raw("CrossProject"), "1"), False),
            "cross_project_name": raw("CrossProjectName"),
        }

    def _assignment_columns(self, cells: Cells, hours_per_day: float) -> None:
        def col(name: str) -> pa.Array:
            return present(cells.strings(name))

        def as_hours(value: str) -> float | None:
            return iso_hours(value, hours_per_day)

        uid_text = col("UID")
        if uid_text.null_count:
            raise Irregular
        resource = integers(col("ResourceUID"), _int)
        columns = {
            "uid": integers(uid_text, int), "task_uid": integers(col("TaskUID"), _int), "resource_uid": resource,
            "units": decimals(col("Units"), number), "work_hours": hours(col("Work"), as_hours),
            "actual_work_hours": hours(col("ActualWork"), as_hours),
            "start": timestamps(col("Start"), timestamp), "finish": timestamps(col("Finish"), timestamp),
        }
        # builder.assignment's rule, in bulk: no resource, or Project's "unassigned" placeholder
        assigned = pc.fill_null(pc.not_equal(resource, int(UNASSIGNED_RESOURCE)), False)
        if pc.any(assigned).as_py():
            self.builder.add_table("assignments", {key: value.filter(assigned) for key, value in columns.items()})

    def _span_of(self, *arrays: pa.Array) -> None:
        """_span over whole columns."""
        for array in arrays:
            days = pc.utf8_slice_codeunits(array.filter(pc.greater_equal(pc.utf8_length(array), 10)), 0, 10)
            if len(days):
                bounds = pc.min_max(days)
                self._span(bounds["min"].as_py(), bounds["max"].as_py())

    def _mspdi_resource(self, record: Collected) -> None:
        values = record.values
        if _int(values.get("CalendarUID")) is not None and values.get("Name") and values.get("Type", "1") == "1":
            self.resource_calendars[int(values["UID"])] = int(values["CalendarUID"])
        self.builder.resource(uid=int(values["UID"]), name=values.get("Name"),
                      type=RESOURCE_TYPES.get(values.get("Type", "1"), "work"),
                      max_units=number(values.get("MaxUnits")), email=values.get("EmailAddress"),
                      group_name=values.get("Group"))

    def _mspdi_assignment(self, record: Collected, properties: Mapping[str, str]) -> None:
        values = record.values
        hours_per_day = (number(properties.get("MinutesPerDay")) or 480) / 60
        self.builder.assignment(
            uid=int(values["UID"]), task_uid=_int(values.get("TaskUID")), resource_uid=_int(values.get("ResourceUID")),
            units=number(values.get("Units")), work_hours=iso_hours(values.get("Work"), hours_per_day),
            actual_work_hours=iso_hours(values.get("ActualWork"), hours_per_day),
            start=timestamp(values.get("Start")), finish=timestamp(values.get("Finish")),
        )


def _group(cells: Cells, name: str, keep: np.ndarray) -> tuple[Cells, np.ndarray, np.ndarray]:
    """A nested group of a batch: (the group, each kept member's owner row among the kept tasks, kept members)."""
    group = cells.group(name)
    owners = np.asarray(group.owners, dtype=np.int64)
    rows = keep[owners] if len(owners) else np.zeros(0, bool)
    return group, (np.cumsum(keep) - 1)[owners[rows]] if len(owners) else owners, rows


def _cents_of(values: pa.Array) -> pa.Array:
    return pc.divide(decimals(values, number), 100.0)


def _flag(value: str | None) -> bool | None:
    return None if value in (None, "") else value == "1"


def _int(value: str | None) -> int | None:
    return None if value in (None, "") else int(float(value))


def _cents(value: str | None) -> float | None:
    """MSPDI stores money in cents (hundredths of the currency unit)."""
    amount = number(value)
    return None if amount is None else amount / 100
