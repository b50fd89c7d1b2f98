-- A project sheet's calendar where it differs from Monday-Friday: its holidays (nonWorkingDays) on
-- weekdays, and weekdays its workingDays add or leave out, over the span of its rows plus a year
-- each side. A sheet without project settings works Monday-Friday and has no rows here.
WITH sheets AS (
    SELECT source_id, sheet_id, name, working_days, coalesce(non_working_days, []) AS holidays
    FROM raw.this__sheets
    WHERE working_days IS NOT NULL
),
spans AS (
    SELECT source_id, sheet_id, min(coalesce(start, finish, due)) AS first, max(coalesce(finish, due, start)) AS last
    FROM raw.this__rows
    GROUP BY source_id, sheet_id
),
days AS (
    SELECT
        s.source_id,
        s.sheet_id,
        s.name,
        CAST(g.d AS DATE) AS date,
        list_contains(s.working_days, upper(dayname(g.d))) AND NOT list_contains(s.holidays, CAST(g.d AS DATE))
            AS is_working
    FROM sheets AS s
    JOIN spans AS p USING (source_id, sheet_id)
    CROSS JOIN generate_series(CAST(p.first - INTERVAL 365 DAY AS TIMESTAMP),
                               CAST(p.last + INTERVAL 365 DAY AS TIMESTAMP), INTERVAL 1 DAY) AS g(d)
    WHERE p.first IS NOT NULL
)
SELECT
    source_id,
    sheet_id AS project_source_key,
    NULL AS resource_key,
    date,
    is_working,
    'sheet ''' || name || ''' (' || sheet_id || '), project settings' AS location
FROM days
WHERE is_working <> (isodow(date) <= 5)
