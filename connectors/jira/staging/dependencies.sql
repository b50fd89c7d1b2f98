-- "blocks / is blocked by" links as dependencies (predecessor blocks successor); "relates" links
-- once each (outward side). Both ends report a link; core keeps one.
SELECT
    source_id,
    CASE WHEN direction = 'outward' THEN issue_key ELSE other_key END AS predecessor_key,
    CASE WHEN direction = 'outward' THEN other_key ELSE issue_key END AS successor_key,
    other_key AS predecessor_ref,
    CASE WHEN lower(link_type) = 'blocks' THEN 'blocks' ELSE 'relates' END AS link_type,
    0.0 AS lag_hours
FROM raw.this__links
WHERE lower(link_type) = 'blocks' OR (lower(link_type) = 'relates' AND direction = 'outward')
