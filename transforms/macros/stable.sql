-- Deterministic choices (issue #10 rule 12): the same inputs give the same answer on every run.

-- The most common non-NULL value of a list; a tie goes to the value that sorts first (mode() picks
-- any of the tied values, which could differ between runs).
CREATE OR REPLACE MACRO stable_mode(xs) AS (
    list_sort(list_transform(list_distinct(xs),
        lambda v: {'n': -len(list_filter(xs, lambda y: y = v)), 'v': v}))[1].v);
