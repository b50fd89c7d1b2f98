-- The whole portfolio in one row, for a BI tool's headline cards: projects by computed RAG, items,
-- milestones, risks, sources and data quality, summed over marts.project_health (never an average of
-- percentages). The portfolio RAG is the worst of its projects' (red, then amber, then unknown, then
-- green), as a program's is by default.
WITH health AS (
    SELECT
        count(*) AS projects_total,
        count(*) FILTER (WHERE rag = 'red') AS projects_red,
        count(*) FILTER (WHERE rag = 'amber') AS projects_amber,
        count(*) FILTER (WHERE rag = 'green') AS projects_green,
        count(*) FILTER (WHERE rag = 'unknown') AS projects_unknown,
        count(*) FILTER (WHERE watermelon) AS projects_watermelon,
        coalesce(sum(items_total), 0) AS items_total,
        coalesce(sum(items_done), 0) AS items_done,
        coalesce(sum(items_cancelled), 0) AS items_cancelled,
        coalesce(sum(items_open), 0) AS items_open,
        coalesce(sum(overdue_items), 0) AS overdue_items,
        coalesce(sum(milestones_total), 0) AS milestones_total,
        coalesce(sum(milestones_late), 0) AS milestones_late,
        coalesce(sum(open_risks), 0) AS open_risks,
        coalesce(sum(open_risks_high), 0) AS open_risks_high
    FROM marts.project_health
),
worst AS (
    SELECT CASE WHEN projects_red > 0 THEN 'red' WHEN projects_amber > 0 THEN 'amber'
                WHEN projects_green > 0 AND projects_unknown = 0 THEN 'green' ELSE 'unknown' END AS rag
    FROM health
)
SELECT
    as_of() AS as_of,
    (SELECT count(*) FROM core.programs) AS programs_total,
    CAST(h.projects_total AS BIGINT) AS projects_total,
    CAST(h.projects_red AS BIGINT) AS projects_red,
    CAST(h.projects_amber AS BIGINT) AS projects_amber,
    CAST(h.projects_green AS BIGINT) AS projects_green,
    CAST(h.projects_unknown AS BIGINT) AS projects_unknown,
    CAST(h.projects_watermelon AS BIGINT) AS projects_watermelon,
    CAST(h.items_total AS BIGINT) AS items_total,
    CAST(h.items_done AS BIGINT) AS items_done,
    CAST(h.items_open AS BIGINT) AS items_open,
    CAST(h.overdue_items AS BIGINT) AS overdue_items,
    100.0 * h.items_done / nullif(h.items_total - h.items_cancelled, 0) AS pct_complete_count,
    CAST(h.milestones_total AS BIGINT) AS milestones_total,
    CAST(h.milestones_late AS BIGINT) AS milestones_late,
    CAST(h.open_risks AS BIGINT) AS open_risks,
    CAST(h.open_risks_high AS BIGINT) AS open_risks_high,
    (SELECT count(*) FROM core.resources) AS resources_total,
    (SELECT count(DISTINCT resource_id) FROM marts.resource_deployment
     WHERE is_overallocated AND week_start = CAST(date_trunc('week', as_of()) AS DATE)) AS resources_overallocated_this_week,
    (SELECT count(*) FROM meta.source_state) AS sources_total,
    (SELECT count(*) FROM meta.source_state WHERE last_status = 'failed') AS sources_failed,
    (SELECT count(*) FROM marts.data_quality WHERE severity = 'error') AS data_quality_errors,
    (SELECT count(*) FROM marts.data_quality WHERE severity = 'warning') AS data_quality_warnings,
    w.rag,
    rag_rank(w.rag) AS rag_rank,
    rag_colour(w.rag) AS rag_colour
FROM health AS h, worst AS w
