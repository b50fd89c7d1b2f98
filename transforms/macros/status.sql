-- The canonical status rules every model shares.

-- Open: not done and not cancelled. An unmapped (NULL) status counts as open: nobody said it finished.
CREATE OR REPLACE MACRO is_open(status) AS (coalesce(status NOT IN ('done', 'cancelled'), true));

-- In scope: everything but cancelled items, which leave every completion denominator and effort sum.
CREATE OR REPLACE MACRO in_scope(status) AS (status IS DISTINCT FROM 'cancelled');

-- Forecast finish: a closed item finished when it finished (closed_finish); an open item cannot
-- finish before today, so it forecasts its open_finish, or today when that has passed.
CREATE OR REPLACE MACRO forecast_finish(status, closed_finish, open_finish, today) AS (
    CASE WHEN is_open(status) THEN greatest(open_finish, today) ELSE closed_finish END);

-- A log entry (risk, issue, RAID entry) is open unless its status, as written, says it is over.
CREATE OR REPLACE MACRO is_open_entry(status_written) AS (
    lower(trim(coalesce(status_written, 'open')))
        NOT IN ('closed', 'done', 'resolved', 'cancelled', 'canceled', 'retired', 'complete', 'completed'));
