-- Each milestone on every snapshot day: the plan's finish, its deadline, its actual finish once
-- done, and how many days so far the plan moved later (a slip). Being overdue is not a slip: an
-- open milestone past its date keeps the plan's date, flagged is_overdue, and slips only when
-- somebody re-plans it later. slip_days: calendar days the forecast finish is after the milestone's
-- baseline finish that day, else after its planned finish on its first snapshot (the plan as first
-- seen) - negative when early.
WITH snapshots AS (
    SELECT
        work_item_id,
        project_id,
        snapshot_date,
        status,
        planned_finish,
        due_date AS deadline,
        baseline_finish,
        first_value(planned_finish) OVER (PARTITION BY work_item_id ORDER BY snapshot_date) AS first_planned_finish,
        CASE WHEN status = 'done' THEN actual_finish END AS actual_finish,
        is_open(status)
            AND commitment_date(true, due_date, baseline_finish, planned_finish) < snapshot_date AS is_overdue
    FROM history.work_item_snapshots
    WHERE is_milestone
),
moves AS (
    SELECT
        *,
        lag(planned_finish) OVER (PARTITION BY work_item_id ORDER BY snapshot_date) AS previous_planned_finish
    FROM snapshots
)
SELECT
    work_item_id,
    project_id,
    snapshot_date,
    status,
    -- The plan's forecast: the actual finish once done, else the planned finish as the plan has it.
    coalesce(actual_finish, planned_finish) AS forecast_finish,
    planned_finish,
    deadline,
    actual_finish,
    is_overdue,
    CAST(sum(CASE WHEN planned_finish > previous_planned_finish THEN 1 ELSE 0 END)
        OVER (PARTITION BY work_item_id ORDER BY snapshot_date) AS BIGINT) AS slip_count,
    baseline_finish,
    CAST(date_diff('day', coalesce(baseline_finish, first_planned_finish), coalesce(actual_finish, planned_finish))
        AS BIGINT) AS slip_days,
    (SELECT w.name FROM core.work_items AS w WHERE w.work_item_id = moves.work_item_id) AS milestone_name,
    (SELECT p.name FROM core.projects AS p WHERE p.project_id = moves.project_id) AS project_name,
    (SELECT p.program_id FROM core.projects AS p WHERE p.project_id = moves.project_id) AS program_id,
    (SELECT g.name FROM core.projects AS p JOIN core.programs AS g USING (program_id)
     WHERE p.project_id = moves.project_id) AS program_name
FROM moves
