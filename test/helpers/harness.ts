import { randomBytes } from "node:crypto";
import type { FastifyInstance, InjectOptions, LightMyRequestResponse } from "fastify";
import pg from "pg";
import pino from "pino";
import { buildApp } from "../../src/app.ts";
import { buildDeps } from "../../src/bootstrap.ts";
import { type Config, loadConfig } from "../../src/config.ts";
import type { Deps } from "../../src/deps.ts";
import { jobHandlers } from "../../src/features/jobs/handlers.ts";
import { JobRunner, type RunnerOptions } from "../../src/features/jobs/runner.ts";
import { createKeyForBootstrap } from "../../src/features/keys/service.ts";
import { createOrgWithOwner } from "../../src/features/orgs/service.ts";
import { randomToken, sha256Hex } from "../../src/lib/crypto.ts";
import { createPgliteDb, createPostgresDb, type DbHandle } from "../../src/lib/db.ts";
import type { Role } from "../../src/lib/db-types.ts";
import { newId } from "../../src/lib/ids.ts";
import { migrate } from "../../src/lib/migrate.ts";

/**
 * Integration-test harness. LECTERN_TEST_DB (set per vitest project) picks the database:
 *  - pglite:   a fresh in-memory PGlite per suite
 *  - postgres: a fresh database per suite on TEST_DATABASE_URL's server (default postgres://postgres@127.0.0.1:5432/postgres),
 *              dropped afterwards, so parallel runs never collide.
 * Without PostgreSQL a newcomer's run skips the postgres project with a message; in CI (CI=true) it fails.
 */
export const dbKind = (process.env.LECTERN_TEST_DB ?? "pglite") as "pglite" | "postgres";
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";

async function postgresReachable(): Promise<boolean> {
  const client = new pg.Client({ connectionString: adminUrl, connectionTimeoutMillis: 3000 });
  try {
    await client.connect();
    await client.end();
    return true;
  } catch {
    return false;
  }
}

/** A reason to skip the suite, or false. Only ever skips outside CI. */
export const skipReason: string | false = await (async () => {
  if (dbKind !== "postgres") return false;
  if (await postgresReachable()) return false;
  const msg = `PostgreSQL is not reachable at ${adminUrl.replace(/\/\/[^@]*@/, "//")}: install and start PostgreSQL 15+, or set TEST_DATABASE_URL (npm run test:pglite runs without it)`;
  if (process.env.CI === "true") throw new Error(msg);
  console.warn(`[skipping postgres suite] ${msg}`);
  return msg;
})();

