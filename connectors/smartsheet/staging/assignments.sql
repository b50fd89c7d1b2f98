-- Each contact of a row's assigned-to cell works on the row; several contacts share its work.
SELECT
    c.source_id,
    c.row_id AS work_item_key,
    coalesce(c.email, c.name) AS resource_key,
    1.0 / count(*) OVER (PARTITION BY c.source_id, c.row_id) AS units,
    r.work_hours / count(*) OVER (PARTITION BY c.source_id, c.row_id) AS work_hours,
    r.start,
    coalesce(r.finish, r.due) AS finish
FROM raw.this__contacts AS c
JOIN raw.this__rows AS r USING (source_id, sheet_id, row_id)
