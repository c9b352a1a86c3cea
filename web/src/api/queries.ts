import { keepPreviousData, useInfiniteQuery, useQuery } from "@tanstack/react-query";
import { api } from "./client";
import type {
  ApiKey,
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
