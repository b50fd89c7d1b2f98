-- One project per sheet (its key is the sheet id), with dates spanning its rows; the manager is the
-- owner named in the sheet summary. Reported status comes through status_reports.sql.
WITH spans AS (
    SELECT source_id, sheet_id, min(start) AS planned_start, max(coalesce(finish, due)) AS planned_finish,
        max(baseline_finish) AS baseline_finish
    FROM raw.this__rows
    GROUP BY source_id, sheet_id
)
SELECT
    s.source_id,
    s.sheet_id AS source_key,
    list_filter([s.name], lambda x: x IS NOT NULL) AS aliases,
    s.name,
    m.owner_name AS manager,
    p.planned_start,
    p.planned_finish,
    p.baseline_finish,
    NULL AS budget,
    NULL AS reported_status,
    s.permalink AS source_url
FROM raw.this__sheets AS s
LEFT JOIN spans AS p USING (source_id, sheet_id)
LEFT JOIN raw.this__summaries AS m USING (source_id, sheet_id)
