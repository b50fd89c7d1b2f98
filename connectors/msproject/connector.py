"""MS Project connector (kind: msproject): plan files exported from Microsoft Project.

One file is one project (its key is the file's path relative to the source folder). Formats, by
extension: ``.xml`` MSPDI (Save As XML, streamed), ``.mpp`` binary plans (optional extra
``pmo-sightline[mpp]``: MPXJ on a Java runtime), ``.csv``/``.xlsx`` from the Export Wizard, and
Primavera P6 ``.xer`` and PMXML (found by content, also under ``.xml``) through MPXJ too.

A file that cannot be read is quarantined with the reason and the source's other files still
load; the unreadable file's rows from its last good load are kept (loads merge by file).
"""

from __future__ import annotations

import importlib
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import ClassVar

import pyarrow as pa

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError
from connectors.msproject.options import MsProjectOptions
from connectors.msproject.primavera import sniff
from connectors.msproject.records import RAW_SCHEMAS, PlanBuilder, Reader

READERS = {".xml": "mspdi", ".mpp": "mpp", ".mpt": "mpp", ".csv": "export_wizard", ".xlsx": "export_wizard",
           ".xer": "primavera"}


class MsProjectConnector(Connector):
    kind: ClassVar[str] = "msproject"
    watches_files: ClassVar[bool] = True
    raw_schemas: ClassVar[Mapping[str, pa.Schema]] = RAW_SCHEMAS
    merge_key: ClassVar[str | None] = "file"
    primary_table: ClassVar[str | None] = "projects"
    options_model: ClassVar[type[MsProjectOptions]] = MsProjectOptions
    options: MsProjectOptions

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        # Merging by file keeps a bad file's last good rows while the good files refresh.
        context.incremental = True
        present = []
        roles = dict(self.options.attributes)
        for path, name in self.files():
            present.append(name)
            reader = _reader(path)
            if reader is None:
                context.quarantine(name, name, f"unsupported file type {path.suffix!r}; expected .xml, .mpp, "
                                               ".csv, .xlsx or .xer", {})
                continue
            context.info(f"{self.source.id}: reading {name} ({reader})")
            builder = PlanBuilder(name, roles)
            try:
                yield from self._read(reader, path, name, builder, context)
            except SourceError as exc:
                # Rows already streamed from this file stay out of the warehouse: the loader keeps
                # only files the projects table confirms, and this file never reaches it.
                context.quarantine(name, name, str(exc), {"file": name})
            yield from context.drain_quarantine()
        yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": pa.array(present, pa.string())}))
        yield from context.drain_quarantine(force=True)

    def _read(self, reader: str, path: Path, name: str, builder: PlanBuilder,
              context: ExtractContext) -> Iterator[Batch]:
        """One file's batches, streamed in bounded slices; its projects row comes last, once the
        whole file has been read."""
        # Imported on use: a source of XML plans never loads the .mpp machinery (JPype, Java).
        read: Reader = importlib.import_module(f"connectors.msproject.{reader}").read
        yield from read(path, name, builder, context, self.options)
        yield from builder.drain(force=True)


def _reader(path: Path) -> str | None:
    """The reader module for a file: by extension, except that a Primavera P6 PMXML file saved as
    .xml (root <APIBusinessObjects>) goes to the P6 reader instead of failing as a bad MSPDI file."""
    reader = READERS.get(path.suffix.lower())
    if reader == "mspdi" and sniff(path) is not None:
        return "primavera"
    return reader


__all__ = ["MsProjectConnector"]
