-- One row per person across all sources (see resource_identities for how people are matched).
SELECT
    i.resource_id,
    stable_mode(list(r.name)) AS name,  -- ties: alphabetical (macros/stable.sql)
    max(nullif(lower(trim(r.email)), '')) AS email,
    stable_mode(list(r.team)) AS team,
    max(r.capacity_hours_per_week) AS capacity_hours_per_week,
    list_sort(list_distinct(list(r.source_id))) AS source_ids
FROM staging.resources AS r
JOIN core.resource_identities AS i USING (source_id, source_key)
GROUP BY i.resource_id
