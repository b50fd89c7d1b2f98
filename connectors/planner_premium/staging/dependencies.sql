-- Task dependencies (msdyn_projecttaskdependencies): the link type from its option value (FS, SS,
-- FF, SF) and the lag, which Dataverse keeps in minutes. Both ends are task ids of this source; a
-- link to a task of another Planner project of the same source resolves too (is_cross_project).
SELECT
    source_id,
    predecessor_id AS predecessor_key,
    successor_id AS successor_key,
    predecessor_id AS predecessor_ref,
    link_type,
    coalesce(lag_minutes, 0) / 60.0 AS lag_hours
FROM raw.this__dependencies
