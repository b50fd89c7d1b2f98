-- Jira issues (except the risk issue type) and, per project, each fix version as a release milestone.
-- Status: the Flagged field means blocked; a few well-known words (Blocked, On hold, Won't do ...)
-- are taken at their word; otherwise the status category decides (new / indeterminate / done).
-- Exports without a category fall back to the usual status words. Percent complete comes from
-- time tracking where it exists (spent / (spent + remaining)); an issue in a done status is 100%
-- whatever time remains; core fills to do = 0. An issue that is the parent of other issues in scope
-- (an epic with children, a story with sub-tasks) is a summary: its children carry the work.
-- source_url is the issue's browse page, <site>/browse/<KEY> (NULL for a CSV export, which has no site).
WITH issues AS (
    SELECT i.*, lower(trim(i.status_name)) AS status_word, coalesce(i.parent_key, p.issue_key) AS parent_ref
    FROM raw.this__issues AS i
    LEFT JOIN raw.this__issues AS p ON p.source_id = i.source_id AND p.issue_id = i.parent_id
    WHERE NOT i.is_risk AND NOT coalesce(i.is_status_report, false)  -- status reports are not work
),
parents AS (
    SELECT DISTINCT source_id, parent_ref AS issue_key, true AS has_children FROM issues WHERE parent_ref IS NOT NULL
),
sites AS (
    SELECT source_id, project_key, any_value(site_url) AS site_url FROM raw.this__projects GROUP BY ALL
),
versions AS (
    SELECT
        source_id,
        project_key,
        version_id,
        any_value(version_name) AS version_name,
        max(release_date) AS release_date,
        bool_or(released) AS released
    FROM raw.this__versions
    GROUP BY source_id, project_key, version_id
)
SELECT
    source_id,
    issue_key AS source_key,
    project_key AS project_source_key,
    parent_ref AS parent_source_key,
    summary AS name,
    CASE WHEN is_subtask THEN 'sub-task' ELSE lower(issue_type) END AS item_type,
    lower(issue_type) = 'milestone' AS is_milestone,
    coalesce(has_children, false) AS is_summary,
    status_name AS status_raw,
    CASE
        WHEN is_flagged THEN 'blocked'
        WHEN status_word IN ('blocked', 'on hold', 'impeded', 'waiting') THEN 'blocked'
        WHEN status_word IN ('cancelled', 'canceled', 'won''t do', 'wont do', 'rejected', 'declined', 'abandoned')
            THEN 'cancelled'
        WHEN status_category = 'new' THEN 'not_started'
        WHEN status_category = 'indeterminate' THEN 'in_progress'
        WHEN status_category = 'done' THEN 'done'
        WHEN status_category IS NULL AND status_word IN ('to do', 'open', 'backlog', 'new', 'selected for development')
            THEN 'not_started'
        WHEN status_category IS NULL AND status_word IN ('in progress', 'in review', 'review', 'testing', 'in test')
            THEN 'in_progress'
        WHEN status_category IS NULL AND status_word IN ('done', 'closed', 'resolved') THEN 'done'
    END AS status_default,
    assignee_key,
    coalesce(start_date, sprint_start) AS planned_start,
    coalesce(due_date, sprint_end) AS planned_finish,
    NULL AS duration_hours,
    NULL AS baseline_start,
    NULL AS baseline_finish,
    NULL AS actual_start,
    CAST(resolved_at AS DATE) AS actual_finish,
    due_date,
    CASE
        WHEN status_default = 'done' THEN 100.0  -- the status just decided, above
        WHEN time_spent_hours + remaining_hours > 0
            THEN 100.0 * time_spent_hours / (time_spent_hours + remaining_hours)
    END AS percent_complete,
    original_estimate_hours AS work_hours,
    time_spent_hours AS actual_work_hours,
    story_points,
    NULL AS cost,
    NULL AS baseline_cost,
    NULL AS actual_cost,
    list_sort(list_distinct(list_concat(components, labels))) AS systems,
    objectives,
    team,
    updated_at,
    site_url || '/browse/' || issue_key AS source_url,
    'issue ' || issue_key AS location
FROM issues
LEFT JOIN parents USING (source_id, issue_key)
LEFT JOIN sites USING (source_id, project_key)
UNION ALL BY NAME
SELECT
    source_id,
    project_key || '/versions/' || version_id AS source_key,
    project_key AS project_source_key,
    'release' AS item_type,
    'Release ' || version_name AS name,
    true AS is_milestone,
    false AS is_summary,
    CASE WHEN released THEN 'Released' ELSE 'Unreleased' END AS status_raw,
    CASE WHEN released THEN 'done' ELSE 'not_started' END AS status_default,
    release_date AS planned_start,
    release_date AS planned_finish,
    release_date AS due_date,
    0.0 AS work_hours
FROM versions
