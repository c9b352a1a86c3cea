import type { Role } from "../../lib/db-types.ts";

/**
 * The closed list of permissions. Roles map to sets of them; API key scopes are a subset of them,
 * never more than the creating user's role allows.
 */
export const permissions = [
  "org:read",
  "org:manage",
  "prompts:read",
  "prompts:write",
  "executions:read",
  "executions:run",
  "models:read",
  "models:manage",
  "providers:read",
  "providers:manage",
  "keys:read",
  "keys:manage",
  "members:read",
  "members:manage",
  "audit:read",
  "billing:manage",
] as const;

export type Permission = (typeof permissions)[number];

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

export const rolePermissions: Record<Role, ReadonlySet<Permission>> = {
  viewer: new Set(viewer),
  member: new Set(member),
  admin: new Set(admin),
  owner: new Set(owner),
};

export const roles: Role[] = ["owner", "admin", "member", "viewer"];

/** Scopes a key gets when none are named: what a member can do. */
export const defaultKeyScopes: Permission[] = [
  "prompts:read",
  "prompts:write",
  "executions:read",
  "executions:run",
  "models:read",
];

export const roleRank: Record<Role, number> = { viewer: 0, member: 1, admin: 2, owner: 3 };
