"""Blocking asset checks on core and marts: unique keys and resolvable references, as the model YAMLs declare.

A failing check stops everything downstream of that table, publishing included, so a broken
model never reaches the published warehouse.
"""


import dagster as dg

from pipelines.resources import SightlineWarehouse
from warehouse.quality import Finding, check_reference, check_unique, references, unique_keys


def _asset_key(table: str) -> dg.AssetKey:
    return dg.AssetKey(table.split("."))


def _result(finding: Finding) -> dg.AssetCheckResult:
    return dg.AssetCheckResult(
        passed=finding.passed,
        severity=dg.AssetCheckSeverity.ERROR,
        description=finding.description,
        metadata={"failures": finding.failures, "examples": dg.MetadataValue.json(finding.examples)},
    )


def unique_key_check(table: str, columns: tuple[str, ...]) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=_asset_key(table), name="unique_key", blocking=True,
        description=f"({', '.join(columns)}) identifies one row of {table}",
    )
    def _check(sightline: SightlineWarehouse) -> dg.AssetCheckResult:
        with sightline.connect() as con:
            return _result(check_unique(con, table, columns))

    return _check


def reference_check(table: str, column: str, target: str, target_column: str) -> dg.AssetChecksDefinition:
    @dg.asset_check(
        asset=_asset_key(table), name=f"references_{column}", blocking=True,
        additional_deps=[_asset_key(target)] if target != table else None,
        description=f"every {table}.{column} is found in {target}.{target_column}",
    )
    def _check(sightline: SightlineWarehouse) -> dg.AssetCheckResult:
        with sightline.connect() as con:
            return _result(check_reference(con, table, column, target, target_column))

    return _check


def build_checks() -> list[dg.AssetChecksDefinition]:
    return [unique_key_check(t, k) for t, k in unique_keys().items()] + [reference_check(*r) for r in references()]
