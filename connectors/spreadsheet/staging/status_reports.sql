-- Status register rows in the canonical staging shape (warehouse.canonical: status_reports).
-- The project is named as the register writes it; core resolves it like a risk's project.
SELECT
    source_id,
    file || '#' || sheet || '#' || row_number AS source_key,
    project AS project_ref,
    status AS reported_status,
    reported_at,
    reported_by,
    comment,
    file || '!' || sheet || '!' || row_number AS source_url
FROM raw.this__status_reports
