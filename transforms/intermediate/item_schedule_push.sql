-- Slip through chains: how many working days each work item is pushed past its own plan by its
-- predecessors' forecasts (docs/metrics.md, "Slip through chains"). Each link's push is
-- link_push(): FS start >= the working day after the predecessor's finish + lag, SS start >= start
-- + lag, FF finish >= finish + lag, SF finish >= start + lag, lag in working days (8 h each). The
-- push runs transitively down the chain (a recursive query over the links, keeping the largest
-- push per item). Links inside a dependency cycle (intermediate.dependency_cycles; marts.data_quality
-- reports it) are not followed, so the query ends; a push is capped at 10,000 working days (40
-- years), so even a cycle longer than the 50 links the cycle search follows cannot loop for ever.
-- A done or cancelled item is never pushed, and a cancelled predecessor pushes nothing. An item
-- already started keeps its actual start; the push then moves its finish only.
WITH RECURSIVE items AS (
    SELECT
        w.work_item_id,
        w.project_id,
        w.status,
        NOT is_open(w.status) AS is_closed,
        w.actual_start IS NOT NULL AS is_started,
        wd_index(coalesce(w.planned_start, w.planned_finish)) AS plan_start,
        wd_index(coalesce(w.planned_finish, w.planned_start)) AS plan_finish,
        wd_index(coalesce(w.actual_start, w.planned_start, w.planned_finish)) AS own_start,
        wd_index(m.forecast_finish) AS own_finish,
        coalesce(w.actual_start, w.planned_start, w.planned_finish) AS start_date,
        m.forecast_finish AS finish_date
    FROM core.work_items AS w
    JOIN intermediate.item_measures AS m USING (work_item_id)
),
links AS (
    SELECT
        d.predecessor_id,
        d.successor_id,
        d.link_type,
        CAST(round(coalesce(d.lag_hours, 0) / 8) AS BIGINT) AS lag_days
    FROM core.dependencies AS d
    JOIN items AS p ON p.work_item_id = d.predecessor_id
    WHERE p.status IS DISTINCT FROM 'cancelled'
      AND NOT (d.predecessor_id IN (SELECT work_item_id FROM intermediate.dependency_cycles)
               AND d.successor_id IN (SELECT work_item_id FROM intermediate.dependency_cycles))
),
-- Candidate pushes: every item starts unpushed; a predecessor pushed by p days forecasts its start
-- p later (unless started) and its finish at the later of its own forecast and plan + p.
-- via_project_id: the nearest other project up the chain that caused the push.
pushes(work_item_id, push_days, via_project_id) AS (
    SELECT work_item_id, CAST(0 AS BIGINT), CAST(NULL AS VARCHAR) FROM items
    UNION
    SELECT
        s.work_item_id,
        link_push(l.link_type, l.lag_days,
                  CASE WHEN p.is_closed OR p.is_started THEN p.own_start ELSE p.own_start + r.push_days END,
                  CASE WHEN p.is_closed THEN p.own_finish ELSE greatest(p.own_finish, p.plan_finish + r.push_days) END,
                  s.plan_start, s.plan_finish),
        CASE WHEN p.project_id <> s.project_id THEN p.project_id ELSE r.via_project_id END
    FROM pushes AS r
    JOIN links AS l ON l.predecessor_id = r.work_item_id
    JOIN items AS p ON p.work_item_id = l.predecessor_id
    JOIN items AS s ON s.work_item_id = l.successor_id
    WHERE NOT s.is_closed
      AND link_push(l.link_type, l.lag_days,
                    CASE WHEN p.is_closed OR p.is_started THEN p.own_start ELSE p.own_start + r.push_days END,
                    CASE WHEN p.is_closed THEN p.own_finish ELSE greatest(p.own_finish, p.plan_finish + r.push_days) END,
                    s.plan_start, s.plan_finish) BETWEEN 1 AND 10000
),
-- The largest push wins; among equal pushes, the first other project by id (min skips NULL).
best AS (
    SELECT r.work_item_id, r.push_days, min(r.via_project_id) AS via_project_id
    FROM pushes AS r
    JOIN (SELECT work_item_id, max(push_days) AS push_days FROM pushes GROUP BY work_item_id) AS x
        USING (work_item_id, push_days)
    GROUP BY r.work_item_id, r.push_days
)
SELECT
    i.work_item_id,
    i.project_id,
    b.push_days,
    CASE WHEN b.push_days > 0 THEN b.via_project_id END AS pushed_by_project_id,
    -- Unpushed items keep their own dates as written (a weekend date stays as it is).
    CASE WHEN b.push_days = 0 OR i.is_started THEN i.start_date ELSE wd_date(i.own_start + b.push_days) END
        AS forecast_start,
    CASE WHEN b.push_days = 0 THEN i.finish_date
         ELSE greatest(i.finish_date, wd_date(i.plan_finish + b.push_days)) END AS forecast_finish,
    i.work_item_id IN (SELECT work_item_id FROM intermediate.dependency_cycles) AS is_in_cycle
FROM items AS i
JOIN best AS b USING (work_item_id)
