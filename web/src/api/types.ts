/** The API's response shapes, as documented by GET /api/v1/openapi.json. */

export type Permission =
  | "org:read"
  | "org:manage"
  | "prompts:read"
  | "prompts:write"
  | "executions:read"
  | "executions:run"
  | "models:read"
  | "models:manage"
  | "providers:read"
  | "providers:manage"
  | "keys:read"
  | "keys:manage"
  | "members:read"
  | "members:manage"
  | "audit:read"
  | "billing:manage";

export type Role = "owner" | "admin" | "member" | "viewer";
export const ROLES: readonly Role[] = ["owner", "admin", "member", "viewer"];

export type Tier = "free" | "pro" | "enterprise";

export interface Me {
  actor: { kind: string; id: string };
  user: { id: string; email: string; name: string } | null;
  organization_id: string | null;
  role: Role | null;
  permissions: Permission[];
  organizations: Array<{ id: string; name: string; slug: string; tier: Tier; role: Role }>;
}

export interface Organization {
  id: string;
  name: string;
  slug: string;
  tier: Tier;
  created_at: string;
}

export interface Member {
  user_id: string;
  email: string;
  name: string;
  role: Role;
  joined_at: string;
  /** only when the user was created now without a password; shown once */
  initial_password?: string;
}

export interface ApiKey {
  id: string;
  name: string;
  prefix: string;
  scopes: string[];
  created_by_user_id: string | null;
  expires_at: string | null;
  last_used_at: string | null;
  revoked_at: string | null;
  created_at: string;
}

export interface Model {
  id: string;
  slug: string;
  provider: string;
  upstream_model: string;
  display_name: string;
  scope: "global" | "organization";
  credential_id: string | null;
  capabilities: { vision: boolean; streaming: boolean; context_window: number; max_output_tokens: number };
  deprecated: boolean;
}

export type MessageRole = "system" | "user" | "assistant";
export type ContentPart = { type: "text"; text: string } | { type: string; [k: string]: unknown };
export interface Message {
  role: MessageRole;
  content: ContentPart[];
}
/** What the API accepts: content may be a plain string. */
export interface MessageInput {
  role: MessageRole;
  content: string | ContentPart[];
}

export interface Params {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  stop?: string[];
}

export interface PromptVersion {
  id: string;
  prompt_id: string;
  version: number;
  messages: Message[];
  model: string;
  params: Params;
  variables: string[];
  commit_message: string;
  author_user_id: string | null;
  author_api_key_id: string | null;
  created_at: string;
}

