-- People named in contact cells: keyed by e-mail when Smartsheet gives one (it does for contacts),
-- else by the name typed. Name: the most common spelling, a tie going to the one that sorts first.
SELECT
    source_id,
    coalesce(email, name) AS source_key,
    stable_mode(list(name)) AS name,
    min(email) AS email,
    NULL AS team,
    NULL AS capacity_hours_per_week
FROM raw.this__contacts
GROUP BY source_id, coalesce(email, name)
