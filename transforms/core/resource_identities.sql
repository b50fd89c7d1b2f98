-- Which resource each person-key of each source is. One person is one resource across sources:
-- resolved by e-mail first, then by normalised name (a name-only entry takes the e-mail another
-- source gives for the same name, when that name has exactly one e-mail).
WITH people AS (
    SELECT
        source_id,
        source_key,
        name,
        nullif(lower(trim(email)), '') AS email,
        trim(regexp_replace(lower(coalesce(name, source_key)), '[^a-z0-9]+', ' ', 'g')) AS name_norm
    FROM staging.resources
),
email_by_name AS (
    SELECT name_norm, min(email) AS email
    FROM people
    WHERE email IS NOT NULL
    GROUP BY name_norm
    HAVING count(DISTINCT email) = 1
)
SELECT
    p.source_id,
    p.source_key,
    coalesce(p.email, e.email, 'name:' || p.name_norm) AS resource_id
FROM people AS p
LEFT JOIN email_by_name AS e USING (name_norm)
