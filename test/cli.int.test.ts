import { type ChildProcess, spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import pg from "pg";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { createPgliteDb } from "../src/lib/db.ts";
import { loadMigrations } from "../src/lib/migrate.ts";
import { createHarness, dbKind, type Harness, skipReason } from "./helpers/harness.ts";

/**
 * `bin/lectern.js` as an operator runs it: real child processes, real exit codes, real stdout. In the pglite
 * project each target is a fresh data directory; in the postgres project a fresh database (DATABASE_URL plus
 * the LECTERN_MASTER_KEY distributed mode requires).
 */

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "lectern.js");
const adminUrl = process.env.TEST_DATABASE_URL ?? "postgres://postgres@127.0.0.1:5432/postgres";
const masterKey = randomBytes(32).toString("hex");
const migrationVersions = loadMigrations().map((m) => m.version);
/** a PGlite open plus migrations is a few seconds on a slow machine; this is the hang guard, not a budget */
const COMMAND_TIMEOUT_MS = 60_000;

interface Result {
  code: number | null;
  stdout: string;
  stderr: string;
}

const running = new Set<ChildProcess>();
const cleanups: Array<() => Promise<void> | void> = [];

/** The environment is built from scratch: nothing from the developer's shell may pick the database. */
function childEnv(env: Record<string, string>): NodeJS.ProcessEnv {
  return { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), LOG_LEVEL: "warn", ...env };
}

function lectern(args: string[], env: Record<string, string>): Promise<Result> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [bin, ...args], {
      cwd: root,
      env: childEnv(env),
      stdio: ["ignore", "pipe", "pipe"],
    });
    running.add(child);
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      stdout += c;
    });
    child.stderr.setEncoding("utf8").on("data", (c: string) => {
      stderr += c;
    });
    const timer = setTimeout(() => {
      child.kill("SIGKILL");
      reject(new Error(`lectern ${args.join(" ")} ran over ${COMMAND_TIMEOUT_MS} ms\n${stdout}\n${stderr}`));
    }, COMMAND_TIMEOUT_MS);
    child.once("close", (code) => {
      clearTimeout(timer);
      running.delete(child);
      resolve({ code, stdout, stderr });
    });
  });
}

/** Parse `key=value` lines; the CLI prints its results that way so scripts can pick them out. */
function fields(stdout: string): Record<string, string> {
  return Object.fromEntries(
    stdout
      .split("\n")
      .map((line) => /^([A-Za-z_]+)=(.*)$/.exec(line))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1] as string, m[2] as string]),
  );
}

function expectOk(r: Result): void {
  expect(r.code, `exit ${r.code}\nstdout: ${r.stdout}\nstderr: ${r.stderr}`).toBe(0);
}

interface Target {
  env: Record<string, string>;
  /** schema_migrations, read after the CLI has exited */
  appliedVersions(): Promise<number[]>;
}

/** An empty database: a new data directory, or a new PostgreSQL database dropped after the suite. */
async function freshTarget(): Promise<Target> {
  if (dbKind === "pglite") {
    const dir = mkdtempSync(join(tmpdir(), "lectern-cli-"));
    cleanups.push(() => rmSync(dir, { recursive: true, force: true }));
    return {
      env: { LECTERN_DATA_DIR: dir },
      async appliedVersions() {
        // PGlite allows one process per directory: only open it while no CLI process runs.
        const handle = await createPgliteDb(join(dir, "pgdata"));
        try {
          const rows = await handle.db.selectFrom("schema_migrations").select("version").execute();
          return rows.map((r) => r.version).sort((a, b) => a - b);
        } finally {
          await handle.close();
        }
      },
    };
  }
  const name = `lectern_cli_${Date.now().toString(36)}_${randomBytes(4).toString("hex")}`;
  const admin = new pg.Client({ connectionString: adminUrl });
  await admin.connect();
  await admin.query(`CREATE DATABASE ${name}`);
  await admin.end();
  const url = new URL(adminUrl);
  url.pathname = `/${name}`;
  cleanups.push(async () => {
    const c = new pg.Client({ connectionString: adminUrl });
    await c.connect();
    await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    await c.end();
  });
  return {
    env: { DATABASE_URL: url.toString(), LECTERN_MASTER_KEY: masterKey },
    async appliedVersions() {
      const c = new pg.Client({ connectionString: url.toString() });
      await c.connect();
      try {
        // No ORDER BY dedup: a version applied twice must show up twice.
        const res = await c.query<{ version: number }>(
          "SELECT version FROM schema_migrations ORDER BY version",
        );
        return res.rows.map((r) => r.version);
      } finally {
        await c.end();
      }
    },
  };
}

