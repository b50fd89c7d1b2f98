"""MS Project connector: MSPDI XML, binary .mpp (optional extra), Export Wizard CSV/Excel."""

from connectors.msproject.connector import MsProjectConnector

__all__ = ["MsProjectConnector"]
