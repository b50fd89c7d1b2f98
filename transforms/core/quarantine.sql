-- Everything that could not be loaded, with where it came from and why: rows the connectors
-- rejected, and dependencies whose predecessor could not be found.
SELECT source_id, load_id, object_key, location, reason, record
FROM raw.quarantine
UNION ALL
SELECT
    d.source_id,
    NULL,
    d.successor_key,
    d.successor_key,
    'dependency on ' || coalesce(d.predecessor_ref, '?') || ' could not be resolved to a work item of the same source',
    NULL
FROM staging.dependencies AS d
WHERE d.predecessor_key IS NULL
