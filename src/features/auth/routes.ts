import type { FastifyInstance } from "fastify";
import { z } from "zod";
import type { Deps } from "../../deps.ts";
import { ctxOf, errorResponses, typed } from "../../lib/http.ts";
import * as auth from "./service.ts";

export const SESSION_COOKIE = "lectern_session";

const loginBody = z.object({
  email: z.string().email().max(320),
  password: z.string().min(1).max(1024),
});

export function registerAuthRoutes(app: FastifyInstance, deps: Deps): void {
  const r = typed(app);

  r.post(
    "/api/v1/auth/login",
    {
      config: { rules: { auth: "public", audit: "session.login" } },
      schema: {
        tags: ["auth"],
        summary: "Sign in and receive the session cookie",
        body: loginBody,
        response: {
          200: z.object({
            user_id: z.string(),
            organization_id: z.string().nullable(),
            expires_at: z.string(),
          }),
          401: errorResponses[401],
        },
      },
    },
    async (req, reply) => {
      const meta = { requestId: String(req.id), ip: req.ip, userAgent: req.headers["user-agent"] ?? null };
      const s = await auth.login(deps, meta, req.body);
      reply.setCookie(SESSION_COOKIE, s.token, {
        httpOnly: true,
        sameSite: "strict",
        // Secure when the request came over TLS (directly, or via a trusted proxy's X-Forwarded-Proto).
        secure: req.protocol === "https",
        path: "/",
        expires: s.expiresAt,
      });
      return { user_id: s.userId, organization_id: s.orgId, expires_at: s.expiresAt.toISOString() };
    },
  );

  r.post(
    "/api/v1/auth/logout",
    {
      config: { rules: { auth: "user", audit: "session.logout" } },
      schema: { tags: ["auth"], summary: "End the session" },
    },
    async (req, reply) => {
      await auth.logout(deps, ctxOf(req));
      reply.clearCookie(SESSION_COOKIE, { path: "/" });
      return reply.status(204).send();
    },
  );

  r.get(
    "/api/v1/me",
    {
      config: { rules: { auth: "user" } },
      schema: { tags: ["auth"], summary: "The caller: user, org, role and permissions" },
    },
    async (req) => auth.me(deps, ctxOf(req)),
  );

  r.post(
    "/api/v1/me/organization",
    {
      config: { rules: { auth: "user", audit: "session.switch_org" } },
      schema: {
        tags: ["auth"],
        summary: "Switch the session's current organization",
        body: z.object({ organization_id: z.string().min(1).max(64) }),
      },
    },
    async (req) => {
      await auth.switchOrg(deps, ctxOf(req), req.body.organization_id);
      return { organization_id: req.body.organization_id };
    },
  );
}
