-- Per work item, the additive measures project_health and program_rollup sum up, so that every
-- percentage is a ratio of sums ("sums first, ratios after"), never an average of percentages.
-- Summary rows are excluded: their children carry the work (counting both would double it).
-- Cancelled items stay in the counts but out of every completion denominator.
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
    coalesce(w.due_date, w.planned_finish) AS deadline,
    -- An open item cannot finish before today: its forecast is its plan, or today when overdue.
    forecast_finish(w.status, coalesce(w.actual_finish, w.planned_finish), w.planned_finish, as_of()) AS forecast_finish,
    -- A milestone slipped when it now finishes (or is forecast to) after its baseline.
    w.is_milestone AND w.baseline_finish IS NOT NULL
        AND forecast_finish(w.status, coalesce(w.actual_finish, w.planned_finish), w.planned_finish, as_of())
            > w.baseline_finish AS is_milestone_slipped,
    is_open(w.status) AND coalesce(w.due_date, w.planned_finish) < as_of() AS is_overdue,
    -- Earned value inputs: planned value is the baseline cost spread linearly over the baseline
    -- window, up to today; earned value is the baseline cost times completion.
    w.baseline_cost,
    w.actual_cost,
    w.baseline_cost * CASE
        WHEN w.baseline_start IS NULL OR w.baseline_finish IS NULL THEN NULL
        WHEN as_of() >= w.baseline_finish THEN 1.0
        WHEN as_of() < w.baseline_start THEN 0.0
        ELSE (as_of() - w.baseline_start) / greatest(w.baseline_finish - w.baseline_start, 1)
    END AS planned_value,
    w.baseline_cost * coalesce(w.percent_complete, 0) / 100.0 AS earned_value,
    CASE
        WHEN w.is_milestone AND is_open(w.status) AND coalesce(w.due_date, w.planned_finish) < as_of()
        THEN working_days_between(coalesce(w.due_date, w.planned_finish), as_of())
    END AS milestone_days_late
FROM core.work_items AS w
JOIN core.projects AS p USING (project_id)
WHERE NOT w.is_summary
