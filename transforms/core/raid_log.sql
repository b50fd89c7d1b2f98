-- Assumptions, decisions and dependencies from RAID logs, with their project (intermediate.project_refs).
-- A dependency's two ends ([<project>!]<item>) are resolved to work items: with a project (its id,
-- name, source key or alias) the item is that project's, by key or last key part (hr.xlsx#Payroll#7
-- for 7); without one, an item of the entry's own project, else an item of any source whose key is
-- exactly the reference (a Jira key). A reference matching several items resolves to none. Both ends
-- resolved: the link is in core.dependencies; else marts.data_quality reports a cross-team dependency.
WITH kept AS MATERIALIZED (
    SELECT * EXCLUDE (copy_rank, kept_location, kept_updated_at)
    FROM ranked_copies('staging.raid_log')
    WHERE copy_rank = 1
),
entries AS (
    SELECT k.*, x.project_id FROM kept AS k LEFT JOIN intermediate.project_refs AS x USING (source_id, project_ref)
),
ends AS (
    SELECT source_id, source_key, project_id, side, ref,
           CASE WHEN contains(ref, '!') THEN trim(split_part(ref, '!', 1)) END AS scope,
           trim(CASE WHEN contains(ref, '!') THEN split_part(ref, '!', 2) ELSE ref END) AS item_ref
    FROM entries
    CROSS JOIN LATERAL (VALUES ('predecessor', predecessor_ref), ('successor', successor_ref)) AS s(side, ref)
    WHERE entry_type = 'dependency' AND ref IS NOT NULL
),
matches AS (
    SELECT e.source_id, e.source_key, e.side, w.work_item_id, 0 AS match_rank
    FROM ends AS e
    JOIN core.projects AS p
        ON lower(e.scope) IN (lower(p.project_id), lower(p.name), lower(p.source_key))
        OR list_contains(list_transform(p.aliases, lambda a: lower(a)), lower(e.scope))
    JOIN core.work_items AS w
        ON w.project_id = p.project_id AND (w.source_key = e.item_ref OR w.source_key LIKE '%#' || e.item_ref)
    UNION ALL
    SELECT e.source_id, e.source_key, e.side, w.work_item_id, 1
    FROM ends AS e
    JOIN core.work_items AS w
        ON e.scope IS NULL AND w.project_id = e.project_id
        AND (w.source_key = e.item_ref OR w.source_key LIKE '%#' || e.item_ref)
    UNION ALL
    SELECT e.source_id, e.source_key, e.side, w.work_item_id, 2
    FROM ends AS e
    JOIN core.work_items AS w ON e.scope IS NULL AND w.source_key = e.item_ref
),
resolved AS (
    SELECT source_id, source_key, side, CASE WHEN count(DISTINCT work_item_id) = 1 THEN min(work_item_id) END AS work_item_id
    FROM (SELECT * FROM matches QUALIFY match_rank = min(match_rank) OVER (PARTITION BY source_id, source_key, side))
    GROUP BY source_id, source_key, side
)
SELECT
    e.source_id || ':' || e.source_key AS raid_id,
    e.project_id,
    e.source_id,
    e.source_key,
    e.project_ref,
    e.entry_type,
    e.title,
    e.status,
    is_open_entry(e.status) AS is_open,
    e.owner,
    e.due_date,
    e.response,
    e.predecessor_ref,
    e.successor_ref,
    pred.work_item_id AS predecessor_id,
    succ.work_item_id AS successor_id
FROM entries AS e
LEFT JOIN resolved AS pred ON pred.source_id = e.source_id AND pred.source_key = e.source_key AND pred.side = 'predecessor'
LEFT JOIN resolved AS succ ON succ.source_id = e.source_id AND succ.source_key = e.source_key AND succ.side = 'successor'
