-- Azure DevOps work items (except the configured risk type). Status: the state's category in the
-- project's process (Proposed -> not_started, InProgress and Resolved -> in_progress, Completed ->
-- done, Removed -> cancelled); an open item flagged Blocked (CMMI's Blocked field, or a "Blocked" tag)
-- or in a Blocked/On hold state is blocked; without a category the default state names of the Agile,
-- Scrum, Basic and CMMI processes decide. Dates: the Scheduling fields, else the iteration's (sprint's)
-- dates. Percent complete from CompletedWork / (CompletedWork + RemainingWork); done is 100%. Story
-- points: StoryPoints (Agile), Effort (Scrum, Basic) or Size (CMMI). Team: the last part of the area
-- path below the project. Systems: tags and the configured systems field.
WITH items AS (
    SELECT
        w.*,
        s.category,
        lower(trim(w.state)) AS state_word,
        i.start_date AS sprint_start,
        i.finish_date AS sprint_finish
    FROM raw.this__work_items AS w
    LEFT JOIN raw.this__states AS s
        ON s.source_id = w.source_id AND s.project_name = w.project_name
        AND s.work_item_type = w.work_item_type AND s.state = w.state
    LEFT JOIN raw.this__iterations AS i
        ON i.source_id = w.source_id AND i.iteration_path = w.iteration_path
    WHERE NOT w.is_risk
),
parents AS (
    SELECT DISTINCT source_id, parent_id AS work_item_id, true AS has_children FROM items WHERE parent_id IS NOT NULL
),
mapped AS (
    SELECT
        *,
        CASE
            WHEN category = 'Completed' THEN 'done'
            WHEN category = 'Removed' THEN 'cancelled'
            WHEN category IS NULL AND state_word IN ('closed', 'done', 'completed') THEN 'done'
            WHEN category IS NULL AND state_word IN ('removed', 'cut') THEN 'cancelled'
            WHEN is_blocked OR list_contains(list_transform(tags, lambda t: lower(t)), 'blocked') THEN 'blocked'
            WHEN state_word IN ('blocked', 'on hold', 'impeded') THEN 'blocked'
            WHEN category = 'Proposed' THEN 'not_started'
            WHEN category IN ('InProgress', 'Resolved') THEN 'in_progress'
            WHEN category IS NULL AND state_word IN ('new', 'to do', 'proposed', 'approved', 'design') THEN 'not_started'
            WHEN category IS NULL AND state_word IN ('active', 'committed', 'in progress', 'doing', 'resolved')
                THEN 'in_progress'
        END AS status
    FROM items
)
SELECT
    source_id,
    work_item_id AS source_key,
    project_name AS project_source_key,
    parent_id AS parent_source_key,
    title AS name,
    lower(work_item_type) AS item_type,
    list_contains(list_transform(tags, lambda t: lower(t)), 'milestone') AS is_milestone,
    coalesce(has_children, false) AS is_summary,
    state AS status_raw,
    status AS status_default,
    assignee_key,
    coalesce(start_date, sprint_start) AS planned_start,
    coalesce(finish_date, target_date, sprint_finish) AS planned_finish,
    NULL AS duration_hours,
    NULL AS baseline_start,
    NULL AS baseline_finish,
    CAST(activated_at AS DATE) AS actual_start,
    CASE WHEN status = 'done' THEN CAST(closed_at AS DATE) END AS actual_finish,
    coalesce(due_date, target_date) AS due_date,
    CASE
        WHEN status = 'done' THEN 100.0
        WHEN completed_work + remaining_work > 0 THEN 100.0 * completed_work / (completed_work + remaining_work)
    END AS percent_complete,
    coalesce(original_estimate, completed_work + remaining_work) AS work_hours,
    completed_work AS actual_work_hours,
    coalesce(story_points, effort, size) AS story_points,
    list_sort(list_distinct(list_concat(tags, systems))) AS systems,
    objectives,
    CASE WHEN contains(area_path, '\') THEN regexp_extract(area_path, '([^\\]+)$', 1) END AS team,
    changed_at AS updated_at,
    web_url AS source_url,
    'work item ' || work_item_id AS location
FROM mapped
LEFT JOIN parents USING (source_id, work_item_id)
