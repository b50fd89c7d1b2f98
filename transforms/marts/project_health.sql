-- One row per project: status counts, percent complete on every basis, schedule, milestones,
-- risks, earned value and a computed RAG with its reasons.
--
-- pct_complete uses the program's basis (config), else rules.pct_complete_basis; 'auto' means work
-- where the project's items carry work estimates, else count.
-- Earned value over one performance measurement baseline (items in scope with a baseline cost and
-- both baseline dates): BAC = baseline cost, PV = baseline cost spread over the working days of each
-- item's baseline window up to today, EV = baseline cost x % complete, AC = their actual cost;
-- SPI = EV/PV, CPI = EV/AC (NULL when PV/AC is 0), EAC = BAC/CPI, VAC = BAC - EAC.
-- RAG (config rules, defaults in brackets): unknown when nothing is loaded, the data is stale, or no
-- rule can judge anything; red when SPI or CPI < red_spi/red_cpi [0.90], a milestone is more than
-- red_milestone_days_late [10] working days late, more than red_overdue_share [0.25] of open items are
-- overdue, a high risk or a high issue (5 x impact >= high_risk_severity) is open past its due date;
-- amber when SPI or CPI < amber_spi/amber_cpi [0.95], any milestone is late, more than
-- amber_overdue_share [0.10] of open items are overdue, any item is blocked, another open issue is past due, the forecast finish is after the baseline finish, or another project's forecast
-- pushes its items past their plan through a dependency chain; green otherwise.
WITH m AS (
    SELECT
        *,
        pct(work_hours_earned, work_hours_total) AS pct_complete_work,
        pct(duration_hours_earned, duration_hours_total) AS pct_complete_duration,
        pct(story_points_earned, story_points_total) AS pct_complete_points,
        pct(items_done, items_in_scope) AS pct_complete_count,
        ev / nullif(pv, 0) AS spi,
        ev / nullif(ac, 0) AS cpi,
        overdue_items / nullif(items_open, 0) AS overdue_share,
        working_days_between(baseline_finish, forecast_finish) AS schedule_variance_days
    FROM intermediate.project_measures
    CROSS JOIN config.rules
),
reasons AS (
    SELECT
        *,
        list_filter([
            CASE WHEN spi < red_spi THEN 'SPI ' || round(spi, 2) || ' below ' || red_spi END,
            CASE WHEN cpi < red_cpi THEN 'CPI ' || round(cpi, 2) || ' below ' || red_cpi END,
            CASE WHEN max_milestone_days_late > red_milestone_days_late
                THEN 'a milestone is ' || max_milestone_days_late || ' working days late' END,
            CASE WHEN high_risks_past_due > 0 THEN high_risks_past_due || ' high risk(s) open past due' END,
            CASE WHEN high_issues_past_due > 0 THEN high_issues_past_due || ' high issue(s) open past due' END,
            CASE WHEN overdue_share > red_overdue_share
                THEN overdue_items || ' of ' || items_open || ' open items overdue, above ' || red_overdue_share END
        ], lambda x: x IS NOT NULL) AS red_reasons,
        list_filter([
            CASE WHEN spi >= red_spi AND spi < amber_spi THEN 'SPI ' || round(spi, 2) || ' below ' || amber_spi END,
            CASE WHEN cpi >= red_cpi AND cpi < amber_cpi THEN 'CPI ' || round(cpi, 2) || ' below ' || amber_cpi END,
            CASE WHEN milestones_late > 0 AND coalesce(max_milestone_days_late, 0) <= red_milestone_days_late
                THEN milestones_late || ' milestone(s) late' END,
            CASE WHEN overdue_share > amber_overdue_share AND overdue_share <= red_overdue_share
                THEN overdue_items || ' of ' || items_open || ' open items overdue, above ' || amber_overdue_share END,
            CASE WHEN items_blocked > 0 THEN items_blocked || ' item(s) blocked' END,
            CASE WHEN other_issues_past_due > 0 THEN other_issues_past_due || ' issue(s) open past due' END,
            CASE WHEN schedule_variance_days > 0
                THEN 'forecast finish ' || schedule_variance_days || ' working days after baseline' END,
            CASE WHEN pushed_days > 0 THEN 'pushed ' || pushed_days || ' working days by '
                || coalesce((SELECT name FROM core.projects AS q WHERE q.project_id = m.pushed_by_project_id),
                            pushed_by_project_id) END
        ], lambda x: x IS NOT NULL) AS amber_reasons,
        -- No false greens: what cannot be judged is unknown, with the reason, never green.
        CASE
            WHEN items_total = 0 THEN 'no work items loaded'
            WHEN is_stale THEN 'only stale data: the last load of its source failed (see marts.data_quality)'
            WHEN items_in_scope = 0 THEN 'every item is cancelled'
            WHEN spi IS NULL AND cpi IS NULL AND items_dated = 0 AND baseline_finish IS NULL
                 AND high_risks_past_due = 0 AND items_blocked = 0
                 AND high_issues_past_due = 0 AND other_issues_past_due = 0
                THEN 'nothing the rules can judge: no earned value, no dates, no baseline'
        END AS unknown_reason
    FROM m
),
rag AS (
    SELECT
        *,
        CASE
            WHEN unknown_reason IS NOT NULL THEN 'unknown'
            WHEN len(red_reasons) > 0 THEN 'red'
            WHEN len(amber_reasons) > 0 THEN 'amber'
            ELSE 'green'
        END AS rag
    FROM reasons
),
basis AS (
    SELECT
        r.* EXCLUDE (reported_status),
        resolve_basis(coalesce(g.pct_complete_basis, r.pct_complete_basis), r.work_hours_total) AS chosen_basis,
        x.* EXCLUDE (project_id),
        coalesce(r.unknown_reason, array_to_string(list_concat(r.red_reasons, r.amber_reasons), '; ')) AS rag_reasons
    FROM rag AS r
    LEFT JOIN core.programs AS g USING (program_id)
    LEFT JOIN intermediate.project_reports AS x USING (project_id)
)
SELECT
    project_id,
    program_id,
    items_total,
    items_not_started,
    items_in_progress,
    items_blocked,
    items_done,
    items_cancelled,
    items_unmapped_status,
    pct_on_basis(chosen_basis, pct_complete_work, pct_complete_duration, pct_complete_points, pct_complete_count)
        AS pct_complete,
    chosen_basis AS pct_complete_basis,
    pct_complete_work,
    pct_complete_duration,
    pct_complete_points,
    pct_complete_count,
    work_hours_total,
    planned_finish,
    baseline_finish,
    forecast_finish,
    schedule_variance_days,
    milestones_total,
    milestones_done,
    milestones_late,
    milestones_slipped,
    overdue_items,
    items_open,
    overdue_share,
    open_risks,
    open_risks_high,
    top_risk,
    top_risk_severity,
    open_issues,
    pv,
    ev,
    ac,
    bac,
    spi,
    cpi,
    bac / nullif(cpi, 0) AS eac,
    bac - bac / nullif(cpi, 0) AS vac,
    rag,
    rag_reasons,
    reported_status,
    reported_rag IS NOT NULL AND reported_rag <> rag AS status_mismatch,
    source_refreshed_at,
    is_stale,
    reported_at,
    reported_by,
    coalesce(is_report_stale, false) AS is_report_stale,
    -- Watermelon (green outside, red inside): reported green while computed red or amber, today and on
    -- the previous snapshot, with the same rules firing on both (the rules, not their numbers).
    coalesce(reported_rag = 'green' AND rag IN ('red', 'amber')
             AND previous_reported_rag = 'green' AND previous_rag IN ('red', 'amber')
             AND rag_rules(rag_reasons) = rag_rules(previous_rag_reasons), false) AS watermelon,
    detail_url,
    (SELECT p.name FROM core.projects AS p WHERE p.project_id = basis.project_id) AS project_name,
    (SELECT g.name FROM core.programs AS g WHERE g.program_id = basis.program_id) AS program_name,
    rag_rank(rag) AS rag_rank,
    rag_colour(rag) AS rag_colour
FROM basis
