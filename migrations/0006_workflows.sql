-- Workflows: a DAG of prompt and transform steps (src/features/workflows/README.md).
-- A run snapshots the definition it ran, so editing a workflow never changes a run in flight or its history.
CREATE TABLE workflows (
  id                  text PRIMARY KEY,
  organization_id     text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  definition          jsonb NOT NULL,
  -- 1 on create, +1 on every update; a run records the version it ran
  version             integer NOT NULL DEFAULT 1,
  created_by_user_id  text REFERENCES users(id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);
CREATE INDEX workflows_org_idx ON workflows (organization_id, updated_at DESC, id DESC);

CREATE TABLE workflow_runs (
  id                  text PRIMARY KEY,
  organization_id     text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  -- deleting a workflow deletes its run history (refused while a run is active); executions are kept
  workflow_id         text NOT NULL REFERENCES workflows(id) ON DELETE CASCADE,
  workflow_version    integer NOT NULL,
  -- the definition as run, prompt steps pinned to the version their label (or latest) meant at start
  definition          jsonb NOT NULL,
  inputs              jsonb NOT NULL DEFAULT '{}',
  status              text NOT NULL DEFAULT 'queued'
                      CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  -- a string, or an object of strings, as the definition's output template says
  output              jsonb,
  error               jsonb,
  job_id              text,
  cancel_requested    boolean NOT NULL DEFAULT false,
  created_by_user_id  text REFERENCES users(id) ON DELETE SET NULL,
  created_by_api_key_id text REFERENCES api_keys(id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  started_at          timestamptz,
  finished_at         timestamptz
);
CREATE INDEX workflow_runs_workflow_idx ON workflow_runs (organization_id, workflow_id, created_at DESC, id DESC);
-- The active-runs gauge counts this index only: it holds just the queued and running rows.
CREATE INDEX workflow_runs_active_idx ON workflow_runs (organization_id) WHERE status IN ('queued', 'running');

CREATE TABLE workflow_step_runs (
  id                  text PRIMARY KEY,
  run_id              text NOT NULL REFERENCES workflow_runs(id) ON DELETE CASCADE,
  organization_id     text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  step_id             text NOT NULL,
  status              text NOT NULL DEFAULT 'pending'
                      CHECK (status IN ('pending', 'running', 'succeeded', 'failed', 'skipped', 'cancelled')),
  -- the attempt in progress or last made; a prompt step's attempt N calls with key wf:{run}:{step}:{N}
  attempts            integer NOT NULL DEFAULT 0,
  output              text,
  error               jsonb,
  -- the last attempt's execution (prompt steps only)
  execution_id        text,
  latency_ms          integer,
  tokens_input        integer NOT NULL DEFAULT 0,
  tokens_output       integer NOT NULL DEFAULT 0,
  cost_usd            numeric(24, 12) NOT NULL DEFAULT 0,
  started_at          timestamptz,
  finished_at         timestamptz,
  UNIQUE (run_id, step_id)
);
