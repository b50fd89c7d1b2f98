-- RAG for BI tools that sort and colour by number: one rank and one colour per RAG, everywhere.

-- red 3, amber 2, green 1, unknown (or anything else) 0: ORDER BY rag_rank DESC puts the worst first.
CREATE OR REPLACE MACRO rag_rank(rag) AS (
    CAST(CASE rag WHEN 'red' THEN 3 WHEN 'amber' THEN 2 WHEN 'green' THEN 1 ELSE 0 END AS INTEGER));

-- Hex colours: red #D32F2F, amber #F9A825, green #388E3C, unknown grey #9E9E9E.
CREATE OR REPLACE MACRO rag_colour(rag) AS (
    CASE rag WHEN 'red' THEN '#D32F2F' WHEN 'amber' THEN '#F9A825' WHEN 'green' THEN '#388E3C' ELSE '#9E9E9E' END);

-- A list as one comma-joined text, for tools that cannot show lists; '' for an empty list.
CREATE OR REPLACE MACRO list_text(items) AS (coalesce(array_to_string(items, ', '), ''));
