-- 'Today' of the run for every rollup: the config's as_of, else today in the portfolio time zone
-- (written to meta.run by the config asset).
CREATE OR REPLACE MACRO as_of() AS (SELECT as_of FROM meta.run);
