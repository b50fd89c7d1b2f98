-- Bookable resources assigned to a task in scope: people, with their primary e-mail where the
-- environment holds one (core then resolves them across sources by e-mail, else by name).
SELECT
    r.source_id,
    r.resource_id AS source_key,
    r.name,
    lower(trim(r.email)) AS email,
    NULL AS team,
    NULL AS capacity_hours_per_week,
    r.modified_at AS updated_at,
    'bookable resource ' || coalesce(r.name, '') || ' (' || r.resource_id || ')' AS location
FROM raw.this__resources AS r
WHERE EXISTS (SELECT 1 FROM raw.this__assignments AS a WHERE a.source_id = r.source_id AND a.resource_id = r.resource_id)
