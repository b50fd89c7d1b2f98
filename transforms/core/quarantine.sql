-- Everything that could not be loaded, with where it came from and why: rows the connectors
-- rejected, copies of a key that lost to a more recent (or later) copy, and dependencies that did
-- not resolve to two loaded work items (an unknown reference, or an end outside the source's
-- scope or itself quarantined). A connector may also list a finding about one cell (level 'cell': the
-- record loaded with that field empty) or one column (level 'column') of a record it did load.
WITH copies AS (
    SELECT 'work item' AS what, source_id, source_key, location, updated_at, kept_location, kept_updated_at
    FROM ranked_copies('staging.work_items') WHERE copy_rank > 1
    UNION ALL
    SELECT 'risk', source_id, source_key, location, updated_at, kept_location, kept_updated_at
    FROM ranked_copies('staging.risks') WHERE copy_rank > 1
    UNION ALL
    SELECT 'resource', source_id, source_key, location, updated_at, kept_location, kept_updated_at
    FROM ranked_copies('staging.resources') WHERE copy_rank > 1
    UNION ALL
    SELECT 'issue', source_id, source_key, location, updated_at, kept_location, kept_updated_at
    FROM ranked_copies('staging.issues') WHERE copy_rank > 1
    UNION ALL
    SELECT 'RAID log entry', source_id, source_key, location, updated_at, kept_location, kept_updated_at
    FROM ranked_copies('staging.raid_log') WHERE copy_rank > 1
)
SELECT source_id, load_id, object_key, location, reason, record, coalesce(level, 'row') AS level, column_name,
    cell_value
FROM raw.quarantine
UNION ALL
SELECT
    source_id,
    NULL,
    source_key,
    coalesce(location, source_key),
    'duplicate ' || what || ' key ' || source_key || ': kept the copy at ' || kept_location
        || coalesce(' (updated ' || strftime(kept_updated_at, '%Y-%m-%d %H:%M') || ')', '')
        || ', dropped this one' || coalesce(' (updated ' || strftime(updated_at, '%Y-%m-%d %H:%M') || ')', '')
        || '; remove the duplicate (an overlapping export, a copied row or task) from the source',
    NULL,
    'row',
    NULL,
    NULL
FROM copies
UNION ALL
SELECT
    d.source_id,
    NULL,
    d.successor_key,
    d.successor_key,
    'dependency on ' || coalesce(d.predecessor_ref, d.predecessor_key, '?') || ' (' || d.link_type
        || ') does not resolve to a loaded work item; fix the reference, or widen the source''s scope',
    NULL,
    'row',
    NULL,
    NULL
FROM staging.dependencies AS d
WHERE NOT EXISTS (
    SELECT 1 FROM core.dependencies AS c
    WHERE c.successor_id = d.source_id || ':' || d.successor_key
      AND c.link_type = d.link_type
      AND (list_contains(c.predecessor_refs, d.predecessor_ref)
           OR (d.predecessor_ref IS NULL AND c.predecessor_id = d.source_id || ':' || d.predecessor_key))
)
