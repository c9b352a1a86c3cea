import type { FastifyInstance, FastifyRequest } from "fastify";
import type { ZodTypeProvider } from "fastify-type-provider-zod";
import { z } from "zod";
import type { Actor, Ctx } from "../features/auth/actor.ts";
import type { Permission } from "../features/auth/permissions.ts";
import { AppError } from "./errors.ts";

/**
 * Per-route rules, read by the auth hook in app.ts and by the shared isolation/role and audit suites.
 * - auth "public": no credentials needed; "user": a signed-in user, any org state;
 *   "org" (default): an actor in an org with `permission`.
 * - audit: the action a mutating route writes to audit_logs, or false with the reason it does not.
 */
export interface RouteRules {
  auth?: "public" | "user" | "org";
  permission?: Permission;
  audit?: string | { none: string };
  /** the resource kind each path param names, for the isolation suite (e.g. { promptId: "prompt" }) */
  params?: Record<string, string>;
}

declare module "fastify" {
  interface FastifyContextConfig {
    rules?: RouteRules;
  }
  interface FastifyRequest {
    actor: Actor | null;
  }
}

export interface RouteInfo {
  method: string;
  url: string;
  rules: RouteRules;
}

/**
 * Every route an app registered, with its rules; filled by buildApp's onRoute hook. The shared isolation,
 * role and audit suites walk it, so a new route is covered (or fails those suites) without anyone
 * remembering to add it.
 */
const routeTables = new WeakMap<FastifyInstance, RouteInfo[]>();

export function trackRoutes(app: FastifyInstance): void {
  const table: RouteInfo[] = [];
  routeTables.set(app, table);
  app.addHook("onRoute", (route) => {
    const methods = Array.isArray(route.method) ? route.method : [route.method];
    for (const method of methods) {
      if (method === "HEAD") continue;
      table.push({ method, url: route.url, rules: route.config?.rules ?? {} });
    }
  });
}

export function routeTable(app: FastifyInstance): RouteInfo[] {
  return routeTables.get(app) ?? [];
}

export function typed(app: FastifyInstance) {
  return app.withTypeProvider<ZodTypeProvider>();
}

/** The caller and request facts a service needs; throws 401 if the route somehow ran unauthenticated. */
export function ctxOf(req: FastifyRequest): Ctx {
  if (!req.actor) throw new AppError("unauthenticated", "Authentication required");
  return {
    actor: req.actor,
    meta: { requestId: String(req.id), ip: req.ip ?? null, userAgent: req.headers["user-agent"] ?? null },
  };
}

export const errorBody = z
  .object({
    error: z.object({
      code: z.string(),
      message: z.string(),
      request_id: z.string(),
      details: z.unknown().optional(),
    }),
  })
  .meta({ id: "Error" });

/** Common error responses for the OpenAPI document. */
export const errorResponses = {
  400: errorBody,
  401: errorBody,
  403: errorBody,
  404: errorBody,
  409: errorBody,
} as const;

/** Cursor pagination: an opaque base64url of `${created_at ISO}|${id}`, newest first. */
export function encodeCursor(createdAt: Date | string, id: string): string {
  return Buffer.from(`${new Date(createdAt).toISOString()}|${id}`).toString("base64url");
}

export function decodeCursor(cursor: string): { createdAt: Date; id: string } {
  const raw = Buffer.from(cursor, "base64url").toString("utf8");
  const [iso, id] = raw.split("|");
  const createdAt = new Date(iso ?? "");
  if (!id || Number.isNaN(createdAt.getTime())) throw new AppError("bad_request", "Invalid cursor");
  return { createdAt, id };
}

export const paginationQuery = z.object({
  limit: z.coerce.number().int().min(1).max(200).default(50),
  cursor: z.string().max(200).optional(),
});
