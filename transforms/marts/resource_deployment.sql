-- Where people are deployed: per resource per ISO week (week_start is the Monday), the hours of
-- work assigned to them across all projects, against their capacity (a source's capacity, e.g.
-- MS Project max units x hours per week, else 40 h). Over-allocated above 100%.
WITH weekly AS (
    SELECT
        resource_id,
        CAST(date_trunc('week', day) AS DATE) AS week_start,
        sum(demand_hours) AS demand_hours,
        list_sort(list_distinct(list(project_id))) AS project_ids
    FROM intermediate.assignment_days
    GROUP BY resource_id, date_trunc('week', day)
)
SELECT
    w.resource_id,
    w.week_start,
    w.demand_hours,
    coalesce(r.capacity_hours_per_week, 40.0) AS capacity_hours,
    w.demand_hours / nullif(coalesce(r.capacity_hours_per_week, 40.0), 0) AS utilisation,
    w.project_ids,
    w.demand_hours > coalesce(r.capacity_hours_per_week, 40.0) AS is_overallocated,
    r.name AS resource_name,
    r.team
FROM weekly AS w
LEFT JOIN core.resources AS r USING (resource_id)
