-- One row per project: which objectives it serves and how well it is aligned with the strategy.
-- alignment_score = sum of the project's objective weights (the share of its effort that serves
-- a company objective), capped at 1. is_aligned when the score reaches rules.alignment_threshold
-- (default 0.5). Weights come from
-- the config, else from objective tags on the project's work items (core.project_objectives).
WITH weights AS (
    SELECT
        project_id,
        list_sort(list(objective_id)) AS objective_ids,
        least(exact_sum(weight), 1.0) AS alignment_score,
        any_value(origin) AS weight_origin
    FROM core.project_objectives
    GROUP BY project_id
)
SELECT
    p.project_id,
    p.program_id,
    coalesce(w.objective_ids, []::VARCHAR[]) AS objective_ids,
    coalesce(w.alignment_score, 0.0) AS alignment_score,
    coalesce(w.alignment_score, 0.0) >= (SELECT alignment_threshold FROM config.rules) AS is_aligned,
    w.weight_origin,
    CASE
        WHEN w.project_id IS NULL
            THEN 'serves no company objective: no objective weights in the config and no objective tags on its items'
        WHEN w.alignment_score < (SELECT alignment_threshold FROM config.rules)
            THEN 'only ' || round(100 * w.alignment_score) || '% of its effort serves a company objective (threshold '
                 || round(100 * (SELECT alignment_threshold FROM config.rules)) || '%)'
    END AS reasons,
    p.name AS project_name,
    (SELECT g.name FROM core.programs AS g WHERE g.program_id = p.program_id) AS program_name,
    list_text(coalesce(w.objective_ids, []::VARCHAR[])) AS objective_ids_text
FROM core.projects AS p
LEFT JOIN weights AS w USING (project_id)
