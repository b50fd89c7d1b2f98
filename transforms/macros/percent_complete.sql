-- Percent complete: sums first, ratios after, on the basis the program (else rules) chose.

-- earned as a percent (0-100) of total; NULL when there is no total to measure against.
CREATE OR REPLACE MACRO pct(earned, total) AS (100.0 * earned / nullif(total, 0));

-- The basis actually used: 'auto' means work where the items carry work estimates, else count.
CREATE OR REPLACE MACRO resolve_basis(basis, work_hours_total) AS (
    CASE basis
        WHEN 'auto' THEN CASE WHEN work_hours_total > 0 THEN 'work' ELSE 'count' END
        ELSE basis
    END);

-- The percent complete on the chosen basis (anything but work, duration or points is count).
CREATE OR REPLACE MACRO pct_on_basis(basis, pct_work, pct_duration, pct_points, pct_count) AS (
    CASE basis
        WHEN 'work' THEN pct_work
        WHEN 'duration' THEN pct_duration
        WHEN 'points' THEN pct_points
        ELSE pct_count
    END);
