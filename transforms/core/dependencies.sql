-- Links between work items whose both ends were found. Unresolved references are in core.quarantine.
SELECT DISTINCT
    pred.work_item_id AS predecessor_id,
    succ.work_item_id AS successor_id,
    d.link_type,
    coalesce(d.lag_hours, 0) AS lag_hours,
    pred.project_id <> succ.project_id AS is_cross_project
FROM staging.dependencies AS d
JOIN core.work_items AS pred ON pred.source_id = d.source_id AND pred.source_key = d.predecessor_key
JOIN core.work_items AS succ ON succ.source_id = d.source_id AND succ.source_key = d.successor_key
