-- The status a plan reports about itself: the custom field aliased `reported_status` (source option
-- attributes: {reported_status: Health}) on the project summary task (UID 0), dated by the plan's
-- status date.
SELECT
    t.source_id,
    t.file || '#0' AS source_key,
    t.file AS project_ref,
    t.reported_status,
    CAST(p.status_date AS DATE) AS reported_at,
    p.manager AS reported_by,
    NULL AS comment,
    t.file || '#0' AS source_url
FROM raw.this__tasks AS t
LEFT JOIN raw.this__projects AS p ON p.source_id = t.source_id AND p.file = t.file
WHERE t.uid = 0 AND t.reported_status IS NOT NULL
