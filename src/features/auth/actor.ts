import type { Role } from "../../lib/db-types.ts";
import { forbidden } from "../../lib/errors.ts";
import type { Permission } from "./permissions.ts";

/** Who is making the request. Resolved once per request by the auth hook. */
export interface Actor {
  kind: "user" | "api_key";
  /** user id for sessions, key id for API keys */
  id: string;
  /** the user behind the request: the session's user, or the key's creator */
  userId: string | null;
  apiKeyId: string | null;
  orgId: string;
  orgTier: "free" | "pro" | "enterprise";
  /** the member's role; for keys, the creator's role when the key was made does not matter: scopes do */
  role: Role | null;
  permissions: ReadonlySet<Permission>;
  sessionId: string | null;
}

export interface RequestMeta {
  requestId: string;
  ip: string | null;
  userAgent: string | null;
}

/** Everything a service needs to know about the caller: who, and the request for the audit row. */
export interface Ctx {
  actor: Actor;
  meta: RequestMeta;
}

export function requirePermission(actor: Actor, permission: Permission): void {
  if (!actor.permissions.has(permission)) {
    throw forbidden(
      actor.kind === "api_key"
        ? `This API key lacks the scope ${permission}`
        : `Your role (${actor.role}) does not allow ${permission}`,
    );
  }
}
