-- Daily snapshot of project health, for trends (burn-up, forecast drift, RAG over time).
SELECT (SELECT as_of FROM meta.run) AS snapshot_date, *
FROM marts.project_health
