import { parseArgs } from "node:util";
import { buildDeps, createLogger } from "./bootstrap.ts";
import { type Config, ConfigError, loadConfig } from "./config.ts";
import { permissions } from "./features/auth/permissions.ts";
import { createKeyForBootstrap } from "./features/keys/service.ts";
import { createOrgWithOwner, createUser } from "./features/orgs/service.ts";
import { randomToken } from "./lib/crypto.ts";
import { AppError } from "./lib/errors.ts";
import { migrate } from "./lib/migrate.ts";
import { serve } from "./main.ts";

const HELP: Record<string, string> = {
  main: `Usage: lectern <command> [options]

Commands:
  serve        Start the server (the default)
  migrate      Apply pending database migrations and exit
  create-org   Create an organization, optionally with its owner
  create-user  Create a user, optionally adding them to an organization
  create-key   Create an API key for an organization (printed once)

Run "lectern <command> --help" for a command's options. Configuration comes from the environment;
see README.md for every variable.`,
  serve: `Usage: lectern serve

Starts the API (and console) on HOST:PORT (default 127.0.0.1:8080). On an empty database it creates
an organization, an admin user and an API key, and prints them once.`,
  migrate: `Usage: lectern migrate

Applies pending migrations under an advisory lock (safe with several replicas) and exits.`,
  "create-org": `Usage: lectern create-org --name NAME [--slug SLUG] [--tier free|pro|enterprise]
                          [--owner-email EMAIL] [--owner-password PASSWORD]

Prints the organization id. With --owner-email and no --owner-password, a password is generated and printed.`,
  "create-user": `Usage: lectern create-user --email EMAIL [--name NAME] [--password PASSWORD]
                           [--org ORG_ID_OR_SLUG --role owner|admin|member|viewer]

Prints the user id (and a generated password when none was given).`,
  "create-key": `Usage: lectern create-key --org ORG_ID_OR_SLUG --name NAME [--user USER_ID_OR_EMAIL] [--scopes a,b,...]

Prints the key once. Scopes default to all; valid scopes: ${permissions.join(", ")}.`,
};

function fail(message: string): never {
  process.stderr.write(`lectern: ${message}\n`);
  process.exit(2);
}

async function withDeps<T>(
  config: Config,
  fn: (deps: Awaited<ReturnType<typeof buildDeps>>) => Promise<T>,
  opts: { migrateFirst: boolean } = { migrateFirst: true },
): Promise<T> {
  const deps = await buildDeps(config, createLogger({ ...config, LOG_LEVEL: "warn" }));
  try {
    if (opts.migrateFirst) await migrate(deps.db);
    return await fn(deps);
  } finally {
    await deps.dbHandle.close();
  }
}

async function findOrg(deps: Awaited<ReturnType<typeof buildDeps>>, ref: string) {
  const org = await deps.db
    .selectFrom("organizations")
    .select(["id", "slug"])
    .where((eb) => eb.or([eb("id", "=", ref), eb("slug", "=", ref)]))
    .executeTakeFirst();
  if (!org) fail(`no organization with id or slug "${ref}"`);
  return org;
}

