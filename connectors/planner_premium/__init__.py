"""Microsoft Planner premium / Project for the web (``kind: planner_premium``): Dataverse Web API."""

from connectors.planner_premium.connector import PlannerPremiumConnector

__all__ = ["PlannerPremiumConnector"]
