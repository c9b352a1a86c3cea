import { createHash } from "node:crypto";
import { readdirSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { sql } from "kysely";
import type { Db } from "./db.ts";

export const migrationsDir = join(dirname(fileURLToPath(import.meta.url)), "..", "..", "migrations");

/** Arbitrary constant: the advisory lock every replica takes while migrating, so concurrent starts are safe. */
const MIGRATION_LOCK_KEY = 727_411_001;

export interface Migration {
  version: number;
  name: string;
  sql: string;
  checksum: string;
}

export function loadMigrations(dir = migrationsDir): Migration[] {
  return readdirSync(dir)
    .filter((f) => /^\d{4}_[\w-]+\.sql$/.test(f))
    .sort()
    .map((file) => {
      const text = readFileSync(join(dir, file), "utf8");
      return {
        version: Number(file.slice(0, 4)),
        name: file,
        sql: text,
        checksum: createHash("sha256").update(text).digest("hex"),
      };
    });
}

/**
 * Apply pending migrations, forward-only, each in its own transaction, under a session advisory lock.
 * A changed checksum of an applied file is an error: migrations are never edited once shipped.
 */
export async function migrate(db: Db, migrations = loadMigrations()): Promise<string[]> {
  return db.connection().execute(async (conn) => {
    await sql`SELECT pg_advisory_lock(${MIGRATION_LOCK_KEY})`.execute(conn);
    try {
      await sql`CREATE TABLE IF NOT EXISTS schema_migrations (
        version integer PRIMARY KEY, name text NOT NULL, checksum text NOT NULL,
        applied_at timestamptz NOT NULL DEFAULT now())`.execute(conn);
      const applied = await conn.selectFrom("schema_migrations").selectAll().execute();
      const byVersion = new Map(applied.map((m) => [m.version, m]));
      const done: string[] = [];
      for (const m of migrations) {
        const prior = byVersion.get(m.version);
        if (prior) {
          if (prior.checksum !== m.checksum) {
            throw new Error(`migration ${m.name} was changed after it was applied (checksum differs)`);
          }
          continue;
        }
        await conn.transaction().execute(async (tx) => {
          await sql.raw(m.sql).execute(tx);
          await tx
            .insertInto("schema_migrations")
            .values({ version: m.version, name: m.name, checksum: m.checksum })
            .execute();
        });
        done.push(m.name);
      }
      return done;
    } finally {
      await sql`SELECT pg_advisory_unlock(${MIGRATION_LOCK_KEY})`.execute(conn);
    }
  });
}

/** Pending migration names; empty when the schema is current. Used by /readyz. */
export async function pendingMigrations(db: Db, migrations = loadMigrations()): Promise<string[]> {
  const exists = await sql<{ t: string | null }>`SELECT to_regclass('schema_migrations')::text AS t`.execute(
    db,
  );
  if (!exists.rows[0]?.t) return migrations.map((m) => m.name);
  const applied = new Set(
    (await db.selectFrom("schema_migrations").select("version").execute()).map((r) => r.version),
  );
  return migrations.filter((m) => !applied.has(m.version)).map((m) => m.name);
}
