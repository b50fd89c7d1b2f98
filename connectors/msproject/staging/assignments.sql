-- Assignments of work resources to tasks, with units (1.0 = full time), work and dates.
SELECT
    a.source_id,
    a.file || '#' || a.task_uid AS work_item_key,
    a.file || '#' || a.resource_uid AS resource_key,
    a.units,
    a.work_hours,
    CAST(a.start AS DATE) AS start,
    CAST(a.finish AS DATE) AS finish
FROM raw.this__assignments AS a
JOIN raw.this__resources AS r ON r.source_id = a.source_id AND r.file = a.file AND r.uid = a.resource_uid
WHERE r.type = 'work'
