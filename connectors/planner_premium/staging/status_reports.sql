-- The project's own status fields: Overall project status (Green/Yellow/Red as Planner shows it),
-- the status comment, dated by when the status was last updated.
SELECT
    source_id,
    record_id || '#status' AS source_key,
    record_id AS project_ref,
    overall_status AS reported_status,
    CAST(status_updated_at AS DATE) AS reported_at,
    manager AS reported_by,
    status_comment AS comment,
    environment_url || '/main.aspx?pagetype=entityrecord&etn=msdyn_project&id=' || record_id AS source_url
FROM raw.this__projects
WHERE overall_status IS NOT NULL
