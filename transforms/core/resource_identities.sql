-- Which resource each person-key of each source is. One person is one resource across sources:
-- resolved by e-mail first, then by normalised name (a name-only entry takes the e-mail another
-- source gives for the same name, when that name has exactly one e-mail). The config's
-- resource_aliases map other spellings of a person to their e-mail or name first. Names are
-- compared by person_name_key(): accents and case folded (José Núñez = Jose Nunez).
WITH aliases AS (
    SELECT person_name_key(alias) AS alias_norm, person
    FROM config.resource_aliases
),
spelled AS (
    SELECT
        source_id,
        source_key,
        name,
        nullif(lower(trim(email)), '') AS email,
        person_name_key(coalesce(name, source_key)) AS name_norm
    FROM ranked_copies('staging.resources')
    WHERE copy_rank = 1  -- one row per person-key (a plan listing a resource UID twice keeps the last)
),
people AS (
    SELECT
        s.source_id,
        s.source_key,
        s.name,
        coalesce(s.email, CASE WHEN a.person LIKE '%@%' THEN lower(a.person) END) AS email,
        CASE WHEN a.person IS NOT NULL AND a.person NOT LIKE '%@%'
             THEN person_name_key(a.person)
             ELSE s.name_norm END AS name_norm
    FROM spelled AS s
    LEFT JOIN aliases AS a ON a.alias_norm = s.name_norm
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
