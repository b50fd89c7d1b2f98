-- Who is assigned to what, with units (1.0 = full time), hours and dates.
SELECT
    w.work_item_id,
    i.resource_id,
    a.units,
    a.work_hours,
    a.start,
    a.finish
FROM staging.assignments AS a
JOIN core.work_items AS w ON w.source_id = a.source_id AND w.source_key = a.work_item_key
JOIN core.resource_identities AS i ON i.source_id = a.source_id AND i.source_key = a.resource_key
