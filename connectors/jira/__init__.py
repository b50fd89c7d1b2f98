"""Jira connectors: the REST API (kind: jira, Cloud and Data Center) and CSV exports (kind: jira_csv)."""

from connectors.jira.connector import JiraConnector
from connectors.jira.csv_export import JiraCsvConnector

__all__ = ["JiraConnector", "JiraCsvConnector"]
