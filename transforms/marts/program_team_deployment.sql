-- The program's view of deployment: per program, team and ISO week, the hours its projects ask of
-- each team, and how many of the team's people they touch.
SELECT
    p.program_id,
    coalesce(r.team, '(no team)') AS team,
    d.week_start,
    exact_sum(d.demand_hours) AS demand_hours,
    count(DISTINCT d.resource_id) AS people,
    any_value(g.name) AS program_name
FROM intermediate.assignment_weeks AS d
JOIN core.projects AS p USING (project_id)
LEFT JOIN core.resources AS r USING (resource_id)
LEFT JOIN core.programs AS g ON g.program_id = p.program_id
GROUP BY ALL
