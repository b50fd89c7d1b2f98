"""Smartsheet connector (kind: smartsheet): project sheets, by sheet id, workspace or folder.

Each run:
1. lists the sheets in scope: the projects' keys (sheet ids), then every sheet of the source's
   ``workspaces`` (``GET /workspaces/{id}?loadAll=true``) and ``folders`` (``GET /folders/{id}``,
   sub-folders followed);
2. on an incremental run skips the sheets unchanged since the last load: by the ``modifiedAt`` the
   workspace or folder listing gives (no request), else by the sheet's version
   (``GET /sheets/{id}/version``);
3. reads each other sheet page by page (``GET /sheets/{id}?include=objectValue&page=&pageSize=``)
   and its summary (``GET /sheets/{id}/summary``); a sheet edited while its pages were read (the
   version moved) is read again, so one load never mixes two versions of a sheet;
4. lists every sheet still in scope (``present_keys``), so a sheet removed from its workspace goes.
Records are merged by sheet: a changed sheet's rows replace its old ones whole (rows deleted in
Smartsheet go with them). A row that cannot be read is quarantined with its sheet and row id.
"""

from __future__ import annotations

from collections.abc import Iterator, Mapping
from typing import Any, ClassVar

import pyarrow as pa

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.smartsheet.client import SmartsheetClient, sheet_pages
from connectors.smartsheet.mapping import (
    RAW_SCHEMAS,
    RowError,
    layout,
    row_records,
    sheet_row,
    summary_row,
    timestamp,
)
from connectors.smartsheet.options import SmartsheetOptions

READ_ATTEMPTS = 3  # a sheet edited during every one of these reads fails the source, saying so
SETTLED_SECONDS = 120  # clock skew and Smartsheet's whole-second modifiedAt, with room to spare
PRESENT_SCHEMA = pa.schema([("key", pa.string())])


