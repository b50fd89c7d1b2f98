-- The company strategy: objectives and the share of effort each is meant to get.
SELECT objective_id, name, target_share FROM config.objectives
