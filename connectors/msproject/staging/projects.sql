-- One project per plan file. Task UID 0 is Project's own summary of the plan: its dates, baseline
-- and cost are the project's.
SELECT
    p.source_id,
    p.file AS source_key,
    list_filter([p.name, p.title, regexp_replace(p.file, '^.*/', ''), regexp_replace(p.file, '\.[^./]+$', '')],
                lambda x: x IS NOT NULL) AS aliases,
    coalesce(nullif(p.title, ''), s.name, p.name) AS name,
    p.manager,
    CAST(coalesce(s.start, p.start) AS DATE) AS planned_start,
    CAST(coalesce(s.finish, p.finish) AS DATE) AS planned_finish,
    CAST(s.baseline_finish AS DATE) AS baseline_finish,
    s.baseline_cost AS budget,
    NULL AS reported_status,
    p.file AS source_url
FROM raw.this__projects AS p
LEFT JOIN raw.this__tasks AS s ON s.source_id = p.source_id AND s.file = p.file AND s.uid = 0
