-- Every work item of every source, status-mapped. Status: the source's config `status_map` wins
-- (an exact word first, else the first /pattern/ that matches, in config order), then the
-- connector's default mapping; a word neither knows stays NULL and is reported in
-- marts.data_quality. Percent complete falls back to 100 for done and 0 for not started items.
-- One row per key: of several copies (overlapping exports, a duplicated task UID) the most recently
-- updated, then the latest in the load, is kept; core.quarantine lists the others. A parent that is
-- not loaded (out of the source's scope, or quarantined) leaves parent_id NULL - the item counts at
-- the top - with the source's reference kept in parent_source_key (reported in marts.data_quality).
WITH kept AS MATERIALIZED (
    SELECT * EXCLUDE (copy_rank, kept_location, kept_updated_at)
    FROM ranked_copies('staging.work_items')
    WHERE copy_rank = 1
),
words AS (
    SELECT DISTINCT source_id, lower(trim(status_raw)) AS word
    FROM kept
    WHERE status_raw IS NOT NULL
),
mapped AS (
    SELECT
        w.source_id,
        w.word,
        arg_min(m.status, CASE WHEN m.is_pattern THEN 1000000 + m.position ELSE m.position END) AS status
    FROM words AS w
    JOIN config.status_map AS m
        ON m.source_id = w.source_id
        AND CASE WHEN m.is_pattern THEN regexp_matches(w.word, m.status_word) ELSE m.status_word = w.word END
    GROUP BY w.source_id, w.word
),
-- Items that will be loaded (their project is found): the parents a reference can resolve to.
loaded AS (
    SELECT w.source_id, w.source_key
    FROM kept AS w
    JOIN core.projects AS p
        ON p.source_id = w.source_id AND p.source_key = w.project_source_key AND p.is_found_in_source
)
SELECT
    w.source_id || ':' || w.source_key AS work_item_id,
    p.project_id,
    w.source_id,
    w.source_key,
    parent.source_id || ':' || parent.source_key AS parent_id,
    w.parent_source_key,
    w.name,
    w.item_type,
    coalesce(w.is_milestone, false) AS is_milestone,
    coalesce(w.is_summary, false) AS is_summary,
    w.status_raw,
    coalesce(m.status, w.status_default) AS status,
    i.resource_id AS assignee_id,
    w.assignee_key AS assignee_source_key,
    w.planned_start,
    w.planned_finish,
    w.duration_hours,
    w.baseline_start,
    w.baseline_finish,
    w.actual_start,
    w.actual_finish,
    w.due_date,
    coalesce(
        w.percent_complete,
        CASE coalesce(m.status, w.status_default) WHEN 'done' THEN 100.0 WHEN 'not_started' THEN 0.0 END
    ) AS percent_complete,
    w.work_hours,
    w.actual_work_hours,
    w.story_points,
    w.cost,
    w.baseline_cost,
    w.actual_cost,
    coalesce(w.systems, []::VARCHAR[]) AS systems,
    coalesce(w.objectives, []::VARCHAR[]) AS objectives,
    w.team,
    w.updated_at,
    w.source_url,
    p.is_stale
FROM kept AS w
JOIN core.projects AS p
    ON p.source_id = w.source_id AND p.source_key = w.project_source_key AND p.is_found_in_source
LEFT JOIN mapped AS m
    ON m.source_id = w.source_id AND m.word = lower(trim(w.status_raw))
LEFT JOIN core.resource_identities AS i
    ON i.source_id = w.source_id AND i.source_key = w.assignee_key
LEFT JOIN loaded AS parent
    ON parent.source_id = w.source_id AND parent.source_key = w.parent_source_key
