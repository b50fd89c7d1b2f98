"""One project model for every MS Project format: the raw tables, and a builder that every reader
(MSPDI, .mpp through MPXJ, Export Wizard) feeds with plain values."""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any

import pyarrow as pa

from connectors.base import Batch, ExtractContext
from connectors.msproject.mspdi import (
    LINK_TYPES,
    PERCENT_LAG_FORMATS,
    RESOURCE_TYPES,
    UNASSIGNED_RESOURCE,
    Collected,
    iso_hours,
    number,
    timestamp,
)

TEXT, INT, NUM, TS, FLAG = pa.string(), pa.int64(), pa.float64(), pa.timestamp("us"), pa.bool_()
BATCH_ROWS = 5_000

RAW_SCHEMAS = {
    "projects": pa.schema([
        ("file", TEXT), ("name", TEXT), ("title", TEXT), ("manager", TEXT), ("status_date", TS),
        ("minutes_per_day", NUM), ("minutes_per_week", NUM), ("currency_code", TEXT), ("start", TS),
        ("finish", TS), ("format", TEXT),
    ]),
    "tasks": pa.schema([
        ("file", TEXT), ("uid", INT), ("id", INT), ("name", TEXT), ("wbs", TEXT), ("outline_number", TEXT),
        ("outline_level", INT), ("parent_uid", INT), ("summary_flag", FLAG), ("is_milestone", FLAG),
        ("start", TS), ("finish", TS), ("duration_hours", NUM), ("work_hours", NUM),
        ("percent_complete", NUM), ("percent_work_complete", NUM), ("actual_start", TS), ("actual_finish", TS),
        ("cost", NUM), ("actual_cost", NUM), ("priority", INT), ("critical", FLAG),
        ("baseline_start", TS), ("baseline_finish", TS), ("baseline_duration_hours", NUM),
        ("baseline_work_hours", NUM), ("baseline_cost", NUM),
        ("systems", pa.list_(TEXT)), ("objectives", pa.list_(TEXT)),
    ]),
    "baselines": pa.schema([
        ("file", TEXT), ("uid", INT), ("number", INT), ("start", TS), ("finish", TS), ("duration_hours", NUM),
        ("work_hours", NUM), ("cost", NUM),
    ]),
    "links": pa.schema([
        ("file", TEXT), ("successor_uid", INT), ("predecessor_uid", INT), ("link_type", TEXT),
        ("lag_hours", NUM), ("lag_percent", NUM), ("cross_project", FLAG), ("cross_project_name", TEXT),
    ]),
    "resources": pa.schema([
        ("file", TEXT), ("uid", INT), ("name", TEXT), ("type", TEXT), ("max_units", NUM), ("email", TEXT),
        ("group_name", TEXT),
    ]),
    "assignments": pa.schema([
        ("file", TEXT), ("uid", INT), ("task_uid", INT), ("resource_uid", INT), ("units", NUM),
        ("work_hours", NUM), ("actual_work_hours", NUM), ("start", TS), ("finish", TS),
    ]),
}


def _flag(value: str | None) -> bool | None:
    return None if value in (None, "") else value == "1"


def _int(value: str | None) -> int | None:
    return None if value in (None, "") else int(float(value))


