-- What no single project plan shows: per pair of projects (project_id_a < project_id_b) and type.
--   dependency        items of one depend on items of the other; strength = links; slip_days =
--                     the most working days one link pushes its successor past its own plan, by
--                     link type and lag (link_push, intermediate.item_schedule_push; 0 = on time)
--   shared_system     both touch the same systems; strength = shared systems
--   shared_resource   the same people work on both in the same weeks; strength = overlapping hours
--   integration_point both change the same system in overlapping windows; strength = overlap days
WITH dependency_links AS (
    SELECT
        least(p.project_id, s.project_id) AS project_id_a,
        greatest(p.project_id, s.project_id) AS project_id_b,
        p.name || ' (' || p.project_id || ') -> ' || s.name || ' (' || s.project_id || ')' AS evidence,
        -- What this link alone pushes the successor past its plan, from the predecessor's forecast
        -- (itself pushed down the chain); a done or cancelled successor is never pushed.
        CASE WHEN NOT is_open(s.status) THEN 0
             ELSE coalesce(link_push(d.link_type, CAST(round(coalesce(d.lag_hours, 0) / 8) AS BIGINT),
                                     wd_index(ps.forecast_start), wd_index(ps.forecast_finish),
                                     wd_index(coalesce(s.planned_start, s.planned_finish)),
                                     wd_index(coalesce(s.planned_finish, s.planned_start))), 0)
        END AS slip_days
    FROM core.dependencies AS d
    JOIN core.work_items AS p ON p.work_item_id = d.predecessor_id
    JOIN core.work_items AS s ON s.work_item_id = d.successor_id
    LEFT JOIN intermediate.item_schedule_push AS ps ON ps.work_item_id = d.predecessor_id
    WHERE d.is_cross_project
),
dependencies AS (
    SELECT project_id_a, project_id_b, 'dependency' AS linkage_type, count(*) AS strength,
           string_agg(evidence, '; ' ORDER BY evidence) AS evidence, max(slip_days) AS slip_days
    FROM dependency_links
    GROUP BY project_id_a, project_id_b
),
system_pairs AS (
    SELECT
        a.project_id AS project_id_a,
        b.project_id AS project_id_b,
        a.system_name,
        greatest(a.first_day, b.first_day) AS overlap_start,
        least(a.last_day, b.last_day) AS overlap_end
    FROM intermediate.project_systems AS a
    JOIN intermediate.project_systems AS b ON a.system_key = b.system_key AND a.project_id < b.project_id
),
shared_systems AS (
    SELECT project_id_a, project_id_b, 'shared_system', count(*),
           string_agg(system_name, '; ' ORDER BY system_name), NULL
    FROM system_pairs
    GROUP BY project_id_a, project_id_b
),
integration_points AS (
    SELECT project_id_a, project_id_b, 'integration_point',
           sum(datediff('day', overlap_start, overlap_end) + 1),
           string_agg(system_name || ' changed by both from ' || overlap_start || ' to ' || overlap_end, '; '
                      ORDER BY system_name), NULL
    FROM system_pairs
    WHERE overlap_start <= overlap_end
    GROUP BY project_id_a, project_id_b
),
weekly AS (
    SELECT resource_id, project_id, week_start, exact_sum(demand_hours) AS hours
    FROM intermediate.assignment_weeks
    GROUP BY ALL
),
people_pairs AS (
    SELECT a.project_id AS project_id_a, b.project_id AS project_id_b, a.resource_id,
           count(*) AS weeks, exact_sum(least(a.hours, b.hours)) AS hours
    FROM weekly AS a
    JOIN weekly AS b ON a.resource_id = b.resource_id AND a.week_start = b.week_start AND a.project_id < b.project_id
    GROUP BY ALL
),
shared_resources AS (
    SELECT p.project_id_a, p.project_id_b, 'shared_resource', exact_sum(p.hours),
           string_agg(coalesce(r.name, p.resource_id) || ': ' || p.weeks || ' week(s), ' || round(p.hours) || ' h',
                      '; ' ORDER BY coalesce(r.name, p.resource_id)), NULL
    FROM people_pairs AS p
    LEFT JOIN core.resources AS r USING (resource_id)
    GROUP BY p.project_id_a, p.project_id_b
)
SELECT project_id_a, project_id_b, linkage_type, CAST(strength AS DOUBLE) AS strength, evidence,
       CAST(slip_days AS BIGINT) AS slip_days,
       (SELECT p.name FROM core.projects AS p WHERE p.project_id = project_id_a) AS project_name_a,
       (SELECT p.name FROM core.projects AS p WHERE p.project_id = project_id_b) AS project_name_b
FROM (
    SELECT * FROM dependencies
    UNION ALL SELECT * FROM shared_systems
    UNION ALL SELECT * FROM integration_points
    UNION ALL SELECT * FROM shared_resources
)
