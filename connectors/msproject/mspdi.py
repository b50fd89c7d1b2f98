"""MSPDI (Project's "Save As XML") read as a stream, securely.

The file is parsed with ``lxml.etree.iterparse``; each ``Task``, ``Resource``, ``Assignment`` and
``ExtendedAttribute`` definition is turned into a record when its element ends, then cleared, so
memory does not grow with the number of tasks. Elements are found by local name, so a file without
the ``http://schemas.microsoft.com/project`` namespace reads the same, and children are read by
name, not position (real files break the documented order).

Security: a DTD is refused before the parser sees it (a document type declaration is the only way
to define entities), the parser resolves no entities, loads no DTD and never touches the network.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from lxml import etree

from connectors.base import SourceError

LINK_TYPES = {"0": "FF", "1": "FS", "2": "SF", "3": "SS"}
PERCENT_LAG_FORMATS = {"19", "20"}  # LinkLag is a percentage of the predecessor's duration
RESOURCE_TYPES = {"0": "material", "1": "work", "2": "cost"}
UNASSIGNED_RESOURCE = "-65535"
PROJECT_PROPERTIES = {"Name", "Title", "StatusDate", "MinutesPerDay", "MinutesPerWeek", "CurrencyCode",
                      "StartDate", "FinishDate", "Author", "Manager"}
RECORD_PARENTS = {"Tasks": "task", "Resources": "resource", "Assignments": "assignment",
                  "ExtendedAttributes": "attribute_definition"}
PROLOGUE_BYTES = 64 * 1024
_DURATION = re.compile(r"^(-)?P(?:(\d+(?:\.\d+)?)Y)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)D)?"
                       r"(?:T(?:(\d+(?:\.\d+)?)H)?(?:(\d+(?:\.\d+)?)M)?(?:(\d+(?:\.\d+)?)S)?)?$")


def local(tag: Any) -> str:
    return tag.rsplit("}", 1)[-1] if isinstance(tag, str) else ""


def iso_hours(value: str | None, hours_per_day: float = 8.0) -> float | None:
    """ISO 8601 duration -> hours ('PT8H0M0S' -> 8.0). MSPDI writes hours; days count as working days."""
    if not value:
        return None
    match = _DURATION.match(value.strip())
    if not match:
        raise ValueError(f"{value!r} is not an ISO 8601 duration")
    sign, years, months, days, hours, minutes, seconds = match.groups()
    if years or months:
        raise ValueError(f"{value!r}: durations in years or months are ambiguous")
    total = float(days or 0) * hours_per_day + float(hours or 0) + float(minutes or 0) / 60 + float(seconds or 0) / 3600
    return -total if sign else total


def timestamp(value: str | None) -> dt.datetime | None:
    return dt.datetime.fromisoformat(value) if value else None


def number(value: str | None) -> float | None:
    return float(value) if value not in (None, "") else None


@dataclass
class Collected:
    """A record element turned into plain data: text children by name, repeated children as lists."""

    values: dict[str, str] = field(default_factory=dict)
    lists: dict[str, list[dict[str, str]]] = field(default_factory=dict)


def _collect(element: etree._Element) -> Collected:
    record = Collected()
    for child in element:
        name = local(child.tag)
        if len(child):  # nested: PredecessorLink, Baseline, ExtendedAttribute, TimephasedData ...
            record.lists.setdefault(name, []).append({local(g.tag): (g.text or "").strip() for g in child})
        elif name:
            record.values[name] = (child.text or "").strip()
    return record


def check_prologue(path: Path, name: str) -> None:
    """Refuse DTDs (and so entity definitions) before any parser sees the file."""
    with path.open("rb") as handle:
        head = handle.read(PROLOGUE_BYTES)
    if not head.strip():
        raise SourceError(f"{name}: the file is empty; export the plan again with File > Save As > XML")
    upper = head.upper()
    if b"<!DOCTYPE" in upper or b"<!ENTITY" in upper:
        raise SourceError(
            f"{name}: refused, the XML declares a DTD or entities (MSPDI files never do); "
            "this may be a malicious file - export the plan again from Project"
        )


def iter_records(path: Path, name: str, properties: dict[str, str]) -> Iterator[tuple[str, Collected]]:
    """Yield ('task', ...), ('resource', ...), ('assignment', ...), ('attribute_definition', ...) in
    file order; project properties (Name, MinutesPerDay ...) fill ``properties`` as they are read,
    which in MSPDI is before the tasks."""
    check_prologue(path, name)
    context = etree.iterparse(
        str(path), events=("start", "end"), resolve_entities=False, load_dtd=False, no_network=True,
        dtd_validation=False, huge_tree=False, remove_comments=True, remove_pis=True,
    )
    root_seen = False
    try:
        for event, element in context:
            if event == "start":
                if not root_seen:
                    root_seen = True
                    if local(element.tag) != "Project":
                        raise SourceError(
                            f"{name}: not a Microsoft Project XML file (root element <{local(element.tag)}>, "
                            "expected <Project>); export with File > Save As > XML (MSPDI)"
                        )
                continue
            parent = element.getparent()
            if parent is None:
                continue
            parent_name = local(parent.tag)
            kind = RECORD_PARENTS.get(parent_name)
            grand = parent.getparent()
            if kind and grand is not None and local(grand.tag) == "Project":
                yield kind, _collect(element)
                element.clear()
                while element.getprevious() is not None:  # free what was already read
                    del parent[0]
            elif parent_name == "Project" and local(element.tag) in PROJECT_PROPERTIES:
                properties[local(element.tag)] = (element.text or "").strip()
            elif parent_name == "Project" and local(element.tag) in RECORD_PARENTS.keys() | {"Calendars"}:
                element.clear()
    except etree.XMLSyntaxError as exc:
        raise SourceError(f"{name}: not well-formed XML ({exc.msg}, line {exc.lineno}); the file may be "
                          "truncated - export it again") from None
    if not root_seen:
        raise SourceError(f"{name}: no XML content; export the plan again with File > Save As > XML")
