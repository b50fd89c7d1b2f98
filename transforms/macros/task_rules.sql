-- Earned-value and milestone rules per item (docs/metrics.md, rules 1 and 5 of issue #10).

-- In the performance measurement baseline: in scope with a baseline cost and both baseline dates.
-- BAC, PV, EV and AC are all taken over exactly these items, so SPI and CPI compare like with like.
CREATE OR REPLACE MACRO in_baseline(status, baseline_cost, baseline_start, baseline_finish) AS (
    in_scope(status) AND baseline_cost IS NOT NULL AND baseline_start IS NOT NULL AND baseline_finish IS NOT NULL);

-- The date an item is committed to: its due date (the deadline: MS Project Deadline, a spreadsheet
-- Due/Deadline column, Jira's due date); a milestone without one is held to its baseline finish;
-- else the planned finish.
CREATE OR REPLACE MACRO commitment_date(is_milestone, due_date, baseline_finish, planned_finish) AS (
    coalesce(due_date, CASE WHEN is_milestone THEN baseline_finish END, planned_finish));
