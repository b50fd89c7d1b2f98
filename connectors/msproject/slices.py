"""A large plain MSPDI file read in slices: lxml parses the next slice on a background thread
while the records of the last one are read, so the parse overlaps the reading.

``iterparse`` holds the GIL for the whole parse, but lxml releases it while it parses a document
from memory. A plan is mostly two lists, ``<Tasks>`` and ``<Assignments>``; in a plain file - UTF-8,
no ``<!`` (comment, CDATA, DTD) and no ``<?`` after the XML declaration, each list a bare
``<Tasks>``/``<Assignments>`` child of the root - the file is read as:

- the skeleton: the file with those lists emptied, parsed whole (properties, calendars, custom
  field definitions, resources: small);
- each list's content, cut after a ``</Task>`` (``</Assignment>``) about every :data:`SLICE_BYTES`,
  each slice wrapped in the root's namespaces and parsed on its own, one slice ahead. A root with
  only a default namespace (Project's own) is left out of the wrapper: records are read by local
  name, and lxml then gives each child's tag as ``UID`` instead of building ``{http://...}UID``.

The survey looks only for the lists' tags; ``<!`` and ``<?`` are looked for in the skeleton before
it is parsed and in each slice before it is parsed, so a file that is not plain is found where its
bytes are read, and the records given before that point are exactly iterparse's.

Without comments or CDATA every ``</Task>`` in the bytes is an end tag, and a cut anywhere but
between two records (a nested ``Task``) leaves a slice that is not well-formed: it cannot pass
unnoticed. Anything unexpected raises :class:`NotPlain`; the caller then reads with ``iterparse``
(from where the slices stopped), which also words every error. Records come out in file order,
as ``mspdi.iter_runs`` yields them, with the same parser settings (no DTD, no entities, no network).
"""

from __future__ import annotations

import codecs
import queue
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from xml.sax.saxutils import quoteattr

from lxml import etree

MIN_BYTES = 2 * 1024 * 1024  # smaller files gain nothing from a second thread: iterparse reads them
SLICE_BYTES = 256 * 1024  # ~300 tasks a slice; two wait at most. 1 MB slices cost +35 MB RSS, 4 MB +150 MB
SCAN_BYTES = 4 * 1024 * 1024
LISTS = {"Tasks": "Task", "Assignments": "Assignment"}


class NotPlain(Exception):
    """This file, or the rest of it, is for ``iterparse``."""


#: Every MSPDI parse, iterparse or slice: no DTD, no entities, no network, lxml's normal size limits.
SETTINGS: dict[str, bool] = {"resolve_entities": False, "load_dtd": False, "no_network": True,
                             "dtd_validation": False, "huge_tree": False, "remove_comments": True,
                             "remove_pis": True}


def parser() -> etree.XMLParser:
    return etree.XMLParser(**SETTINGS)


@dataclass(frozen=True)
class _List:
    name: str  # Tasks | Assignments
    start: int  # offset of the content, right after <Tasks>
    end: int  # offset of </Tasks>


def survey(path: Path) -> list[_List]:
    """The lists of a plain file, in file order; NotPlain for any other file.

    Each list is looked for where MSPDI writes it, in order (``<Tasks>`` near the start,
    ``<Assignments>`` after ``</Tasks>``) and its end from the end of the file backwards, so only
    what lies between the lists is scanned. A list found this way may still span more than one
    list element or hold its own end tag: a slice of it then parses into more than one element
    (:class:`Slices` refuses it), or the skeleton does not show one empty list (:func:`skeleton`).
    ``<!`` and ``<?`` are looked for where the bytes are read anyway: in the skeleton and in each slice.
    """
    lists, position = [], 0
    with path.open("rb") as handle:
        start = _after_declaration(handle.read(1024))
        size = handle.seek(0, 2)
        for name in LISTS:
            opening = _find(handle, f"<{name}>".encode(), max(start, position), size)
            if opening < 0:
                continue
            closing = _rfind(handle, f"</{name}>".encode(), opening, size)
            if closing < 0:
                raise NotPlain
            lists.append(_List(name, opening + len(name) + 2, closing))
            position = closing
    if not lists:
        raise NotPlain
    return lists


