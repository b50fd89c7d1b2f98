-- Per project, the additive measures (counts, hour sums, earned sums, latest dates) that
-- marts.project_health turns into ratios and marts.program_rollup sums again by program.
WITH items AS (
    SELECT
        project_id,
        count(*) AS items_total,
        count(*) FILTER (WHERE status = 'not_started') AS items_not_started,
        count(*) FILTER (WHERE status = 'in_progress') AS items_in_progress,
        count(*) FILTER (WHERE status = 'blocked') AS items_blocked,
        count(*) FILTER (WHERE status = 'done') AS items_done,
        count(*) FILTER (WHERE status = 'cancelled') AS items_cancelled,
        count(*) FILTER (WHERE is_unmapped) AS items_unmapped_status,
        count(*) FILTER (WHERE in_scope) AS items_in_scope,
        exact_sum(CASE WHEN in_scope THEN work_hours END) AS work_hours_total,
        exact_sum(CASE WHEN in_scope THEN work_hours * completion END) AS work_hours_earned,
        exact_sum(CASE WHEN in_scope THEN duration_hours END) AS duration_hours_total,
        exact_sum(CASE WHEN in_scope THEN duration_hours * completion END) AS duration_hours_earned,
        exact_sum(CASE WHEN in_scope THEN story_points END) AS story_points_total,
        exact_sum(CASE WHEN in_scope THEN story_points * completion END) AS story_points_earned,
        count(*) FILTER (WHERE is_milestone) AS milestones_total,
        count(*) FILTER (WHERE is_milestone_done) AS milestones_done,
        count(*) FILTER (WHERE is_milestone_late) AS milestones_late,
        count(*) FILTER (WHERE is_milestone_slipped) AS milestones_slipped,
        max(milestone_days_late) AS max_milestone_days_late,
        count(*) FILTER (WHERE is_overdue) AS overdue_items,
        count(*) FILTER (WHERE is_open) AS items_open,
        -- Items a schedule rule can judge: in scope with a date to hold them to.
        count(*) FILTER (WHERE in_scope AND deadline IS NOT NULL) AS items_dated,
        max(planned_finish) AS items_planned_finish,
        max(baseline_finish) AS items_baseline_finish,
        max(forecast_finish) FILTER (WHERE in_scope) AS forecast_finish,
        -- One performance measurement baseline: the four sums over the same items (in_baseline).
        exact_sum(CASE WHEN in_baseline THEN baseline_cost END) AS bac,
        exact_sum(CASE WHEN in_baseline THEN planned_value END) AS pv,
        exact_sum(CASE WHEN in_baseline THEN earned_value END) AS ev,
        exact_sum(CASE WHEN in_baseline THEN actual_cost END) AS ac
    FROM intermediate.item_measures
    GROUP BY project_id
),
-- Slip through chains (intermediate.item_schedule_push): the forecast includes the push, and the
-- largest push another project causes on an open item is named (ties: the first project by id).
pushed AS (
    SELECT
        s.project_id,
        max(s.forecast_finish) AS forecast_finish,
        max(s.push_days) FILTER (WHERE s.pushed_by_project_id IS NOT NULL) AS pushed_days,
        arg_min(s.pushed_by_project_id, (-s.push_days, s.pushed_by_project_id))
            FILTER (WHERE s.pushed_by_project_id IS NOT NULL) AS pushed_by_project_id
    FROM intermediate.item_schedule_push AS s
    JOIN intermediate.item_measures AS m USING (work_item_id)
    WHERE m.in_scope
    GROUP BY s.project_id
),
risks AS (
    SELECT
        project_id,
        count(*) FILTER (WHERE is_open) AS open_risks,
        count(*) FILTER (WHERE is_open AND severity >= (SELECT high_risk_severity FROM config.rules))
            AS open_risks_high,
        count(*) FILTER (WHERE is_open AND severity >= (SELECT high_risk_severity FROM config.rules)
                         AND due_date < as_of()) AS high_risks_past_due,
        -- Ties broken deterministically: highest severity, then earliest due, then risk_id.
        first(title ORDER BY severity DESC NULLS LAST, due_date NULLS LAST, risk_id) FILTER (WHERE is_open) AS top_risk,
        max(severity) FILTER (WHERE is_open) AS top_risk_severity
    FROM core.risks
    WHERE project_id IS NOT NULL
    GROUP BY project_id
),
-- Open issues past their due date count like risks past due: high ones (severity 5 x impact at or
-- above high_risk_severity) on their own, the others (lower or unknown impact) apart.
issues AS (
    SELECT
        project_id,
        count(*) FILTER (WHERE is_open) AS open_issues,
        count(*) FILTER (WHERE is_open AND due_date < as_of()
                         AND severity >= (SELECT high_risk_severity FROM config.rules)) AS high_issues_past_due,
        count(*) FILTER (WHERE is_open AND due_date < as_of()
                         AND coalesce(severity < (SELECT high_risk_severity FROM config.rules), true)) AS other_issues_past_due
    FROM core.issues
    WHERE project_id IS NOT NULL
    GROUP BY project_id
)
SELECT
    p.project_id,
    p.program_id,
    coalesce(i.items_total, 0) AS items_total,
    coalesce(i.items_not_started, 0) AS items_not_started,
    coalesce(i.items_in_progress, 0) AS items_in_progress,
    coalesce(i.items_blocked, 0) AS items_blocked,
    coalesce(i.items_done, 0) AS items_done,
    coalesce(i.items_cancelled, 0) AS items_cancelled,
    coalesce(i.items_unmapped_status, 0) AS items_unmapped_status,
    coalesce(i.items_in_scope, 0) AS items_in_scope,
    i.work_hours_total,
    i.work_hours_earned,
    i.duration_hours_total,
    i.duration_hours_earned,
    i.story_points_total,
    i.story_points_earned,
    coalesce(i.milestones_total, 0) AS milestones_total,
    coalesce(i.milestones_done, 0) AS milestones_done,
    coalesce(i.milestones_late, 0) AS milestones_late,
    coalesce(i.milestones_slipped, 0) AS milestones_slipped,
    i.max_milestone_days_late,
    coalesce(i.overdue_items, 0) AS overdue_items,
    coalesce(i.items_open, 0) AS items_open,
    coalesce(i.items_dated, 0) AS items_dated,
    coalesce(p.planned_finish, i.items_planned_finish) AS planned_finish,
    coalesce(p.baseline_finish, i.items_baseline_finish) AS baseline_finish,
    greatest(i.forecast_finish, pu.forecast_finish) AS forecast_finish,
    coalesce(pu.pushed_days, 0) AS pushed_days,
    pu.pushed_by_project_id,
    i.bac,
    i.pv,
    i.ev,
    i.ac,
    coalesce(r.open_risks, 0) AS open_risks,
    coalesce(r.open_risks_high, 0) AS open_risks_high,
    coalesce(r.high_risks_past_due, 0) AS high_risks_past_due,
    r.top_risk,
    r.top_risk_severity,
    coalesce(s.open_issues, 0) AS open_issues,
    coalesce(s.high_issues_past_due, 0) AS high_issues_past_due,
    coalesce(s.other_issues_past_due, 0) AS other_issues_past_due,
    p.reported_status,
    p.source_refreshed_at,
    p.is_stale
FROM core.projects AS p
LEFT JOIN items AS i USING (project_id)
LEFT JOIN pushed AS pu USING (project_id)
LEFT JOIN risks AS r USING (project_id)
LEFT JOIN issues AS s USING (project_id)