class PlanBuilder:
    """Gathers one file's rows and hands them out in bounded batches.

    The outline hierarchy is built from OutlineLevel in file order (a task's parent is the nearest
    earlier task one level up) - not from the Summary flag, which files get wrong.
    """

    def __init__(self, file: str, attribute_roles: Mapping[str, str]):
        self.file = file
        self.rows: dict[str, list[dict[str, Any]]] = {table: [] for table in RAW_SCHEMAS}
        self.outline: list[tuple[int, int]] = []  # (level, uid) of the open ancestors
        self.roles = dict(attribute_roles)  # systems | objectives -> custom field alias or name
        self.wanted = {name.lower(): role for role, name in attribute_roles.items()}
        self.field_roles: dict[str, str] = {}  # FieldID -> systems | objectives

    # --- MSPDI records -----------------------------------------------------------------------------

    def add(self, kind: str, record: Collected, properties: Mapping[str, str], context: ExtractContext) -> None:
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
            context.quarantine(f"{self.file}#{uid}", f"{self.file}, {kind} UID {uid}", str(exc),
                               {**record.values})

    def wanted_aliases(self) -> dict[str, str]:
        return dict(self.roles)

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
        tagged: dict[str, list[str]] = {"systems": [], "objectives": []}
        for attribute in record.lists.get("ExtendedAttribute", []):
            role = self.field_roles.get(attribute.get("FieldID", ""))
            if role and attribute.get("Value"):
                tagged[role].extend(p.strip() for p in attribute["Value"].replace(";", ",").split(",") if p.strip())
        uid = int(values["UID"])
        self.task(
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
            systems=tagged["systems"], objectives=tagged["objectives"],
        )
        for number_, baseline in sorted(baselines.items()):
            self.rows["baselines"].append({
                "file": self.file, "uid": uid, "number": number_, "start": timestamp(baseline.get("Start")),
                "finish": timestamp(baseline.get("Finish")),
                "duration_hours": iso_hours(baseline.get("Duration"), hours_per_day),
                "work_hours": iso_hours(baseline.get("Work"), hours_per_day), "cost": _cents(baseline.get("Cost")),
            })
        for link in record.lists.get("PredecessorLink", []):
            lag = number(link.get("LinkLag")) or 0.0
            percent = link.get("LagFormat") in PERCENT_LAG_FORMATS
            self.link(
                successor_uid=uid, predecessor_uid=_int(link.get("PredecessorUID")),
                link_type=LINK_TYPES.get(link.get("Type", "1"), "FS"),
                lag_hours=None if percent else lag / 600,  # tenths of a minute
                lag_percent=lag / 10 if percent else None,
                cross_project=link.get("CrossProject") == "1", cross_project_name=link.get("CrossProjectName"),
            )

    def _mspdi_resource(self, record: Collected) -> None:
        values = record.values
        self.resource(uid=int(values["UID"]), name=values.get("Name"),
                      type=RESOURCE_TYPES.get(values.get("Type", "1"), "work"),
                      max_units=number(values.get("MaxUnits")), email=values.get("EmailAddress"),
                      group_name=values.get("Group"))

    def _mspdi_assignment(self, record: Collected, properties: Mapping[str, str]) -> None:
        values = record.values
        hours_per_day = (number(properties.get("MinutesPerDay")) or 480) / 60
        self.assignment(
            uid=int(values["UID"]), task_uid=_int(values.get("TaskUID")), resource_uid=_int(values.get("ResourceUID")),
            units=number(values.get("Units")), work_hours=iso_hours(values.get("Work"), hours_per_day),
            actual_work_hours=iso_hours(values.get("ActualWork"), hours_per_day),
            start=timestamp(values.get("Start")), finish=timestamp(values.get("Finish")),
        )

    def finish(self, properties: Mapping[str, str], fmt: str = "mspdi") -> None:
        """The file's project row, written last: it confirms the file was read whole."""
        self.rows["projects"].append({
            "file": self.file, "name": properties.get("Name"), "title": properties.get("Title"),
            "manager": properties.get("Manager"), "status_date": timestamp(properties.get("StatusDate")),
            "minutes_per_day": number(properties.get("MinutesPerDay")),
            "minutes_per_week": number(properties.get("MinutesPerWeek")),
            "currency_code": properties.get("CurrencyCode"), "start": timestamp(properties.get("StartDate")),
            "finish": timestamp(properties.get("FinishDate")), "format": fmt,
        })

    # --- the model, format-neutral ---------------------------------------------------------------------

    def task(self, *, uid: int, outline_level: int, **values: Any) -> None:
        parent = None
        if uid != 0:  # UID 0 is the project summary, outside the outline
            while self.outline and self.outline[-1][0] >= outline_level:
                self.outline.pop()
            parent = self.outline[-1][1] if self.outline else None
            self.outline.append((outline_level, uid))
        self.rows["tasks"].append({"file": self.file, "uid": uid, "outline_level": outline_level,
                                   "parent_uid": parent, **values})

    def link(self, **values: Any) -> None:
        self.rows["links"].append({"file": self.file, **values})

    def resource(self, *, uid: int, name: str | None, **values: Any) -> None:
        if uid == 0 or not name:  # UID 0 is Project's blank resource, not a person
            return
        self.rows["resources"].append({"file": self.file, "uid": uid, "name": name, **values})

    def assignment(self, *, resource_uid: int | None, **values: Any) -> None:
        if resource_uid is None or str(resource_uid) == UNASSIGNED_RESOURCE:
            return  # -65535: a task with no resource, not an assignment to a person
        self.rows["assignments"].append({"file": self.file, "resource_uid": resource_uid, **values})

    def drain(self, force: bool = False) -> Iterator[Batch]:
        for table, rows in self.rows.items():
            if rows and (force or len(rows) >= BATCH_ROWS) and (table != "projects" or force):
                yield Batch(table, pa.Table.from_pylist(rows, schema=RAW_SCHEMAS[table]))
                self.rows[table] = []


def _cents(value: str | None) -> float | None:
    """MSPDI stores money in cents (hundredths of the currency unit)."""
    amount = number(value)
    return None if amount is None else amount / 100

