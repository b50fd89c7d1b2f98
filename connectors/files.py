"""Finding a file source's files, and fingerprinting them for the drop-folder sensors.

``path:`` is a path, a glob or a list of them, relative to portfolio.yaml. Folder names may hold
glob characters (``Projects [2026]/*.xlsx``): the leading part of a pattern that exists on disk as a
folder is taken literally, only the rest is a glob. A file's key name is its path relative to that
literal folder, so keys do not change when the whole folder moves.
"""

from __future__ import annotations

import glob
import hashlib
from collections.abc import Sequence
from pathlib import Path

from connectors.base import SourceError


def split_pattern(pattern: Path) -> tuple[Path, str]:
    """(literal folder, glob relative to it). A pattern naming an existing file is that file, literally."""
    if pattern.is_file():
        return pattern.parent, glob.escape(pattern.name)
    parts = pattern.parts
    folder = Path(parts[0])
    for index, part in enumerate(parts[1:], start=1):
        if glob.has_magic(part) and not (folder / part).is_dir():
            return folder, Path(*parts[index:]).as_posix()
        folder = folder / part
    return folder.parent, glob.escape(folder.name)  # no wildcard at all: a file that may not exist


def find_files(patterns: str | Sequence[str], base_dir: Path) -> list[tuple[Path, str]]:
    """(absolute path, key name) of every file the patterns match, de-duplicated, sorted by key name."""
    found: dict[Path, str] = {}
    for pattern in [patterns] if isinstance(patterns, str) else patterns:
        absolute = Path(pattern).expanduser()
        absolute = absolute if absolute.is_absolute() else base_dir / absolute
        folder, rest = split_pattern(absolute)
        # root_dir keeps the literal folder out of the glob: its brackets are not a character class.
        names = sorted(glob.glob(rest, root_dir=folder, recursive=True)) if folder.is_dir() else []
        matches = [(folder / name, Path(name).as_posix()) for name in names if (folder / name).is_file()]
        if not matches:
            raise SourceError(f"no file matches {pattern!r} (looked for {absolute}); check the source's path")
        for path, name in matches:
            found.setdefault(path, name)
    return sorted(found.items(), key=lambda item: item[1])


def fingerprint(path: Path, previous: list | None = None) -> list:
    """[size, mtime_ns, sha256]; the content hash is recomputed only when size or mtime moved."""
    stat = path.stat()
    if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
        return previous
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]
