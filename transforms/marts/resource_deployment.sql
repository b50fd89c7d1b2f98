-- Where people are deployed: per resource per ISO week (week_start is the Monday), the hours of
-- work assigned to them across all projects, against their capacity: the config's capacity for the
-- person (by e-mail or name, accents and case folded), else a source's (MS Project max units x hours per week), else
-- rules.capacity_hours_per_week (40), for a five-day week. A week's capacity follows the person's
-- calendar: x working days / 5, taking the fewest working days among their projects' calendars that
-- week (an MS Project holiday is a day off whatever else they work on). Over-allocated above 100%.
WITH weekly AS (
    SELECT
        resource_id,
        week_start,
        exact_sum(demand_hours) AS demand_hours,
        min(working_days_in_week) AS working_days,
        list_sort(list_distinct(list(project_id))) AS project_ids
    FROM intermediate.assignment_weeks
    GROUP BY resource_id, week_start
),
capacity AS (
    SELECT
        r.resource_id,
        r.name,
        r.team,
        coalesce(
            (SELECT max(c.hours_per_week) FROM config.capacity AS c
             WHERE lower(c.person) IN (lower(r.email), lower(r.resource_id))
                OR person_name_key(c.person) = person_name_key(r.name)),
            r.capacity_hours_per_week,
            (SELECT capacity_hours_per_week FROM config.rules)
        ) AS hours
    FROM core.resources AS r
)
SELECT
    w.resource_id,
    w.week_start,
    w.demand_hours,
    c.hours * w.working_days / 5.0 AS capacity_hours,
    w.demand_hours / nullif(c.hours * w.working_days / 5.0, 0) AS utilisation,
    w.project_ids,
    w.demand_hours > c.hours * w.working_days / 5.0 AS is_overallocated,
    c.name AS resource_name,
    c.team,
    list_text(w.project_ids) AS project_ids_text
FROM weekly AS w
LEFT JOIN capacity AS c USING (resource_id)
