-- "Depends on" references: an id of the same sheet (12, 12FS+2d; the row number in a sheet without an
-- ID column, or an outline number from its WBS / Outline column), or Scope!id where Scope is a
-- project value, sheet or file of the same source. A Scope!id this source does not hold is left to
-- core to resolve in another source (Scope = a project id, name or key there).
WITH task_names AS (  -- each task under each name a reference may use: its id and its outline number
    SELECT source_id, item_key, task_id AS name, project, sheet, file, project_key
    FROM raw.this__tasks WHERE task_id IS NOT NULL
    UNION ALL
    SELECT source_id, item_key, outline, project, sheet, file, project_key
    FROM raw.this__tasks WHERE outline IS NOT NULL
)
SELECT
    d.source_id,
    min(t.item_key) AS predecessor_key,
    d.successor_key,
    d.predecessor_ref,
    d.link_type,
    d.lag_hours,
    d.predecessor_scope AS predecessor_project_ref,
    d.predecessor_id AS predecessor_item_ref
FROM raw.this__dependencies AS d
-- an equality join on the name (an OR of two columns here would compare every pair of rows)
LEFT JOIN task_names AS t
    ON t.source_id = d.source_id
    AND t.name = d.predecessor_id
    AND CASE
        WHEN d.predecessor_scope IS NULL THEN t.file = d.file AND t.sheet = d.sheet
        ELSE lower(d.predecessor_scope) IN (lower(t.project), lower(t.sheet), lower(t.file), lower(t.project_key))
    END
GROUP BY d.source_id, d.successor_key, d.predecessor_ref, d.link_type, d.lag_hours, d.predecessor_scope,
    d.predecessor_id
