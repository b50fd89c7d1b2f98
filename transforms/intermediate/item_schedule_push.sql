-- Slip through chains: how many working days each work item is pushed past its own plan by its
-- predecessors' forecasts (docs/metrics.md, "Slip through chains"). Each link's push is
-- link_push(): FS start >= the working day after the predecessor's finish + lag, SS start >= start
-- + lag, FF finish >= finish + lag, SF finish >= start + lag, lag in working days (8 h each). The
-- push runs transitively down the chain (a recursive query over the links, keeping the largest
-- push per item). Links inside a dependency cycle (intermediate.dependency_cycles; marts.data_quality
-- reports it) are not followed. A push is capped at 10,000 working days (40 years) and rows are
-- kept once (UNION), so even a cycle longer than the 50 links the cycle search follows ends.
-- A done or cancelled item is never pushed, and a cancelled predecessor pushes nothing. An item
-- already started keeps its actual start; the push then moves its finish only.
WITH RECURSIVE items AS NOT MATERIALIZED (
    SELECT
        w.rowid AS node,
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
links AS NOT MATERIALIZED (
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
-- Pushes walk down the links from the items no followed link leads into. Before, every item
-- started a walk of its own (push 0), so on a chain each item got a row per item upstream of it -
-- quadratic, over a minute for 10,000 items; now a chain of n items costs n rows and these rows are
-- a subset of the old ones (same answers). Every item is reached, with push 0 where its predecessor
-- does not push it, so the items after it are too. A predecessor pushed by p days forecasts its
-- start p later (unless started) and its finish at the later of its own forecast and plan + p.
-- via_project_id: the nearest other project up the chain that caused the push (NULL at push 0).
-- Only items on a followed link take part (an item on none is unpushed, as its push-0 row said).
-- The recursion keeps every row it made, and the CTEs it reads, in memory that cannot spill, so
-- it runs on numbers: an item is its core.work_items row number (node), a project its place in id
-- order (so comparing numbers compares ids), and each link carries the few columns of both ends it
-- needs (edges, the one CTE kept in memory). A round is one join and a row three numbers; at 3M
-- items the text-keyed version needed over 1 GB.
projects AS (
    SELECT project_id, row_number() OVER (ORDER BY project_id) AS project
    FROM (SELECT DISTINCT project_id FROM core.work_items WHERE project_id IS NOT NULL)
),
edges AS MATERIALIZED (
    SELECT
        p.node AS predecessor, s.node AS successor, l.link_type, l.lag_days,
        p.is_closed AS p_closed, p.is_started AS p_started, p.own_start AS p_start, p.own_finish AS p_finish,
        p.plan_finish AS p_plan_finish, pp.project AS p_project,
        s.is_closed AS s_closed, s.plan_start AS s_plan_start, s.plan_finish AS s_plan_finish, sp.project AS s_project
    FROM links AS l
    JOIN items AS p ON p.work_item_id = l.predecessor_id
    JOIN items AS s ON s.work_item_id = l.successor_id
    LEFT JOIN projects AS pp ON pp.project_id = p.project_id
    LEFT JOIN projects AS sp ON sp.project_id = s.project_id
),
pushes(node, push_days, via_project) AS (
    SELECT DISTINCT predecessor, CAST(0 AS BIGINT), CAST(NULL AS BIGINT)
    FROM edges
    WHERE predecessor NOT IN (SELECT successor FROM edges)
    UNION
    SELECT
        c.node,
        CASE WHEN c.push_days > 0 AND NOT c.is_closed THEN least(c.push_days, 10000) ELSE 0 END,
        CASE WHEN c.push_days > 0 AND NOT c.is_closed THEN c.via_project END
    FROM (
        SELECT
            e.successor AS node,
            e.s_closed AS is_closed,
            link_push(e.link_type, e.lag_days,
                      CASE WHEN e.p_closed OR e.p_started THEN e.p_start ELSE e.p_start + r.push_days END,
                      CASE WHEN e.p_closed THEN e.p_finish ELSE greatest(e.p_finish, e.p_plan_finish + r.push_days) END,
                      e.s_plan_start, e.s_plan_finish) AS push_days,
            CASE WHEN e.p_project <> e.s_project THEN e.p_project ELSE r.via_project END AS via_project
        FROM pushes AS r
        JOIN edges AS e ON e.predecessor = r.node
    ) AS c
),
-- The largest push over every round wins, then the first other project by id. An item no walk
-- reaches (only inside a cycle too long for intermediate.dependency_cycles) is unpushed.
reached AS (
    SELECT
        node,
        max(push_days) AS push_days,
        arg_min_null(via_project, push_order(push_days, via_project)) AS via_project
    FROM pushes
    GROUP BY node
),
best AS (
    SELECT i.work_item_id, coalesce(r.push_days, 0) AS push_days, pr.project_id AS via_project_id
    FROM items AS i
    LEFT JOIN reached AS r USING (node)
    LEFT JOIN projects AS pr ON pr.project = r.via_project
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
