-- Every assignment spread evenly over the working days of its dates, summed per ISO week: the
-- weekly demand each person carries for each project. Working days are the person's calendar on
-- that project: Monday-Friday, corrected by the project calendar's exceptions and the person's own
-- on top (core.calendar_days; +1 a worked weekend day, -1 a holiday), counted per week without a
-- row per day, so a million assignments stay a few million rows. Assignments without dates or work
-- cannot be spread and are left out. An assignment whose dates hold no working day (a weekend) is
-- not dropped: its work counts on the weekday nearest its start (Saturday -> the Friday before,
-- Sunday -> the Monday after), and marts.data_quality reports it. Weeks with no hours are not rows.
WITH calendar AS (
    SELECT project_id, resource_id, date, CASE WHEN is_working THEN 1 ELSE -1 END AS delta
    FROM core.calendar_days
),
assignments AS (
    SELECT
        row_number() OVER (ORDER BY a.work_item_id, a.resource_id, a.start, a.finish, a.work_hours) AS n,
        a.resource_id,
        a.work_item_id,
        w.project_id,
        a.work_hours,
        a.start,
        a.finish
    FROM core.assignments AS a
    JOIN core.work_items AS w USING (work_item_id)
    WHERE a.start IS NOT NULL AND a.finish IS NOT NULL AND a.finish >= a.start AND a.work_hours > 0
      AND NOT w.is_summary AND in_scope(w.status)
),
-- The calendar exceptions inside each assignment's dates, per ISO week.
exception_weeks AS (
    SELECT a.n, CAST(date_trunc('week', c.date) AS DATE) AS week_start, sum(c.delta) AS delta
    FROM assignments AS a
    JOIN calendar AS c
        ON c.project_id = a.project_id AND (c.resource_id IS NULL OR c.resource_id = a.resource_id)
        AND c.date BETWEEN a.start AND a.finish
    GROUP BY ALL
),
spans AS (
    SELECT a.*, weekdays_in(a.start, a.finish) + coalesce(e.delta, 0) AS days
    FROM assignments AS a
    LEFT JOIN (SELECT n, sum(delta) AS delta FROM exception_weeks GROUP BY n) AS e USING (n)
),
weeks AS (
    SELECT
        n, resource_id, work_item_id, project_id, days > 0 AS is_spread,
        CASE WHEN days > 0 THEN start ELSE nearest_working_day(start) END AS start,
        CASE WHEN days > 0 THEN finish ELSE nearest_working_day(start) END AS finish,
        work_hours / greatest(days, 1) AS hours_per_day
    FROM spans
),
week_rows AS (
    SELECT
        *,
        CAST(unnest(generate_series(date_trunc('week', start), date_trunc('week', finish), INTERVAL 7 DAY))
             AS DATE) AS week_start
    FROM weeks
),
-- Whole calendar weeks, for capacity: the project's exceptions, and the person's own on top.
calendar_weeks AS (
    SELECT project_id, resource_id, CAST(date_trunc('week', date) AS DATE) AS week_start, sum(delta) AS delta
    FROM calendar
    GROUP BY ALL
),
counted AS (
    SELECT
        r.*,
        CASE WHEN r.is_spread
             THEN weekdays_in(greatest(r.start, r.week_start), least(r.finish, r.week_start + 6)) + coalesce(e.delta, 0)
             ELSE 1 END AS days_in_week,
        5 + coalesce(pw.delta, 0) + coalesce(rw.delta, 0) AS working_days_in_week
    FROM week_rows AS r
    LEFT JOIN exception_weeks AS e USING (n, week_start)
    LEFT JOIN calendar_weeks AS pw
        ON pw.project_id = r.project_id AND pw.resource_id IS NULL AND pw.week_start = r.week_start
    LEFT JOIN calendar_weeks AS rw
        ON rw.project_id = r.project_id AND rw.resource_id = r.resource_id AND rw.week_start = r.week_start
)
SELECT
    resource_id,
    project_id,
    work_item_id,
    week_start,
    hours_per_day * days_in_week AS demand_hours,
    working_days_in_week
FROM counted
WHERE days_in_week > 0
