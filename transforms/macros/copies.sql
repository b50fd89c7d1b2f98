-- Rows of a keyed staging stream ranked among the copies of their (source_id, source_key): the
-- most recently updated first, then the latest in the load (a later file, then a later row).
-- copy_rank = 1 is the row core keeps; the others are quarantined beside the kept row's location.
CREATE OR REPLACE MACRO ranked_copies(stream) AS TABLE
    SELECT
        *,
        row_number() OVER copies AS copy_rank,
        first(coalesce(location, source_key)) OVER copies AS kept_location,
        first(updated_at) OVER copies AS kept_updated_at
    FROM query_table(stream)
    WINDOW copies AS (
        PARTITION BY source_id, source_key
        ORDER BY updated_at DESC NULLS LAST, position DESC NULLS LAST
    );
