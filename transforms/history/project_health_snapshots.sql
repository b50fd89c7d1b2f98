-- Daily snapshot of project health, for trends (burn-up, forecast drift, RAG over time).
SELECT as_of() AS snapshot_date, *
FROM marts.project_health
