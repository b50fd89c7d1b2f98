-- Every assignment spread evenly over the working days (Monday-Friday) of its dates, summed per
-- ISO week: the weekly demand each person carries for each project. Computed per week, not per
-- day, so a million assignments stay a few million rows. Assignments without dates or work
-- cannot be spread and are left out. An assignment whose dates hold no working day (a weekend)
-- is not dropped: its work counts on the working day nearest its start (Saturday -> the Friday
-- before, Sunday -> the Monday after), and marts.data_quality reports it. Weeks with no hours
-- are not rows.
WITH assignments AS (
    SELECT
        a.resource_id,
        a.work_item_id,
        w.project_id,
        a.work_hours,
        CASE WHEN working_days(a.start, a.finish) > 0 THEN a.start ELSE nearest_working_day(a.start) END AS start,
        CASE WHEN working_days(a.start, a.finish) > 0 THEN a.finish ELSE nearest_working_day(a.start) END AS finish
    FROM core.assignments AS a
    JOIN core.work_items AS w USING (work_item_id)
    WHERE a.start IS NOT NULL AND a.finish IS NOT NULL AND a.finish >= a.start AND a.work_hours > 0
      AND NOT w.is_summary AND in_scope(w.status)
),
weeks AS (
    SELECT
        *,
        work_hours / working_days(start, finish) AS hours_per_day,
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
WHERE weekdays_in(greatest(start, week_start), least(finish, week_start + 6)) > 0
