-- The sheet summary's status field (RAG, Health, Status ...) is what the project reports about
-- itself, dated by the summary's date field or the sheet's last change.
SELECT
    m.source_id,
    m.sheet_id || '#summary' AS source_key,
    m.sheet_id AS project_ref,
    m.status AS reported_status,
    m.reported_at,
    m.owner_name AS reported_by,
    m.comment,
    s.permalink AS source_url
FROM raw.this__summaries AS m
LEFT JOIN raw.this__sheets AS s USING (source_id, sheet_id)
