"""Drop-folder sensors: a file added to or changed in the folder of a file source (a connector with
``watches_files``: spreadsheets, Jira CSV exports, MS Project plans) starts a run of that source and
everything downstream, without waiting for the night."""

from __future__ import annotations

import hashlib
import json

import dagster as dg

from connectors.base import SourceError, SourceSpec
from connectors.files import fingerprint
from connectors.registry import connector_class


def watches_files(source: SourceSpec) -> bool:
    """Whether the source's kind reads files dropped into a folder. An unknown or broken kind gets no
    sensor: its own asset fails with the reason, the rest of the code location still loads."""
    try:
        return connector_class(source.kind).watches_files
    except KeyError:
        return False

def folder_sensor(source: SourceSpec, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{source.id.replace('-', '_')}_files", job=job, minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts a refresh of {source.id!r} when a file is added or changed (path, size, content hash).",
    )
    def _sensor(context: dg.SensorEvaluationContext) -> dg.SensorResult | dg.SkipReason:
        try:
            files = connector_class(source.kind)(source).files()
        except SourceError as exc:
            return dg.SkipReason(str(exc))
        before = json.loads(context.cursor) if context.cursor else None
        now = {name: fingerprint(path, (before or {}).get(name)) for path, name in files}
        if before is None:
            return dg.SensorResult(skip_reason=dg.SkipReason(f"watching {len(now)} file(s)"), cursor=json.dumps(now))
        changed = sorted(name for name, print_ in now.items() if before.get(name, [None, None, None])[2] != print_[2])
        if not changed:
            return dg.SensorResult(skip_reason=dg.SkipReason("no file changed"), cursor=json.dumps(now))
        key = hashlib.sha256(json.dumps({n: now[n][2] for n in changed}, sort_keys=True).encode()).hexdigest()[:16]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"{source.id}:{key}", tags={"sightline/changed": ", ".join(changed)[:200]})],
            cursor=json.dumps(now),
        )

    return _sensor
