-- Sheets skipped as not plans, with the rule that decided.
SELECT
    source_id,
    file || ', sheet ''' || sheet || '''' AS location,
    rule,
    note AS detail
FROM raw.this__sheet_notes