export async function run(argv: string[]): Promise<void> {
  const [first, ...rest] = argv;
  const command = first && !first.startsWith("-") ? first : "serve";
  const args = first && !first.startsWith("-") ? rest : argv;
  if (command === "help" || (first?.startsWith("-") && (args.includes("--help") || args.includes("-h")))) {
    process.stdout.write(`${HELP.main}\n`);
    return;
  }
  if (!HELP[command] || command === "main") fail(`unknown command "${command}"\n\n${HELP.main}`);
  if (args.includes("--help") || args.includes("-h")) {
    process.stdout.write(`${HELP[command]}\n`);
    return;
  }

  let config: Config;
  try {
    config = loadConfig();
  } catch (err) {
    if (err instanceof ConfigError) fail(err.message);
    throw err;
  }

  const opts = (spec: Record<string, { type: "string" }>) => {
    try {
      return parseArgs({ args, options: spec, strict: true }).values as Record<string, string | undefined>;
    } catch (err) {
      fail(`${(err as Error).message}\n\n${HELP[command]}`);
    }
  };

  switch (command) {
    case "serve":
      opts({});
      await serve(config);
      return;
    case "migrate": {
      opts({});
      const applied = await withDeps(config, async (deps) => migrate(deps.db), { migrateFirst: false });
      process.stdout.write(applied.length ? `applied: ${applied.join(", ")}\n` : "database is up to date\n");
      return;
    }
    case "create-org": {
      const o = opts({
        name: { type: "string" },
        slug: { type: "string" },
        tier: { type: "string" },
        "owner-email": { type: "string" },
        "owner-password": { type: "string" },
      });
      if (!o.name) fail(`--name is required\n\n${HELP[command]}`);
      if (o.tier && !["free", "pro", "enterprise"].includes(o.tier))
        fail("--tier must be free, pro or enterprise");
      const password = o["owner-email"] ? (o["owner-password"] ?? randomToken(15)) : undefined;
      const org = await withDeps(config, (deps) =>
        createOrgWithOwner(deps.db, {
          name: o.name as string,
          ...(o.slug ? { slug: o.slug } : {}),
          ...(o.tier ? { tier: o.tier as "free" | "pro" | "enterprise" } : {}),
          ...(o["owner-email"] && password ? { owner: { email: o["owner-email"], password } } : {}),
        }),
      );
      process.stdout.write(`organization_id=${org.id}\nslug=${org.slug}\n`);
      if (org.userId) process.stdout.write(`owner_user_id=${org.userId}\n`);
      if (o["owner-email"] && !o["owner-password"]) process.stdout.write(`owner_password=${password}\n`);
      return;
    }
    case "create-user": {
      const o = opts({
        email: { type: "string" },
        name: { type: "string" },
        password: { type: "string" },
        org: { type: "string" },
        role: { type: "string" },
      });
      if (!o.email) fail(`--email is required\n\n${HELP[command]}`);
      if ((o.org && !o.role) || (!o.org && o.role)) fail("--org and --role go together");
      if (o.role && !["owner", "admin", "member", "viewer"].includes(o.role))
        fail("--role must be owner, admin, member or viewer");
      const password = o.password ?? randomToken(15);
      const user = await withDeps(config, async (deps) => {
        const u = await createUser(deps.db, {
          email: o.email as string,
          password,
          ...(o.name ? { name: o.name } : {}),
        });
        if (o.org && o.role) {
          const org = await findOrg(deps, o.org);
          await deps.db.transaction().execute(async (tx) => {
            await tx
              .insertInto("memberships")
              .values({ organization_id: org.id, user_id: u.id, role: o.role as "owner" })
              .execute();
            const { audit } = await import("./features/audit/service.ts");
            await audit(
              tx,
              { system: true },
              {
                action: "membership.create",
                resourceType: "membership",
                resourceId: u.id,
                orgId: org.id,
                summary: { role: o.role },
              },
            );
          });
        }
        return u;
      });
      process.stdout.write(`user_id=${user.id}\n`);
      if (!o.password) process.stdout.write(`password=${password}\n`);
      return;
    }
    case "create-key": {
      const o = opts({
        org: { type: "string" },
        name: { type: "string" },
        user: { type: "string" },
        scopes: { type: "string" },
      });
      if (!o.org || !o.name) fail(`--org and --name are required\n\n${HELP[command]}`);
      const scopes = o.scopes
        ? o.scopes
            .split(",")
            .map((s) => s.trim())
            .filter(Boolean)
        : [...permissions];
      const unknown = scopes.filter((s) => !(permissions as readonly string[]).includes(s));
      if (unknown.length) fail(`unknown scopes: ${unknown.join(", ")}`);
      const key = await withDeps(config, async (deps) => {
        const org = await findOrg(deps, o.org as string);
        let userId: string | null = null;
        if (o.user) {
          const u = await deps.db
            .selectFrom("users")
            .select("id")
            .where((eb) =>
              eb.or([
                eb("id", "=", o.user as string),
                eb(eb.fn("lower", ["email"]), "=", (o.user as string).toLowerCase()),
              ]),
            )
            .executeTakeFirst();
          if (!u) fail(`no user "${o.user}"`);
          userId = u.id;
        }
        return createKeyForBootstrap(deps.db, org.id, userId, o.name as string, scopes);
      });
      process.stdout.write(`api_key_id=${key.id}\nLECTERN_API_KEY=${key.key}\n`);
      return;
    }
  }
}

run(process.argv.slice(2)).catch((err) => {
  if (err instanceof AppError) fail(err.message);
  process.stderr.write(`lectern: ${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
