-- One row per program: the project measures summed first, ratios taken after (never an average
-- of the projects' percentages). Program RAG is the worst RAG of its projects (rules.program_rag
-- 'worst'; red, then amber, then unknown, then green: a program is never green over a project
-- that cannot be judged), or the RAG most of its projects have ('majority', ties going to the worse).
-- schedule_variance_days is the largest variance among its projects with a baseline, never one
-- project's baseline set against another's forecast.
-- pct_complete uses the program's basis (config), else rules.pct_complete_basis ('auto': work
-- where estimated, else count).
WITH sums AS (
    SELECT
        program_id,
        count(*) AS projects_total,
        sum(items_total)::BIGINT AS items_total,
        sum(items_not_started)::BIGINT AS items_not_started,
        sum(items_in_progress)::BIGINT AS items_in_progress,
        sum(items_blocked)::BIGINT AS items_blocked,
        sum(items_done)::BIGINT AS items_done,
        sum(items_cancelled)::BIGINT AS items_cancelled,
        sum(items_unmapped_status)::BIGINT AS items_unmapped_status,
        sum(items_in_scope)::BIGINT AS items_in_scope,
        exact_sum(work_hours_total) AS work_hours_total,
        exact_sum(work_hours_earned) AS work_hours_earned,
        exact_sum(duration_hours_total) AS duration_hours_total,
        exact_sum(duration_hours_earned) AS duration_hours_earned,
        exact_sum(story_points_total) AS story_points_total,
        exact_sum(story_points_earned) AS story_points_earned,
        sum(milestones_total)::BIGINT AS milestones_total,
        sum(milestones_done)::BIGINT AS milestones_done,
        sum(milestones_late)::BIGINT AS milestones_late,
        sum(milestones_slipped)::BIGINT AS milestones_slipped,
        sum(overdue_items)::BIGINT AS overdue_items,
        max(planned_finish) AS planned_finish,
        max(baseline_finish) AS baseline_finish,
        max(forecast_finish) AS forecast_finish,
        exact_sum(bac) AS bac,
        exact_sum(pv) AS pv,
        exact_sum(ev) AS ev,
        exact_sum(ac) AS ac,
        sum(open_risks)::BIGINT AS open_risks,
        sum(open_risks_high)::BIGINT AS open_risks_high,
        bool_or(is_stale) AS has_stale_source
    FROM intermediate.project_measures
    GROUP BY program_id
),
rag AS (
    SELECT
        program_id,
        count(*) FILTER (WHERE rag = 'red') AS projects_red,
        count(*) FILTER (WHERE rag = 'amber') AS projects_amber,
        count(*) FILTER (WHERE rag = 'unknown') AS projects_unknown,
        max(schedule_variance_days) FILTER (WHERE baseline_finish IS NOT NULL) AS schedule_variance_days,
        CASE max(CASE rag WHEN 'red' THEN 4 WHEN 'amber' THEN 3 WHEN 'unknown' THEN 2 ELSE 1 END)
            WHEN 4 THEN 'red' WHEN 3 THEN 'amber' WHEN 2 THEN 'unknown' ELSE 'green' END AS worst_rag,
        -- The most common RAG; a tie goes to the worse (the first of red, amber, unknown, green).
        arg_max(rag, count_rag * 10 + CASE rag WHEN 'red' THEN 4 WHEN 'amber' THEN 3 WHEN 'unknown' THEN 2 ELSE 1 END)
            AS majority_rag
    FROM (SELECT *, count(*) OVER (PARTITION BY program_id, rag) AS count_rag FROM marts.project_health)
    GROUP BY program_id
)
SELECT
    g.program_id,
    g.name AS program_name,
    g.owner,
    s.projects_total,
    r.projects_red,
    r.projects_amber,
    r.projects_unknown,
    s.items_total,
    s.items_not_started,
    s.items_in_progress,
    s.items_blocked,
    s.items_done,
    s.items_cancelled,
    s.items_unmapped_status,
    pct_on_basis(
        b.chosen_basis,
        pct(s.work_hours_earned, s.work_hours_total),
        pct(s.duration_hours_earned, s.duration_hours_total),
        pct(s.story_points_earned, s.story_points_total),
        pct(s.items_done, s.items_in_scope)
    ) AS pct_complete,
    b.chosen_basis AS pct_complete_basis,
    pct(s.work_hours_earned, s.work_hours_total) AS pct_complete_work,
    pct(s.duration_hours_earned, s.duration_hours_total) AS pct_complete_duration,
    pct(s.story_points_earned, s.story_points_total) AS pct_complete_points,
    pct(s.items_done, s.items_in_scope) AS pct_complete_count,
    s.work_hours_total,
    s.planned_finish,
    s.baseline_finish,
    s.forecast_finish,
    r.schedule_variance_days,
    s.milestones_total,
    s.milestones_done,
    s.milestones_late,
    s.milestones_slipped,
    s.overdue_items,
    s.open_risks,
    s.open_risks_high,
    s.pv,
    s.ev,
    s.ac,
    s.bac,
    s.ev / nullif(s.pv, 0) AS spi,
    s.ev / nullif(s.ac, 0) AS cpi,
    s.bac / nullif(s.ev / nullif(s.ac, 0), 0) AS eac,
    s.bac - s.bac / nullif(s.ev / nullif(s.ac, 0), 0) AS vac,
    CASE (SELECT program_rag FROM config.rules) WHEN 'majority' THEN r.majority_rag ELSE r.worst_rag END AS rag,
    s.has_stale_source,
    rag_rank(CASE (SELECT program_rag FROM config.rules) WHEN 'majority' THEN r.majority_rag ELSE r.worst_rag END)
        AS rag_rank,
    rag_colour(CASE (SELECT program_rag FROM config.rules) WHEN 'majority' THEN r.majority_rag ELSE r.worst_rag END)
        AS rag_colour
FROM core.programs AS g
JOIN sums AS s USING (program_id)
JOIN rag AS r USING (program_id)
JOIN (
    SELECT
        g.program_id,
        resolve_basis(coalesce(g.pct_complete_basis, (SELECT pct_complete_basis FROM config.rules)), s.work_hours_total)
            AS chosen_basis
    FROM core.programs AS g JOIN sums AS s USING (program_id)
) AS b USING (program_id)
