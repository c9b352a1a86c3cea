-- Evaluations: datasets of items, runs of prompt versions × models over a dataset, and per-cell results.
-- Rules (src/features/evaluations/README.md): a dataset freezes when a run first uses it, so a run's results
-- stay reproducible; a run's executions are normal executions (run_id = the run, source 'evaluation').

CREATE TABLE datasets (
  id                      text PRIMARY KEY,
  organization_id         text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                    text NOT NULL,
  description             text NOT NULL DEFAULT '',
  item_count              integer NOT NULL DEFAULT 0,
  -- set by the first run that uses the dataset; from then on its items never change
  frozen_at               timestamptz,
  copied_from_dataset_id  text,
  created_by_user_id      text REFERENCES users(id) ON DELETE SET NULL,
  created_at              timestamptz NOT NULL DEFAULT now(),
  updated_at              timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);
CREATE INDEX datasets_org_created_idx ON datasets (organization_id, created_at DESC, id DESC);

CREATE TABLE dataset_items (
  id               text PRIMARY KEY,
  dataset_id       text NOT NULL REFERENCES datasets(id) ON DELETE CASCADE,
  organization_id  text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  -- 1-based order within the dataset (import order)
  position         integer NOT NULL,
  variables        jsonb NOT NULL DEFAULT '{}',
  expected         text,
  metadata         jsonb NOT NULL DEFAULT '{}',
  created_at       timestamptz NOT NULL DEFAULT now(),
  UNIQUE (dataset_id, position)
);

-- Belt and braces behind the service's 409: no item of a frozen dataset is added or changed.
-- (Deletes are left alone, so that deleting an organization can still cascade.)
CREATE FUNCTION dataset_items_frozen() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  IF (SELECT frozen_at FROM datasets WHERE id = NEW.dataset_id) IS NOT NULL THEN
    RAISE EXCEPTION 'dataset % is frozen (used by an evaluation run)', NEW.dataset_id
      USING ERRCODE = 'check_violation';
  END IF;
  RETURN NEW;
END;
$$;
CREATE TRIGGER dataset_items_no_change_when_frozen BEFORE INSERT OR UPDATE ON dataset_items
  FOR EACH ROW EXECUTE FUNCTION dataset_items_frozen();

CREATE TABLE evaluation_runs (
  id                     text PRIMARY KEY,
  organization_id        text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  -- no cascade: a dataset used by a run cannot be deleted
  dataset_id             text NOT NULL REFERENCES datasets(id),
  name                   text NOT NULL DEFAULT '',
  -- {targets: [{prompt_id, prompt_version_id, version}], models: [slug], evaluators: [spec], concurrency}
  config                 jsonb NOT NULL,
  status                 text NOT NULL DEFAULT 'queued'
                         CHECK (status IN ('queued', 'running', 'succeeded', 'failed', 'cancelled')),
  job_id                 text REFERENCES jobs(id) ON DELETE SET NULL,
  -- cells = items × targets × models; done counts finished cells, failed ones included
  total                  integer NOT NULL,
  done                   integer NOT NULL DEFAULT 0,
  failed                 integer NOT NULL DEFAULT 0,
  created_by_user_id     text REFERENCES users(id) ON DELETE SET NULL,
  created_by_api_key_id  text REFERENCES api_keys(id) ON DELETE SET NULL,
  error                  text,
  created_at             timestamptz NOT NULL DEFAULT now(),
  started_at             timestamptz,
  finished_at            timestamptz
);
CREATE INDEX evaluation_runs_org_created_idx ON evaluation_runs (organization_id, created_at DESC, id DESC);
CREATE INDEX evaluation_runs_dataset_idx ON evaluation_runs (dataset_id);

-- One row per cell (item × prompt version × model). The unique key is what makes a resumed run skip the
-- cells it already finished; the cell's execution carries the idempotency key
-- eval:{run}:{item}:{prompt_version}:{model}, so a cell interrupted after its model call reuses that call.
CREATE TABLE evaluation_results (
  id                 text PRIMARY KEY,
  run_id             text NOT NULL REFERENCES evaluation_runs(id) ON DELETE CASCADE,
  organization_id    text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  item_id            text NOT NULL REFERENCES dataset_items(id),
  position           integer NOT NULL,
  -- kept as plain ids: results outlive a deleted prompt
  prompt_version_id  text NOT NULL,
  model              text NOT NULL,
  execution_id       text,
  output             text,
  -- [{evaluator, type, score (0..1), passed, reasoning?}]
  scores             jsonb NOT NULL DEFAULT '[]',
  -- mean of the evaluator scores (0 for a failed cell)
  score              double precision NOT NULL,
  passed             boolean NOT NULL,
  latency_ms         integer,
  tokens_input       integer NOT NULL DEFAULT 0,
  tokens_output      integer NOT NULL DEFAULT 0,
  cost_usd           numeric(24, 12) NOT NULL DEFAULT 0,
  -- what the cell's LLM-judge calls cost (their own executions, attributed to the run)
  judge_cost_usd     numeric(24, 12) NOT NULL DEFAULT 0,
  error              text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (run_id, item_id, prompt_version_id, model)
);
CREATE INDEX evaluation_results_run_position_idx ON evaluation_results (run_id, position, id);
