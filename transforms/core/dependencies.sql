-- Links between work items whose both ends were found: within a source by the source's keys, and
-- across sources by a project reference (configured id, name, source key or alias) plus the
-- item's key or its last part; and RAID log dependencies whose both ends resolved (core.raid_log).
-- Unresolved references are in core.quarantine (RAID ones in marts.data_quality).
WITH within_source AS (
    SELECT
        pred.work_item_id AS predecessor_id,
        succ.work_item_id AS successor_id,
        d.link_type,
        d.lag_hours,
        d.predecessor_ref
    FROM staging.dependencies AS d
    JOIN core.work_items AS pred ON pred.source_id = d.source_id AND pred.source_key = d.predecessor_key
    JOIN core.work_items AS succ ON succ.source_id = d.source_id AND succ.source_key = d.successor_key
),
across_sources AS (
    SELECT
        min(pred.work_item_id) AS predecessor_id,
        succ.work_item_id AS successor_id,
        d.link_type,
        d.lag_hours,
        d.predecessor_ref
    FROM staging.dependencies AS d
    JOIN core.work_items AS succ ON succ.source_id = d.source_id AND succ.source_key = d.successor_key
    JOIN core.projects AS p
        ON lower(d.predecessor_project_ref) IN (lower(p.project_id), lower(p.name), lower(p.source_key))
        OR list_contains(list_transform(p.aliases, lambda a: lower(a)), lower(d.predecessor_project_ref))
    JOIN core.work_items AS pred
        ON pred.project_id = p.project_id
        AND (pred.source_key = d.predecessor_item_ref OR pred.source_key LIKE '%#' || d.predecessor_item_ref)
    WHERE d.predecessor_key IS NULL AND d.predecessor_project_ref IS NOT NULL
    GROUP BY ALL
)
-- One row per link: both ends of a Jira link report it, under two references.
SELECT
    l.predecessor_id,
    l.successor_id,
    l.link_type,
    max(coalesce(l.lag_hours, 0)) AS lag_hours,
    any_value(pred.project_id <> succ.project_id) AS is_cross_project,
    list_sort(list_distinct(list(l.predecessor_ref))) AS predecessor_refs
FROM (
    SELECT * FROM within_source
    UNION ALL SELECT * FROM across_sources
    UNION ALL  -- RAID log dependencies whose both ends resolved (core.raid_log): finish-to-start, no lag
    SELECT predecessor_id, successor_id, 'FS', 0, predecessor_ref
    FROM core.raid_log
    WHERE predecessor_id IS NOT NULL AND successor_id IS NOT NULL
) AS l
JOIN core.work_items AS pred ON pred.work_item_id = l.predecessor_id
JOIN core.work_items AS succ ON succ.work_item_id = l.successor_id
GROUP BY l.predecessor_id, l.successor_id, l.link_type
