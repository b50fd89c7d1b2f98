-- Working-day exceptions per project calendar and per person on a project: the only dates where
-- working days are not Monday-Friday. Rows with resource_id NULL: the project's calendar against
-- Monday-Friday. Rows with a resource_id: that person's own calendar against the project's. So the
-- working days in [a, b] are weekdays_in(a, b) plus +1 per working row and -1 per non-working row
-- in [a, b], of the project's rows (and, for a person, theirs on top).
SELECT
    p.project_id,
    i.resource_id,
    c.date,
    bool_or(c.is_working) AS is_working,  -- one person twice in a plan: working if either says so
    min(c.location) AS location
FROM staging.calendar_days AS c
JOIN core.projects AS p ON p.source_id = c.source_id AND p.source_key = c.project_source_key
LEFT JOIN core.resource_identities AS i ON i.source_id = c.source_id AND i.source_key = c.resource_key
WHERE c.date IS NOT NULL AND c.is_working IS NOT NULL AND (c.resource_key IS NULL OR i.resource_id IS NOT NULL)
GROUP BY p.project_id, i.resource_id, c.date
