import { createHash } from "node:crypto";
import type { Dirent } from "node:fs";
import { mkdir, readdir, rm, stat } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import type { Logger } from "pino";

/**
 * `npm start` builds the web console when its build is missing or older than its sources, so the
 * README's one command stays the whole set-up. A production image ships a prebuilt web/dist and no Vite:
 * then this only logs, and the server starts anyway.
 */

const REPO_ROOT = fileURLToPath(new URL("../../../", import.meta.url));

export interface WebPaths {
  /** the web/ folder: index.html, vite.config.ts, src/, public/ */
  webDir: string;
  /** the build output, web/dist */
  distDir: string;
}

export const DEFAULT_WEB_PATHS: WebPaths = {
  webDir: join(REPO_ROOT, "web"),
  distDir: join(REPO_ROOT, "web", "dist"),
};

export type BuildState = "fresh" | "stale" | "missing" | "no-sources";

async function mtimeOf(path: string): Promise<number | null> {
  try {
    return (await stat(path)).mtimeMs;
  } catch {
    return null;
  }
}

async function newestUnder(dir: string): Promise<number> {
  let newest = 0;
  let entries: Dirent[];
  try {
    entries = await readdir(dir, { withFileTypes: true, recursive: true, encoding: "utf8" });
  } catch {
    return 0;
  }
  for (const e of entries) {
    if (!e.isFile()) continue;
    const m = await mtimeOf(join(e.parentPath, e.name));
    if (m !== null && m > newest) newest = m;
  }
  return newest;
}

/** Compare web/dist/index.html with the newest file of web/src, web/public, web/index.html and web/vite.config.ts. */
export async function buildState(paths: WebPaths = DEFAULT_WEB_PATHS): Promise<BuildState> {
  const srcDir = join(paths.webDir, "src");
  if ((await mtimeOf(srcDir)) === null) return "no-sources";
  const built = await mtimeOf(join(paths.distDir, "index.html"));
  if (built === null) return "missing";
  const newest = Math.max(
    await newestUnder(srcDir),
    await newestUnder(join(paths.webDir, "public")),
    (await mtimeOf(join(paths.webDir, "index.html"))) ?? 0,
    (await mtimeOf(join(paths.webDir, "vite.config.ts"))) ?? 0,
  );
  return newest > built ? "stale" : "fresh";
}

type ViteModule = {
  build: (config: { configFile: string; logLevel?: "warn" | "error" | "info" }) => Promise<unknown>;
};

export interface EnsureOptions {
  paths?: WebPaths;
  /** how to load Vite; a test passes one that fails, as in a production image without devDependencies */
  importVite?: () => Promise<ViteModule>;
  /** how long to wait for another process's build before giving up on it */
  lockWaitMs?: number;
}

export type EnsureResult = "fresh" | "built" | "skipped" | "failed";

const STALE_LOCK_MS = 10 * 60_000;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * One build at a time per checkout: several servers starting together (a test suite does this) wait for
 * the first one's build instead of emptying web/dist under each other. A directory is the lock because
 * mkdir is atomic; one left by a crashed process is taken over after STALE_LOCK_MS.
 */
function lockPath(paths: WebPaths): string {
  const hash = createHash("sha256").update(paths.distDir).digest("hex").slice(0, 16);
  return join(tmpdir(), `lectern-web-build-${hash}.lock`);
}

async function waitWhileLocked(lock: string, waitMs: number): Promise<void> {
  const deadline = Date.now() + waitMs;
  while (Date.now() < deadline) {
    const m = await mtimeOf(lock);
    if (m === null || Date.now() - m > STALE_LOCK_MS) return;
    await sleep(200);
  }
}

async function acquire(lock: string, waitMs: number): Promise<boolean> {
  const deadline = Date.now() + waitMs;
  for (;;) {
    try {
      await mkdir(lock);
      return true;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== "EEXIST") throw err;
    }
    const m = await mtimeOf(lock);
    if (m !== null && Date.now() - m > STALE_LOCK_MS) {
      await rm(lock, { recursive: true, force: true });
      continue;
    }
    if (Date.now() > deadline) return false;
    await sleep(200);
  }
}

export async function ensureWebBuilt(
  log: Pick<Logger, "info" | "warn" | "error">,
  opts: EnsureOptions = {},
): Promise<EnsureResult> {
  const paths = opts.paths ?? DEFAULT_WEB_PATHS;
  const lock = lockPath(paths);
  const waitMs = opts.lockWaitMs ?? 120_000;
  try {
    await waitWhileLocked(lock, waitMs);
    const state = await buildState(paths);
    if (state === "fresh") return "fresh";
    if (state === "no-sources") return "skipped";

    let vite: ViteModule;
    try {
      vite = await (opts.importVite ?? (() => import("vite") as Promise<ViteModule>))();
    } catch (err) {
      log.warn(
        { err: (err as Error).message, distDir: paths.distDir },
        state === "missing"
          ? "web console not built and Vite is not installed: the API works, the console page explains how to build it"
          : "web console build is older than its sources and Vite is not installed: serving the old build",
      );
      return "skipped";
    }

    if (!(await acquire(lock, waitMs))) {
      log.warn(
        { lock },
        "another process has been building the web console for too long; starting without waiting",
      );
      return "skipped";
    }
    try {
      // Another process may have finished the build while this one waited for the lock.
      if ((await buildState(paths)) === "fresh") return "fresh";
      const started = Date.now();
      log.info({ reason: state }, "building the web console (Vite)");
      await vite.build({ configFile: join(paths.webDir, "vite.config.ts"), logLevel: "warn" });
      log.info({ ms: Date.now() - started, distDir: paths.distDir }, "web console built");
      return "built";
    } finally {
      await rm(lock, { recursive: true, force: true });
    }
  } catch (err) {
    log.error(
      { err },
      "web console build failed: the API starts anyway; run `npx vite build --config web/vite.config.ts` to see why",
    );
    return "failed";
  }
}
