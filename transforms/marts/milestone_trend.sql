-- Each milestone's forecast finish on every snapshot day, and how many times it had slipped by
-- then (moved later than on the previous snapshot). An open milestone past its date forecasts the
-- snapshot day itself.
WITH snapshots AS (
    SELECT
        work_item_id,
        snapshot_date,
        forecast_finish(status, planned_finish, coalesce(due_date, planned_finish), snapshot_date) AS forecast_finish
    FROM history.work_item_snapshots
    WHERE is_milestone
),
moves AS (
    SELECT
        *,
        lag(forecast_finish) OVER (PARTITION BY work_item_id ORDER BY snapshot_date) AS previous_forecast
    FROM snapshots
)
SELECT
    work_item_id,
    snapshot_date,
    forecast_finish,
    CAST(sum(CASE WHEN forecast_finish > previous_forecast THEN 1 ELSE 0 END)
        OVER (PARTITION BY work_item_id ORDER BY snapshot_date) AS BIGINT) AS slip_count
FROM moves
