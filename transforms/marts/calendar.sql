-- One row per day over the portfolio's span, for BI tools that need a date table to join on: from
-- the earliest to the latest date any project or work item carries (as_of always inside), bounded to
-- ten years either side of as_of so one mistyped year cannot make millions of rows.
-- Working days are Monday to Friday, as every working-day rule in the metrics counts them.
WITH dates AS (
    SELECT planned_start AS d FROM core.work_items
    UNION ALL SELECT planned_finish FROM core.work_items
    UNION ALL SELECT baseline_start FROM core.work_items
    UNION ALL SELECT baseline_finish FROM core.work_items
    UNION ALL SELECT actual_start FROM core.work_items
    UNION ALL SELECT actual_finish FROM core.work_items
    UNION ALL SELECT due_date FROM core.work_items
    UNION ALL SELECT planned_start FROM core.projects
    UNION ALL SELECT planned_finish FROM core.projects
    UNION ALL SELECT baseline_finish FROM core.projects
    UNION ALL SELECT as_of()
),
span AS (
    SELECT
        greatest(min(d), CAST(as_of() - INTERVAL 10 YEAR AS DATE)) AS first_day,
        least(max(d), CAST(as_of() + INTERVAL 10 YEAR AS DATE)) AS last_day
    FROM dates
)
SELECT
    CAST(day AS DATE) AS "date",
    CAST(isoyear(day) AS INTEGER) AS iso_year,
    CAST(week(day) AS INTEGER) AS iso_week,
    isoyear(day) || '-W' || lpad(CAST(week(day) AS VARCHAR), 2, '0') AS iso_week_label,
    CAST(date_trunc('week', day) AS DATE) AS week_start,
    CAST(date_trunc('month', day) AS DATE) AS month_start,
    strftime(day, '%Y-%m') AS "month",
    year(day) || '-Q' || quarter(day) AS quarter,
    isodow(day) <= 5 AS is_working_day
FROM span, range(CAST(first_day AS TIMESTAMP), CAST(last_day AS TIMESTAMP) + INTERVAL 1 DAY, INTERVAL 1 DAY) AS t(day)
