-- The plan's calendar where it differs from Monday-Friday, and each work resource's calendar where it
-- differs from the plan's (the reader expanded them over the plan's span plus a year each side).
SELECT
    c.source_id,
    c.file AS project_source_key,
    CASE WHEN c.resource_uid IS NOT NULL THEN c.file || '#' || c.resource_uid END AS resource_key,
    c.date,
    c.is_working,
    c.file || ', calendar ' || coalesce(c.calendar, '(unnamed)') AS location
FROM raw.this__calendar_days AS c
