-- Issues of RAID logs (Type = Issue). The project as for a risk: the Project column, else the workbook.
SELECT
    source_id,
    entry_key AS source_key,
    coalesce(project, file) AS project_ref,
    title,
    status,
    owner,
    priority,
    level AS impact,
    due AS due_date,
    response AS resolution,
    file || ', sheet ''' || sheet || ''', row ' || row_number AS location,
    row_number() OVER (PARTITION BY source_id ORDER BY file, sheet, row_number) AS position
FROM raw.this__raid
WHERE entry_type = 'issue'
