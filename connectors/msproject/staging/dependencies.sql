-- Predecessor links. A cross-project link names the other plan as "<path>\<task ID>": it resolves
-- to a task of another file of this source whose name (without folder and extension) matches; any
-- other is left to core to resolve in another source (plan name as the project, the last part as
-- the item).
WITH links AS (
    SELECT
        *,
        regexp_extract(cross_project_name, '([^\\/]+?)(\.[A-Za-z]{2,4})?\\([^\\]+)$', 1) AS other_plan,
        regexp_extract(cross_project_name, '\\([^\\]+)$', 1) AS other_item
    FROM raw.this__links
),
cross_targets AS (
    SELECT
        l.source_id, l.file, l.successor_uid, l.cross_project_name,
        min(t.file || '#' || t.uid) AS predecessor_key
    FROM links AS l
    JOIN raw.this__tasks AS t
        ON t.source_id = l.source_id AND CAST(t.id AS VARCHAR) = l.other_item
        AND lower(regexp_replace(regexp_replace(t.file, '^.*/', ''), '\.[^.]+$', '')) = lower(l.other_plan)
    WHERE l.cross_project
    GROUP BY ALL
)
SELECT
    l.source_id,
    CASE WHEN l.cross_project THEN c.predecessor_key ELSE l.file || '#' || l.predecessor_uid END AS predecessor_key,
    l.file || '#' || l.successor_uid AS successor_key,
    coalesce(l.cross_project_name, CAST(l.predecessor_uid AS VARCHAR)) AS predecessor_ref,
    l.link_type,
    l.lag_hours,
    CASE WHEN l.cross_project THEN l.other_plan END AS predecessor_project_ref,
    CASE WHEN l.cross_project THEN l.other_item END AS predecessor_item_ref
FROM links AS l
LEFT JOIN cross_targets AS c
    ON c.source_id = l.source_id AND c.file = l.file AND c.successor_uid = l.successor_uid
    AND c.cross_project_name = l.cross_project_name