async function createTestDatabase(): Promise<{
  handle: DbHandle;
  url: string | null;
  drop: () => Promise<void>;
}> {
  if (dbKind === "pglite") {
    const handle = await createPgliteDb(null);
    return { handle, url: null, drop: async () => {} };
  }
  const name = `lectern_test_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  const handle = createPostgresDb(url.toString(), 10);
  return {
    handle,
    url: url.toString(),
    drop: async () => {
      const c = new pg.Client({ connectionString: adminUrl });
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
      await c.end();
    },
  };
}

export interface Harness {
  app: FastifyInstance;
  deps: Deps;
  config: Config;
  /** the per-suite database URL in postgres mode, for spawning real server processes against it */
  databaseUrl: string | null;
  close(): Promise<void>;
  inject(opts: InjectOptions): Promise<LightMyRequestResponse>;
}

export async function createHarness(
  env: Record<string, string> = {},
  overrides: Partial<Deps> = {},
): Promise<Harness> {
  const db = await createTestDatabase();
  await migrate(db.handle.db);
  const config = loadConfig({
    LECTERN_DATA_DIR: "/nonexistent-test-data-dir",
    LECTERN_MASTER_KEY: randomBytes(32).toString("hex"),
    LECTERN_MOCK_PROVIDER: "true",
    LECTERN_MOCK_LATENCY_MS: "0",
    LOG_LEVEL: "silent",
    ...env,
  });
  const deps = await buildDeps(config, pino({ level: process.env.TEST_LOG_LEVEL ?? "silent" }), {
    dbHandle: db.handle,
    ...overrides,
  });
  const app = await buildApp(deps);
  await app.ready();
  return {
    app,
    deps,
    config,
    databaseUrl: db.url,
    inject: (opts) => app.inject(opts),
    async close() {
      await deps.jobRunner?.stop(2000);
      await app.close();
      await db.handle.close();
      await db.drop();
    },
  };
}

export interface TestPrincipal {
  userId: string;
  email: string;
  role: Role;
  /** headers for a browser session (cookie) */
  session: Record<string, string>;
}

export interface TestOrg {
  orgId: string;
  slug: string;
  owner: TestPrincipal;
  /** an all-scopes API key's headers */
  key: Record<string, string>;
  apiKey: string;
  /** add a member with a role and a live session */
  member(role: Role): Promise<TestPrincipal>;
}

/** A session row made directly, so tests don't pay for scrypt on every login. Login itself is tested separately. */
export async function sessionFor(
  deps: Deps,
  userId: string,
  orgId: string | null,
): Promise<Record<string, string>> {
  const token = randomToken(32);
  await deps.db
    .insertInto("sessions")
    .values({
      id: sha256Hex(token),
      user_id: userId,
      organization_id: orgId,
      expires_at: new Date(Date.now() + 3_600_000),
      ip: null,
      user_agent: null,
    })
    .execute();
  return { cookie: `lectern_session=${token}` };
}

let seq = 0;

/** A fresh organization with an owner (session) and an all-scopes API key. Every test makes its own. */
export async function createOrg(
  h: Harness,
  opts: { tier?: "free" | "pro" | "enterprise"; name?: string } = {},
): Promise<TestOrg> {
  const n = `${Date.now().toString(36)}${(seq++).toString(36)}${randomBytes(3).toString("hex")}`;
  const email = `owner-${n}@example.test`;
  const org = await createOrgWithOwner(h.deps.db, {
    name: opts.name ?? `Org ${n}`,
    slug: `org-${n}`,
    tier: opts.tier ?? "pro",
    owner: { email, password: "correct horse battery staple" },
  });
  const ownerId = org.userId as string;
  const { key } = await createKeyForBootstrap(h.deps.db, org.id, ownerId, "test key");
  const owner: TestPrincipal = {
    userId: ownerId,
    email,
    role: "owner",
    session: await sessionFor(h.deps, ownerId, org.id),
  };
  return {
    orgId: org.id,
    slug: org.slug,
    owner,
    key: { authorization: `Bearer ${key}` },
    apiKey: key,
    async member(role) {
      const userId = newId("user");
      const memberEmail = `${role}-${n}-${(seq++).toString(36)}@example.test`;
      await h.deps.db
        .insertInto("users")
        .values({ id: userId, email: memberEmail, name: role, password_hash: null })
        .execute();
      await h.deps.db
        .insertInto("memberships")
        .values({ organization_id: org.id, user_id: userId, role })
        .execute();
      return { userId, email: memberEmail, role, session: await sessionFor(h.deps, userId, org.id) };
    },
  };
}

/**
 * Start a job runner on the harness (fast polling and a short lease), for suites that enqueue jobs.
 * The harness's close() stops it.
 */
export function startJobRunner(h: Harness, opts: Partial<RunnerOptions> = {}): JobRunner {
  const runner = new JobRunner(h.deps, jobHandlers, {
    concurrency: 4,
    leaseMs: 2000,
    pollMs: 50,
    backoffBaseMs: 50,
    backoffMaxMs: 500,
    ...opts,
  });
  h.deps.jobRunner = runner;
  runner.start();
  return runner;
}

/** Poll until check() returns a truthy value, or fail after timeoutMs with the last value seen. */
export async function waitFor<T>(
  check: () => Promise<T>,
  timeoutMs = 20_000,
  intervalMs = 50,
): Promise<NonNullable<T>> {
  const deadline = Date.now() + timeoutMs;
  let last: T | undefined;
  while (Date.now() < deadline) {
    last = await check();
    if (last) return last as NonNullable<T>;
    await new Promise((r) => setTimeout(r, intervalMs));
  }
  throw new Error(`timed out after ${timeoutMs} ms; last value: ${JSON.stringify(last)?.slice(0, 500)}`);
}

/** Parse a JSON body, failing the test with the raw body when it isn't JSON. */
export function json<T = Record<string, unknown>>(res: LightMyRequestResponse): T {
  try {
    return JSON.parse(res.body) as T;
  } catch {
    throw new Error(`expected JSON, got ${res.statusCode}: ${res.body.slice(0, 500)}`);
  }
}

/** Parse an SSE body into [event, data] pairs. */
export function parseSse(body: string): Array<{ event: string; data: string }> {
  return body
    .split("\n\n")
    .filter((block) => block.trim())
    .map((block) => {
      let event = "message";
      const data: string[] = [];
      for (const line of block.split("\n")) {
        if (line.startsWith("event: ")) event = line.slice(7);
        else if (line.startsWith("data: ")) data.push(line.slice(6));
      }
      return { event, data: data.join("\n") };
    });
}
