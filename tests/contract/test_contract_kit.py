"""The contract suite itself: a small, correct connector passes it, and each way of breaking the
connector contract is caught by the test meant to catch it.

``LinesConnector`` reads ``<id>|<name>|<due date>`` lines; a line that does not parse is quarantined.
It merges by task id, listing the ids still present, so the incremental test applies too.
"""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Iterator
from pathlib import Path
from typing import ClassVar

import pyarrow as pa
import pytest

from connectors.base import PRESENT_KEYS_TABLE, Batch, Connector, ExtractContext, SourceError, SourceSpec
from connectors.options import OptionsModel, Text
from sightline.testing import ConnectorContract

TASKS = pa.schema([("task_id", pa.string()), ("name", pa.string()), ("due", pa.date32())])
TOKEN_ENV, TOKEN = "LINES_TOKEN", "lines-token-s3cr3t-5555"
GOOD = "T1|Design|2026-02-06\nT2|Build|2026-03-27\nT3|Launch|2026-04-10\n"


class LinesOptions(OptionsModel):
    path: Text
    token_env: Text


class LinesConnector(Connector):
    kind: ClassVar[str] = "lines"
    raw_schemas: ClassVar = {"tasks": TASKS}
    merge_key: ClassVar[str | None] = "task_id"
    primary_table: ClassVar[str | None] = "tasks"
    options_model: ClassVar[type[OptionsModel]] = LinesOptions
    sql_dir: ClassVar[Path] = Path(__file__).parent / "lines_staging"

    @classmethod
    def staging_sql_dir(cls) -> Path:
        return cls.sql_dir

    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        context.incremental = True
        rows = []
        for number, line in enumerate(self.source.resolve(self.options.path).read_text().splitlines(), start=1):
            try:
                rows.append(self.row(line))
            except ValueError as exc:
                self.reject(context, f"line {number}", f"line {number}: {exc}", line)
        yield Batch("tasks", self.table(rows))
        yield Batch(PRESENT_KEYS_TABLE, pa.table({"key": pa.array([r["task_id"] for r in rows], pa.string())}))
        yield from context.drain_quarantine(force=True)

    def row(self, line: str) -> dict:
        task_id, name, due = line.split("|")
        return {"task_id": task_id, "name": name, "due": dt.date.fromisoformat(due)}

    def reject(self, context: ExtractContext, key: str, reason: str, line: str) -> None:
        context.quarantine(key, f"{self.source.id}, {key}", reason, {"line": line})

    def table(self, rows: list[dict]) -> pa.Table:
        return pa.Table.from_pylist(rows, schema=TASKS)


def lines_source(folder: Path, text: str, name: str = "tasks.txt") -> SourceSpec:
    (folder / name).write_text(text, encoding="utf-8")
    return SourceSpec(id="lines", kind="lines", options={"path": name, "token_env": TOKEN_ENV}, base_dir=folder)


class TestLinesContract(ConnectorContract):
    """The correct connector passes every contract test (none skipped: it is incremental and has a secret)."""

    connector = LinesConnector

    @pytest.fixture(autouse=True)
    def _token(self, monkeypatch: pytest.MonkeyPatch) -> None:
        monkeypatch.setenv(TOKEN_ENV, TOKEN)

    @pytest.fixture
    def source(self, tmp_path: Path) -> SourceSpec:
        return lines_source(tmp_path, GOOD)

    @pytest.fixture
    def bad_source(self, tmp_path: Path) -> SourceSpec:
        return lines_source(tmp_path, GOOD + "T4|Review|next week\n", "bad.txt")

    def change_source(self, source: SourceSpec) -> None:
        (source.base_dir / "tasks.txt").write_text("T1|Design v2|2026-02-06\nT3|Launch|2026-04-10\n")


# --- broken connectors, each against the contract test that must notice ---------------------------


class DropsAColumn(LinesConnector):
    def table(self, rows: list[dict]) -> pa.Table:
        return super().table(rows).drop_columns(["due"])


class MisnamesAStagingColumn(LinesConnector):
    """Its staging folder (set by the test) says due_dat for due_date."""


class AbortsOnABadLine(LinesConnector):
    def reject(self, context: ExtractContext, key: str, reason: str, line: str) -> None:
        raise SourceError(reason)


class Unstable(LinesConnector):
    def row(self, line: str) -> dict:
        return {**super().row(line), "name": os.urandom(4).hex()}


class ForgetsDeletions(LinesConnector):
    def extract(self, context: ExtractContext) -> Iterator[Batch]:
        yield from (batch for batch in super().extract(context) if batch.table != PRESENT_KEYS_TABLE)


class LeaksTheToken(LinesConnector):
    def reject(self, context: ExtractContext, key: str, reason: str, line: str) -> None:
        super().reject(context, key, f"{reason} (token {os.environ[self.options.token_env]})", line)


def run_contract_test(connector: type[LinesConnector], test: str, folder: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """Call one contract test of ``TestLinesContract`` with ``connector`` in place, on fresh fixture data."""
    contract = type("Contract", (TestLinesContract,), {"connector": connector})()
    contract.register(monkeypatch)
    for name in ("good", "bad", "run"):
        (folder / name).mkdir(parents=True)
    given = {"source": lines_source(folder / "good", GOOD), "failing_source": None, "tmp_path": folder / "run",
             "bad_source": lines_source(folder / "bad", GOOD + "T4|Review|next week\n", "bad.txt")}
    method = getattr(contract, test)
    method(**{name: given[name] for name in method.__code__.co_varnames[1:method.__code__.co_argcount]})


@pytest.mark.parametrize(("broken", "test", "message"), [
    (DropsAColumn, "test_batches_match_the_declared_raw_schemas", "differs from the declared"),
    (MisnamesAStagingColumn, "test_staging_sql_builds_the_canonical_streams", r"\['due_dat'\] are not in the canonical"),
    (AbortsOnABadLine, "test_bad_record_is_quarantined_and_the_rest_loads", "the load failed"),
    (Unstable, "test_two_extracts_of_the_same_input_are_identical", "differs between two extracts"),
    (ForgetsDeletions, "test_incremental_run_merges_to_the_source_state", "did not merge"),
    (LeaksTheToken, "test_secrets_never_leave_the_environment", "a secret"),
])
def test_each_broken_connector_fails_its_contract_test(
    broken: type[LinesConnector], test: str, message: str, tmp_path: Path, monkeypatch: pytest.MonkeyPatch,
) -> None:
    typo = tmp_path / "typo"
    typo.mkdir()
    (typo / "work_items.sql").write_text(
        (LinesConnector.sql_dir / "work_items.sql").read_text().replace("due AS due_date", "due AS due_dat"))
    monkeypatch.setattr(MisnamesAStagingColumn, "sql_dir", typo)
    monkeypatch.setenv(TOKEN_ENV, TOKEN)
    with pytest.raises(AssertionError, match=message):
        run_contract_test(broken, test, tmp_path / "broken", monkeypatch)
    run_contract_test(LinesConnector, test, tmp_path / "correct", monkeypatch)  # the same test, passing
