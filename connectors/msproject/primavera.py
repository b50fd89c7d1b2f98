"""Primavera P6 plans (XER and PMXML), read through MPXJ into the same project model as MSPDI.

Engineering and construction programmes send P6 exports. Both formats are recognised by content,
not by name, so a P6 file dropped where an MSPDI ``.xml`` is expected is read as P6: an XER file
starts with ``ERMHDR``; a PMXML file is XML whose root element is ``<APIBusinessObjects>``.

MPXJ maps P6's WBS to summary tasks and activities to tasks, relationships to links, and P6's
planned (target) dates to baseline 0 - so ``baseline_*`` holds what the schedule first promised.
Like ``.mpp`` files this needs the optional extra (MPXJ and a Java runtime).
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from pathlib import Path

from lxml import etree

from connectors.base import Batch, ExtractContext, SourceError
from connectors.msproject.mpp import EXTRA_HINT, Flavour, read_mpp
from connectors.msproject.mspdi import check_prologue, local
from connectors.msproject.options import MsProjectOptions
from connectors.msproject.records import PlanBuilder

XER_MAGIC = b"ERMHDR"
PMXML_ROOT = "APIBusinessObjects"
RESAVE = "export it again from P6 (File > Export, XER or Primavera PM XML)"
XER = Flavour("p6-xer", "Primavera P6 (XER)", RESAVE, EXTRA_HINT)
PMXML = Flavour("p6-pmxml", "Primavera P6 (PMXML)", RESAVE, EXTRA_HINT)


def sniff(path: Path) -> Flavour | None:
    """XER or PMXML when the file's content says so, else None (an unreadable file is left to its reader)."""
    try:
        with path.open("rb") as handle:
            head = handle.read(len(codecs.BOM_UTF8) + len(XER_MAGIC))
    except OSError:
        return None
    if head.removeprefix(codecs.BOM_UTF8).startswith(XER_MAGIC):
        return XER
    return PMXML if _xml_root(path) == PMXML_ROOT else None


def _xml_root(path: Path) -> str | None:
    """The root element's local name, parsing no further than its start tag (and never a DTD)."""
    try:
        check_prologue(path, path.name)
        for _, element in etree.iterparse(str(path), events=("start",), resolve_entities=False, load_dtd=False,
                                          no_network=True, huge_tree=False):
            return local(element.tag)
    except (etree.XMLSyntaxError, SourceError, OSError):  # the MSPDI reader reports it properly
        return None
    return None


def read(path: Path, name: str, builder: PlanBuilder, context: ExtractContext,
         options: MsProjectOptions) -> Iterator[Batch]:
    """The P6 reader (``records.Reader``): MPXJ loads the whole plan, so batches come at the end."""
    # sniff() chose this reader only after the prologue check refused any DTD, as for MSPDI.
    read_mpp(path, name, builder, context, sniff(path) or XER)
    yield from builder.drain()