def _after_declaration(head: bytes) -> int:
    """Where the XML declaration (and a UTF-8 BOM) end; NotPlain for any encoding but UTF-8."""
    skip = len(codecs.BOM_UTF8) if head.startswith(codecs.BOM_UTF8) else 0
    if b"\x00" in head:  # UTF-16 or UTF-32
        raise NotPlain
    if not head.startswith(b"<?xml", skip):
        return skip
    end = head.find(b"?>", skip)
    declaration = head[skip:end].lower().replace(b"'", b'"') if end >= 0 else b""
    if end < 0 or (b"encoding=" in declaration and b'encoding="utf-8"' not in declaration
                   and b'encoding="utf8"' not in declaration):
        raise NotPlain
    return end + 2


def _check_plain(data: bytes) -> None:
    """NotPlain for a comment, CDATA section, DTD or processing instruction in ``data``.

    Looks for the rare byte ('!', '?') and then at the one before it: a one-byte search is
    memchr, ten times faster than searching for '<!', and it runs while the GIL is held."""
    for mark in (b"!", b"?"):
        at = data.find(mark, 1)
        while at >= 0:
            if data[at - 1] == 0x3C:  # '<'
                raise NotPlain
            at = data.find(mark, at + 1)


def _find(handle: Any, pattern: bytes, start: int, end: int) -> int:
    """The offset of ``pattern``'s first occurrence in [start, end), -1 if none; a block at a time
    (not mapped: a mapped file's pages would count in the process's resident memory)."""
    position, size = start, max(SCAN_BYTES, 2 * len(pattern))
    while position < end:
        handle.seek(position)
        block = handle.read(min(size, end - position))
        if not block:
            return -1  # the file shrank while it was read
        if (at := block.find(pattern)) >= 0:
            return position + at
        if position + len(block) >= end:
            return -1
        position += len(block) - (len(pattern) - 1)  # a match may straddle two blocks
    return -1


def _rfind(handle: Any, pattern: bytes, start: int, end: int) -> int:
    """The offset of ``pattern``'s last occurrence in [start, end), -1 if none; from the end back."""
    position, size = end, max(SCAN_BYTES, 2 * len(pattern))
    while position > start:
        low = max(start, position - size)
        handle.seek(low)
        block = handle.read(position - low)
        if (at := block.rfind(pattern)) >= 0:
            return low + at
        if low == start:
            return -1
        position = low + len(pattern) - 1
    return -1


def skeleton(path: Path, lists: list[_List]) -> etree._Element:
    """The file without the lists' content, parsed: its root; NotPlain when it does not parse or a
    list is not the root's only child of that name (iterparse then reads the file and words the error)."""
    parts, position = [], 0
    with path.open("rb") as handle:
        for item in lists:
            parts.append(handle.read(item.start - position))
            handle.seek(item.end)
            position = item.end
        parts.append(handle.read())
    document = b"".join(parts)
    _check_plain(document[_after_declaration(document[:1024]):])  # the declaration is the one '<?' allowed
    try:
        root = etree.fromstring(document, parser())
    except etree.XMLSyntaxError:
        raise NotPlain from None
    for item in lists:
        found = list(root.iter(f"{{*}}{item.name}"))
        if len(found) != 1 or found[0].getparent() is not root or len(found[0]):
            raise NotPlain
    return root


