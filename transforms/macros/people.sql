-- How a person's name is compared across sources and the config: accents and case folded, every
-- run of other characters one space (José Núñez = Jose Nunez = JOSE  NUÑEZ = jose.nunez).
CREATE OR REPLACE MACRO person_name_key(name) AS (
    trim(regexp_replace(strip_accents(lower(name)), '[^a-z0-9]+', ' ', 'g')));
