-- Working-day arithmetic (Monday-Friday), with no row expansion so it stays cheap on millions of rows.

-- Monday-Friday dates in [a, b] for a <= b: whole weeks give five each; the remaining days are a
-- run starting at weekday e (0 = Monday) that may wrap once.
CREATE OR REPLACE MACRO weekdays_in(a, b) AS (
    ((b - a + 1) // 7) * 5
    + greatest(0, least(5, (isodow(a) - 1) + (b - a + 1) % 7) - least(5, isodow(a) - 1))
    + greatest(0, least(12, (isodow(a) - 1) + (b - a + 1) % 7) - 7));

-- Monday-Friday dates in [a, b]; negative, counting [b, a), when b is before a.
CREATE OR REPLACE MACRO working_days(a, b) AS (
    CASE WHEN a IS NULL OR b IS NULL THEN NULL
         WHEN b < a THEN -weekdays_in(b, a - 1)
         ELSE weekdays_in(a, b)
    END);

-- Signed working days from a to b, not counting a itself: 0 when equal.
CREATE OR REPLACE MACRO working_days_between(a, b) AS (
    CASE WHEN a IS NULL OR b IS NULL THEN NULL
         WHEN b > a THEN weekdays_in(a + 1, b)
         WHEN b < a THEN -weekdays_in(b + 1, a)
         ELSE 0
    END);
