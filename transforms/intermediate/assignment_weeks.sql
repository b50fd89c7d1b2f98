-- Every assignment spread evenly over the working days (Monday-Friday) of its dates, summed per
-- ISO week: the weekly demand each person carries for each project. Computed per week, not per
-- day, so a million assignments stay a few million rows. Assignments without dates or work
-- cannot be spread and are left out.
WITH assignments AS (
    SELECT
        a.resource_id,
        a.work_item_id,
        w.project_id,
        a.start,
        a.finish,
        a.work_hours / working_days(a.start, a.finish) AS hours_per_day
    FROM core.assignments AS a
    JOIN core.work_items AS w USING (work_item_id)
    WHERE a.start IS NOT NULL AND a.finish IS NOT NULL AND a.finish >= a.start AND a.work_hours > 0
      AND NOT w.is_summary AND in_scope(w.status)
      AND working_days(a.start, a.finish) > 0
),
weeks AS (
    SELECT
        *,
        CAST(unnest(generate_series(date_trunc('week', start), date_trunc('week', finish), INTERVAL 7 DAY))
             AS DATE) AS week_start
    FROM assignments
)
SELECT
    resource_id,
    project_id,
    work_item_id,
    week_start,
    hours_per_day * weekdays_in(greatest(start, week_start), least(finish, week_start + 6)) AS demand_hours
FROM weeks
