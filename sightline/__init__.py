"""Sightline's helpers for connector packages: ``sightline.testing`` (the contract suite)."""
