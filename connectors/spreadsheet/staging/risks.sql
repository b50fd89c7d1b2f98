-- Risk-log rows. The project is named in the log's Project column; a log without one belongs to
-- the workbook it sits in.
SELECT
    source_id,
    risk_key AS source_key,
    coalesce(project, file) AS project_ref,
    title,
    probability,
    impact,
    status,
    owner,
    due AS due_date,
    mitigation,
    probability_original,
    impact_original,
    probability_scale,
    impact_scale,
    file || ', sheet ''' || sheet || ''', row ' || row_number AS location,  -- as the connector words it
    row_number() OVER (PARTITION BY source_id ORDER BY file, sheet, row_number) AS position
FROM raw.this__risks
