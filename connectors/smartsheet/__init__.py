"""Smartsheet connector (kind: smartsheet): project sheets by sheet id, workspace or folder."""

from connectors.smartsheet.connector import SmartsheetConnector

__all__ = ["SmartsheetConnector"]
