-- Findings a PMO lead should see before trusting the numbers: one row per finding.
-- severity 'error' = numbers are wrong or missing; 'warning' = numbers are incomplete; 'info' = left
-- out on purpose (a sheet that is not a plan), for the record.
-- An assignment whose dates hold no working day is counted on the nearest one (intermediate.assignment_weeks).
-- Over-allocation: above 100% + rules.overallocation_margin (10%) of capacity in a week. Cycles: a work item reachable from itself
-- through dependencies (searched up to 50 links deep; intermediate.dependency_cycles).
SELECT CASE level WHEN 'row' THEN 'quarantined_row' ELSE 'unreadable_' || level END AS check_name,
       CASE level WHEN 'row' THEN 'error' ELSE 'warning' END AS severity, source_id, object_key,
       location || ': ' || reason AS detail
FROM core.quarantine
UNION ALL
SELECT 'unmapped_status', 'warning', w.source_id, min(w.project_id),
       'status ' || coalesce('''' || w.status_raw || '''', '(empty)') || ' on ' || count(*)
       || ' item(s) is not mapped to a canonical status; add it to the source''s status_map'
FROM core.work_items AS w
WHERE w.status IS NULL
GROUP BY w.source_id, w.status_raw
UNION ALL
SELECT 'stale_source', 'error', s.source_id, s.source_id,
       'last load failed at ' || strftime(s.last_attempt_at, '%Y-%m-%d %H:%M UTC') || ': ' || coalesce(s.last_error, '?')
       || '; showing data from ' || coalesce(strftime(s.last_success_at, '%Y-%m-%d %H:%M UTC'), 'no successful load')
FROM meta.source_state AS s
WHERE s.last_status <> 'ok'
UNION ALL
SELECT 'stale_status_report', 'warning', r.source_id, r.project_id,
       'the status reported for ' || r.project_id || ' (' || r.reported_status || ') is dated '
       || strftime(r.reported_at, '%Y-%m-%d') || ', more than ' || CAST(x.stale_report_days AS INTEGER)
       || ' days before ' || strftime(as_of(), '%Y-%m-%d') || coalesce(' (' || r.source_url || ')', '')
       || '; ask the project manager for a current report'
FROM core.status_reports AS r
CROSS JOIN config.rules AS x
WHERE r.is_latest AND r.reported_at < as_of() - CAST(x.stale_report_days AS INTEGER)
UNION ALL
SELECT 'unresolved_parent', 'warning', source_id, work_item_id,
       'parent ' || parent_source_key || ' of ' || source_key || ' is not loaded (outside the synced scope, or '
       || 'quarantined); the item counts as a top-level item - widen the source''s scope to include it'
FROM core.work_items
WHERE parent_id IS NULL AND parent_source_key IS NOT NULL
UNION ALL
SELECT 'unresolved_assignee', 'warning', source_id, work_item_id,
       'assignee ' || assignee_source_key || ' of ' || source_key || ' matches no resource of the source'
FROM core.work_items
WHERE assignee_id IS NULL AND assignee_source_key IS NOT NULL
UNION ALL
SELECT 'unassigned_project', 'warning', source_id, project_id,
       'project ' || source_key || ' is in source ' || source_id || ' but no program lists it; add it to portfolio.yaml'
FROM core.projects
WHERE NOT is_configured
UNION ALL
SELECT 'configured_project_not_found', 'error', source_id, project_id,
       'project ' || project_id || ' names key ' || source_key || ' but source ' || source_id
       || ' holds no such project (or the key matches several); check the key'
FROM core.projects
WHERE NOT is_found_in_source
UNION ALL
SELECT 'items_without_owner', 'warning', any_value(source_id), project_id,
       count(*) || ' open item(s) have no owner'
FROM core.work_items
WHERE assignee_id IS NULL AND NOT is_summary AND is_open(status)
GROUP BY project_id
UNION ALL
SELECT 'items_without_dates', 'warning', any_value(source_id), project_id,
       count(*) || ' open item(s) have neither a finish nor a due date'
FROM core.work_items
WHERE planned_finish IS NULL AND due_date IS NULL AND NOT is_summary
  AND is_open(status)
GROUP BY project_id
UNION ALL
-- Earned value counts only items with a baseline cost and both baseline dates (rule 1).
SELECT 'budget_without_baseline_dates', 'warning', any_value(w.source_id), m.project_id,
       count(*) || ' item(s) have a budget but no baseline dates, so they are out of earned value (BAC, PV, EV, AC): '
       || array_to_string(list(w.source_key ORDER BY w.source_key)[1:5], ', ')
       || CASE WHEN count(*) > 5 THEN ', ...' ELSE '' END
       || '; set their baseline start and finish in the source'
FROM intermediate.item_measures AS m
JOIN core.work_items AS w USING (work_item_id)
WHERE m.is_budget_without_baseline_dates
GROUP BY m.project_id
UNION ALL
SELECT 'project_without_objectives', 'warning', p.source_id, p.project_id,
       'project serves no company objective (none in the config, none tagged on its items)'
FROM core.projects AS p
WHERE p.project_id NOT IN (SELECT project_id FROM core.project_objectives)
UNION ALL
SELECT 'risk_without_project', 'warning', source_id, risk_id,
       'risk names project ' || coalesce('''' || project_ref || '''', '(none)') || ', which matches no project'
FROM core.risks
WHERE project_id IS NULL
UNION ALL
SELECT 'issue_without_project', 'warning', source_id, issue_id,
       'issue names project ' || coalesce('''' || project_ref || '''', '(none)') || ', which matches no project'
FROM core.issues
WHERE project_id IS NULL
UNION ALL
SELECT 'cross_team_dependency', 'warning', source_id, raid_id,
       'dependency ' || source_key || ' (' || coalesce(title, '?') || ') waits for '
       || coalesce('''' || predecessor_ref || '''', '(nothing named)') || CASE WHEN predecessor_id IS NULL THEN ', not a loaded work item' ELSE '' END
       || ' for ' || coalesce('''' || successor_ref || '''', '(nothing named)') || CASE WHEN successor_id IS NULL THEN ', not a loaded work item' ELSE '' END
       || '; track it with the other team, or name both ends as <project>!<item id> to link them'
FROM core.raid_log
WHERE entry_type = 'dependency' AND is_open AND (predecessor_id IS NULL OR successor_id IS NULL)
UNION ALL
SELECT 'skipped_sheet', 'info', source_id, location, detail
FROM staging.source_notes
UNION ALL
SELECT 'overallocated_resource', 'warning', NULL, resource_id,
       coalesce(any_value(resource_name), resource_id) || ' is over '
       || format('{:.0f}', 100 * (1 + (SELECT overallocation_margin FROM config.rules))) || '% of capacity in ' || count(*)
       || ' week(s), at most ' || format('{:.0f}', 100 * max(utilisation)) || '% (week of ' || first(week_start ORDER BY utilisation DESC, week_start)
       || '); rebalance the assignments or correct the capacity'
FROM marts.resource_deployment
WHERE utilisation > 1 + (SELECT overallocation_margin FROM config.rules)
GROUP BY resource_id
UNION ALL
SELECT 'assignment_without_working_day', 'warning', w.source_id, w.work_item_id,
       coalesce(r.name, a.resource_id) || ' is assigned ' || round(a.work_hours, 1) || ' h on ' || w.work_item_id
       || ' from ' || a.start || ' to ' || a.finish || ', which holds no working day; the work is counted on '
       || nearest_working_day(a.start) || ', the working day nearest its start - correct the assignment''s dates'
FROM core.assignments AS a
JOIN core.work_items AS w USING (work_item_id)
LEFT JOIN core.resources AS r USING (resource_id)
WHERE a.finish >= a.start AND a.work_hours > 0 AND NOT w.is_summary AND in_scope(w.status)
  -- no working day in the person's calendar on the project (assignment_weeks spreads over the same)
  AND working_days(a.start, a.finish) + coalesce((
      SELECT sum(CASE WHEN c.is_working THEN 1 ELSE -1 END) FROM core.calendar_days AS c
      WHERE c.project_id = w.project_id AND (c.resource_id IS NULL OR c.resource_id = a.resource_id)
        AND c.date BETWEEN a.start AND a.finish), 0) <= 0
UNION ALL
SELECT 'dependency_cycle', 'error', w.source_id, c.work_item_id,
       'work item ' || c.work_item_id || ' depends on itself through ' || c.steps
       || ' link(s); a cycle makes its dates and the slip propagation meaningless - break one link'
FROM intermediate.dependency_cycles AS c
JOIN core.work_items AS w USING (work_item_id)
