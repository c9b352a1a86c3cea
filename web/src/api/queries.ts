import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { pollWhileActive } from "../lib/progress";
import { api } from "./client";
import type {
  ApiKey,
  Dataset,
  DatasetItem,
  EvaluationComparison,
  EvaluationResult,
  EvaluationRun,
  EvaluationRunDetail,
  Execution,
  ExecutionDetail,
  List,
  Me,
  Member,
  Model,
  Organization,
  Page,
  Prompt,
  PromptVersion,
  PromptWithVersion,
  RunStatus,
  Workflow,
  WorkflowRun,
  WorkflowRunDetail,
} from "./types";

/** Query keys in one place, so a mutation invalidates exactly what it changed. */
export const keys = {
  models: ["models"] as const,
  prompts: ["prompts"] as const,
  promptList: (search: string) => ["prompts", "list", search] as const,
  prompt: (id: string) => ["prompts", "one", id] as const,
  versions: (id: string) => ["prompts", "one", id, "versions"] as const,
  version: (id: string, v: number) => ["prompts", "one", id, "versions", v] as const,
  executions: ["executions"] as const,
  executionList: (filters: ExecutionFilters) => ["executions", "list", filters] as const,
  execution: (id: string) => ["executions", "one", id] as const,
  apiKeys: ["api-keys"] as const,
  members: ["members"] as const,
  organization: ["organization"] as const,
  datasets: ["datasets"] as const,
  datasetList: ["datasets", "list"] as const,
  dataset: (id: string) => ["datasets", "one", id] as const,
  datasetItems: (id: string) => ["datasets", "one", id, "items"] as const,
  evaluations: ["evaluations"] as const,
  evaluationList: (filters: EvaluationFilters) => ["evaluations", "list", filters] as const,
  evaluation: (id: string) => ["evaluations", "one", id] as const,
  evaluationResults: (id: string, filters: ResultFilters) =>
    ["evaluations", "one", id, "results", filters] as const,
  evaluationCompare: (id: string, q: CompareQuery) => ["evaluations", "one", id, "compare", q] as const,
  workflows: ["workflows"] as const,
  workflowList: (search: string) => ["workflows", "list", search] as const,
  workflow: (id: string) => ["workflows", "one", id] as const,
  workflowRuns: (id: string) => ["workflows", "one", id, "runs"] as const,
  workflowRun: (runId: string) => ["workflows", "run", runId] as const,
};

export async function fetchMe(): Promise<Me | null> {
  try {
    return await api<Me>("/api/v1/me");
  } catch (err) {
    // 401 is an answer here, not an error: nobody is signed in.
    if (err instanceof Error && "status" in err && err.status === 401) return null;
    throw err;
  }
}

export function useModels() {
  return useQuery({
    queryKey: keys.models,
    queryFn: ({ signal }) => api<List<Model>>("/api/v1/models", { signal }),
    staleTime: 5 * 60_000,
    select: (r) => r.data,
  });
}

