-- Every person named as an owner; keyed by e-mail when the sheet gives one, else by name.
SELECT
    source_id,
    coalesce(lower(owner_email), owner) AS source_key,
    any_value(owner) AS name,
    any_value(lower(owner_email)) AS email,
    any_value(team) AS team,
    NULL AS capacity_hours_per_week
FROM raw.this__tasks
WHERE owner IS NOT NULL
GROUP BY source_id, coalesce(lower(owner_email), owner)
