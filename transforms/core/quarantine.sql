-- Everything that could not be loaded, with where it came from and why: rows the connectors
-- rejected, and dependencies that did not resolve to two loaded work items (an unknown reference,
-- or an end outside the source's scope or itself quarantined).
SELECT source_id, load_id, object_key, location, reason, record
FROM raw.quarantine
UNION ALL
SELECT
    d.source_id,
    NULL,
    d.successor_key,
    d.successor_key,
    'dependency on ' || coalesce(d.predecessor_ref, d.predecessor_key, '?') || ' (' || d.link_type
        || ') does not resolve to a loaded work item; fix the reference, or widen the source''s scope',
    NULL
FROM staging.dependencies AS d
WHERE NOT EXISTS (
    SELECT 1 FROM core.dependencies AS c
    WHERE c.successor_id = d.source_id || ':' || d.successor_key
      AND c.link_type = d.link_type
      AND (list_contains(c.predecessor_refs, d.predecessor_ref)
           OR (d.predecessor_ref IS NULL AND c.predecessor_id = d.source_id || ':' || d.predecessor_key))
)
