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
