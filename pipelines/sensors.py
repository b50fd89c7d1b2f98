"""Drop-folder sensors: a plan file added to or changed in an MS Project source's folder starts a
run of that source and everything downstream, without waiting for the night."""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import dagster as dg

from connectors.base import SourceError, SourceSpec
from connectors.registry import connector_class

#: Source kinds whose files PMs drop into a folder.
WATCHED_KINDS = {"msproject"}


def fingerprint(path: Path, previous: list | None) -> list:
    """[size, mtime_ns, sha256]; the content hash is recomputed only when size or mtime moved."""
    stat = path.stat()
    if previous and previous[0] == stat.st_size and previous[1] == stat.st_mtime_ns:
        return previous
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return [stat.st_size, stat.st_mtime_ns, digest.hexdigest()]


def folder_sensor(source: SourceSpec, job: dg.UnresolvedAssetJobDefinition) -> dg.SensorDefinition:
    @dg.sensor(
        name=f"{source.id.replace('-', '_')}_files", job=job, minimum_interval_seconds=60,
        default_status=dg.DefaultSensorStatus.RUNNING,
        description=f"Starts a refresh of {source.id!r} when a plan file is added or changed (path, size, content hash).",
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
            return dg.SensorResult(skip_reason=dg.SkipReason("no plan file changed"), cursor=json.dumps(now))
        key = hashlib.sha256(json.dumps({n: now[n][2] for n in changed}, sort_keys=True).encode()).hexdigest()[:16]
        return dg.SensorResult(
            run_requests=[dg.RunRequest(run_key=f"{source.id}:{key}", tags={"sightline/changed": ", ".join(changed)[:200]})],
            cursor=json.dumps(now),
        )

    return _sensor
