import { MutationCache, QueryCache, QueryClient } from "@tanstack/react-query";
import { isApiError } from "./client";

export const ME_KEY = ["me"] as const;

/**
 * One QueryClient for the app. A 401 from any call means the session ended (expired, logged out in
 * another tab): re-checking /me sends the person back to the login form instead of leaving a page of
 * errors. Client errors are not retried; they will not change on their own.
 */
export function createQueryClient(): QueryClient {
  const client: QueryClient = new QueryClient({
    queryCache: new QueryCache({
      onError: (err, query) => {
        if (isApiError(err) && err.status === 401 && query.queryKey[0] !== ME_KEY[0]) {
          void client.invalidateQueries({ queryKey: ME_KEY });
        }
      },
    }),
    mutationCache: new MutationCache({
      onError: (err) => {
        if (isApiError(err) && err.status === 401) void client.invalidateQueries({ queryKey: ME_KEY });
      },
    }),
    defaultOptions: {
      queries: {
        staleTime: 10_000,
        refetchOnWindowFocus: false,
        retry: (count, err) => {
          if (isApiError(err) && err.status >= 400 && err.status < 500) return false;
          return count < 1;
        },
      },
      mutations: { retry: false },
    },
  });
  return client;
}
