"""The connector interface: one configured source in, record batches for raw tables out.

A connector knows its source and nothing of the marts. It declares

* ``kind`` — the word used in ``portfolio.yaml`` (``kind: spreadsheet``);
* ``options_model`` — the typed model of its config keys (an :class:`OptionsModel` in the
  connector's own ``options.py``), checked before any data is touched; the connector reads its
  options from ``self.options``, defaults included;
* ``extract`` — a stream of :class:`Batch` objects, each a slice of one of its raw tables
  (or of the shared quarantine table), small enough to stream;
* ``staging_sql_dir`` — a folder of ``<stream>.sql`` files that map its raw tables
  (``raw."<kind>__<table>"``) to the canonical staging shape of each stream
  (see ``warehouse.canonical``); by default the ``staging/`` folder beside the connector's module.

Errors: a connector raises :class:`SourceError` when the source as a whole cannot be read
(unreachable server, corrupt file, bad credentials). Rows it cannot read go to the
quarantine instead, through :meth:`ExtractContext.quarantine`.
"""

from __future__ import annotations

import inspect
import json
from abc import ABC, abstractmethod
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import pyarrow as pa

from connectors.options import OptionsModel

QUARANTINE_TABLE = "quarantine"

QUARANTINE_SCHEMA = pa.schema(
    [
        ("object_key", pa.string()),  # file#sheet#row, issue key, task UID ...
        ("location", pa.string()),  # human-readable: "tracker.xlsx, sheet Payroll, row 14"
        ("reason", pa.string()),
        ("record", pa.string()),  # the offending values as JSON, for the person fixing the source
        # 'row' (the record was not loaded), 'cell' (it loaded without this cell's value) or 'column'
        # (a whole column was left unread, or read with a stated guess); column and value for the last two.
        ("level", pa.string()),
        ("column_name", pa.string()),
        ("cell_value", pa.string()),
    ]
)


class SourceError(Exception):
    """The whole source could not be read. The message is one line: what, where, what to do."""


@dataclass(frozen=True)
class SourceSpec:
    """One entry of ``sources:`` in portfolio.yaml, already validated.

    ``options`` is the kind's typed options model; code that builds a spec by hand (tests,
    benchmarks) may pass a plain mapping, which the connector validates on construction."""

    id: str
    kind: str
    options: OptionsModel | Mapping[str, Any]
    base_dir: Path  # the folder of portfolio.yaml; relative paths resolve against it
    project_keys: tuple[str, ...] = ()  # the config `key`s of the projects that name this source

    def resolve(self, relative: str) -> Path:
        path = Path(relative).expanduser()
        return path if path.is_absolute() else self.base_dir / path


@dataclass
class Batch:
    """A slice of one raw table. ``table`` is the connector's own name (``tasks``), not qualified."""

    table: str
    data: pa.RecordBatch | pa.Table


PRESENT_KEYS_TABLE = "present_keys"  # incremental loads: every merge key still at the source


@dataclass
class ExtractContext:
    """What a connector may use while extracting: a logger, the quarantine, and its sync state.

    ``previous_state`` is what the connector saved after its last successful load (None on the
    first load or a full refresh). A connector that loads incrementally sets ``incremental`` and
    ``state`` (saved only once the load has landed), and may yield a ``present_keys`` batch
    (column ``key``) listing every record still at the source, so deletions are noticed.

    ``kept_state`` is the same saved state but given on a full refresh too: for what the source
    cannot give again (dates Sightline observed itself, such as first-seen baselines), never for
    a cursor, which a full refresh must ignore.
    """

    log: Any = None
    previous_state: Mapping[str, Any] | None = None
    kept_state: Mapping[str, Any] | None = None
    state: dict[str, Any] | None = None
    incremental: bool = False
    quarantined: list[dict[str, str]] = field(default_factory=list)
    _flush_size: int = 5_000

    def info(self, message: str) -> None:
        if self.log is not None:
            self.log.info(message)

    def quarantine(
        self, object_key: str, location: str, reason: str, record: Mapping[str, Any], *,
        level: str = "row", column: str | None = None, value: Any = None,
    ) -> None:
        """List a record that was not loaded (``level='row'``), or a finding about one cell or column of a
        record that was (``'cell'``, ``'column'``: name the column, and the cell's value as written)."""
        self.quarantined.append(
            {
                "object_key": object_key,
                "location": location,
                "reason": reason,
                "record": json.dumps(record, default=str, ensure_ascii=False),
                "level": level,
                "column_name": column,
                "cell_value": None if value is None else str(value),
            }
        )

    def drain_quarantine(self, force: bool = False) -> Iterator[Batch]:
        """Yield the quarantined rows as a batch once enough have gathered (or at the end)."""
        if self.quarantined and (force or len(self.quarantined) >= self._flush_size):
            rows, self.quarantined = self.quarantined, []
            yield Batch(QUARANTINE_TABLE, pa.Table.from_pylist(rows, schema=QUARANTINE_SCHEMA))


class Connector(ABC):
    """Base class of every source kind. Subclasses are registered by entry point."""

    kind: ClassVar[str]
    #: raw table name -> Arrow schema; every batch of that table must match it.
    raw_schemas: ClassVar[Mapping[str, pa.Schema]]
    #: For incremental loads: the column identifying a record across the raw tables (tables that
    #: have it are merged by it; the others are replaced whole), and the table listing the
    #: records a load carries.
    merge_key: ClassVar[str | None] = None
    primary_table: ClassVar[str | None] = None
    #: True for sources read from files people drop into a folder (``path:``): a sensor watches
    #: :meth:`files` and refreshes the source when one is added or changed.
    watches_files: ClassVar[bool] = False

    #: The typed options of this kind (every key but ``id``, ``kind`` and ``status_map``).
    options_model: ClassVar[type[OptionsModel]] = OptionsModel

    def __init__(self, source: SourceSpec):
        self.source = source
        given = source.options
        self.options = given if isinstance(given, self.options_model) else self.options_model.model_validate(given)

    def files(self) -> list[tuple[Path, str]]:
        """(absolute path, key name) of every file the source reads now; [] unless ``watches_files``."""
        if not self.watches_files:
            return []
        from connectors.files import find_files  # connectors.files imports SourceError from here

        return find_files(getattr(self.options, "path"), self.source.base_dir)  # noqa: B009 - only file kinds have it

    @abstractmethod
    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        """Stream the source's current content as raw-table batches."""

    @classmethod
    def staging_sql_dir(cls) -> Path:
        """Folder holding ``<stream>.sql`` staging models for this kind. In them, ``raw.this__<table>``
        names this kind's own raw table, so kinds with the same raw shape can share one folder.

        Default: ``staging/`` beside the file of the module defining the class (a subclass defined
        elsewhere gets its own module's folder); override for any other place."""
        return Path(inspect.getfile(cls)).parent / "staging"

