import { mkdirSync } from "node:fs";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect, type Transaction } from "kysely";
import pg from "pg";
import type { Database } from "./db-types.ts";

export type Db = Kysely<Database>;
export type Tx = Transaction<Database>;
/** Either the database or an open transaction: queries take this so a service can pass its transaction in. */
export type Conn = Db | Tx;

export interface PoolStats {
  driver: "pglite" | "postgres";
  max: number;
  total: number;
  idle: number;
  waiting: number;
}

export interface DbHandle {
  db: Db;
  driver: "pglite" | "postgres";
  poolStats(): PoolStats;
  close(): Promise<void>;
}

const NUMERIC_OID = 1700;
const INT8_OID = 20;

/** NUMERIC and BIGINT stay strings in both drivers: money and counters must not pass through floats. */
pg.types.setTypeParser(NUMERIC_OID, (v) => v);
pg.types.setTypeParser(INT8_OID, (v) => v);

export function createPostgresDb(url: string, max = 10): DbHandle {
  const pool = new pg.Pool({
    connectionString: url,
    max,
    idleTimeoutMillis: 30_000,
    connectionTimeoutMillis: 10_000,
  });
  pool.on("error", () => {
    // An idle client lost its connection; the pool replaces it. Queries surface their own errors.
  });
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool }) });
  return {
    db,
    driver: "postgres",
    poolStats: () => ({
      driver: "postgres",
      max,
      total: pool.totalCount,
      idle: pool.idleCount,
      waiting: pool.waitingCount,
    }),
    close: () => db.destroy(),
  };
}

/**
 * PGlite is one connection. Kysely's Postgres dialect wants a pool, so this adapter hands out that one
 * connection under a FIFO lock: a transaction holds it from BEGIN to COMMIT, and other queries wait.
 * Code inside a transaction must use the transaction, never the outer db, or it waits on itself.
 */
class PgliteSingleConnectionPool {
  private readonly pg: PGlite;
  private locked = false;
  private readonly queue: Array<() => void> = [];
  waiting = 0;

  constructor(pglite: PGlite) {
    this.pg = pglite;
  }

  async connect() {
    if (this.locked) {
      this.waiting++;
      await new Promise<void>((resolve) => this.queue.push(resolve));
      this.waiting--;
    }
    this.locked = true;
    const client = this.pg;
    let released = false;
    return {
      query: async (sql: string, params: readonly unknown[]) => {
        const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
        if (params.length === 0) {
          // The simple protocol runs multi-statement text, which plain-SQL migrations need.
          const all = await client.exec(sql);
          const res = all[all.length - 1];
          return { rows: res?.rows ?? [], rowCount: res?.affectedRows ?? res?.rows.length ?? 0, command };
        }
        const res = await client.query(sql, params as unknown[]);
        return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length, command };
      },
      release: () => {
        if (released) return;
        released = true;
        const next = this.queue.shift();
        if (next) next();
        else this.locked = false;
      },
    };
  }

  async end() {
    await this.pg.close();
  }
}

export async function createPgliteDb(dataDir: string | null): Promise<DbHandle> {
  if (dataDir) mkdirSync(dataDir, { recursive: true });
  const pglite = new PGlite(dataDir ?? undefined, {
    parsers: { [NUMERIC_OID]: (v: string) => v, [INT8_OID]: (v: string) => v },
  });
  await pglite.waitReady;
  const pool = new PgliteSingleConnectionPool(pglite);
  // biome-ignore lint/suspicious/noExplicitAny: the adapter implements the part of pg.Pool that Kysely uses
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: pool as any }) });
  return {
    db,
    driver: "pglite",
    poolStats: () => ({
      driver: "pglite",
      max: 1,
      total: 1,
      idle: pool.waiting > 0 ? 0 : 1,
      waiting: pool.waiting,
    }),
    close: () => db.destroy(),
  };
}

/** Run fn in a transaction. The only way services open one, so every mutation and its audit row commit together. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}
