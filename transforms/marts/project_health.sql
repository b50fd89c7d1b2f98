-- One row per project: status counts, percent complete on every basis, schedule, milestones,
-- risks, earned value and a computed RAG with its reasons.
--
-- pct_complete uses the work basis where the project's items carry work estimates, else count.
-- Earned value: BAC = baseline cost, PV = baseline cost spread linearly over each item's baseline
-- window up to today, EV = baseline cost x % complete, AC = actual cost; SPI = EV/PV, CPI = EV/AC,
-- EAC = BAC/CPI, VAC = BAC - EAC. NULL wherever an input is missing, never 0.
-- RAG (defaults): red when SPI or CPI < 0.90, a milestone is more than 10 working days late, or a
-- high risk (severity >= 15) is open past its due date; amber when SPI or CPI < 0.95, any
-- milestone is late, any item is blocked, or the forecast finish is after the baseline finish;
-- green otherwise.
WITH m AS (
    SELECT
        *,
        100.0 * work_hours_earned / nullif(work_hours_total, 0) AS pct_complete_work,
        100.0 * duration_hours_earned / nullif(duration_hours_total, 0) AS pct_complete_duration,
        100.0 * story_points_earned / nullif(story_points_total, 0) AS pct_complete_points,
        100.0 * items_done / nullif(items_in_scope, 0) AS pct_complete_count,
        ev / nullif(pv, 0) AS spi,
        ev / nullif(ac, 0) AS cpi,
        working_days_between(baseline_finish, forecast_finish) AS schedule_variance_days
    FROM intermediate.project_measures
),
reasons AS (
    SELECT
        *,
        list_filter([
            CASE WHEN spi < 0.90 THEN 'SPI ' || round(spi, 2) || ' below 0.90' END,
            CASE WHEN cpi < 0.90 THEN 'CPI ' || round(cpi, 2) || ' below 0.90' END,
            CASE WHEN max_milestone_days_late > 10
                THEN 'a milestone is ' || max_milestone_days_late || ' working days late' END,
            CASE WHEN high_risks_past_due > 0 THEN high_risks_past_due || ' high risk(s) open past due' END
        ], lambda x: x IS NOT NULL) AS red_reasons,
        list_filter([
            CASE WHEN spi >= 0.90 AND spi < 0.95 THEN 'SPI ' || round(spi, 2) || ' below 0.95' END,
            CASE WHEN cpi >= 0.90 AND cpi < 0.95 THEN 'CPI ' || round(cpi, 2) || ' below 0.95' END,
            CASE WHEN milestones_late > 0 AND coalesce(max_milestone_days_late, 0) <= 10
                THEN milestones_late || ' milestone(s) late' END,
            CASE WHEN items_blocked > 0 THEN items_blocked || ' item(s) blocked' END,
            CASE WHEN schedule_variance_days > 0
                THEN 'forecast finish ' || schedule_variance_days || ' working days after baseline' END
        ], lambda x: x IS NOT NULL) AS amber_reasons
    FROM m
),
rag AS (
    SELECT
        *,
        CASE WHEN len(red_reasons) > 0 THEN 'red' WHEN len(amber_reasons) > 0 THEN 'amber' ELSE 'green' END AS rag,
        -- What the project reports, in RAG words, to compare with the computed RAG.
        CASE
            WHEN lower(trim(reported_status)) IN ('green', 'g', 'on track') THEN 'green'
            WHEN lower(trim(reported_status)) IN ('amber', 'a', 'yellow', 'at risk') THEN 'amber'
            WHEN lower(trim(reported_status)) IN ('red', 'r', 'off track') THEN 'red'
        END AS reported_rag
    FROM reasons
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
    CASE WHEN work_hours_total > 0 THEN pct_complete_work ELSE pct_complete_count END AS pct_complete,
    CASE WHEN work_hours_total > 0 THEN 'work' ELSE 'count' END AS pct_complete_basis,
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
    milestones_late,
    overdue_items,
    open_risks,
    open_risks_high,
    pv,
    ev,
    ac,
    bac,
    spi,
    cpi,
    bac / nullif(cpi, 0) AS eac,
    bac - bac / nullif(cpi, 0) AS vac,
    rag,
    array_to_string(list_concat(red_reasons, amber_reasons), '; ') AS rag_reasons,
    reported_status,
    reported_rag IS NOT NULL AND reported_rag <> rag AS status_mismatch,
    source_refreshed_at,
    is_stale
FROM rag
