-- Everything that could not be loaded, with where it came from and why: rows the connectors
-- rejected, dependencies whose predecessor could not be found, and links to items that are not
-- loaded (in a project outside the source's scope, or quarantined themselves).
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
UNION ALL
SELECT
    d.source_id,
    NULL,
    d.successor_key,
    d.successor_key,
    'dependency ' || d.predecessor_key || ' -> ' || d.successor_key || ' (' || d.link_type
        || ') links an item that is not loaded; widen the source''s projects or fix the item',
    NULL
FROM staging.dependencies AS d
WHERE d.predecessor_key IS NOT NULL
  AND (NOT EXISTS (SELECT 1 FROM core.work_items AS w WHERE w.source_id = d.source_id AND w.source_key = d.predecessor_key)
    OR NOT EXISTS (SELECT 1 FROM core.work_items AS w WHERE w.source_id = d.source_id AND w.source_key = d.successor_key))
