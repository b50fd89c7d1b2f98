"""The connector contract: pytest tests every connector runs against its own fixture source.

A connector's test module subclasses :class:`ConnectorContract`, names the class under test and
overrides two fixtures::

    from sightline.testing import ConnectorContract

    class TestMyContract(ConnectorContract):
        connector = MyConnector

        @pytest.fixture
        def source(self, tmp_path):        # a valid source holding a few good records
            return SourceSpec(id="mine", kind="mine", options={...}, base_dir=tmp_path)

        @pytest.fixture
        def bad_source(self, tmp_path):    # the same, plus one record the connector cannot read
            ...

Optionally ``failing_source`` (a source whose whole read fails, e.g. a wrong token: its error text
is checked for secrets) and :meth:`ConnectorContract.change_source` (edit the fixture source between
the two runs of the incremental test). Everything runs through the real warehouse code: landing,
raw loading and merging (``pipelines.extract.load_source``), staging (``build_kind_staging``) and
the canonical unions, on a private DuckDB. The class under test need not be installed: the
contract registers it for the duration of each test.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar

import duckdb
import pyarrow as pa
import pytest

import pipelines.extract as extract_module
from connectors.base import (
    PRESENT_KEYS_TABLE,
    QUARANTINE_SCHEMA,
    QUARANTINE_TABLE,
    Connector,
    ExtractContext,
    SourceSpec,
)
from connectors.http import configured_secrets
from pipelines.extract import LoadOutcome, load_source
from warehouse import db
from warehouse.canonical import STAGING_STREAMS
from warehouse.models import build_canonical_unions, build_kind_staging

PRESENT_KEYS_SCHEMA = pa.schema([("key", pa.string())])

__all__ = ["ConnectorContract", "Extracted", "extract_all"]


class _Messages:
    """Stands in for a logger: keeps what the connector logs, to look for secrets in it."""

    def __init__(self) -> None:
        self.lines: list[str] = []

    def info(self, message: str, *args: Any) -> None:
        self.lines.append(message % args if args else message)


@dataclass
class Extracted:
    """Everything one extract produced: the batches per table, in order, and its context."""

    batches: dict[str, list[pa.Table]] = field(default_factory=dict)
    context: ExtractContext = field(default_factory=ExtractContext)
    messages: list[str] = field(default_factory=list)

    def table(self, name: str) -> pa.Table | None:
        parts = self.batches.get(name)
        return pa.concat_tables(parts) if parts else None


def extract_all(connector: type[Connector], source: SourceSpec,
                previous_state: Mapping[str, Any] | None = None) -> Extracted:
    """Run ``connector`` on ``source`` to the end, keeping every batch (tables as Arrow tables)."""
    messages = _Messages()
    result = Extracted(context=ExtractContext(log=messages, previous_state=previous_state), messages=messages.lines)
    for batch in connector(source).extract(result.context):
        data = batch.data if isinstance(batch.data, pa.Table) else pa.Table.from_batches([batch.data])
        result.batches.setdefault(batch.table, []).append(data)
    return result


def _expected_schema(connector: type[Connector], table: str) -> pa.Schema | None:
    if table == QUARANTINE_TABLE:
        return QUARANTINE_SCHEMA
    if table == PRESENT_KEYS_TABLE:
        return PRESENT_KEYS_SCHEMA
    return connector.raw_schemas.get(table)


def _source_rows(con: duckdb.DuckDBPyConnection, kind: str, table: str, source_id: str) -> list[tuple]:
    """A source's rows of one raw table, load id left out, in a stable order (lists do not sort)."""
    name = "raw.quarantine" if table == QUARANTINE_TABLE else db.raw_table(kind, table)
    rows = con.execute(f"SELECT * EXCLUDE (load_id) FROM {name} WHERE source_id = ?", [source_id]).fetchall()
    return sorted(rows, key=repr)


