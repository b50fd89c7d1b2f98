-- Programs from the portfolio config, plus `unassigned` for projects a source holds that no
-- program lists (the line of sight covers every project, configured or not).
SELECT program_id, name, owner, pct_complete_basis
FROM config.programs
UNION ALL
SELECT 'unassigned', 'Unassigned projects', NULL, NULL
