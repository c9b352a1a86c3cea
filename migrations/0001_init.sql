-- Lectern base schema: tenancy, identity, providers, model catalog and prices, prompts,
-- executions, metering and audit. Ids are prefixed text (org_…, usr_…): see docs/adr/0003.
-- Money columns are NUMERIC, never float: see docs/adr/0004.

CREATE TABLE organizations (
  id          text PRIMARY KEY,
  name        text NOT NULL,
  slug        text NOT NULL UNIQUE,
  tier        text NOT NULL DEFAULT 'free' CHECK (tier IN ('free', 'pro', 'enterprise')),
  created_at  timestamptz NOT NULL DEFAULT now(),
  updated_at  timestamptz NOT NULL DEFAULT now()
);

CREATE TABLE users (
  id             text PRIMARY KEY,
  email          text NOT NULL,
  name           text NOT NULL DEFAULT '',
  password_hash  text,
  created_at     timestamptz NOT NULL DEFAULT now(),
  updated_at     timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX users_email_key ON users (lower(email));

CREATE TABLE memberships (
  organization_id  text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id          text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  role             text NOT NULL CHECK (role IN ('owner', 'admin', 'member', 'viewer')),
  created_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (organization_id, user_id)
);
CREATE INDEX memberships_user_idx ON memberships (user_id);

-- The session id is the SHA-256 of the cookie's token; the token itself is never stored.
CREATE TABLE sessions (
  id               text PRIMARY KEY,
  user_id          text NOT NULL REFERENCES users(id) ON DELETE CASCADE,
  organization_id  text REFERENCES organizations(id) ON DELETE SET NULL,
  expires_at       timestamptz NOT NULL,
  ip               text,
  user_agent       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_user_idx ON sessions (user_id);

CREATE TABLE api_keys (
  id                  text PRIMARY KEY,
  organization_id     text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                text NOT NULL,
  -- first characters of the key, shown in lists; not secret
  prefix              text NOT NULL,
  key_hash            text NOT NULL UNIQUE,
  scopes              text[] NOT NULL,
  created_by_user_id  text REFERENCES users(id) ON DELETE SET NULL,
  expires_at          timestamptz,
  last_used_at        timestamptz,
  revoked_at          timestamptz,
  created_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX api_keys_org_idx ON api_keys (organization_id, created_at DESC);

-- Provider credentials: the secret is AES-256-GCM ciphertext (see src/lib/crypto.ts); only key_hint is ever shown.
CREATE TABLE provider_credentials (
  id                 text PRIMARY KEY,
  organization_id    text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  provider           text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'gemini', 'openai-compatible')),
  name               text NOT NULL,
  base_url           text,
  secret_ciphertext  text NOT NULL,
  key_hint           text NOT NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  updated_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);

-- The model catalog. organization_id NULL = the global catalog; otherwise an org's own model
-- served by one of its openai-compatible credentials.
CREATE TABLE models (
  id                 text PRIMARY KEY,
  organization_id    text REFERENCES organizations(id) ON DELETE CASCADE,
  slug               text NOT NULL,
  provider           text NOT NULL CHECK (provider IN ('openai', 'anthropic', 'gemini', 'openai-compatible', 'mock')),
  upstream_model     text NOT NULL,
  display_name       text NOT NULL,
  credential_id      text REFERENCES provider_credentials(id) ON DELETE RESTRICT,
  supports_vision    boolean NOT NULL DEFAULT false,
  supports_streaming boolean NOT NULL DEFAULT true,
  context_window     integer NOT NULL,
  max_output_tokens  integer NOT NULL,
  deprecated         boolean NOT NULL DEFAULT false,
  created_at         timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX models_global_slug_key ON models (slug) WHERE organization_id IS NULL;
CREATE UNIQUE INDEX models_org_slug_key ON models (organization_id, slug) WHERE organization_id IS NOT NULL;

-- Effective-dated prices in USD per million tokens. An org's own row overrides the global one.
CREATE TABLE model_prices (
  id                       text PRIMARY KEY,
  model_id                 text NOT NULL REFERENCES models(id) ON DELETE CASCADE,
  organization_id          text REFERENCES organizations(id) ON DELETE CASCADE,
  input_per_mtok           numeric(18, 6) NOT NULL CHECK (input_per_mtok >= 0),
  output_per_mtok          numeric(18, 6) NOT NULL CHECK (output_per_mtok >= 0),
  cached_input_per_mtok    numeric(18, 6) NOT NULL CHECK (cached_input_per_mtok >= 0),
  effective_from           timestamptz NOT NULL,
  created_at               timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX model_prices_lookup_idx ON model_prices (model_id, organization_id, effective_from DESC);

CREATE TABLE prompts (
  id                  text PRIMARY KEY,
  organization_id     text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  name                text NOT NULL,
  description         text NOT NULL DEFAULT '',
  tags                text[] NOT NULL DEFAULT '{}',
  latest_version      integer NOT NULL DEFAULT 0,
  created_by_user_id  text REFERENCES users(id) ON DELETE SET NULL,
  created_at          timestamptz NOT NULL DEFAULT now(),
  updated_at          timestamptz NOT NULL DEFAULT now(),
  UNIQUE (organization_id, name)
);
CREATE INDEX prompts_org_idx ON prompts (organization_id, updated_at DESC);

-- Versions are immutable: the trigger below refuses any change to their content (author
-- columns may still be nulled when a user or key is deleted).
CREATE TABLE prompt_versions (
  id                 text PRIMARY KEY,
  prompt_id          text NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
  organization_id    text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  version            integer NOT NULL,
  messages           jsonb NOT NULL,
  model              text NOT NULL,
  params             jsonb NOT NULL DEFAULT '{}',
  variables          text[] NOT NULL DEFAULT '{}',
  commit_message     text NOT NULL DEFAULT '',
  author_user_id     text REFERENCES users(id) ON DELETE SET NULL,
  author_api_key_id  text REFERENCES api_keys(id) ON DELETE SET NULL,
  created_at         timestamptz NOT NULL DEFAULT now(),
  UNIQUE (prompt_id, version)
);

CREATE FUNCTION prompt_versions_immutable() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
  RAISE EXCEPTION 'prompt versions are immutable' USING ERRCODE = 'check_violation';
END;
$$;
CREATE TRIGGER prompt_versions_no_update BEFORE UPDATE ON prompt_versions
  FOR EACH ROW WHEN (OLD.messages IS DISTINCT FROM NEW.messages OR OLD.model IS DISTINCT FROM NEW.model
                     OR OLD.params IS DISTINCT FROM NEW.params OR OLD.version IS DISTINCT FROM NEW.version
                     OR OLD.prompt_id IS DISTINCT FROM NEW.prompt_id OR OLD.variables IS DISTINCT FROM NEW.variables)
  EXECUTE FUNCTION prompt_versions_immutable();

CREATE TABLE prompt_labels (
  prompt_id        text NOT NULL REFERENCES prompts(id) ON DELETE CASCADE,
  organization_id  text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  label            text NOT NULL,
  version_id       text NOT NULL REFERENCES prompt_versions(id) ON DELETE CASCADE,
  updated_at       timestamptz NOT NULL DEFAULT now(),
  PRIMARY KEY (prompt_id, label)
);

CREATE TABLE executions (
  id                 text PRIMARY KEY,
  organization_id    text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id            text REFERENCES users(id) ON DELETE SET NULL,
  api_key_id         text REFERENCES api_keys(id) ON DELETE SET NULL,
  source             text NOT NULL CHECK (source IN ('prompt', 'playground', 'gateway', 'evaluation', 'workflow')),
  prompt_id          text REFERENCES prompts(id) ON DELETE SET NULL,
  prompt_version_id  text REFERENCES prompt_versions(id) ON DELETE SET NULL,
  model_id           text REFERENCES models(id) ON DELETE SET NULL,
  model              text NOT NULL,
  inputs             jsonb NOT NULL DEFAULT '{}',
  messages           jsonb NOT NULL,
  params             jsonb NOT NULL DEFAULT '{}',
  output             text,
  finish_reason      text,
  status             text NOT NULL CHECK (status IN ('succeeded', 'failed')),
  error              jsonb,
  stream             boolean NOT NULL DEFAULT false,
  latency_ms         integer NOT NULL,
  ttft_ms            integer,
  tokens_input       integer NOT NULL DEFAULT 0,
  tokens_output      integer NOT NULL DEFAULT 0,
  tokens_cached_input integer NOT NULL DEFAULT 0,
  tokens_reasoning   integer NOT NULL DEFAULT 0,
  cost_usd           numeric(24, 12) NOT NULL DEFAULT 0,
  request_id         text,
  -- lets a retried caller (an evaluation item, a workflow step) reuse the execution it already made
  idempotency_key    text,
  created_at         timestamptz NOT NULL DEFAULT now(),
  completed_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX executions_org_created_idx ON executions (organization_id, created_at DESC, id DESC);
CREATE INDEX executions_org_prompt_idx ON executions (organization_id, prompt_id, created_at DESC);
CREATE UNIQUE INDEX executions_idempotency_key ON executions (organization_id, idempotency_key)
  WHERE idempotency_key IS NOT NULL;

-- The seed's metering table. cost_usd is NUMERIC(24,12) rather than the seed's DECIMAL(10,6),
-- so that sums over any volume are exact to the cent (docs/adr/0004).
CREATE TABLE usage_records (
  id                   text PRIMARY KEY,
  organization_id      text NOT NULL REFERENCES organizations(id) ON DELETE CASCADE,
  user_id              text REFERENCES users(id) ON DELETE SET NULL,
  api_key_id           text REFERENCES api_keys(id) ON DELETE SET NULL,
  execution_id         text NOT NULL REFERENCES executions(id) ON DELETE CASCADE,
  model_id             text REFERENCES models(id) ON DELETE SET NULL,
  prompt_id            text REFERENCES prompts(id) ON DELETE SET NULL,
  tokens_input         integer NOT NULL,
  tokens_output        integer NOT NULL,
  tokens_cached_input  integer NOT NULL DEFAULT 0,
  tokens_reasoning     integer NOT NULL DEFAULT 0,
  cost_usd             numeric(24, 12) NOT NULL,
  price_id             text REFERENCES model_prices(id) ON DELETE SET NULL,
  recorded_at          timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX usage_records_org_time_idx ON usage_records (organization_id, recorded_at);
CREATE UNIQUE INDEX usage_records_execution_key ON usage_records (execution_id);

CREATE TABLE audit_logs (
  id               text PRIMARY KEY,
  organization_id  text REFERENCES organizations(id) ON DELETE SET NULL,
  actor_type       text NOT NULL CHECK (actor_type IN ('user', 'api_key', 'system')),
  actor_id         text,
  action           text NOT NULL,
  resource_type    text NOT NULL,
  resource_id      text,
  summary          jsonb NOT NULL DEFAULT '{}',
  ip               text,
  user_agent       text,
  request_id       text,
  created_at       timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX audit_logs_org_time_idx ON audit_logs (organization_id, created_at DESC, id DESC);
