-- Which systems each project touches, names normalised (case, spacing), from the config and from
-- its work items (spreadsheet columns, Jira components and labels, MS Project custom fields), with
-- the window in which it touches them: the span of its items that touch the system; only when no
-- dated item touches it (named in the config only) does the project's own window stand in.
WITH named AS (
    SELECT c.project_id, c.system AS system_name, NULL::DATE AS first_day, NULL::DATE AS last_day,
           'config' AS origin
    FROM config.project_systems AS c
    UNION ALL
    SELECT project_id, unnest(systems) AS system_name, coalesce(planned_start, planned_finish),
           coalesce(planned_finish, planned_start), 'items'
    FROM core.work_items
    WHERE NOT is_summary
)
SELECT
    n.project_id,
    lower(trim(regexp_replace(n.system_name, '\s+', ' ', 'g'))) AS system_key,
    mode(n.system_name) AS system_name,
    -- Both ends from the items, or both from the project: never one of each.
    CASE WHEN min(n.first_day) IS NULL THEN any_value(p.planned_start) ELSE min(n.first_day) END AS first_day,
    CASE WHEN min(n.first_day) IS NULL THEN any_value(p.planned_finish) ELSE max(n.last_day) END AS last_day,
    list_sort(list_distinct(list(n.origin))) AS origins
FROM named AS n
JOIN core.projects AS p USING (project_id)
WHERE trim(n.system_name) <> ''
GROUP BY n.project_id, lower(trim(regexp_replace(n.system_name, '\s+', ' ', 'g')))
