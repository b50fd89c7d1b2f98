-- One project per (file, sheet) or per (file, Project column value); aliases let a config `key`
-- name it by the project value, the sheet name, or the file name.
SELECT
    source_id,
    project_key AS source_key,
    list_distinct(list_filter(
        [any_value(project), any_value(CASE WHEN project IS NULL THEN sheet END), any_value(file),
         any_value(regexp_replace(file, '\.[^.]+$', ''))],
        lambda x: x IS NOT NULL)) AS aliases,
    coalesce(any_value(project), any_value(sheet)) AS name,
    NULL AS manager,
    min(start) AS planned_start,
    max(coalesce(finish, due)) AS planned_finish,
    max(baseline_finish) AS baseline_finish,
    sum(baseline_cost) AS budget,
    NULL AS reported_status,
    any_value(file) || coalesce('!' || CASE WHEN count(DISTINCT sheet) = 1 THEN any_value(sheet) END, '') AS source_url
FROM raw.this__tasks
GROUP BY source_id, project_key
