-- Assumptions, decisions and dependencies of RAID logs. A dependency's ends are references as
-- people write them ([<project, sheet or file>!]<item id>); core resolves them.
SELECT
    source_id,
    entry_key AS source_key,
    coalesce(project, file) AS project_ref,
    entry_type,
    title,
    status,
    owner,
    due AS due_date,
    response,
    predecessor_ref,
    successor_ref,
    file || ', sheet ''' || sheet || ''', row ' || row_number AS location,
    row_number() OVER (PARTITION BY source_id ORDER BY file, sheet, row_number) AS position
FROM raw.this__raid
WHERE entry_type IN ('assumption', 'decision', 'dependency')
