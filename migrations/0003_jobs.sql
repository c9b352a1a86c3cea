-- The durable job queue shared by evaluations, workflows and later scheduled jobs.
-- Claimed with FOR UPDATE SKIP LOCKED; a claim is a lease (locked_until) that the worker renews while it
-- works, so a job whose replica died is reclaimed once the lease lapses. See src/features/jobs/README.md.
CREATE TABLE jobs (
  id               text PRIMARY KEY,
  organization_id  text REFERENCES organizations(id) ON DELETE CASCADE,
  kind             text NOT NULL,
  payload          jsonb NOT NULL DEFAULT '{}',
  status           text NOT NULL DEFAULT 'queued'
                   CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'dead', 'cancelled')),
  attempts         integer NOT NULL DEFAULT 0,
  max_attempts     integer NOT NULL DEFAULT 5 CHECK (max_attempts >= 1),
  run_at           timestamptz NOT NULL DEFAULT now(),
  locked_by        text,
  locked_until     timestamptz,
  last_error       text,
  progress         jsonb NOT NULL DEFAULT '{"done": 0, "total": 0, "failed": 0}',
  cancel_requested boolean NOT NULL DEFAULT false,
  created_at       timestamptz NOT NULL DEFAULT now(),
  updated_at       timestamptz NOT NULL DEFAULT now(),
  finished_at      timestamptz
);
-- What a worker scans: runnable queued jobs, and running jobs whose lease may have lapsed.
CREATE INDEX jobs_claim_idx ON jobs (run_at) WHERE status = 'queued';
CREATE INDEX jobs_lease_idx ON jobs (locked_until) WHERE status = 'running';
CREATE INDEX jobs_org_idx ON jobs (organization_id, created_at DESC);
