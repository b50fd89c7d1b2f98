-- Reported status and the watermelon check (issue #10 rule 3).

-- What a project reports, read as RAG: green/on track, amber/at risk, red/off track; else NULL.
CREATE OR REPLACE MACRO reported_rag(status) AS (
    CASE
        WHEN lower(trim(status)) IN ('green', 'g', 'on track', 'ok') THEN 'green'
        WHEN lower(trim(status)) IN ('amber', 'a', 'yellow', 'at risk') THEN 'amber'
        WHEN lower(trim(status)) IN ('red', 'r', 'off track') THEN 'red'
    END);

-- The rules a RAG's reasons name, without their numbers ('SPI 0.87 below 0.9' -> 'SPI # below #'),
-- sorted, so that two snapshots firing the same rules compare equal whatever the numbers did.
CREATE OR REPLACE MACRO rag_rules(reasons) AS (
    list_sort(list_distinct(list_transform(
        list_filter(string_split(coalesce(reasons, ''), '; '), lambda r: r <> ''),
        lambda r: regexp_replace(r, '[0-9]+(\.[0-9]+)?', '#', 'g')))));
