import { Link } from "wouter";
import { PageHeader } from "../components/PageHeader";
import { EmptyState } from "../components/states";

export function NotFoundPage() {
  return (
    <>
      <PageHeader title="Page not found" />
      <EmptyState title="There is no page at this address">
        <p>
          <Link href="/">Go to the start page</Link>
        </p>
      </EmptyState>
    </>
  );
}
