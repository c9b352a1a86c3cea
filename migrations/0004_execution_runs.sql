-- Executions made by an evaluation run or a workflow run point at it (source says which kind).
ALTER TABLE executions ADD COLUMN run_id text;
CREATE INDEX executions_org_run_idx ON executions (organization_id, run_id) WHERE run_id IS NOT NULL;
