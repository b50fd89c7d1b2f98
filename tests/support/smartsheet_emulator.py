"""A Smartsheet API 2.0 emulator on 127.0.0.1 for tests and benchmarks, written from the public API
reference (developers.smartsheet.com/api/smartsheet).

It serves, from in-memory sheets, what the connector uses, the way Smartsheet does:

* auth: ``Authorization: Bearer <token>``; otherwise 401 ``{"errorCode": 1002, ...}``;
* ``GET /2.0/sheets/{id}`` with ``include=objectValue`` and ``page``/``pageSize`` paging
  (``totalRowCount``, ``version``, ``modifiedAt``, columns on every page; cells without a value are
  left out of a row, as Smartsheet does); ``/sheets/{id}/version``; ``/sheets/{id}/summary``;
* ``GET /2.0/workspaces/{id}?loadAll=true`` (folders nested with their sheets) and
  ``GET /2.0/folders/{id}`` (one level: sub-folders by id and name only);
* 404 ``errorCode`` 1006 for an unknown id; 429 ``errorCode`` 4003 past ``limit`` requests in
  ``window_seconds`` (with ``Retry-After``), and scripted faults;
* edits between syncs (rows edited, added, deleted; every edit moves the sheet's version and
  ``modifiedAt``) and an edit between two pages of one read (:attr:`edit_after_page`).
Every request is logged for counting.
"""

from __future__ import annotations

import datetime as dt
import itertools
import threading
import time
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler
from typing import Any

from loopback_http import EmulatorHandler, LoopbackEmulator, bearer_token, send_json

TOKEN = "ss-token-s3cr3t-5a6b7c8d9e0f"
EPOCH = dt.datetime(2026, 3, 2, 9, 0, tzinfo=dt.UTC)
PEOPLE = [("Priya Shah", "priya.shah@example.com"), ("Tom Okafor", "Tom.Okafor@Example.com"),
          ("Aisha Bello", "aisha.bello@example.com")]
STATUSES = ["Not Started", "In Progress", "Complete", "On Hold"]
COLUMNS = [  # (title, type, primary): a dependency-enabled project sheet as Smartsheet makes one
    ("Task Name", "TEXT_NUMBER", True), ("Start", "ABSTRACT_DATETIME", False), ("Finish", "ABSTRACT_DATETIME", False),
    ("Duration", "DURATION", False), ("Predecessors", "PREDECESSOR", False), ("% Complete", "TEXT_NUMBER", False),
    ("Assigned To", "CONTACT_LIST", False), ("Status", "PICKLIST", False), ("Milestone", "CHECKBOX", False),
    ("Depends on", "TEXT_NUMBER", False),
]


def stamp(moment: dt.datetime) -> str:
    return moment.strftime("%Y-%m-%dT%H:%M:%SZ")


@dataclass
class Logged:
    path: str
    params: dict[str, str]
    status: int = 200


@dataclass
class Sheet:
    id: int
    name: str
    columns: list[dict[str, Any]]
    rows: list[dict[str, Any]] = field(default_factory=list)
    summary: list[dict[str, Any]] = field(default_factory=list)
    version: int = 1
    modified: dt.datetime = EPOCH
    day_hours: float = 8.0
    working_days: tuple[str, ...] = ("MONDAY", "TUESDAY", "WEDNESDAY", "THURSDAY", "FRIDAY")
    holidays: tuple[str, ...] = ()