export interface Prompt {
  id: string;
  name: string;
  description: string;
  tags: string[];
  latest_version: number;
  /** label → version number */
  labels: Record<string, number>;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface PromptWithVersion extends Prompt {
  version: PromptVersion | null;
}

export interface Usage {
  input_tokens: number;
  output_tokens: number;
  cached_input_tokens: number;
  reasoning_tokens: number;
  total_tokens: number;
}

export type ExecutionStatus = "succeeded" | "failed";
export type ExecutionSource = "prompt" | "playground" | "gateway" | "evaluation" | "workflow";

export interface Execution {
  id: string;
  status: ExecutionStatus;
  source: string;
  model: string;
  prompt_id: string | null;
  prompt_version_id: string | null;
  output: string | null;
  finish_reason: string | null;
  usage: Usage;
  /** exact decimal USD string, e.g. "0.0000135": never parse it into a float */
  cost_usd: string;
  latency_ms: number;
  ttft_ms: number | null;
  stream: boolean;
  error: { code: string; message: string } | null;
  user_id: string | null;
  api_key_id: string | null;
  request_id: string | null;
  created_at: string;
  completed_at: string;
}

export interface ExecutionDetail extends Execution {
  inputs: Record<string, unknown>;
  messages: unknown[];
  params: Record<string, unknown>;
}

export interface Page<T> {
  data: T[];
  next_cursor: string | null;
}

export interface List<T> {
  data: T[];
}

/* Evaluations: datasets, runs, results, comparisons (src/features/evaluations/routes.ts). */

export interface Dataset {
  id: string;
  name: string;
  description: string;
  item_count: number;
  /** used by a run: items can no longer change (copy it to edit) */
  frozen: boolean;
  frozen_at: string | null;
  copied_from_dataset_id: string | null;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}

export interface DatasetItem {
  id: string;
  position: number;
  variables: Record<string, string | number | boolean>;
  expected: string | null;
  metadata: Record<string, unknown>;
}

export type DatasetFormat = "jsonl" | "csv";

/** One bad line of an imported file: the details of the import's 400. */
export interface LineError {
  line: number;
  message: string;
}

export type RunStatus = "queued" | "running" | "succeeded" | "failed" | "cancelled";

export interface RunProgress {
  /** cells finished, failed ones included */
  done: number;
  /** items × prompt versions × models */
  total: number;
  failed: number;
}

export interface EvaluationTarget {
  prompt_id: string;
  prompt_version_id: string;
  version: number;
}

export interface EvaluationRun {
  id: string;
  name: string;
  status: RunStatus;
  dataset_id: string;
  job_id: string | null;
  targets: EvaluationTarget[];
  models: string[];
  evaluators: Array<Record<string, unknown> & { name?: string; type?: string }>;
  concurrency: number;
  progress: RunProgress;
  error: string | null;
  created_by_user_id: string | null;
  created_by_api_key_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface EvaluationAggregate {
  prompt_id: string;
  prompt_version_id: string;
  version: number;
  model: string;
  items: number;
  completed: number;
  failed: number;
  passed: number;
  pass_rate: number | null;
  /** a failed cell scores 0 */
  mean_score: number | null;
  evaluators: Array<{ name: string; type: string; mean_score: number | null; pass_rate: number | null }>;
  latency_ms: { p50: number | null; p95: number | null };
  tokens: { input: number; output: number };
  /** exact decimal strings */
  cost_usd: { model: string; judge: string; total: string; per_item: string | null };
}

export interface EvaluationRunDetail extends EvaluationRun {
  /** exact decimal strings */
  cost_usd: { model: string; judge: string; total: string };
  aggregates: EvaluationAggregate[];
}

export interface EvaluatorScore {
  evaluator: string;
  type: string;
  score: number;
  passed: boolean;
  reasoning?: string;
}

export interface EvaluationResult {
  id: string;
  item_id: string;
  position: number;
  prompt_version_id: string;
  model: string;
  execution_id: string | null;
  output: string | null;
  scores: EvaluatorScore[];
  score: number;
  passed: boolean;
  latency_ms: number | null;
  tokens: { input: number; output: number };
  cost_usd: string;
  judge_cost_usd: string;
  error: string | null;
  created_at: string;
}

interface ComparisonSide {
  run_id: string;
  prompt_version_id: string;
  version: number;
  model: string;
}
interface SideScore {
  score: number;
  passed: boolean;
}
interface SideCell extends SideScore {
  output: string | null;
  error: string | null;
}
interface Rate {
  mean_score: number | null;
  pass_rate: number | null;
}

export interface EvaluationComparison {
  base: ComparisonSide;
  head: ComparisonSide;
  summary: {
    compared: number;
    /** items finished on one side only */
    missing: number;
    regressed: number;
    improved: number;
    unchanged: number;
    passed_to_failed: number;
    failed_to_passed: number;
    base: Rate;
    head: Rate;
  };
  regressions: Array<{
    item_id: string;
    position: number;
    reason: "passed_to_failed" | "score_dropped";
    delta: number;
    base: SideCell;
    head: SideCell;
  }>;
  items: Array<{
    item_id: string;
    position: number;
    base: SideScore;
    head: SideScore;
    delta: number;
    change: "regressed" | "improved" | "unchanged";
  }>;
}

/* Workflows (src/features/workflows/schemas.ts). */

export type WorkflowInputValue = string | number | boolean;

export interface WorkflowInputDef {
  name: string;
  description?: string;
  required?: boolean;
  default?: WorkflowInputValue;
}

/** A step as the API stores it; the console edits definitions as JSON, so the rest stays open. */
export interface WorkflowStepDef {
  id: string;
  type: "prompt" | "transform";
  prompt_id?: string;
  version?: number;
  label?: string;
  model?: string;
  op?: string;
  variables?: Record<string, string>;
  [key: string]: unknown;
}

export interface WorkflowDefinition {
  inputs?: WorkflowInputDef[];
  steps: WorkflowStepDef[];
  output: string | Record<string, string>;
  failure_policy?: "fail_fast" | "continue";
}

export interface Workflow {
  id: string;
  name: string;
  description: string;
  definition: WorkflowDefinition;
  version: number;
  created_by_user_id: string | null;
  created_at: string;
  updated_at: string;
}

export type StepStatus = "pending" | "running" | "succeeded" | "failed" | "skipped" | "cancelled";

interface WorkflowUsage {
  input_tokens: number;
  output_tokens: number;
  total_tokens: number;
}
interface WorkflowError {
  code: string;
  message: string;
  step?: string;
}

export interface WorkflowRun {
  id: string;
  workflow_id: string;
  workflow_version: number;
  status: RunStatus;
  inputs: Record<string, WorkflowInputValue>;
  output: string | Record<string, string> | null;
  error: WorkflowError | null;
  job_id: string | null;
  cancel_requested: boolean;
  usage: WorkflowUsage;
  /** exact decimal string */
  cost_usd: string;
  created_by_user_id: string | null;
  created_by_api_key_id: string | null;
  created_at: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface WorkflowStepRun {
  step_id: string;
  type: "prompt" | "transform";
  status: StepStatus;
  depends_on: string[];
  attempts: number;
  output: string | null;
  error: WorkflowError | null;
  execution_id: string | null;
  latency_ms: number | null;
  usage: WorkflowUsage;
  /** exact decimal string */
  cost_usd: string;
  started_at: string | null;
  finished_at: string | null;
}

export interface WorkflowGraph {
  nodes: Array<{
    id: string;
    type: "prompt" | "transform";
    label: string;
    status: StepStatus;
    level: number;
  }>;
  edges: Array<{ from: string; to: string }>;
}

export interface WorkflowRunDetail extends WorkflowRun {
  definition: WorkflowDefinition;
  steps: WorkflowStepRun[];
  graph: WorkflowGraph;
}

/** A problem with a workflow definition: the details of its 400 (zod's shape errors have no step). */
export interface DefinitionIssue {
  step?: string | null;
  path?: string;
  message: string;
}
