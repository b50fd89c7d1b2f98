"""Timestamps as REST APIs write them (ISO 8601 with an offset), read as naive UTC for the raw tables."""

from __future__ import annotations

import datetime as dt
import re
from typing import Any


class RecordError(ValueError):
    """One record (issue, work item) cannot be read; the message names the field and value (the caller adds the key)."""


def parse_utc_time(value: Any) -> dt.datetime | None:
    """'2026-01-15T10:30:00.000+0000' -> naive UTC; None for an empty value, RecordError for one that is not a time."""
    if not value:
        return None
    try:  # Python 3.11+ reads Jira's "+0000" and "Z" itself, in C: most values stop here
        parsed = dt.datetime.fromisoformat(str(value))
    except ValueError:
        parsed = _with_colon_offset(value)
    offset = parsed.utcoffset()
    return parsed if offset is None else (parsed - offset).replace(tzinfo=None)


def _with_colon_offset(value: Any) -> dt.datetime:
    """The older reading, for what the fast path refuses: 'Z' and '+HHMM' spelled as ISO wants."""
    text = str(value).replace("Z", "+00:00")
    if re.search(r"[+-]\d{4}$", text):
        text = text[:-2] + ":" + text[-2:]
    try:
        return dt.datetime.fromisoformat(text)
    except ValueError:
        raise RecordError(f"{str(value)!r} is not a date") from None
