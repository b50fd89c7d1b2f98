"""The extract's release of pyarrow's freed memory: batches pass through unchanged, releases spaced."""

from __future__ import annotations

import pyarrow as pa
import pytest

from connectors.base import Batch
from connectors.jira import connector


def test_releasing_yields_every_batch_unchanged_and_releases_before_the_first_and_every_nth(
        monkeypatch: pytest.MonkeyPatch) -> None:
    released: list[int] = []  # how many batches had been handed on at each release
    handed: list[Batch] = []
    monkeypatch.setattr(connector, "_release_unused", lambda: released.append(len(handed)))
    batches = [Batch("issues", pa.table({"issue_id": [str(n)]})) for n in range(7)]

    for batch in connector._releasing(iter(batches), every=3):
        handed.append(batch)

    assert [b is a for a, b in zip(batches, handed, strict=True)] == [True] * 7
    assert released == [0, 3, 6]  # before batch 0, 3 and 6: every third, by hand

