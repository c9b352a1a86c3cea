import type { ColumnType, Generated, Insertable, Selectable } from "kysely";

/** Row types for Kysely. Keep in step with migrations/*.sql. NUMERIC columns come back as strings. */
type Timestamp = ColumnType<Date, Date | string | undefined, Date | string>;
type Numeric = ColumnType<string, string, string>;
type Json<T = unknown> = ColumnType<T, string, string>;

export interface OrganizationsTable {
  id: string;
  name: string;
  slug: string;
  tier: "free" | "pro" | "enterprise";
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface UsersTable {
  id: string;
  email: string;
  name: string;
  password_hash: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export type Role = "owner" | "admin" | "member" | "viewer";
export interface MembershipsTable {
  organization_id: string;
  user_id: string;
  role: Role;
  created_at: Timestamp;
}
export interface SessionsTable {
  id: string;
  user_id: string;
  organization_id: string | null;
  expires_at: Timestamp;
  ip: string | null;
  user_agent: string | null;
  created_at: Timestamp;
}
export interface ApiKeysTable {
  id: string;
  organization_id: string;
  name: string;
  prefix: string;
  key_hash: string;
  scopes: string[];
  created_by_user_id: string | null;
  expires_at: Timestamp | null;
  last_used_at: Timestamp | null;
  revoked_at: Timestamp | null;
  created_at: Timestamp;
}
export type ProviderKind = "openai" | "anthropic" | "gemini" | "openai-compatible";
export interface ProviderCredentialsTable {
  id: string;
  organization_id: string;
  provider: ProviderKind;
  name: string;
  base_url: string | null;
  secret_ciphertext: string;
  key_hint: string;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface ModelsTable {
  id: string;
  organization_id: string | null;
  slug: string;
  provider: ProviderKind | "mock";
  upstream_model: string;
  display_name: string;
  credential_id: string | null;
  supports_vision: boolean;
  supports_streaming: boolean;
  context_window: number;
  max_output_tokens: number;
  deprecated: Generated<boolean>;
  created_at: Timestamp;
}
export interface ModelPricesTable {
  id: string;
  model_id: string;
  organization_id: string | null;
  input_per_mtok: Numeric;
  output_per_mtok: Numeric;
  cached_input_per_mtok: Numeric;
  effective_from: Timestamp;
  created_at: Timestamp;
}
export interface PromptsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  tags: string[];
  latest_version: Generated<number>;
  created_by_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface PromptVersionsTable {
  id: string;
  prompt_id: string;
  organization_id: string;
  version: number;
  messages: Json;
  model: string;
  params: Json;
  variables: string[];
  commit_message: string;
  author_user_id: string | null;
  author_api_key_id: string | null;
  created_at: Timestamp;
}
export interface PromptLabelsTable {
  prompt_id: string;
  organization_id: string;
  label: string;
  version_id: string;
  updated_at: Timestamp;
}
export type ExecutionSource = "prompt" | "playground" | "gateway" | "evaluation" | "workflow";
export interface ExecutionsTable {
  id: string;
  organization_id: string;
  user_id: string | null;
  api_key_id: string | null;
  source: ExecutionSource;
  prompt_id: string | null;
  prompt_version_id: string | null;
  model_id: string | null;
  model: string;
  inputs: Json;
  messages: Json;
  params: Json;
  output: string | null;
  finish_reason: string | null;
  status: "succeeded" | "failed";
  error: Json | null;
  stream: boolean;
  latency_ms: number;
  ttft_ms: number | null;
  tokens_input: number;
  tokens_output: number;
  tokens_cached_input: number;
  tokens_reasoning: number;
  cost_usd: Numeric;
  request_id: string | null;
  idempotency_key: string | null;
  /** the evaluation or workflow run that made it (source says which) */
  run_id: string | null;
  created_at: Timestamp;
  completed_at: Timestamp;
}
export interface UsageRecordsTable {
  id: string;
  organization_id: string;
  user_id: string | null;
  api_key_id: string | null;
  execution_id: string;
  model_id: string | null;
  prompt_id: string | null;
  tokens_input: number;
  tokens_output: number;
  tokens_cached_input: number;
  tokens_reasoning: number;
  cost_usd: Numeric;
  price_id: string | null;
  recorded_at: Timestamp;
}
export interface AuditLogsTable {
  id: string;
  organization_id: string | null;
  actor_type: "user" | "api_key" | "system";
  actor_id: string | null;
  action: string;
  resource_type: string;
  resource_id: string | null;
  summary: Json;
  ip: string | null;
  user_agent: string | null;
  request_id: string | null;
  created_at: Timestamp;
}
export type JobStatus = "queued" | "running" | "succeeded" | "failed" | "dead" | "cancelled";
export interface JobProgress {
  done: number;
  total: number;
  failed: number;
}
export interface JobsTable {
  id: string;
  organization_id: string | null;
  kind: string;
  payload: Json;
  status: Generated<JobStatus>;
  attempts: Generated<number>;
  max_attempts: number;
  run_at: Timestamp;
  locked_by: string | null;
  locked_until: Timestamp | null;
  last_error: string | null;
  progress: Json<JobProgress>;
  cancel_requested: Generated<boolean>;
  created_at: Timestamp;
  updated_at: Timestamp;
  finished_at: Timestamp | null;
}
export type JobRow = Selectable<JobsTable>;

export type WorkflowRunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export type StepRunStatus = "pending" | "running" | "succeeded" | "failed" | "skipped" | "cancelled";
export interface WorkflowsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  definition: Json;
  version: Generated<number>;
  created_by_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export interface WorkflowRunsTable {
  id: string;
  organization_id: string;
  workflow_id: string;
  workflow_version: number;
  definition: Json;
  inputs: Json;
  status: Generated<WorkflowRunStatus>;
  output: Json | null;
  error: Json | null;
  job_id: string | null;
  cancel_requested: Generated<boolean>;
  created_by_user_id: string | null;
  created_by_api_key_id: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}
export interface WorkflowStepRunsTable {
  id: string;
  run_id: string;
  organization_id: string;
  step_id: string;
  status: Generated<StepRunStatus>;
  attempts: Generated<number>;
  output: string | null;
  error: Json | null;
  execution_id: string | null;
  latency_ms: number | null;
  tokens_input: Generated<number>;
  tokens_output: Generated<number>;
  cost_usd: ColumnType<string, string | undefined, string>;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}
export type WorkflowRow = Selectable<WorkflowsTable>;
export type WorkflowRunRow = Selectable<WorkflowRunsTable>;
export type StepRunRow = Selectable<WorkflowStepRunsTable>;

export interface DatasetsTable {
  id: string;
  organization_id: string;
  name: string;
  description: string;
  item_count: Generated<number>;
  frozen_at: Timestamp | null;
  copied_from_dataset_id: string | null;
  created_by_user_id: string | null;
  created_at: Timestamp;
  updated_at: Timestamp;
}
export type DatasetItemVariables = Record<string, string | number | boolean>;
export interface DatasetItemsTable {
  id: string;
  dataset_id: string;
  organization_id: string;
  position: number;
  variables: Json<DatasetItemVariables>;
  expected: string | null;
  metadata: Json<Record<string, unknown>>;
  created_at: Timestamp;
}
export type EvaluationRunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";
export interface EvaluationRunsTable {
  id: string;
  organization_id: string;
  dataset_id: string;
  name: string;
  config: Json;
  status: Generated<EvaluationRunStatus>;
  job_id: string | null;
  total: number;
  done: Generated<number>;
  failed: Generated<number>;
  created_by_user_id: string | null;
  created_by_api_key_id: string | null;
  error: string | null;
  created_at: Timestamp;
  started_at: Timestamp | null;
  finished_at: Timestamp | null;
}
export interface EvaluationResultsTable {
  id: string;
  run_id: string;
  organization_id: string;
  item_id: string;
  position: number;
  prompt_version_id: string;
  model: string;
  execution_id: string | null;
  output: string | null;
  scores: Json;
  score: number;
  passed: boolean;
  latency_ms: number | null;
  tokens_input: number;
  tokens_output: number;
  cost_usd: Numeric;
  judge_cost_usd: Numeric;
  error: string | null;
  created_at: Timestamp;
}
export type DatasetRow = Selectable<DatasetsTable>;
export type DatasetItemRow = Selectable<DatasetItemsTable>;
export type EvaluationRunRow = Selectable<EvaluationRunsTable>;
export type EvaluationResultRow = Selectable<EvaluationResultsTable>;

export interface SchemaMigrationsTable {
  version: number;
  name: string;
  checksum: string;
  applied_at: Timestamp;
}

export interface Database {
  organizations: OrganizationsTable;
  users: UsersTable;
  memberships: MembershipsTable;
  sessions: SessionsTable;
  api_keys: ApiKeysTable;
  provider_credentials: ProviderCredentialsTable;
  models: ModelsTable;
  model_prices: ModelPricesTable;
  prompts: PromptsTable;
  prompt_versions: PromptVersionsTable;
  prompt_labels: PromptLabelsTable;
  executions: ExecutionsTable;
  usage_records: UsageRecordsTable;
  audit_logs: AuditLogsTable;
  jobs: JobsTable;
  workflows: WorkflowsTable;
  workflow_runs: WorkflowRunsTable;
  workflow_step_runs: WorkflowStepRunsTable;
  datasets: DatasetsTable;
  dataset_items: DatasetItemsTable;
  evaluation_runs: EvaluationRunsTable;
  evaluation_results: EvaluationResultsTable;
  schema_migrations: SchemaMigrationsTable;
}

export type Organization = Selectable<OrganizationsTable>;
export type User = Selectable<UsersTable>;
export type ApiKeyRow = Selectable<ApiKeysTable>;
export type ModelRow = Selectable<ModelsTable>;
export type PromptRow = Selectable<PromptsTable>;
export type PromptVersionRow = Selectable<PromptVersionsTable>;
export type ExecutionRow = Selectable<ExecutionsTable>;
export type NewExecution = Insertable<ExecutionsTable>;
