-- Sheet rows. A row that is the parent of other rows (parentId) is a summary; a milestone is a
-- checked Milestone column or a zero duration. Status: Smartsheet's usual picklist words; a blank
-- status follows % complete. Duration is the DURATION column in working hours (the sheet's length
-- of day), else the working days between start and finish.
WITH parents AS (
    SELECT DISTINCT source_id, parent_id AS row_id, true AS has_children
    FROM raw.this__rows
    WHERE parent_id IS NOT NULL
),
typed AS (
    SELECT
        r.*,
        coalesce(r.milestone, false) OR coalesce(r.duration_hours = 0, false) AS is_milestone,
        regexp_replace(lower(trim(r.status)), '[^a-z]+', ' ', 'g') AS status_word,
        s.day_hours,
        s.name AS sheet_name,
        s.permalink
    FROM raw.this__rows AS r
    JOIN raw.this__sheets AS s USING (source_id, sheet_id)
)
SELECT
    source_id,
    row_id AS source_key,
    sheet_id AS project_source_key,
    parent_id AS parent_source_key,
    name,
    coalesce(lower(item_type), CASE WHEN is_milestone THEN 'milestone' ELSE 'task' END) AS item_type,
    is_milestone,
    coalesce(has_children, false) AS is_summary,
    status AS status_raw,
    CASE
        WHEN trim(status_word) IN ('not started', 'to do', 'open', 'new', 'planned') THEN 'not_started'
        WHEN trim(status_word) IN ('in progress', 'started', 'active', 'at risk') THEN 'in_progress'
        WHEN trim(status_word) IN ('on hold', 'blocked', 'waiting') THEN 'blocked'
        WHEN trim(status_word) IN ('complete', 'completed', 'done', 'closed') THEN 'done'
        WHEN trim(status_word) IN ('cancelled', 'canceled', 'dropped') THEN 'cancelled'
        WHEN status IS NULL AND coalesce(percent_complete, 0) = 0 THEN 'not_started'
        WHEN status IS NULL AND percent_complete >= 100 THEN 'done'
        WHEN status IS NULL THEN 'in_progress'
    END AS status_default,
    coalesce(owner_email, owner_name) AS assignee_key,
    start AS planned_start,
    coalesce(finish, due) AS planned_finish,
    CASE
        WHEN is_milestone THEN 0.0
        WHEN duration_hours IS NOT NULL THEN duration_hours
        WHEN start IS NOT NULL AND coalesce(finish, due) >= start THEN working_days(start, coalesce(finish, due)) * day_hours
    END AS duration_hours,
    baseline_start,
    baseline_finish,
    actual_start,
    actual_finish,
    due AS due_date,
    percent_complete,
    work_hours,
    actual_work_hours,
    story_points,
    cost,
    baseline_cost,
    actual_cost,
    systems,
    objectives,
    team,
    modified_at AS updated_at,
    permalink || '?rowId=' || row_id AS source_url,
    'sheet ''' || sheet_name || ''' (' || sheet_id || '), row ' || row_number AS location,
    row_number() OVER (PARTITION BY source_id ORDER BY sheet_id, row_number) AS position
FROM typed
LEFT JOIN parents USING (source_id, row_id)
