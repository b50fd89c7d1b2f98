-- Spreadsheet task rows in the canonical staging shape (warehouse.canonical: work_items).
-- Percent complete: a bare number is a fraction when no bare number of the same sheet exceeds 1
-- (0.5 = 50%), else a percentage; '50%' is always a percentage.
-- Default status words cover the usual spellings; a blank status falls back to percent complete.
-- Words not listed here stay unmapped (status_default NULL) and are reported, never guessed.
WITH tasks AS (
    SELECT
        *,
        regexp_replace(lower(trim(status)), '[^a-z]+', ' ', 'g') AS status_word,
        max(CASE WHEN NOT percent_explicit THEN percent_value END)
            OVER (PARTITION BY source_id, file, sheet) AS bare_percent_max
    FROM raw.this__tasks
),
typed AS (
    SELECT
        *,
        CASE
            WHEN percent_value IS NULL THEN NULL
            WHEN percent_explicit THEN percent_value
            WHEN bare_percent_max <= 1 THEN percent_value * 100
            ELSE percent_value
        END AS percent,
        coalesce(milestone, lower(item_type) = 'milestone', false) AS is_milestone
    FROM tasks
)
SELECT
    source_id,
    item_key AS source_key,
    project_key AS project_source_key,
    NULL AS parent_source_key,
    name,
    coalesce(lower(item_type), CASE WHEN is_milestone THEN 'milestone' ELSE 'task' END) AS item_type,
    is_milestone,
    false AS is_summary,
    status AS status_raw,
    CASE
        WHEN trim(status_word) IN ('not started', 'to do', 'todo', 'open', 'new', 'planned', 'backlog',
                                   'not yet started', 'pending', 'scheduled') THEN 'not_started'
        WHEN trim(status_word) IN ('in progress', 'wip', 'doing', 'started', 'active', 'ongoing', 'in review',
                                   'review', 'testing', 'in test', 'underway', 'under way') THEN 'in_progress'
        WHEN trim(status_word) IN ('blocked', 'on hold', 'waiting', 'stuck', 'paused', 'impeded') THEN 'blocked'
        WHEN trim(status_word) IN ('done', 'complete', 'completed', 'closed', 'finished', 'resolved',
                                   'delivered') THEN 'done'
        WHEN trim(status_word) IN ('cancelled', 'canceled', 'dropped', 'abandoned', 'won t do', 'wont do',
                                   'descoped', 'rejected') THEN 'cancelled'
        WHEN status IS NULL AND coalesce(percent, 0) = 0 THEN 'not_started'
        WHEN status IS NULL AND percent >= 100 THEN 'done'
        WHEN status IS NULL THEN 'in_progress'
    END AS status_default,
    coalesce(lower(owner_email), owner) AS assignee_key,
    start AS planned_start,
    coalesce(finish, due) AS planned_finish,
    CASE
        WHEN is_milestone THEN 0.0
        WHEN stated_duration_hours IS NOT NULL THEN stated_duration_hours  -- a Duration column, in hours
        WHEN start IS NOT NULL AND coalesce(finish, due) >= start
            THEN working_days(start, coalesce(finish, due)) * 8.0
    END AS duration_hours,
    baseline_start,
    baseline_finish,
    actual_start,
    actual_finish,
    due AS due_date,
    percent AS percent_complete,
    work_hours,
    actual_work_hours,
    story_points,
    cost,
    baseline_cost,
    actual_cost,
    systems,
    objectives,
    team,
    updated_at,
    file || '!' || sheet || '!' || row_number AS source_url,  -- where a person finds the row
    file || ', sheet ''' || sheet || ''', row ' || row_number AS location,  -- as the connector words it
    row_number() OVER (PARTITION BY source_id ORDER BY file, sheet, row_number) AS position
FROM typed