class SmartsheetConnector(Connector):
    kind: ClassVar[str] = "smartsheet"
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    merge_key: ClassVar[str | None] = "sheet_id"
    primary_table: ClassVar[str | None] = "sheets"

    options_model: ClassVar[type[SmartsheetOptions]] = SmartsheetOptions
    options: SmartsheetOptions

    def client(self) -> SmartsheetClient:
        options = self.options
        return SmartsheetClient(self.source.id, options.url, options.auth.token_env, verify=options.verify(self.source),
                                retry=options.retry_policy(), requests_per_minute=options.requests_per_minute)

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        client = self.client()
        listed = self.sheets_in_scope(client)
        loaded: dict[str, dict[str, Any]] = dict((context.previous_state or {}).get("sheets") or {})
        kept: dict[str, dict[str, Any]] = {}
        for sheet_id, modified in listed.items():
            if self._unchanged(client, sheet_id, modified, loaded.get(sheet_id)):
                kept[sheet_id] = loaded[sheet_id]  # its rows stay as loaded
                continue
            tables, kept[sheet_id] = self._read_sheet(client, sheet_id, context)
            for table, parts in tables.items():
                for part in parts:
                    yield Batch(table, part)
            yield from context.drain_quarantine()
        skipped = sum(1 for s in listed if kept[s] is loaded.get(s))
        context.info(f"{self.source.id}: {len(listed) - skipped} sheet(s) read, {skipped} unchanged since the "
                     f"last sync ({client.requests_made} requests)")
        if context.previous_state is not None:
            context.incremental = True
            yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": list(listed)}, schema=PRESENT_SCHEMA))
        yield from context.drain_quarantine(force=True)
        context.state = {"sheets": kept}

    def _unchanged(self, client: SmartsheetClient, sheet_id: str, modified: str | None,
                   loaded: Mapping[str, Any] | None) -> bool:
        """Whether the sheet is as last loaded: by the modifiedAt a workspace or folder listing gives
        (no request) when the last read was settled, else by asking its version (one small request)."""
        if loaded is None:
            return False
        if modified is not None and modified != loaded.get("modified_at"):
            return False
        if modified is not None and loaded.get("settled"):
            return True
        version = (client.get(f"/sheets/{sheet_id}/version") or {}).get("version")
        return isinstance(version, int) and version == loaded.get("version")

    # --- scope ------------------------------------------------------------------------------------

    def sheets_in_scope(self, client: SmartsheetClient) -> dict[str, str | None]:
        """Sheet ids, in the order named (project keys, then workspaces' and folders' sheets), with the
        modifiedAt a listing gives (None for a sheet named only by its id)."""
        found: dict[str, str | None] = {}
        for key in self.source.project_keys:
            if not key.isdigit():
                raise SourceError(f"{self.source.id}: project key {key!r} is not a Smartsheet sheet id; use the "
                                  "number in the sheet's File > Properties (or list its workspace under workspaces:)")
            found[key] = None
        for workspace in self.options.workspaces:
            self._collect(client, client.get(f"/workspaces/{workspace}", {"loadAll": "true"}), found)
        for folder in self.options.folders:
            self._collect(client, client.get(f"/folders/{folder}"), found)
        if not found:
            raise SourceError(f"{self.source.id}: no sheet to read; name sheet ids as the key of projects using this "
                              "source, or list workspaces: or folders: on the source")
        return found

    def _collect(self, client: SmartsheetClient, container: Any, found: dict[str, str | None]) -> None:
        """The sheets of a workspace or folder and of its folders (fetched when not listed inline)."""
        container = container if isinstance(container, Mapping) else {}
        for sheet in container.get("sheets") or []:
            if isinstance(sheet, Mapping) and sheet.get("id") is not None:
                found[str(sheet["id"])] = sheet.get("modifiedAt")
        for folder in container.get("folders") or []:
            if not isinstance(folder, Mapping) or folder.get("id") is None:
                continue
            inline = "sheets" in folder or "folders" in folder
            self._collect(client, folder if inline else client.get(f"/folders/{folder['id']}"), found)

    # --- one sheet --------------------------------------------------------------------------------

    def _read_sheet(self, client: SmartsheetClient, sheet_id: str,
                    context: ExtractContext) -> tuple[dict[str, list[pa.Table]], dict[str, Any]]:
        """All pages of one sheet at one version, and its summary, as Arrow tables (one sheet is at most
        Smartsheet's 20,000 rows, so it is held until the version is known to be one)."""
        for _ in range(READ_ATTEMPTS):
            held: list[dict[str, Any]] = []
            tables, read = self._pages(client, sheet_id, held)
            if read is not None:
                for entry in held:
                    context.quarantine(**entry)
                return tables, read
            context.info(f"{self.source.id}: sheet {sheet_id} changed while it was read; reading it again")
        raise SourceError(f"{self.source.id}: sheet {sheet_id} changed during each of {READ_ATTEMPTS} reads; "
                          "sync again when editing has paused")

    def _pages(self, client: SmartsheetClient, sheet_id: str,
               held: list[dict[str, Any]]) -> tuple[dict[str, list[pa.Table]], dict[str, Any] | None]:
        """The sheet's tables, and what was read (None when the version moved between pages): its
        version, modifiedAt, and whether it was settled - unchanged for SETTLED_SECONDS by the server's
        clock when read, so an edit in the same second as the read cannot hide behind the same modifiedAt."""
        tables: dict[str, list[pa.Table]] = {name: [] for name in RAW_SCHEMAS}
        first: dict[str, Any] | None = None
        for page in sheet_pages(client, sheet_id, self.options.page_size):
            if first is None:
                first, found, served_at = page, layout(page, self.options.columns), client.server_time
            elif page.get("version") != first.get("version"):
                return tables, None
            rows = self._page_rows(sheet_id, page, found, held)
            for name, records in rows.items():
                if records:
                    tables[name].append(pa.Table.from_pylist(records, schema=RAW_SCHEMAS[name]))
        assert first is not None  # sheet_pages yields at least one page or raises
        summary = summary_row(sheet_id, client.get(f"/sheets/{sheet_id}/summary") or {},
                              timestamp(first.get("modifiedAt")))
        tables["sheets"].append(pa.Table.from_pylist([sheet_row(first, found)], schema=RAW_SCHEMAS["sheets"]))
        if summary:
            tables["summaries"].append(pa.Table.from_pylist([summary], schema=RAW_SCHEMAS["summaries"]))
        modified = timestamp(first.get("modifiedAt"))
        settled = bool(modified and served_at and (served_at - modified).total_seconds() >= SETTLED_SECONDS)
        return tables, {"version": first.get("version"), "modified_at": first.get("modifiedAt"), "settled": settled}

    def _page_rows(self, sheet_id: str, page: Mapping[str, Any], found: Any,
                   held: list[dict[str, Any]]) -> dict[str, list[dict[str, Any]]]:
        out: dict[str, list[dict[str, Any]]] = {"rows": [], "contacts": [], "links": []}
        name = page.get("name") or sheet_id
        for row in page.get("rows") or []:
            if not isinstance(row, Mapping):
                continue
            try:
                records = row_records(sheet_id, row, found)
            except RowError as exc:
                row_id, number = row.get("id"), row.get("rowNumber")
                held.append({
                    "object_key": f"{sheet_id}#{row_id if row_id is not None else f'row {number}'}",
                    "location": f"{self.source.id}, sheet {name!r} ({sheet_id}), row {number} (id {row_id})",
                    "reason": f"row {number} of sheet {name!r}: {exc}; correct the cell in Smartsheet",
                    "record": {"id": row_id, "rowNumber": number, "cells": row.get("cells")},
                })
                continue
            for table, records_of in records.items():
                out[table].extend(records_of)
        return out
