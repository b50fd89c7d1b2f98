-- The test connector of test_contract_kit.py: one work item per line.
SELECT source_id, task_id AS source_key, 'lines' AS project_source_key, name, due AS due_date
FROM raw.this__tasks
