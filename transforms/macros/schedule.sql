-- Schedule arithmetic on working-day ordinals (Monday-Friday): a date becomes the count of working
-- days since Monday 1 January 1900, so "n working days later" is plain integer addition.

-- Working-day ordinal of a date; a Saturday or Sunday takes the ordinal of the Friday before it.
CREATE OR REPLACE MACRO wd_index(d) AS (
    ((CAST(d AS DATE) - DATE '1900-01-01') // 7) * 5 + least((CAST(d AS DATE) - DATE '1900-01-01') % 7, 4));

-- The date of a working-day ordinal (always a Monday-Friday).
CREATE OR REPLACE MACRO wd_date(i) AS (DATE '1900-01-01' + CAST((i // 5) * 7 + i % 5 AS INTEGER));

-- Working days a dependency pushes its successor past the successor's plan (0 when it does not),
-- every argument a working-day ordinal, lag in whole working days (negative = lead):
--   FS (and Jira 'blocks'): start >= the working day after the predecessor's finish, + lag
--   SS: start >= predecessor start + lag      FF: finish >= predecessor finish + lag
--   SF: finish >= predecessor start + lag     any other type (relates): no constraint.
CREATE OR REPLACE MACRO link_push(link_type, lag_days, pred_start, pred_finish, succ_start, succ_finish) AS (
    greatest(0, CASE upper(link_type)
        WHEN 'FS' THEN pred_finish + 1 + lag_days - succ_start
        WHEN 'BLOCKS' THEN pred_finish + 1 + lag_days - succ_start
        WHEN 'SS' THEN pred_start + lag_days - succ_start
        WHEN 'FF' THEN pred_finish + lag_days - succ_finish
        WHEN 'SF' THEN pred_start + lag_days - succ_finish
        ELSE 0
    END));

-- The working day nearest a date: a Saturday counts on the Friday before, a Sunday on the Monday after.
CREATE OR REPLACE MACRO nearest_working_day(d) AS (
    CAST(CASE isodow(d) WHEN 6 THEN d - 1 WHEN 7 THEN d + 1 ELSE d END AS DATE));

-- Which of several pushes of one item wins, as a sort key (smallest first): the largest push, then a
-- push caused by another project before one from inside the project, then the first project by id.
CREATE OR REPLACE MACRO push_order(push_days, via_project_id) AS (
    struct_pack(p := -push_days, n := via_project_id IS NULL, v := via_project_id));
