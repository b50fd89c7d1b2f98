-- Dependency links (System.LinkTypes.Dependency): "-Forward" (Successor) makes the other end this
-- item's successor, "-Reverse" (Predecessor) its predecessor; finish-to-start, no lag. Both ends report
-- a link; core keeps one, and marks it cross-project when the ends are in different team projects.
-- A hyperlink naming another tool's item makes that item this one's predecessor, for core to resolve
-- across sources: a Jira issue (.../browse/PAY-12: project PAY, item PAY-12), a Smartsheet row
-- (.../sheets/<sheet id>...rowId=<row id>) or another organisation's work item
-- (.../<project>/_workitems/edit/<id>).
WITH hyperlinks AS (
    SELECT
        source_id,
        work_item_id,
        url,
        CASE
            WHEN regexp_matches(url, '/browse/[A-Za-z][A-Za-z0-9_]*-[0-9]+')
                THEN [regexp_extract(url, '/browse/(([A-Za-z][A-Za-z0-9_]*)-[0-9]+)', 2),
                      regexp_extract(url, '/browse/(([A-Za-z][A-Za-z0-9_]*)-[0-9]+)', 1)]
            WHEN regexp_matches(url, '/sheets/[^/?#]+.*[?&]rowId=[0-9]+')
                THEN [regexp_extract(url, '/sheets/([^/?#]+)', 1), regexp_extract(url, '[?&]rowId=([0-9]+)', 1)]
            WHEN regexp_matches(url, '/[^/]+/_workitems/edit/[0-9]+')
                THEN [url_decode(regexp_extract(url, '/([^/]+)/_workitems/edit/([0-9]+)', 1)),
                      regexp_extract(url, '/_workitems/edit/([0-9]+)', 1)]
        END AS ref
    FROM raw.this__links
    WHERE rel = 'Hyperlink'
)
SELECT
    source_id,
    CASE WHEN rel LIKE '%-Forward' THEN work_item_id ELSE target_id END AS predecessor_key,
    CASE WHEN rel LIKE '%-Forward' THEN target_id ELSE work_item_id END AS successor_key,
    target_id AS predecessor_ref,
    'FS' AS link_type,
    0.0 AS lag_hours
FROM raw.this__links
WHERE rel IN ('System.LinkTypes.Dependency-Forward', 'System.LinkTypes.Dependency-Reverse')
UNION ALL BY NAME
SELECT
    source_id,
    NULL AS predecessor_key,
    work_item_id AS successor_key,
    url AS predecessor_ref,
    ref[1] AS predecessor_project_ref,
    ref[2] AS predecessor_item_ref,
    'FS' AS link_type,
    0.0 AS lag_hours
FROM hyperlinks
WHERE ref IS NOT NULL