class SmartsheetEmulator(LoopbackEmulator):
    def __init__(self, token: str = TOKEN, *, seed: int = 1):
        self.token = token
        self.sheets: dict[int, Sheet] = {}
        self.workspaces: dict[int, dict[str, Any]] = {}  # id -> {name, sheets: [ids], folders: [ids]}
        self.folders: dict[int, dict[str, Any]] = {}
        self.ids = itertools.count(1_000_000_000_000 + seed * 1_000_000, 7)
        self.clock = EPOCH
        self.faults: list[tuple[int, int, dict[str, str], dict[str, Any]]] = []  # (status, times, headers, body)
        self.limit: int | None = None  # requests allowed per window; 429/4003 past it
        self.window_seconds = 60.0
        self.retry_after = "1"
        self._recent: list[float] = []
        self.edit_after_page: tuple[int, int] | None = None  # (sheet id, page): edit the sheet once after it
        self.log: list[Logged] = []
        self.lock = threading.Lock()
        self.listen()

    @property
    def url(self) -> str:
        return f"{self.base_url}/2.0"

    # --- data -----------------------------------------------------------------------------------------

    def add_sheet(self, name: str, rows: int = 0, *, columns: list[tuple[str, str, bool]] = COLUMNS) -> Sheet:
        sheet = Sheet(next(self.ids), name, [{"id": next(self.ids), "index": i, "title": t, "type": k,
                                             **({"primary": True} if p else {})} for i, (t, k, p) in enumerate(columns)])
        self.sheets[sheet.id] = sheet
        for _ in range(rows):
            self.add_row(sheet)
        return sheet

    def column(self, sheet: Sheet, title: str) -> int:
        return next(c["id"] for c in sheet.columns if c["title"] == title)

    def add_row(self, sheet: Sheet, **values: Any) -> dict[str, Any]:
        """A task row: every 10th row (1, 11, 21 ...) a phase; the others its children, each after the
        previous (finish-to-start, the odd ones with a day's lag), with dates, a duration and a person."""
        number = len(sheet.rows) + 1
        phase = (number - 1) % 10 == 0
        start = EPOCH.date() + dt.timedelta(days=number)
        days = 0 if number % 9 == 0 else 1 + number % 4
        person = PEOPLE[number % len(PEOPLE)]
        row: dict[str, Any] = {"id": next(self.ids), "rowNumber": number, "createdAt": stamp(self._tick()),
                               "cells": {}}
        if not phase:
            row["parentId"] = next(r["id"] for r in reversed(sheet.rows) if "parentId" not in r)
        cells = {
            "Task Name": (f"{'Phase' if phase else 'Task'} {number}", None),
            "Start": (f"{start.isoformat()}T08:00:00", None),
            "Finish": (f"{(start + dt.timedelta(days=max(days - 1, 0))).isoformat()}T17:00:00", None),
            "Duration": (f"{days}d", {"objectType": "DURATION", "days": days}),
            "% Complete": ((number % 5) / 4, None),
            "Assigned To": (person[1], {"objectType": "CONTACT", "name": person[0], "email": person[1]}),
            "Status": (STATUSES[number % len(STATUSES)], None),
            "Milestone": (days == 0, None),
        }
        previous = sheet.rows[-1] if sheet.rows and not phase and "parentId" in sheet.rows[-1] else None
        if previous is not None:
            lag = {"objectType": "DURATION", "days": 1} if number % 2 else None
            cells["Predecessors"] = (f"{previous['rowNumber']}FS{' +1d' if lag else ''}", {
                "objectType": "PREDECESSOR_LIST", "predecessors": [
                    {"rowId": previous["id"], "rowNumber": previous["rowNumber"], "type": "FS",
                     **({"lag": lag} if lag else {})}]})
        for title, cell in {**cells, **values}.items():
            row["cells"][title] = cell
        sheet.rows.append(row)
        self._touch(sheet, row)
        return row

    def edit(self, sheet: Sheet, row: dict[str, Any], **values: Any) -> None:
        row["cells"].update(values)
        self._touch(sheet, row)

    def delete(self, sheet: Sheet, row: dict[str, Any]) -> None:
        sheet.rows.remove(row)
        for number, kept in enumerate(sheet.rows, start=1):
            kept["rowNumber"] = number  # row numbers move; row ids do not
        self._touch(sheet)

    def set_summary(self, sheet: Sheet, fields: list[tuple[str, str, Any, Any]]) -> None:
        """Summary fields as (title, type, value, objectValue)."""
        sheet.summary = [{"id": next(self.ids), "index": i, "title": t, "type": k,
                          **({"displayValue": str(v)} if v is not None else {}),
                          **({"objectValue": o} if o is not None else {"objectValue": v} if v is not None else {})}
                         for i, (t, k, v, o) in enumerate(fields)]
        self._touch(sheet)

    def _tick(self) -> dt.datetime:
        self.clock += dt.timedelta(minutes=1)
        return self.clock

    def _touch(self, sheet: Sheet, row: dict[str, Any] | None = None) -> None:
        sheet.version += 1
        sheet.modified = self._tick()
        if row is not None:
            row["modifiedAt"] = stamp(sheet.modified)

    def add_workspace(self, name: str, sheets: list[Sheet], folders: list[int] = ()) -> int:
        workspace = next(self.ids)
        self.workspaces[workspace] = {"name": name, "sheets": [s.id for s in sheets], "folders": list(folders)}
        return workspace

    def add_folder(self, name: str, sheets: list[Sheet], folders: list[int] = ()) -> int:
        folder = next(self.ids)
        self.folders[folder] = {"name": name, "sheets": [s.id for s in sheets], "folders": list(folders)}
        return folder

    def requests_to(self, fragment: str) -> list[Logged]:
        return [entry for entry in self.log if fragment in entry.path]

    # --- serving --------------------------------------------------------------------------------------

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        emulator = self

        class Handler(EmulatorHandler):
            def do_POST(self) -> None:  # the API read here is GET only
                self.send_error(501, f"Unsupported method ({self.command!r})")  # as the stdlib says

            def serve(self, method: str) -> None:
                path, query = self.target()
                params = {k: v[-1] for k, v in query.items()}
                with emulator.lock:
                    status, headers, body = emulator._respond(path, params, self.headers)
                    emulator.log.append(Logged(path, params, status))
                send_json(self, status, headers, body)

        return Handler

    def _respond(self, path: str, params: dict[str, str], headers: Any) -> tuple[int, dict[str, str], Any]:
        if self.headers_refused(headers):
            return 401, {}, {"errorCode": 1002, "message": "Your Access Token is invalid.", "refId": "r1"}
        if self.faults:
            status, times, extra, body = self.faults[0]
            self.faults[0] = (status, times - 1, extra, body)
            if self.faults[0][1] <= 0:
                self.faults.pop(0)
            return status, extra, body
        if self._limited():
            return 429, {"Retry-After": self.retry_after}, {"errorCode": 4003, "message": "Rate limit exceeded."}
        parts = path.removeprefix("/2.0/").strip("/").split("/")
        try:
            return 200, {}, self._route(parts, params)
        except KeyError:
            return 404, {}, {"errorCode": 1006, "message": "Not Found", "refId": "r404"}

    def headers_refused(self, headers: Any) -> bool:
        return bearer_token(headers) != self.token

    def _limited(self) -> bool:
        if self.limit is None:
            return False
        now = time.monotonic()
        self._recent = [t for t in self._recent if now - t < self.window_seconds]
        if len(self._recent) >= self.limit:
            return True
        self._recent.append(now)
        return False

    def _route(self, parts: list[str], params: dict[str, str]) -> Any:
        kind, ident = parts[0], int(parts[1]) if len(parts) > 1 and parts[1].isdigit() else -1
        if kind == "sheets" and len(parts) == 2:
            return self._sheet(self.sheets[ident], params)
        if kind == "sheets" and parts[2:] == ["version"]:
            return {"version": self.sheets[ident].version}
        if kind == "sheets" and parts[2:] == ["summary"]:
            return {"fields": self.sheets[ident].summary}
        if kind == "workspaces" and len(parts) == 2:
            space = self.workspaces[ident]
            return {"id": ident, "name": space["name"], "sheets": self._listed(space["sheets"]),
                    "folders": [self._folder(f, nested=True) for f in space["folders"]]}
        if kind == "folders" and len(parts) == 2:
            return self._folder(ident, nested=False)
        raise KeyError(parts)

    def _folder(self, ident: int, *, nested: bool) -> dict[str, Any]:
        folder = self.folders[ident]
        return {"id": ident, "name": folder["name"], "sheets": self._listed(folder["sheets"]),
                "folders": [self._folder(f, nested=True) if nested else {"id": f, "name": self.folders[f]["name"]}
                            for f in folder["folders"]]}

    def _listed(self, ids: list[int]) -> list[dict[str, Any]]:
        return [{"id": i, "name": self.sheets[i].name, "accessLevel": "VIEWER",
                 "permalink": f"https://app.smartsheet.com/sheets/x{i}", "modifiedAt": stamp(self.sheets[i].modified)}
                for i in ids if i in self.sheets]

    def _sheet(self, sheet: Sheet, params: dict[str, str]) -> dict[str, Any]:
        size = int(params.get("pageSize", 100)) if "page" in params else max(len(sheet.rows), 1)
        page = int(params.get("page", 1))
        chosen = sheet.rows[(page - 1) * size: page * size]
        with_objects = "objectValue" in params.get("include", "")
        body = {
            "id": sheet.id, "name": sheet.name, "version": sheet.version, "modifiedAt": stamp(sheet.modified),
            "permalink": f"https://app.smartsheet.com/sheets/x{sheet.id}", "totalRowCount": len(sheet.rows),
            "dependenciesEnabled": True, "projectSettings": {"lengthOfDay": sheet.day_hours,
                                                             "workingDays": list(sheet.working_days),
                                                             "nonWorkingDays": list(sheet.holidays)},
            "columns": sheet.columns, "rows": [self._row(sheet, r, with_objects) for r in chosen],
        }
        if self.edit_after_page and self.edit_after_page[0] == sheet.id and self.edit_after_page[1] == page:
            self.edit_after_page = None
            self.edit(sheet, sheet.rows[-1], **{"Status": ("Complete", None)})
        return body

    def _row(self, sheet: Sheet, row: dict[str, Any], with_objects: bool) -> dict[str, Any]:
        out = {k: v for k, v in row.items() if k != "cells"}
        out["cells"] = []
        for column in sheet.columns:
            value, obj = row["cells"].get(column["title"], (None, None))
            if value is None and obj is None:
                continue  # Smartsheet leaves empty cells out
            cell: dict[str, Any] = {"columnId": column["id"]}
            if value is not None:
                cell["value"] = value
                cell["displayValue"] = str(value)
            if obj is not None and with_objects:
                cell["objectValue"] = obj
            out["cells"].append(cell)
        return out
