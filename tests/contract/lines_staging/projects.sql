SELECT DISTINCT source_id, 'lines' AS source_key, 'Lines' AS name FROM raw.this__tasks
