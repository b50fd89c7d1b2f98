-- Per work item, the additive measures project_health and program_rollup sum up, so that every
-- percentage is a ratio of sums ("sums first, ratios after"), never an average of percentages.
-- Summary rows are excluded: their children carry the work (counting both would double it).
-- Cancelled items stay in the counts but out of every completion denominator.
-- Working days for PV are the project calendar's: Monday-Friday (weekdays_in, cheap, no row per
-- day) corrected by the calendar's exceptions inside the baseline window (core.calendar_days: +1 a
-- worked weekend day, -1 a weekday holiday), joined only for items whose window holds one.
WITH calendar_corrections AS (
    SELECT
        w.work_item_id,
        sum(CASE WHEN c.is_working THEN 1 ELSE -1 END) FILTER (WHERE c.date < as_of()) AS done_days,
        sum(CASE WHEN c.is_working THEN 1 ELSE -1 END) AS window_days
    FROM core.work_items AS w
    JOIN core.calendar_days AS c
        ON c.project_id = w.project_id AND c.resource_id IS NULL
        AND c.date BETWEEN w.baseline_start AND w.baseline_finish
    GROUP BY w.work_item_id
)
SELECT
    w.work_item_id,
    w.project_id,
    p.program_id,
    w.status,
    w.status IS NULL AS is_unmapped,
    is_open(w.status) AS is_open,
    in_scope(w.status) AS in_scope,
    w.is_milestone,
    w.is_milestone AND w.status = 'done' AS is_milestone_done,
    coalesce(w.percent_complete, 0) / 100.0 AS completion,
    w.work_hours,
    w.duration_hours,
    w.story_points,
    w.planned_finish,
    w.baseline_finish,
    -- The date the item is committed to: its due date (a deadline); for a milestone, else its
    -- baseline finish; else the planned finish.
    commitment_date(w.is_milestone, w.due_date, w.baseline_finish, w.planned_finish) AS deadline,
    -- An open item cannot finish before today: its forecast is its plan, or today when overdue.
    forecast_finish(w.status, coalesce(w.actual_finish, w.planned_finish), w.planned_finish, as_of()) AS forecast_finish,
    -- A milestone slipped when it now finishes (or is forecast to) after its baseline.
    w.is_milestone AND w.baseline_finish IS NOT NULL
        AND forecast_finish(w.status, coalesce(w.actual_finish, w.planned_finish), w.planned_finish, as_of())
            > w.baseline_finish AS is_milestone_slipped,
    -- Late and overdue in calendar days: due Friday is late on Saturday.
    is_open(w.status) AND commitment_date(w.is_milestone, w.due_date, w.baseline_finish, w.planned_finish) < as_of()
        AS is_overdue,
    w.is_milestone AND is_open(w.status)
        AND commitment_date(w.is_milestone, w.due_date, w.baseline_finish, w.planned_finish) < as_of()
        AS is_milestone_late,
    -- Earned value over one performance measurement baseline: only in-scope items with a baseline
    -- cost and both baseline dates; BAC, PV, EV and AC are all taken over exactly these.
    in_baseline(w.status, w.baseline_cost, w.baseline_start, w.baseline_finish) AS in_baseline,
    w.baseline_cost IS NOT NULL AND (w.baseline_start IS NULL OR w.baseline_finish IS NULL)
        AND in_scope(w.status) AS is_budget_without_baseline_dates,
    CASE WHEN in_baseline(w.status, w.baseline_cost, w.baseline_start, w.baseline_finish)
        THEN w.baseline_cost END AS baseline_cost,
    CASE WHEN in_baseline(w.status, w.baseline_cost, w.baseline_start, w.baseline_finish)
        THEN w.actual_cost END AS actual_cost,
    -- PV spreads the baseline cost evenly over the working days of the baseline window (the project
    -- calendar's: holidays get none): the days before today are done, so it reaches 100% once the
    -- baseline finish day is over.
    CASE WHEN in_baseline(w.status, w.baseline_cost, w.baseline_start, w.baseline_finish)
        THEN w.baseline_cost * CASE
            WHEN as_of() > w.baseline_finish THEN 1.0
            WHEN as_of() <= w.baseline_start THEN 0.0
            ELSE coalesce((working_days(w.baseline_start, as_of() - 1) + coalesce(k.done_days, 0))
                          / nullif(working_days(w.baseline_start, w.baseline_finish) + coalesce(k.window_days, 0), 0),
                          0.0)
        END
    END AS planned_value,
    CASE WHEN in_baseline(w.status, w.baseline_cost, w.baseline_start, w.baseline_finish)
        THEN w.baseline_cost * coalesce(w.percent_complete, 0) / 100.0 END AS earned_value,
    -- Working days only for the red threshold ("more than N working days late").
    CASE
        WHEN w.is_milestone AND is_open(w.status)
            AND commitment_date(w.is_milestone, w.due_date, w.baseline_finish, w.planned_finish) < as_of()
        THEN working_days_between(commitment_date(w.is_milestone, w.due_date, w.baseline_finish, w.planned_finish),
                                  as_of())
    END AS milestone_days_late
FROM core.work_items AS w
JOIN core.projects AS p USING (project_id)
LEFT JOIN calendar_corrections AS k USING (work_item_id)
WHERE NOT w.is_summary
