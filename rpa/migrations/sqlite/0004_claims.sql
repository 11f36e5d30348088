-- How many times an instance has taken each run to work it: a run taken for the first time has
-- no steps to read back. Runs recorded before have been taken at least once if they have steps.
ALTER TABLE workflow_runs ADD COLUMN claims BIGINT NOT NULL DEFAULT 0;
UPDATE workflow_runs SET claims = 1 WHERE EXISTS (SELECT 1 FROM workflow_steps WHERE workflow_steps.run_id = workflow_runs.id);
