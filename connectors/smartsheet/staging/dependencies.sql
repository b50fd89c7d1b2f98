-- Predecessors: a PREDECESSOR column's rows (by row id) or a "Depends on" row number, in the same
-- sheet; and items of other sources named in a "Depends on" cell (PAY-12: project PAY, item PAY-12;
-- Plan!7: item 7 of the project Plan), left for core to resolve across sources.
SELECT
    l.source_id,
    coalesce(l.predecessor_row_id, n.row_id) AS predecessor_key,
    l.row_id AS successor_key,
    l.predecessor_ref,
    l.predecessor_project_ref,
    l.predecessor_item_ref,
    l.link_type,
    l.lag_hours
FROM raw.this__links AS l
LEFT JOIN raw.this__rows AS n
    ON n.source_id = l.source_id AND n.sheet_id = l.sheet_id AND n.row_number = l.predecessor_row_number
