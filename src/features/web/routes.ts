import { readdirSync, statSync } from "node:fs";
import { readFile } from "node:fs/promises";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import fastifyStatic from "@fastify/static";
import type { FastifyInstance, FastifyReply, FastifyRequest } from "fastify";
import type { Deps } from "../../deps.ts";

/**
 * The web console (web/, built by Vite into web/dist) on the API's own port: `/` and every console page
 * answer index.html, `/assets/*` the hashed bundles. The API's JSON 404 stays for everything else.
 */

export const DEFAULT_DIST_DIR = fileURLToPath(new URL("../../../web/dist", import.meta.url));

/**
 * The console's pages run under this policy: no inline script, no eval, no inline style, same-origin
 * fetches only. It is sent with the HTML documents served here; the API's JSON needs none.
 */
export const CONSOLE_CSP = [
  "default-src 'self'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self' data: blob:",
  "font-src 'self'",
  "connect-src 'self'",
  "object-src 'none'",
  "base-uri 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
].join("; ");

/** Paths that belong to the API and never fall back to the console, even from a browser. */
const RESERVED = /^\/(?:api|v1|metrics|healthz|readyz|assets)(?:\/|$)/;

/** Vite names every file under assets/ by its content hash, so a year-long immutable cache is safe. */
const ASSET_MAX_AGE_MS = 365 * 24 * 3600 * 1000;

const NOT_BUILT_HTML = `<!doctype html>
<html lang="en">
<head><meta charset="utf-8"><title>Lectern: console not built</title></head>
<body>
<h1>The Lectern web console is not built</h1>
<p>The API is running: see <a href="/api/v1/docs">/api/v1/docs</a>.</p>
<p>To build the console, run <code>npx vite build --config web/vite.config.ts</code> in the Lectern folder
(<code>npm start</code> does this by itself when Vite is installed), then reload this page.</p>
</body>
</html>
`;

export interface WebRouteOptions {
  /** where the built console is; web/dist by default */
  distDir?: string;
}

function htmlHeaders(reply: FastifyReply): FastifyReply {
  return reply
    .header("content-type", "text/html; charset=utf-8")
    .header("cache-control", "no-cache")
    .header("content-security-policy", CONSOLE_CSP)
    .header("x-content-type-options", "nosniff");
}

function acceptsHtml(req: FastifyRequest): boolean {
  const accept = req.headers.accept;
  return typeof accept === "string" && accept.includes("text/html");
}

/** Files at the top of the build (favicon and the like), found once at start; index.html is served apart. */
function rootFiles(distDir: string): string[] {
  try {
    return readdirSync(distDir).filter((f) => f !== "index.html" && statSync(join(distDir, f)).isFile());
  } catch {
    return [];
  }
}

export function registerWebRoutes(
  app: FastifyInstance,
  deps: Pick<Deps, "log">,
  opts: WebRouteOptions = {},
): void {
  const distDir = opts.distDir ?? DEFAULT_DIST_DIR;
  const rules = { rules: { auth: "public" as const } };
  const schema = { hide: true };

  // Only for reply.sendFile (ranges, ETag, traversal checks); the routes are ours, so that each one
  // declares its rules and unknown paths still reach the JSON 404 handler.
  void app.register(fastifyStatic, { root: distDir, serve: false, decorateReply: true });

  /** index.html, read per request so a rebuild shows at the next reload; the explanation when absent. */
  const sendIndex = async (reply: FastifyReply) => {
    let html: Buffer | string;
    try {
      html = await readFile(join(distDir, "index.html"));
    } catch {
      deps.log.debug({ distDir }, "web console not built");
      return htmlHeaders(reply).code(503).send(NOT_BUILT_HTML);
    }
    return htmlHeaders(reply).code(200).send(html);
  };

  app.get("/", { config: rules, schema }, async (_req, reply) => sendIndex(reply));

  app.get("/assets/*", { config: rules, schema }, (req, reply) => {
    const rest = (req.params as { "*"?: string })["*"] ?? "";
    return reply.sendFile(`assets/${rest}`, { maxAge: ASSET_MAX_AGE_MS, immutable: true });
  });

  for (const file of rootFiles(distDir)) {
    app.get(`/${file}`, { config: rules, schema }, (_req, reply) =>
      reply.sendFile(file, { maxAge: 24 * 3600 * 1000 }),
    );
  }

  // Console pages (/prompts/…, /executions/…) are routes of the single-page app, not of the server: a
  // browser asking for one of them as a document gets index.html. This runs before the 404 handler, only
  // for requests no route matched, so API paths and non-browser clients keep the JSON 404.
  app.addHook("onRequest", async (req, reply) => {
    if (req.routeOptions.url !== undefined) return;
    if (req.method !== "GET" && req.method !== "HEAD") return;
    const path = req.url.split("?")[0] ?? "";
    if (RESERVED.test(path) || !acceptsHtml(req)) return;
    await sendIndex(reply);
    return reply;
  });
}
