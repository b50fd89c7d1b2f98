-- Every person named as an owner; keyed by e-mail when the sheet gives one, else by name. Name and
-- team: the most common spelling, a tie going to the one that sorts first (never any_value).
SELECT
    source_id,
    coalesce(lower(owner_email), owner) AS source_key,
    stable_mode(list(owner)) AS name,
    min(lower(owner_email)) AS email,
    stable_mode(list(team)) AS team,
    NULL AS capacity_hours_per_week
FROM raw.this__tasks
WHERE owner IS NOT NULL
GROUP BY source_id, coalesce(lower(owner_email), owner)