class Slices:
    """The lists' content parsed ahead on one background thread, slice by slice, in file order."""

    def __init__(self, path: Path, root: etree._Element, lists: list[_List]):
        # Records are read by local name. With only a default namespace the slices are parsed
        # without it: lxml then builds each child's tag as 'UID', not '{http://...}UID'.
        namespaces = "".join(f" xmlns{':' + prefix if prefix else ''}={quoteattr(uri)}"
                             for prefix, uri in root.nsmap.items()) if set(root.nsmap) - {None} else ""
        self.wrap = f"<Project{namespaces}>".encode()
        self.path, self.lists = path, lists
        self.ready: queue.Queue[tuple[str, Any]] = queue.Queue(maxsize=2)
        self.stop = threading.Event()
        self.thread = threading.Thread(target=self._parse_all, name="mspdi-slices", daemon=True)
        self.thread.start()

    def records(self, name: str) -> Iterator[etree._Element]:
        """The elements of list ``name`` (the next one in file order), slice by slice: each slice's
        wrapper element, whose children are the list's own children."""
        while True:
            kind, value = self.ready.get()
            if kind == "end":
                if value != name:
                    raise NotPlain
                return
            if kind == "error":
                raise NotPlain from value
            yield value

    def close(self) -> None:
        self.stop.set()
        while self.thread.is_alive():  # unblock a put waiting for room
            try:
                self.ready.get(timeout=0.05)
            except queue.Empty:
                pass
        self.thread.join()

    def _parse_all(self) -> None:
        try:
            with self.path.open("rb") as handle:
                for item in self.lists:
                    tag = item.name.encode()
                    for piece in _pieces(handle, item, SLICE_BYTES):
                        _check_plain(piece)  # before it is parsed: a cut is sure only where nothing hides a tag
                        document = b"%s<%s>%s</%s></Project>" % (self.wrap, tag, piece, tag)
                        wrapper = etree.fromstring(document, parser())
                        if len(wrapper) != 1:  # the slice holds the list's own end tag: the list is not one element
                            raise NotPlain
                        if not self._put("slice", wrapper[0]):
                            return
                    if not self._put("end", item.name):
                        return
        except Exception as exc:  # a slice that does not parse: the caller goes on with iterparse
            self._put("error", exc)

    def _put(self, kind: str, value: Any) -> bool:
        while not self.stop.is_set():
            try:
                self.ready.put((kind, value), timeout=0.05)
                return True
            except queue.Full:
                continue
        return False


def _pieces(handle: Any, item: _List, size: int) -> Iterator[bytes]:
    """The list's content in pieces of about ``size`` bytes, each ending after a record's end tag."""
    closing = f"</{LISTS[item.name]}>".encode()
    handle.seek(item.start)
    remaining, pending = item.end - item.start, b""
    while remaining > 0:
        block = handle.read(min(size, remaining))
        if not block:
            raise NotPlain  # the file shrank while it was read
        remaining -= len(block)
        pending += block
        if remaining == 0:
            yield pending  # the list's end: all that is left
            return
        at = pending.rfind(closing)
        if at < 0:
            if len(pending) > 64 * size:
                raise NotPlain  # no record end for this long (prefixed tags?): iterparse, in bounded memory
            continue  # one record longer than a slice: read on
        cut = at + len(closing)
        piece, pending = pending[:cut], pending[cut:]
        yield piece


def plain_runs(path: Path, record_kind: Callable[[Any], str | None],
               first_event: Callable[[etree._Element, etree._Element | None], None],
               ) -> Iterator[tuple[str, list[etree._Element]]]:
    """The records of a plain file in file order, as runs of one kind: (kind, elements), at most a
    slice's records a run, each valid until the next run is asked for.

    ``record_kind`` maps a tag to its record kind (None for other elements); ``first_event(root,
    child)`` is called once, before the first record and as iterparse would: with the root child
    holding the first record-tagged element (None when none has one), whose earlier siblings are
    the properties iterparse has seen by then. Raises NotPlain before the first record for a file
    that is not plain, or later, with every record given so far exactly what iterparse yields.
    """
    lists = survey(path)
    root = skeleton(path, lists)
    containers = {next(root.iter(f"{{*}}{item.name}")): item.name for item in lists}  # held: same proxies
    reader = Slices(path, root, lists)
    seen = False
    try:
        for child in root:
            name = containers.get(child)
            # A list emptied from the skeleton comes back slice by slice; any other child is whole.
            for group in ([child] if name is None else reader.records(name)):
                if not seen and any(record_kind(element.tag) for element in group.iter()):
                    first_event(root, child)
                    seen = True
                yield from _runs(group, record_kind, LISTS.get(name or ""))
        if not seen:
            first_event(root, None)
    finally:
        reader.close()


def _runs(group: etree._Element, record_kind: Callable[[Any], str | None],
          expected: str | None = None) -> Iterator[tuple[str, list[etree._Element]]]:
    """The record children of ``group`` as runs of one kind, in order. A slice of a list whose
    children are all its ``expected`` records (as they are) is one run, gathered by lxml's own
    tag filter, without a Python step per record."""
    kind = record_kind(expected) if expected else None
    if kind:
        records = list(group.iterchildren(f"{{*}}{expected}"))
        if len(records) == len(group):
            if records:
                yield kind, records
            return
    run_kind, run = "", []
    for element in group:
        kind = record_kind(element.tag)
        if not kind:
            continue
        if kind != run_kind and run:
            yield run_kind, run
            run = []
        run_kind = kind
        run.append(element)
    if run:
        yield run_kind, run
