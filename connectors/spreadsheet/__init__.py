"""Spreadsheet connector (.xlsx, .csv): task trackers and risk logs."""

from connectors.spreadsheet.connector import SpreadsheetConnector

__all__ = ["SpreadsheetConnector"]
