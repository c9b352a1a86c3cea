import type { ReactNode } from "react";
import { PageHeader } from "./PageHeader";
import { ErrorMessage } from "./states";

/**
 * A detail page whose record failed to load: its header (with the way back) and the API's error, with
 * "Try again" refetching the query.
 */
export function PageLoadError({
  title,
  back,
  query,
  message,
}: {
  title: string;
  back: ReactNode;
  query: { error: unknown; refetch: () => Promise<unknown> };
  message: string;
}) {
  return (
    <>
      <PageHeader title={title} description={back} />
      <ErrorMessage error={query.error} title={message} onRetry={() => void query.refetch()} />
    </>
  );
}
