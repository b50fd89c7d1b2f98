-- Deterministic choices (issue #10 rule 12): the same inputs give the same answer on every run.

-- The most common non-NULL value of a list; a tie goes to the value that sorts first (mode() picks
-- any of the tied values, which could differ between runs).
CREATE OR REPLACE MACRO stable_mode(xs) AS (
    list_sort(list_transform(list_distinct(xs),
        lambda v: {'n': -len(list_filter(xs, lambda y: y = v)), 'v': v}))[1].v);

-- A sum of DOUBLE values that does not depend on the order the rows are added in (a float sum does,
-- in its last bits, and DuckDB's threads add in any order): each value is taken at 10 decimal
-- places and added exactly as a DECIMAL, so two runs on the same inputs give the same bits. Hours,
-- points, costs and weights are far inside its 28 integer digits (the connectors bound them).
CREATE OR REPLACE MACRO exact_sum(x) AS (CAST(sum(CAST(x AS DECIMAL(38, 10))) AS DOUBLE));
