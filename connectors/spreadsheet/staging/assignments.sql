-- A sheet names one owner per task: a full-time assignment of the task's work to that person.
SELECT
    source_id,
    item_key AS work_item_key,
    coalesce(lower(owner_email), owner) AS resource_key,
    1.0 AS units,
    work_hours,
    start,
    coalesce(finish, due) AS finish
FROM raw.this__tasks
WHERE owner IS NOT NULL