export function usePromptList(search: string) {
  return useInfiniteQuery({
    queryKey: keys.promptList(search),
    queryFn: ({ pageParam, signal }) =>
      api<Page<Prompt>>("/api/v1/prompts", {
        query: { search: search || undefined, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

/** Up to 200 prompts for pickers (playground, execution filters). */
export function usePromptOptions(enabled = true) {
  return useQuery({
    queryKey: [...keys.prompts, "options"],
    queryFn: ({ signal }) => api<Page<Prompt>>("/api/v1/prompts", { query: { limit: 200 }, signal }),
    select: (r) => r.data,
    enabled,
  });
}

export function usePrompt(id: string | null) {
  return useQuery({
    queryKey: keys.prompt(id ?? ""),
    queryFn: ({ signal }) =>
      api<PromptWithVersion>(`/api/v1/prompts/${encodeURIComponent(id ?? "")}`, { signal }),
    enabled: !!id,
  });
}

export function useVersions(id: string | null) {
  return useQuery({
    queryKey: keys.versions(id ?? ""),
    queryFn: ({ signal }) =>
      api<List<PromptVersion>>(`/api/v1/prompts/${encodeURIComponent(id ?? "")}/versions`, { signal }),
    select: (r) => r.data,
    enabled: !!id,
  });
}

export interface ExecutionFilters {
  prompt_id?: string;
  model?: string;
  status?: string;
  source?: string;
  /** "1h" | "24h" | "7d" | "30d" — resolved to a `from` time when the page is fetched */
  since?: string;
}

const SINCE_MS: Record<string, number> = {
  "1h": 3_600_000,
  "24h": 86_400_000,
  "7d": 7 * 86_400_000,
  "30d": 30 * 86_400_000,
};

export function useExecutionList(filters: ExecutionFilters) {
  return useInfiniteQuery({
    queryKey: keys.executionList(filters),
    queryFn: ({ pageParam, signal }) => {
      const { since, ...rest } = filters;
      const ms = since ? SINCE_MS[since] : undefined;
      return api<Page<Execution>>("/api/v1/executions", {
        query: {
          ...rest,
          from: ms ? new Date(Date.now() - ms).toISOString() : undefined,
          cursor: pageParam,
          limit: 50,
        },
        signal,
      });
    },
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useExecution(id: string) {
  return useQuery({
    queryKey: keys.execution(id),
    queryFn: ({ signal }) => api<ExecutionDetail>(`/api/v1/executions/${encodeURIComponent(id)}`, { signal }),
  });
}

export function useApiKeys(enabled = true) {
  return useQuery({
    queryKey: keys.apiKeys,
    queryFn: ({ signal }) => api<List<ApiKey>>("/api/v1/api-keys", { signal }),
    select: (r) => r.data,
    enabled,
  });
}

export function useMembers() {
  return useQuery({
    queryKey: keys.members,
    queryFn: ({ signal }) => api<List<Member>>("/api/v1/members", { signal }),
    select: (r) => r.data,
  });
}

export function useOrganization() {
  return useQuery({
    queryKey: keys.organization,
    queryFn: ({ signal }) => api<Organization>("/api/v1/organization", { signal }),
  });
}

/* Evaluations */

const enc = encodeURIComponent;

/** Up to 200 datasets: the list page and the pickers. */
export function useDatasetList() {
  return useQuery({
    queryKey: keys.datasetList,
    queryFn: ({ signal }) => api<Page<Dataset>>("/api/v1/datasets", { query: { limit: 200 }, signal }),
    select: (r) => r.data,
  });
}

export function useDataset(id: string) {
  return useQuery({
    queryKey: keys.dataset(id),
    queryFn: ({ signal }) => api<Dataset>(`/api/v1/datasets/${enc(id)}`, { signal }),
    enabled: !!id,
  });
}

export function useDatasetItems(id: string) {
  return useInfiniteQuery({
    queryKey: keys.datasetItems(id),
    queryFn: ({ pageParam, signal }) =>
      api<Page<DatasetItem>>(`/api/v1/datasets/${enc(id)}/items`, {
        query: { cursor: pageParam, limit: 100 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    enabled: !!id,
  });
}

export interface EvaluationFilters {
  status?: string;
  dataset_id?: string;
}

const anyActive = (runs: Array<{ status: RunStatus }> | undefined) =>
  runs?.some((r) => r.status === "queued" || r.status === "running") ?? false;

/** Runs, newest first; refreshed every 2 s while one of them is queued or running. */
export function useEvaluationList(filters: EvaluationFilters, enabled = true) {
  return useInfiniteQuery({
    queryKey: keys.evaluationList(filters),
    queryFn: ({ pageParam, signal }) =>
      api<Page<EvaluationRun>>("/api/v1/evaluations", {
        query: { ...filters, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: (q) => (anyActive(q.state.data?.pages.flatMap((p) => p.data)) ? 2000 : false),
    enabled,
  });
}

/** A run with its progress and aggregates: polled every second while it is queued or running. */
export function useEvaluationRun(id: string) {
  return useQuery({
    queryKey: keys.evaluation(id),
    queryFn: ({ signal }) => api<EvaluationRunDetail>(`/api/v1/evaluations/${enc(id)}`, { signal }),
    refetchInterval: (q) => pollWhileActive(q.state.data?.status),
    staleTime: 0,
  });
}

export interface ResultFilters {
  model?: string;
  prompt_version_id?: string;
  passed?: "true" | "false";
}

export function useEvaluationResults(id: string, filters: ResultFilters, live: boolean) {
  return useInfiniteQuery({
    queryKey: keys.evaluationResults(id, filters),
    queryFn: ({ pageParam, signal }) =>
      api<Page<EvaluationResult>>(`/api/v1/evaluations/${enc(id)}/results`, {
        query: { ...filters, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
    refetchInterval: live ? 2000 : false,
  });
}

export interface CompareQuery {
  base_run?: string;
  base_model?: string;
  head_model?: string;
  base_prompt_version_id?: string;
  head_prompt_version_id?: string;
}

export function useEvaluationCompare(id: string, q: CompareQuery | null) {
  return useQuery({
    queryKey: keys.evaluationCompare(id, q ?? {}),
    queryFn: ({ signal }) =>
      api<EvaluationComparison>(`/api/v1/evaluations/${enc(id)}/compare`, { query: { ...q }, signal }),
    enabled: q !== null,
  });
}

/* Workflows */

export function useWorkflowList(search: string) {
  return useInfiniteQuery({
    queryKey: keys.workflowList(search),
    queryFn: ({ pageParam, signal }) =>
      api<Page<Workflow>>("/api/v1/workflows", {
        query: { search: search || undefined, cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    placeholderData: keepPreviousData,
  });
}

export function useWorkflow(id: string) {
  return useQuery({
    queryKey: keys.workflow(id),
    queryFn: ({ signal }) => api<Workflow>(`/api/v1/workflows/${enc(id)}`, { signal }),
    enabled: !!id,
  });
}

/** A workflow's runs, newest first; refreshed every 2 s while one is queued or running. */
export function useWorkflowRuns(id: string, enabled = true) {
  return useInfiniteQuery({
    queryKey: keys.workflowRuns(id),
    queryFn: ({ pageParam, signal }) =>
      api<Page<WorkflowRun>>(`/api/v1/workflows/${enc(id)}/runs`, {
        query: { cursor: pageParam, limit: 50 },
        signal,
      }),
    initialPageParam: undefined as string | undefined,
    getNextPageParam: (last) => last.next_cursor ?? undefined,
    refetchInterval: (q) => (anyActive(q.state.data?.pages.flatMap((p) => p.data)) ? 2000 : false),
    enabled: enabled && !!id,
  });
}

/** A run with its steps and DAG: polled every second while it is queued or running. */
export function useWorkflowRun(runId: string) {
  return useQuery({
    queryKey: keys.workflowRun(runId),
    queryFn: ({ signal }) => api<WorkflowRunDetail>(`/api/v1/workflows/runs/${enc(runId)}`, { signal }),
    refetchInterval: (q) => pollWhileActive(q.state.data?.status),
    staleTime: 0,
  });
}
