"""Options of an MS Project source (kind: msproject)."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, StrictBool

from connectors.options import OptionsModel, PathPatterns, Text


class MsProjectOptions(OptionsModel):
    path: PathPatterns = Field(description="a file path or glob such as plans/*.xml, or a list of them")
    attributes: dict[Literal["systems", "objectives", "reported_status"], Text] = Field(
        {}, description="a mapping of systems/objectives/reported_status: custom field alias or name (e.g. Text1); "
                        "reported_status is read from the project summary task"
    )
    day_first: StrictBool = Field(False, description="true or false (Export Wizard files: how to read 03/04/26)")
