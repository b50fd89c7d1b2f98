-- Which systems each project touches, names normalised (case, spacing), from the config and from
-- its work items (spreadsheet columns, Jira components and labels, MS Project custom fields), with
-- the window in which it touches them: the items' dates, else the project's.
WITH named AS (
    SELECT c.project_id, c.system AS system_name, p.planned_start AS first_day, p.planned_finish AS last_day,
           'config' AS origin
    FROM config.project_systems AS c
    JOIN core.projects AS p USING (project_id)
    UNION ALL
    SELECT project_id, unnest(systems) AS system_name, planned_start, planned_finish, 'items'
    FROM core.work_items
    WHERE NOT is_summary
)
SELECT
    n.project_id,
    lower(trim(regexp_replace(n.system_name, '\s+', ' ', 'g'))) AS system_key,
    mode(n.system_name) AS system_name,
    coalesce(min(n.first_day), any_value(p.planned_start)) AS first_day,
    coalesce(max(n.last_day), any_value(p.planned_finish)) AS last_day,
    list_sort(list_distinct(list(n.origin))) AS origins
FROM named AS n
JOIN core.projects AS p USING (project_id)
WHERE trim(n.system_name) <> ''
GROUP BY n.project_id, lower(trim(regexp_replace(n.system_name, '\s+', ' ', 'g')))
