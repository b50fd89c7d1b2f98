"""A throwaway PostgreSQL server for tests: initdb into a temporary folder, pg_ctl on a free
loopback port, trust authentication, no Unix socket. initdb refuses to run as root, so as root the
server runs as the ``postgres`` user (the OS package creates it) through ``runuser``."""

from __future__ import annotations

import contextlib
import glob
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
from collections.abc import Iterator
from pathlib import Path


def server_binaries() -> Path | None:
    """The folder holding initdb and pg_ctl: on PATH, else the newest /usr/lib/postgresql/<n>/bin."""
    on_path = shutil.which("initdb")
    if on_path and shutil.which("pg_ctl"):
        return Path(on_path).parent
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(Path(p).parts[-3]))
    return Path(found[-1]).parent if found else None


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _as_server_user() -> tuple[list[str], int | None]:
    """The command prefix and uid to run the server as: ourselves, or postgres when we are root."""
    if os.geteuid() != 0:
        return [], None
    try:
        uid = pwd.getpwnam("postgres").pw_uid
    except KeyError:
        raise RuntimeError("running as root and there is no 'postgres' user for initdb to run as; "
                           "install the postgresql package or run the tests as another user") from None
    return ["runuser", "-u", "postgres", "--"], uid


@contextlib.contextmanager
def postgres_server(binaries: Path) -> Iterator[str]:
    """Start a server and yield its connection URI; stop it and delete its files afterwards."""
    prefix, uid = _as_server_user()
    folder = Path(tempfile.mkdtemp(prefix="sightline-pg-"))
    data = folder / "data"
    if uid is not None:
        os.chown(folder, uid, -1)
    port = _free_port()
    run = {"check": True, "capture_output": True, "text": True, "timeout": 120}
    try:
        subprocess.run([*prefix, str(binaries / "initdb"), "-D", str(data), "-U", "postgres", "--auth=trust",
                        "--no-sync", "-E", "UTF8"], **run)
        options = f"-p {port} -h 127.0.0.1 -c unix_socket_directories='' -c fsync=off"
        subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-o", options, "-l",
                        str(folder / "server.log"), "-w", "-t", "60", "start"], **run)
        try:
            yield f"postgresql://postgres@127.0.0.1:{port}/postgres"
        finally:
            subprocess.run([*prefix, str(binaries / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"],
                           capture_output=True, timeout=60)
    finally:
        shutil.rmtree(folder, ignore_errors=True)
