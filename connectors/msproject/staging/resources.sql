-- Work resources are people; material and cost resources are not deployed people.
-- Capacity: max units x the plan's hours per week.
SELECT
    r.source_id,
    r.file || '#' || r.uid AS source_key,
    r.name,
    lower(r.email) AS email,
    r.group_name AS team,
    r.max_units * coalesce(p.minutes_per_week, 2400) / 60.0 AS capacity_hours_per_week,
    r.file || ', resource UID ' || r.uid AS location
FROM raw.this__resources AS r
LEFT JOIN raw.this__projects AS p ON p.source_id = r.source_id AND p.file = r.file
WHERE r.type = 'work'
