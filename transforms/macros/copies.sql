-- Rows of a keyed staging stream ranked among the copies of their (source_id, source_key): the
-- most recently updated first, then the latest in the load (a later file, then a later row).
-- copy_rank = 1 is the row core keeps; the others are quarantined beside the kept row's location.
-- Only keys that occur more than once are sorted (a hash count finds them), so a source without
-- duplicates pays one aggregate, not a window over every row.
CREATE OR REPLACE MACRO ranked_copies(stream) AS TABLE
    WITH copies AS MATERIALIZED (
        SELECT * FROM query_table(stream)
    ),
    repeated AS (
        SELECT source_id, source_key FROM copies GROUP BY source_id, source_key HAVING count(*) > 1
    )
    SELECT *, 1 AS copy_rank, NULL::VARCHAR AS kept_location, NULL::TIMESTAMP AS kept_updated_at
    FROM copies ANTI JOIN repeated USING (source_id, source_key)
    UNION ALL BY NAME
    SELECT
        *,
        row_number() OVER ranking AS copy_rank,
        first(coalesce(location, source_key)) OVER ranking AS kept_location,
        first(updated_at) OVER ranking AS kept_updated_at
    FROM copies SEMI JOIN repeated USING (source_id, source_key)
    WINDOW ranking AS (
        PARTITION BY source_id, source_key
        ORDER BY updated_at DESC NULLS LAST, position DESC NULLS LAST
    );
