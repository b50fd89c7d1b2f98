"""Typed source options: the base model every connector's options derive from, and shared field types.

A field's ``description`` is written as what is expected ("a file path or glob such as
plans/*.xml"): it documents the key in ``sightline schema`` and completes the config error
``<key path>: is <what was given>; expected <description>``.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from pydantic import (
    AfterValidator,
    BaseModel,
    BeforeValidator,
    ConfigDict,
    Field,
    PlainValidator,
    StringConstraints,
)
from pydantic_core import PydanticCustomError

#: Error type of problems whose message is already complete (``is ...; expected ...``).
CONFIG_ERROR = "config"


def config_problem(message: str, at: str | None = None) -> PydanticCustomError:
    """A validation error with our own wording; ``at`` extends the key path below the field."""
    return PydanticCustomError(CONFIG_ERROR, message, {"at": at} if at else None)


class OptionsModel(BaseModel):
    """Base of every options model: immutable, and an unknown key is an error, not a silent typo."""

    model_config = ConfigDict(extra="forbid", frozen=True)


def _int_as_text(value: Any) -> Any:
    # YAML reads `key: 2026` as a number; a name or key written so is still meant as text.
    if isinstance(value, int) and not isinstance(value, bool):
        return str(value)
    return value


#: A non-empty text value, trimmed.
Text = Annotated[str, StringConstraints(strict=True, strip_whitespace=True, min_length=1), BeforeValidator(_int_as_text)]


#: A number of seconds (or minutes) >= 0, finite.
Seconds = Annotated[float, Field(strict=True, ge=0, allow_inf_nan=False)]


def _one_or_many(value: Any) -> Any:
    return (value,) if isinstance(value, str) else value


#: `path:` of a file source: one path or glob, or a list of them; always a tuple once read.
PathPatterns = Annotated[
    tuple[Text, ...],
    BeforeValidator(_one_or_many, json_schema_input_type=str | list[str]),
    Field(min_length=1),
]


def _zone(name: str) -> str:
    try:
        ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError):
        raise config_problem(f"unknown time zone {name!r}; expected an IANA name such as Europe/London") from None
    return name


#: An IANA time zone name.
TimeZone = Annotated[Text, AfterValidator(_zone)]


def _bool_or_text(value: Any) -> bool | str:
    if isinstance(value, bool) or (isinstance(value, str) and value.strip()):
        return value
    raise config_problem(f"is {describe(value)}; expected true, false or the path of a CA bundle")


#: verify_tls: true, false, or a CA bundle path (one validator, so no union branch names in key paths).
BoolOrPath = Annotated[bool | str, PlainValidator(_bool_or_text, json_schema_input_type=bool | str)]


def describe(value: Any) -> str:
    """What was given, for the ``is ...`` half of a config error (short; secrets never reach here)."""
    if value is None:
        return "empty"
    if isinstance(value, bool):
        return str(value).lower()
    if isinstance(value, str):
        return f"the text {value!r}"[:80]
    if isinstance(value, int | float):
        return f"the number {value!r}"
    if isinstance(value, list | tuple):
        return f"a list ({value!r})"[:80]
    if isinstance(value, dict):
        return f"a mapping ({value!r})"[:80]
    return f"a {type(value).__name__} ({value!r})"[:80]


def one_of(names: Any) -> Any:
    """A Literal of the given names (a dict's keys, a set): choices known only at run time."""
    return Literal[tuple(sorted(names))]
