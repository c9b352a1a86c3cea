import { QueryClient, QueryClientProvider } from "@tanstack/react-query";
import { render } from "@testing-library/react";
import type { ReactElement } from "react";
import { Router } from "wouter";
import { memoryLocation } from "wouter/memory-location";
import type { Me, Permission, Role } from "./api/types";
import { MeProvider } from "./auth";

/** Permissions per role, as the server's src/features/auth/permissions.ts grants them. */
const viewer: Permission[] = ["org:read", "prompts:read", "executions:read", "models:read", "members:read"];
const member: Permission[] = [...viewer, "prompts:write", "executions:run", "providers:read"];
const admin: Permission[] = [
  ...member,
  "org:manage",
  "models:manage",
  "providers:manage",
  "keys:read",
  "keys:manage",
  "audit:read",
];
const owner: Permission[] = [...admin, "members:manage", "billing:manage"];
const byRole: Record<Role, Permission[]> = { viewer, member, admin, owner };

export function meAs(role: Role): Me {
  return {
    actor: { kind: "user", id: "usr_1" },
    user: { id: "usr_1", email: `${role}@example.com`, name: `A ${role}` },
    organization_id: "org_1",
    role,
    permissions: byRole[role],
    organizations: [{ id: "org_1", name: "Acme", slug: "acme", tier: "free", role }],
  };
}

type Handler = (init: RequestInit | undefined) => Response;

/**
 * Answer fetch() from a table of "METHOD /path" → a JSON body (status 200) or a function making the
 * Response; anything else is the API's JSON 404.
 */
export function fakeApi(routes: Record<string, unknown>): typeof fetch {
  return (async (input: RequestInfo | URL, init?: RequestInit) => {
    const url = new URL(String(input), "http://console.test");
    const key = `${init?.method ?? "GET"} ${url.pathname}`;
    const route = routes[key];
    if (typeof route === "function") return (route as Handler)(init);
    if (key in routes) return Response.json(route);
    return Response.json(
      { error: { code: "not_found", message: `No fake for ${key}`, request_id: "req_test" } },
      { status: 404 },
    );
  }) as typeof fetch;
}

export function renderAs(role: Role, ui: ReactElement, path = "/", me: Partial<Me> = {}) {
  const client = new QueryClient({ defaultOptions: { queries: { retry: false } } });
  const { hook, searchHook } = memoryLocation({ path });
  return render(
    <QueryClientProvider client={client}>
      <Router hook={hook} searchHook={searchHook}>
        <MeProvider me={{ ...meAs(role), ...me }}>{ui}</MeProvider>
      </Router>
    </QueryClientProvider>,
  );
}

/** A text/event-stream Response whose chunks arrive when the test releases them. */
export function controlledSse() {
  let controller!: ReadableStreamDefaultController<Uint8Array>;
  const body = new ReadableStream<Uint8Array>({
    start(c) {
      controller = c;
    },
  });
  const enc = new TextEncoder();
  return {
    response: () =>
      new Response(body, { headers: { "content-type": "text/event-stream", "x-request-id": "req_stream" } }),
    send(event: string, data: unknown) {
      controller.enqueue(enc.encode(`event: ${event}\ndata: ${JSON.stringify(data)}\n\n`));
    },
    close() {
      controller.close();
    },
  };
}