class ConnectorContract:
    """Base class of a connector's contract tests (pytest collects the subclasses named ``Test*``)."""

    #: The connector class under test.
    connector: ClassVar[type[Connector]]
    #: Streams the connector ships SQL for that the fixture source leaves empty, with good reason
    #: (a CSV export carries no status history). Every other one must get at least one row.
    empty_streams: ClassVar[tuple[str, ...]] = ()

    # --- what a connector's test module provides ------------------------------------------------------

    @pytest.fixture
    def source(self) -> SourceSpec:
        """A valid source of this kind on fixture data (files in tmp_path, a loopback server ...)."""
        raise NotImplementedError(f"{type(self).__name__}: override the `source` fixture")

    @pytest.fixture
    def bad_source(self) -> SourceSpec:
        """A source holding good records and exactly one the connector cannot read."""
        raise NotImplementedError(f"{type(self).__name__}: override the `bad_source` fixture")

    @pytest.fixture
    def failing_source(self) -> SourceSpec | None:
        """A source whose whole read fails (wrong token, missing file); None skips that part."""
        return None

    def change_source(self, source: SourceSpec) -> None:
        """Edit the fixture source between the two runs of the incremental test (default: no change)."""

    # --- plumbing ---------------------------------------------------------------------------------------

    @pytest.fixture(autouse=True)
    def _registered(self, monkeypatch: pytest.MonkeyPatch) -> None:
        self.register(monkeypatch)

    def register(self, monkeypatch: pytest.MonkeyPatch) -> None:
        """The class under test is found by its kind even when no entry point is installed."""
        cls, installed = self.connector, extract_module.connector_class
        monkeypatch.setattr(extract_module, "connector_class", lambda kind: cls if kind == cls.kind else installed(kind))

    def warehouse(self) -> duckdb.DuckDBPyConnection:
        """A private in-memory build database with this kind's raw tables."""
        con = duckdb.connect(":memory:")
        db.prepare(con, {self.connector.kind: dict(self.connector.raw_schemas)})
        return con

    def load(self, con: duckdb.DuckDBPyConnection, source: SourceSpec, landing: Path) -> LoadOutcome:
        outcome = load_source(con, source, landing, retention_days=1)
        assert outcome.ok, f"{source.id}: the load failed: {outcome.error}"
        return outcome

    # --- the contract -----------------------------------------------------------------------------------

    def test_batches_match_the_declared_raw_schemas(self, source: SourceSpec, bad_source: SourceSpec) -> None:
        for spec in (source, bad_source):
            extracted = extract_all(self.connector, spec)
            assert extracted.batches, f"{spec.id}: the extract yielded no batch at all"
            for table, parts in extracted.batches.items():
                expected = _expected_schema(self.connector, table)
                assert expected is not None, (
                    f"batch for table {table!r}, which is not in raw_schemas {sorted(self.connector.raw_schemas)}")
                for data in parts:
                    assert data.schema.equals(expected), (
                        f"table {table!r}: batch schema\n{data.schema}\ndiffers from the declared\n{expected}")

    def test_staging_sql_builds_the_canonical_streams(self, source: SourceSpec, tmp_path: Path) -> None:
        con, kind = self.warehouse(), self.connector.kind
        self.load(con, source, tmp_path / "landing")
        views = build_kind_staging(con, kind, self.connector.staging_sql_dir())
        assert views, f"{self.connector.staging_sql_dir()}: no <stream>.sql staging file"
        build_canonical_unions(con, [kind])
        filled = [path.stem for path in sorted(self.connector.staging_sql_dir().glob("*.sql"))]
        for stream in filled:
            self._check_kind_view(con, stream, source.id)
        for stream, columns in STAGING_STREAMS.items():
            described = [(name, kind_type) for name, kind_type, *_ in
                         con.execute(f"DESCRIBE staging.{db.quote(stream)}").fetchall()]
            assert described == columns, f"staging.{stream}: {described} is not the canonical shape {columns}"
            con.execute(f"SELECT * FROM staging.{db.quote(stream)}").fetchall()  # every cast succeeds

    def _check_kind_view(self, con: duckdb.DuckDBPyConnection, stream: str, source_id: str) -> None:
        """Columns are canonical names, values convert to the canonical types without loss, rows exist."""
        view = f"staging.{db.quote(f'{self.connector.kind}__{stream}')}"
        canonical = dict(STAGING_STREAMS[stream])
        present = [row[0] for row in con.execute(f"DESCRIBE {view}").fetchall()]
        unknown = sorted(set(present) - set(canonical))
        assert not unknown, f"{stream}.sql: columns {unknown} are not in the canonical {stream} stream"
        rows = con.execute(f"SELECT count(*) FROM {view}").fetchone()[0]
        assert rows > 0 or stream in self.empty_streams, (
            f"{stream}.sql: the fixture source fills no row of {stream} (or list it in empty_streams)")
        for column in present:
            name = db.quote(column)
            lost = con.execute(
                f"SELECT count(*) FROM {view} WHERE {name} IS NOT NULL AND TRY_CAST({name} AS {canonical[column]}) IS NULL"
            ).fetchone()[0]
            assert lost == 0, f"{stream}.sql: {lost} value(s) of {column} do not convert to {canonical[column]}"
        ids = {row[0] for row in con.execute(f"SELECT DISTINCT source_id FROM {view}").fetchall()}
        assert ids <= {source_id}, f"{stream}.sql: source_id is {ids}, expected only {source_id!r}"

    def test_bad_record_is_quarantined_and_the_rest_loads(self, bad_source: SourceSpec, tmp_path: Path) -> None:
        con = self.warehouse()
        outcome = self.load(con, bad_source, tmp_path / "landing")
        quarantined = con.execute(
            "SELECT object_key, location, reason FROM raw.quarantine WHERE source_id = ?", [bad_source.id]).fetchall()
        assert quarantined, f"{bad_source.id}: the bad record is not in raw.quarantine"
        for row in quarantined:
            assert all(value and value.strip() for value in row), f"quarantine row with an empty field: {row}"
        loaded = sum(outcome.rows.get(table, 0) for table in self.connector.raw_schemas)
        assert loaded > 0, f"{bad_source.id}: nothing but the quarantine loaded; the good records must still load"

    def test_two_extracts_of_the_same_input_are_identical(self, source: SourceSpec) -> None:
        first, second = extract_all(self.connector, source), extract_all(self.connector, source)
        assert sorted(first.batches) == sorted(second.batches)
        for table in first.batches:
            assert first.table(table).equals(second.table(table)), f"table {table!r} differs between two extracts"
        assert first.context.state == second.context.state
        assert first.context.incremental == second.context.incremental

    def test_incremental_run_merges_to_the_source_state(self, source: SourceSpec, tmp_path: Path) -> None:
        if self.connector.merge_key is None:
            pytest.skip(f"{self.connector.kind} loads whole (no merge_key): nothing to merge")
        incremental = self.warehouse()
        self.load(incremental, source, tmp_path / "a")
        self.change_source(source)
        self.load(incremental, source, tmp_path / "a")  # with the state the first run saved
        fresh = self.warehouse()
        self.load(fresh, source, tmp_path / "b")  # a first, full load of the changed source
        for table in (*self.connector.raw_schemas, QUARANTINE_TABLE):
            merged = _source_rows(incremental, self.connector.kind, table, source.id)
            whole = _source_rows(fresh, self.connector.kind, table, source.id)
            assert merged == whole, f"table {table!r}: the incremental run did not merge to the source's content"

    def test_secrets_never_leave_the_environment(self, source: SourceSpec, bad_source: SourceSpec,
                                                 failing_source: SourceSpec | None) -> None:
        # The values the sources' *_env options name, as the pipeline's own redaction finds them.
        secrets = configured_secrets(spec for spec in (source, bad_source, failing_source) if spec)
        if not secrets:
            pytest.skip(f"{self.connector.kind}: the fixture source names no *_env secret")
        texts: list[str] = []
        for spec in (source, bad_source):
            extracted = extract_all(self.connector, spec)
            texts += extracted.messages + [repr(extracted.context.state)]
            texts += [repr(t.to_pylist()) for parts in extracted.batches.values() for t in parts]
        if failing_source is not None:
            with pytest.raises(Exception) as failure:  # noqa: B017 - any error a connector raises is checked
                extract_all(self.connector, failing_source)
            texts.append(str(failure.value))
        for text in texts:
            for secret in secrets:
                assert secret not in text, "a secret from the environment appears in the connector's output"
