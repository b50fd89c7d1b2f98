"""The static HTML portfolio report (`sightline report`) and the weekly status digest (`sightline digest`),
both read from the published warehouse, read-only."""

from reporting.digest import write_digest
from reporting.site import write_report

__all__ = ["write_digest", "write_report"]
