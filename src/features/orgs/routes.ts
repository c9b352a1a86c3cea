import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, typed } from "../../lib/http.ts";
import * as svc from "./service.ts";

const tier = z.enum(["free", "pro", "enterprise"]);
const role = z.enum(["owner", "admin", "member", "viewer"]);
const org = z
  .object({ id: z.string(), name: z.string(), slug: z.string(), tier, created_at: z.string() })
  .meta({ id: "Organization" });
const member = z
  .object({
    user_id: z.string(),
    email: z.string(),
    name: z.string(),
    role,
    joined_at: z.string(),
    initial_password: z
      .string()
      .optional()
      .describe("Only when the user was created now without a password; shown once"),
  })
  .meta({ id: "Member" });
const userIdParams = z.object({ userId: z.string().min(1).max(64) });

export function registerOrgRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);
  const tags = ["organization"];

  r.get(
    "/api/v1/organization",
    {
      config: { rules: { permission: "org:read" } },
      schema: { tags, summary: "The current organization", response: { 200: org } },
    },
    async (req) => svc.getCurrentOrg(deps, ctxOf(req)),
  );

  r.patch(
    "/api/v1/organization",
    {
      config: { rules: { permission: "org:manage", audit: "organization.update" } },
      schema: {
        tags,
        summary: "Rename the organization, or change its tier (owners only)",
        body: z.object({ name: z.string().min(1).max(200).optional(), tier: tier.optional() }),
        response: { 200: org, 403: errorResponses[403] },
      },
    },
    async (req) => svc.updateCurrentOrg(deps, ctxOf(req), req.body),
  );

  r.get(
    "/api/v1/members",
    {
      config: { rules: { permission: "members:read" } },
      schema: {
        tags,
        summary: "Members and their roles",
        response: { 200: z.object({ data: z.array(member) }) },
      },
    },
    async (req) => ({ data: await svc.listMembers(deps, ctxOf(req)) }),
  );

  r.post(
    "/api/v1/members",
    {
      config: { rules: { permission: "members:manage", audit: "membership.create" } },
      schema: {
        tags,
        summary: "Add a member by email (creates the user if new)",
        body: z.object({
          email: z.string().email().max(320),
          role,
          name: z.string().max(200).optional(),
          password: z.string().min(12).max(1024).optional(),
        }),
        response: { 201: member, 409: errorResponses[409] },
      },
    },
    async (req, reply) => reply.status(201).send(await svc.addMember(deps, ctxOf(req), req.body)),
  );

  r.patch(
    "/api/v1/members/:userId",
    {
      config: {
        rules: { permission: "members:manage", audit: "membership.update", params: { userId: "member" } },
      },
      schema: {
        tags,
        summary: "Change a member's role",
        params: userIdParams,
        body: z.object({ role }),
        response: { 200: member },
      },
    },
    async (req) => svc.changeRole(deps, ctxOf(req), req.params.userId, req.body.role),
  );

  r.delete(
    "/api/v1/members/:userId",
    {
      config: {
        rules: { permission: "members:manage", audit: "membership.delete", params: { userId: "member" } },
      },
      schema: { tags, summary: "Remove a member", params: userIdParams },
    },
    async (req, reply) => {
      await svc.removeMember(deps, ctxOf(req), req.params.userId);
      return reply.status(204).send();
    },
  );
}
