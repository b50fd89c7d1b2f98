"""Options of a spreadsheet source (kind: spreadsheet)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from connectors.options import OptionsModel, PathPatterns, Text, one_of
from connectors.spreadsheet.headers import RISK_FIELDS, TASK_FIELDS
from connectors.zipguard import DEFAULT_MAX_COMPRESSION_RATIO, DEFAULT_MAX_UNCOMPRESSED_MB

TaskField = one_of(TASK_FIELDS)
RiskField = one_of(RISK_FIELDS)


class SpreadsheetOptions(OptionsModel):
    path: PathPatterns = Field(description="a file path or glob such as sheets/*.xlsx, or a list of them")
    sheets: tuple[Text, ...] | None = Field(None, description="a list of sheet names to read (default: all)")
    risk_sheets: tuple[Text, ...] = Field((), description="a list of sheet names to read as risk logs")
    columns: dict[TaskField, Text] = Field({}, description="a mapping of field: header text of a column")
    risk_columns: dict[RiskField, Text] = Field({}, description="a mapping of risk field: header text of a column")
    risk_scales: dict[Literal["probability", "impact", "priority"], Literal[3, 4, 5, 10]] = Field(
        {}, description="the numeric scale of a risk column when it is not 1-5, e.g. {probability: 10, impact: 4}")
    day_first: StrictBool | None = Field(
        None, description="true or false (true: 03/04/2026 is 3 April); unset: decided per column from its dates")
    decimal: Literal["comma", "point", "auto"] = Field(
        "auto", description="comma (12,5), point (12.5) or auto: decided per column from its numbers")
    hours_per_day: float = Field(8.0, strict=True, gt=0, le=24, allow_inf_nan=False,
                                 description="working hours in a day, for days in headers and values (1.5d)")
    days_per_week: float = Field(5.0, strict=True, gt=0, le=7, allow_inf_nan=False,
                                 description="working days in a week, for weeks (2 wks)")
    days_per_month: float = Field(20.0, strict=True, gt=0, le=31, allow_inf_nan=False,
                                  description="working days in a month, for months (3 mons)")
    max_uncompressed_mb: float = Field(
        DEFAULT_MAX_UNCOMPRESSED_MB, strict=True, gt=0, allow_inf_nan=False,
        description="the megabytes a workbook may inflate to before it is quarantined, a number > 0")
    max_compression_ratio: float = Field(
        DEFAULT_MAX_COMPRESSION_RATIO, strict=True, gt=0, allow_inf_nan=False,
        description="how many times a workbook (or one of its parts) may be compressed, a number > 0")