interface Server {
  url: string;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [bin, "serve"], {
    cwd: root,
    env: childEnv({ ...env, PORT: "0" }),
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  const exited = new Promise<number | null>((resolve) => {
    child.once("close", (code) => {
      running.delete(child);
      resolve(code);
    });
  });
  child.stderr.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(
      () => reject(new Error(`serve printed no URL in time:\n${out}`)),
      COMMAND_TIMEOUT_MS,
    );
    child.stdout.setEncoding("utf8").on("data", (c: string) => {
      out += c;
      const m = / listening on (http:\/\/\S+) /.exec(out);
      if (m?.[1]) {
        clearTimeout(timer);
        resolve(m[1]);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`serve exited with ${code} before listening:\n${out}`));
    });
  });
  return { url, child, exited };
}

afterEach(async () => {
  // A failed assertion must not leave a server or a CLI process holding the database.
  const left = [...running];
  for (const child of left) child.kill("SIGKILL");
  await Promise.all(
    left.map((child) =>
      child.exitCode !== null || child.signalCode !== null
        ? undefined
        : new Promise((resolve) => child.once("close", resolve)),
    ),
  );
});

afterAll(async () => {
  for (const cleanup of cleanups.splice(0)) await cleanup();
});

describe.skipIf(skipReason)("lectern CLI", () => {
  describe("help and usage errors", () => {
    const commandList = /serve[\s\S]*migrate[\s\S]*create-org[\s\S]*create-user[\s\S]*create-key/;

    it("`lectern help` lists every command", async () => {
      const r = await lectern(["help"], {});
      expectOk(r);
      expect(r.stdout).toMatch(/^Usage: lectern <command>/);
      expect(r.stdout).toMatch(commandList);
    });

    // `--help` as the first argument must list the commands, not fall through to the default command's help.
    it("`lectern --help` lists every command", async () => {
      const r = await lectern(["--help"], {});
      expectOk(r);
      expect(r.stdout).toMatch(commandList);
    });

    it.each([
      ["serve", ["HOST:PORT"]],
      ["migrate", ["advisory lock"]],
      ["create-org", ["--name", "--slug", "--tier free|pro|enterprise", "--owner-email", "--owner-password"]],
      ["create-user", ["--email", "--name", "--password", "--org", "--role owner|admin|member|viewer"]],
      ["create-key", ["--org", "--name", "--user", "--scopes", "prompts:read"]],
    ])("`lectern %s --help` exits 0 and describes its options", async (command, mentions) => {
      const r = await lectern([command, "--help"], {});
      expectOk(r);
      expect(r.stdout).toMatch(new RegExp(`^Usage: lectern ${command}\\b`));
      for (const m of mentions) expect(r.stdout).toContain(m);
    });

    it("-h works too, and help needs no valid configuration", async () => {
      const r = await lectern(["create-key", "-h"], { PORT: "notanumber" });
      expectOk(r);
      expect(r.stdout).toMatch(/^Usage: lectern create-key/);
    });

    it("an unknown command exits 2 and shows the command list on stderr", async () => {
      const r = await lectern(["frobnicate"], {});
      expect(r.code).toBe(2);
      expect(r.stdout).toBe("");
      expect(r.stderr).toContain('unknown command "frobnicate"');
      expect(r.stderr).toMatch(commandList);
    });

    it("invalid environment exits 2 naming every bad variable", async () => {
      const r = await lectern(["migrate"], { PORT: "notanumber", LOG_LEVEL: "loud" });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("invalid configuration");
      expect(r.stderr).toMatch(/^\s+- PORT: /m);
      expect(r.stderr).toMatch(/^\s+- LOG_LEVEL: /m);
    });

    it("DATABASE_URL without LECTERN_MASTER_KEY exits 2 naming LECTERN_MASTER_KEY, before connecting", async () => {
      // Port 1: nothing listens there, so a connection attempt would fail differently (and slowly).
      const r = await lectern(["migrate"], { DATABASE_URL: "postgres://nobody@127.0.0.1:1/none" });
      expect(r.code).toBe(2);
      expect(r.stderr).toMatch(/LECTERN_MASTER_KEY: required when DATABASE_URL is set/);
    });
  });

  describe("migrate", () => {
    it("applies every migration to an empty database; a second run says it is up to date", async () => {
      const target = await freshTarget();
      expectOk(await lectern(["migrate"], target.env));
      expect(await target.appliedVersions()).toEqual(migrationVersions);
      const again = await lectern(["migrate"], target.env);
      expectOk(again);
      expect(again.stdout).toBe("database is up to date\n");
      expect(await target.appliedVersions()).toEqual(migrationVersions);
    }, 120_000);

    // The command must report what it applied, so it must not migrate before its own call.
    it("the first run names the migrations it applied", async () => {
      const target = await freshTarget();
      const r = await lectern(["migrate"], target.env);
      expectOk(r);
      expect(r.stdout).toBe(
        `applied: ${loadMigrations()
          .map((m) => m.name)
          .join(", ")}\n`,
      );
    }, 120_000);

    it.skipIf(dbKind !== "postgres")(
      "three replicas migrating one empty database at once all succeed, each version applied once",
      async () => {
        const target = await freshTarget();
        const results = await Promise.all([1, 2, 3].map(() => lectern(["migrate"], target.env)));
        for (const r of results) expectOk(r);
        expect(await target.appliedVersions()).toEqual(migrationVersions);
      },
      120_000,
    );
  });

  describe("create-org, create-user, create-key", () => {
    let env: Record<string, string>;
    let h: Harness | undefined;
    beforeAll(async () => {
      if (dbKind === "postgres") {
        // The harness's per-suite database, already migrated; its deps.db lets us look at the rows.
        h = await createHarness();
        env = { DATABASE_URL: h.databaseUrl as string, LECTERN_MASTER_KEY: masterKey };
      } else {
        env = (await freshTarget()).env;
      }
    });
    afterAll(async () => h?.close());

    it("rejects bad arguments with exit 2 and a message naming the argument", async () => {
      const tier = await lectern(["create-org", "--name", "Acme", "--tier", "gold"], env);
      expect(tier.code).toBe(2);
      expect(tier.stderr).toContain("--tier must be free, pro or enterprise");

      const unknownOption = await lectern(["create-org", "--name", "Acme", "--colour", "red"], env);
      expect(unknownOption.code).toBe(2);
      expect(unknownOption.stderr).toContain("--colour");
      expect(unknownOption.stderr).toContain("Usage: lectern create-org");

      const missingName = await lectern(["create-org"], env);
      expect(missingName.code).toBe(2);
      expect(missingName.stderr).toContain("--name is required");

      const roleWithoutOrg = await lectern(["create-user", "--email", "c@x.test", "--role", "viewer"], env);
      expect(roleWithoutOrg.code).toBe(2);
      expect(roleWithoutOrg.stderr).toContain("--org and --role go together");

      const badScope = await lectern(
        ["create-key", "--org", "acme", "--name", "x", "--scopes", "nope:all"],
        env,
      );
      expect(badScope.code).toBe(2);
      expect(badScope.stderr).toContain("unknown scopes: nope:all");
    }, 60_000);

    it("creates an org with an owner, a viewer and keys that a running server accepts", async () => {
      const org = await lectern(["create-org", "--name", "Acme", "--owner-email", "a@x.test"], env);
      expectOk(org);
      const o = fields(org.stdout);
      expect(o.organization_id).toMatch(/^org_\w+$/);
      expect(o.slug).toBe("acme");
      expect(o.owner_user_id).toMatch(/^usr_\w+$/);
      expect(o.owner_password).toMatch(/^\S{12,}$/);

      const user = await lectern(
        ["create-user", "--email", "b@x.test", "--org", "acme", "--role", "viewer"],
        env,
      );
      expectOk(user);
      const u = fields(user.stdout);
      expect(u.user_id).toMatch(/^usr_\w+$/);
      expect(u.password).toMatch(/^\S{12,}$/);

      const key = await lectern(["create-key", "--org", "acme", "--name", "ci"], env);
      expectOk(key);
      const k = fields(key.stdout);
      expect(k.api_key_id).toMatch(/^key_\w+$/);
      expect(k.LECTERN_API_KEY).toMatch(/^lk_\w+$/);

      // --org takes the id as well as the slug.
      const readOnly = await lectern(
        ["create-key", "--org", o.organization_id as string, "--name", "ro", "--scopes", "prompts:read"],
        env,
      );
      expectOk(readOnly);
      const ro = fields(readOnly.stdout).LECTERN_API_KEY as string;

      const noOrg = await lectern(["create-key", "--org", "no-such-org", "--name", "x"], env);
      expect(noOrg.code).toBe(2);
      expect(noOrg.stderr).toContain('no organization with id or slug "no-such-org"');

      if (h) {
        // The key is stored as a hash; only its non-secret prefix is kept in clear.
        const row = await h.deps.db
          .selectFrom("api_keys")
          .select(["organization_id", "name", "prefix", "key_hash"])
          .where("id", "=", k.api_key_id as string)
          .executeTakeFirstOrThrow();
        expect(row).toMatchObject({ organization_id: o.organization_id, name: "ci" });
        expect(k.LECTERN_API_KEY?.startsWith(row.prefix)).toBe(true);
        expect(row.key_hash).not.toContain(k.LECTERN_API_KEY);
      }

      const server = await startServer(env);
      const get = async (path: string, headers: Record<string, string>) => {
        const res = await fetch(`${server.url}${path}`, { headers });
        return { status: res.status, body: (await res.json()) as Record<string, unknown> };
      };
      const login = async (email: string, password: string) => {
        const res = await fetch(`${server.url}/api/v1/auth/login`, {
          method: "POST",
          headers: { "content-type": "application/json" },
          body: JSON.stringify({ email, password }),
        });
        const cookie = res.headers.getSetCookie()[0]?.split(";")[0] ?? "";
        return { status: res.status, body: (await res.json()) as Record<string, unknown>, cookie };
      };

      const me = await get("/api/v1/me", { authorization: `Bearer ${k.LECTERN_API_KEY}` });
      expect(me.status, JSON.stringify(me.body)).toBe(200);
      expect(me.body).toMatchObject({
        actor: { kind: "api_key", id: k.api_key_id },
        organization_id: o.organization_id,
      });
      expect(me.body.permissions).toContain("keys:manage");

      const meRo = await get("/api/v1/me", { authorization: `Bearer ${ro}` });
      expect(meRo.body.permissions).toEqual(["prompts:read"]);

      const owner = await login("a@x.test", o.owner_password as string);
      expect(owner.status, JSON.stringify(owner.body)).toBe(200);
      expect(owner.body).toMatchObject({ user_id: o.owner_user_id, organization_id: o.organization_id });

      const viewer = await login("b@x.test", u.password as string);
      expect(viewer.status, JSON.stringify(viewer.body)).toBe(200);
      const viewerMe = await get("/api/v1/me", { cookie: viewer.cookie });
      expect(viewerMe.body).toMatchObject({ organization_id: o.organization_id, role: "viewer" });

      server.child.kill("SIGTERM");
      expect(await server.exited).toBe(0);
    }, 120_000);
  });
});
