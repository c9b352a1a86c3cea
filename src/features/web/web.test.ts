import { mkdirSync, mkdtempSync, rmSync, utimesSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import Fastify, { type FastifyInstance } from "fastify";
import { afterAll, describe, expect, it, vi } from "vitest";
import { buildState, ensureWebBuilt } from "./build.ts";
import { CONSOLE_CSP, registerWebRoutes } from "./routes.ts";

const dirs: string[] = [];
function tempDir(): string {
  const d = mkdtempSync(join(tmpdir(), "lectern-web-test-"));
  dirs.push(d);
  return d;
}
afterAll(() => {
  for (const d of dirs) rmSync(d, { recursive: true, force: true });
});

const silent = { info: vi.fn(), warn: vi.fn(), error: vi.fn(), debug: vi.fn() };
const log = silent as unknown as Parameters<typeof registerWebRoutes>[1]["log"];

/** A bare app with app.ts's JSON 404 handler, so the fallback's interplay with it is what is tested. */
async function appWith(distDir: string): Promise<{ app: FastifyInstance; rules: Map<string, unknown> }> {
  const app = Fastify();
  const rules = new Map<string, unknown>();
  app.addHook("onRoute", (r) => {
    rules.set(`${r.method} ${r.url}`, (r.config as { rules?: unknown } | undefined)?.rules);
  });
  app.setNotFoundHandler((req, reply) =>
    reply.status(404).send({
      error: { code: "not_found", message: `No route for ${req.method} ${req.url}`, request_id: "r" },
    }),
  );
  registerWebRoutes(app, { log }, { distDir });
  await app.ready();
  return { app, rules };
}

/** parent/dist with an index, a hashed asset and a favicon; parent/secret.txt must never be served. */
function builtDist(): string {
  const parent = tempDir();
  const dist = join(parent, "dist");
  mkdirSync(join(dist, "assets"), { recursive: true });
  writeFileSync(
    join(dist, "index.html"),
    '<!doctype html><script type="module" src="/assets/app-abc123.js"></script>',
  );
  writeFileSync(join(dist, "assets", "app-abc123.js"), "console.log(1)");
  writeFileSync(join(dist, "favicon.svg"), "<svg/>");
  writeFileSync(join(parent, "secret.txt"), "TOP-SECRET-CONTENT");
  return dist;
}

const html = { accept: "text/html,application/xhtml+xml,*/*;q=0.8" };

describe("registerWebRoutes", () => {
  it("serves index.html at / with the CSP and no caching", async () => {
    const { app } = await appWith(builtDist());
    const res = await app.inject({ method: "GET", url: "/", headers: html });
    expect(res.statusCode).toBe(200);
    expect(res.headers["content-type"]).toMatch(/^text\/html/);
    expect(res.headers["cache-control"]).toBe("no-cache");
    expect(res.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    expect(CONSOLE_CSP).toContain("script-src 'self'");
    expect(CONSOLE_CSP).not.toContain("unsafe");
    expect(res.body).toContain("/assets/app-abc123.js");
  });

  it("answers a console page requested by a browser with index.html", async () => {
    const { app } = await appWith(builtDist());
    for (const url of ["/prompts/prm_1/history", "/executions?status=failed", "/settings"]) {
      const res = await app.inject({ method: "GET", url, headers: html });
      expect(res.statusCode, url).toBe(200);
      expect(res.body).toContain("<!doctype html>");
    }
  });

  it("keeps the JSON 404 for API paths, other methods and clients that do not ask for HTML", async () => {
    const { app } = await appWith(builtDist());
    for (const [method, url, headers] of [
      ["GET", "/api/v1/nope", html],
      ["GET", "/v1/nope", html],
      ["GET", "/metrics/x", html],
      ["GET", "/healthz/x", html],
      ["GET", "/prompts", {}],
      ["GET", "/prompts", { accept: "application/json" }],
      ["POST", "/prompts", html],
      ["GET", "/assets/missing.js", html],
    ] as const) {
      const res = await app.inject({ method, url, headers });
      expect(res.statusCode, `${method} ${url}`).toBe(404);
      expect(res.json(), `${method} ${url}`).toMatchObject({ error: { code: "not_found" } });
    }
  });

  it("serves hashed assets with a year-long immutable cache, and root files", async () => {
    const { app } = await appWith(builtDist());
    const res = await app.inject({ method: "GET", url: "/assets/app-abc123.js" });
    expect(res.statusCode).toBe(200);
    expect(res.body).toBe("console.log(1)");
    expect(res.headers["cache-control"]).toBe("public, max-age=31536000, immutable");
    const icon = await app.inject({ method: "GET", url: "/favicon.svg" });
    expect(icon.statusCode).toBe(200);
    expect(icon.body).toBe("<svg/>");
  });

  it("never serves a file outside the build", async () => {
    const { app } = await appWith(builtDist());
    for (const url of [
      "/assets/../../secret.txt",
      "/assets/../secret.txt",
      "/assets/%2e%2e/%2e%2e/secret.txt",
      "/assets/..%2f..%2fsecret.txt",
      "/assets/..%5c..%5csecret.txt",
      "/../secret.txt",
    ]) {
      for (const headers of [{}, html]) {
        const res = await app.inject({ method: "GET", url, headers });
        expect(res.body, url).not.toContain("TOP-SECRET-CONTENT");
      }
    }
  });

  it("declares every route public, for the auth hook", async () => {
    const { rules } = await appWith(builtDist());
    const ours = [...rules.entries()].filter(([k]) => k.startsWith("GET"));
    expect(ours.map(([k]) => k).sort()).toEqual(["GET /", "GET /assets/*", "GET /favicon.svg"]);
    for (const [, r] of ours) expect(r).toEqual({ auth: "public" });
  });

  it("explains how to build the console when web/dist is missing", async () => {
    const { app } = await appWith(join(tempDir(), "no-dist"));
    const res = await app.inject({ method: "GET", url: "/", headers: html });
    expect(res.statusCode).toBe(503);
    expect(res.body).toContain("npx vite build --config web/vite.config.ts");
    expect(res.body).not.toContain("<script");
    expect(res.headers["content-security-policy"]).toBe(CONSOLE_CSP);
    const page = await app.inject({ method: "GET", url: "/prompts", headers: html });
    expect(page.statusCode).toBe(503);
  });
});

/** A web/ folder with sources at `srcTime` and, unless null, a build at `builtTime` (seconds). */
function webFolder(srcTime: number, builtTime: number | null) {
  const webDir = tempDir();
  const distDir = join(webDir, "dist");
  mkdirSync(join(webDir, "src", "pages"), { recursive: true });
  const src = join(webDir, "src", "pages", "a.tsx");
  writeFileSync(src, "export {}");
  writeFileSync(join(webDir, "index.html"), "<!doctype html>");
  writeFileSync(join(webDir, "vite.config.ts"), "export default {}");
  for (const f of [src, join(webDir, "index.html"), join(webDir, "vite.config.ts")])
    utimesSync(f, srcTime, srcTime);
  if (builtTime !== null) {
    mkdirSync(distDir);
    writeFileSync(join(distDir, "index.html"), "<!doctype html>");
    utimesSync(join(distDir, "index.html"), builtTime, builtTime);
  }
  return { webDir, distDir, src };
}

describe("buildState", () => {
  it("is missing without a build, fresh when newer than every source, stale otherwise", async () => {
    expect(await buildState(webFolder(1000, null))).toBe("missing");
    expect(await buildState(webFolder(1000, 2000))).toBe("fresh");
    const f = webFolder(1000, 2000);
    utimesSync(f.src, 3000, 3000); // a nested source file changed after the build
    expect(await buildState(f)).toBe("stale");
    const g = webFolder(1000, 2000);
    utimesSync(join(g.webDir, "vite.config.ts"), 3000, 3000);
    expect(await buildState(g)).toBe("stale");
  });

  it("has nothing to build from when web/src is absent (a prebuilt image)", async () => {
    const dir = tempDir();
    expect(await buildState({ webDir: dir, distDir: join(dir, "dist") })).toBe("no-sources");
  });
});

describe("ensureWebBuilt", () => {
  it("does nothing when the build is fresh", async () => {
    const importVite = vi.fn();
    expect(await ensureWebBuilt(silent, { paths: webFolder(1000, 2000), importVite })).toBe("fresh");
    expect(importVite).not.toHaveBeenCalled();
  });

  it("warns and carries on when Vite is not installed", async () => {
    const warn = vi.fn();
    const result = await ensureWebBuilt(
      { ...silent, warn },
      {
        paths: webFolder(1000, null),
        importVite: () => Promise.reject(new Error("Cannot find package 'vite'")),
      },
    );
    expect(result).toBe("skipped");
    expect(warn).toHaveBeenCalledOnce();
    expect(String(warn.mock.calls[0]?.[1])).toMatch(/not built and Vite is not installed/);
  });

  it("builds a stale console with the web/ folder's config, once", async () => {
    const paths = webFolder(1000, null);
    const build = vi.fn(async () => {
      mkdirSync(paths.distDir, { recursive: true });
      writeFileSync(join(paths.distDir, "index.html"), "built");
    });
    expect(await ensureWebBuilt(silent, { paths, importVite: async () => ({ build }) })).toBe("built");
    expect(build).toHaveBeenCalledWith({
      configFile: join(paths.webDir, "vite.config.ts"),
      logLevel: "warn",
    });
    expect(await ensureWebBuilt(silent, { paths, importVite: async () => ({ build }) })).toBe("fresh");
    expect(build).toHaveBeenCalledOnce();
  });

  it("runs concurrent callers' builds one at a time, and only once", async () => {
    const paths = webFolder(1000, null);
    let running = 0;
    let overlapped = false;
    const build = vi.fn(async () => {
      running++;
      if (running > 1) overlapped = true;
      await new Promise((r) => setTimeout(r, 100));
      mkdirSync(paths.distDir, { recursive: true });
      writeFileSync(join(paths.distDir, "index.html"), "built");
      running--;
    });
    const results = await Promise.all(
      [1, 2, 3].map(() => ensureWebBuilt(silent, { paths, importVite: async () => ({ build }) })),
    );
    expect(overlapped).toBe(false);
    expect(build).toHaveBeenCalledOnce();
    expect(results.sort()).toEqual(["built", "fresh", "fresh"]);
  });

  it("reports a failing build without throwing", async () => {
    const error = vi.fn();
    const paths = webFolder(1000, null);
    const build = () => Promise.reject(new Error("syntax error in App.tsx"));
    expect(await ensureWebBuilt({ ...silent, error }, { paths, importVite: async () => ({ build }) })).toBe(
      "failed",
    );
    expect(error).toHaveBeenCalledOnce();
  });
});
