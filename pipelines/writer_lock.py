"""One writer at a time: an OS file lock on ``<warehouse folder>/.sightline/writer.lock``.

Every process that writes the build file takes it: ``sightline sync`` for the whole command, and
every Dagster run (schedule, sensor, UI launch) through its ``sightline`` resource. ``flock`` is
released by the kernel when the process dies, so a killed sync never leaves the lock behind. Who
holds it is written beside it, in ``writer.lock.json``, so a waiting writer can say whom it waits for.

The lock is between processes. Within one process it is re-entrant: ``sightline sync`` holds it
and the Dagster run it executes in the same process takes it again without waiting for itself.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import fcntl
import json
import os
import socket
import threading
import time
from collections.abc import Callable
from dataclasses import asdict, dataclass
from pathlib import Path

LOCK_FILE = "writer.lock"
HOLDER_FILE = "writer.lock.json"
DEFAULT_WAIT_SECONDS = 600.0
POLL_SECONDS = 0.2
# A waiter that finds the lock taken but no holder record yet (the holder is between flock and
# writing it) gives the holder this long to write it before saying "unknown holder".
HOLDER_GRACE_SECONDS = 1.0


@dataclass(frozen=True)
class Holder:
    """Who holds the writer lock."""

    pid: int
    host: str
    command: str
    since: str  # "YYYY-MM-DD HH:MM:SS UTC"
    run_id: str | None = None

    def describe(self) -> str:
        run = f", run {self.run_id}" if self.run_id else ""
        return f"pid {self.pid} on {self.host} ({self.command}{run}) since {self.since}"


class WriterLockTimeout(Exception):
    """The lock stayed taken for longer than the caller would wait."""

    def __init__(self, lock_path: Path, waited: float, holder: Holder | None) -> None:
        self.lock_path, self.waited, self.holder = lock_path, waited, holder
        who = holder.describe() if holder else "an unknown process"
        super().__init__(
            f"could not get the writer lock {lock_path} within {waited:g} s: held by {who}; "
            "let that run finish (its progress is in `sightline ui`), then run again or wait longer"
        )


def read_holder(var_dir: Path) -> Holder | None:
    """The recorded holder, or None when there is no readable record."""
    try:
        data = json.loads((var_dir / HOLDER_FILE).read_text(encoding="utf-8"))
        return Holder(**data)
    except (OSError, ValueError, TypeError):
        return None


# Locks this process holds: path -> [file descriptor, depth]. A lock is re-entered, not re-taken.
_held: dict[Path, list[int]] = {}
_held_guard = threading.Lock()


class WriterLock:
    """The writer lock of one portfolio's working folder."""

    def __init__(self, var_dir: Path) -> None:
        self.var_dir = Path(var_dir).resolve()  # one lock per folder, however the path was spelt
        self.path = self.var_dir / LOCK_FILE

    def acquire(
        self, *, command: str, run_id: str | None = None, wait_seconds: float = DEFAULT_WAIT_SECONDS,
        on_wait: Callable[[Holder | None], None] | None = None,
    ) -> None:
        """Take the lock, waiting up to ``wait_seconds``; ``on_wait`` is told once whom we wait for.

        Raises WriterLockTimeout when the lock is still taken after ``wait_seconds``.
        """
        with _held_guard:
            if self.path in _held:
                _held[self.path][1] += 1
                return
        self.var_dir.mkdir(parents=True, exist_ok=True)
        fd = os.open(self.path, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            self._wait_for_flock(fd, wait_seconds, on_wait)
            self._write_holder(Holder(
                pid=os.getpid(), host=socket.gethostname(), command=command, run_id=run_id,
                since=dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M:%S UTC"),
            ))
        except BaseException:
            os.close(fd)  # closing drops the flock too, if we got it
            raise
        with _held_guard:
            _held[self.path] = [fd, 1]

    def release(self) -> None:
        with _held_guard:
            entry = _held.get(self.path)
            if entry is None:
                return
            entry[1] -= 1
            if entry[1] > 0:
                return
            del _held[self.path]
        # The record goes first: once the lock is free, a stale record would misname the holder.
        with contextlib.suppress(FileNotFoundError):
            (self.var_dir / HOLDER_FILE).unlink()
        os.close(entry[0])

    def __enter__(self) -> WriterLock:
        return self

    def __exit__(self, *exc: object) -> None:
        self.release()

    def _wait_for_flock(
        self, fd: int, wait_seconds: float, on_wait: Callable[[Holder | None], None] | None
    ) -> None:
        started = time.monotonic()
        told = False
        while True:
            try:
                fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
                return
            except BlockingIOError:
                pass
            waited = time.monotonic() - started
            holder = read_holder(self.var_dir)
            if not told and on_wait is not None and (holder is not None or waited >= HOLDER_GRACE_SECONDS):
                on_wait(holder)
                told = True
            if waited >= wait_seconds:
                raise WriterLockTimeout(self.path, wait_seconds, holder)
            time.sleep(max(0.0, min(POLL_SECONDS, wait_seconds - waited)))

    def _write_holder(self, holder: Holder) -> None:
        # Written aside and renamed, so a waiter never reads half a record.
        target = self.var_dir / HOLDER_FILE
        partial = target.with_name(f".{HOLDER_FILE}.{os.getpid()}")
        partial.write_text(json.dumps(asdict(holder)), encoding="utf-8")
        os.replace(partial, target)


def waiting_line(lock_path: Path, holder: Holder | None, wait_seconds: float) -> str:
    """The one line a waiting writer prints."""
    who = holder.describe() if holder else "an unknown process (no holder record)"
    return f"waiting for the writer lock {lock_path}: held by {who}; waiting up to {wait_seconds:g} s"
