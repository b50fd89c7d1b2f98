-- Every assignment spread evenly over the working days (Monday-Friday) of its dates: the daily
-- demand each person carries for each project. Assignments without dates or work cannot be
-- spread and are left out (see marts.data_quality).
WITH assignments AS (
    SELECT
        a.*,
        w.project_id,
        working_days(a.start, a.finish) AS days
    FROM core.assignments AS a
    JOIN core.work_items AS w USING (work_item_id)
    WHERE a.start IS NOT NULL AND a.finish IS NOT NULL AND a.finish >= a.start AND a.work_hours > 0
      AND NOT w.is_summary AND coalesce(w.status, '') <> 'cancelled'
),
days AS (
    SELECT
        resource_id,
        project_id,
        work_item_id,
        work_hours / days AS demand_hours,
        unnest(generate_series(CAST(start AS TIMESTAMP), CAST(finish AS TIMESTAMP), INTERVAL 1 DAY)) AS day
    FROM assignments
    WHERE days > 0
)
SELECT resource_id, project_id, work_item_id, CAST(day AS DATE) AS day, demand_hours
FROM days
WHERE isodow(day) <= 5
