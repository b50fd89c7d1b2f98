"""Azure DevOps Boards connector (kind: azure_devops): Cloud organisations and Server collections."""

from connectors.azure_devops.connector import AzureDevOpsConnector

__all__ = ["AzureDevOpsConnector"]
