import { mkdirSync } from "node:fs";
import { performance } from "node:perf_hooks";
import { PGlite } from "@electric-sql/pglite";
import { Kysely, PostgresDialect, type RawBuilder, sql, type Transaction } from "kysely";
import pg from "pg";
import type { Database } from "./db-types.ts";
import { inSpan } from "./tracing.ts";

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

/** Told about every connection acquisition, for the pool metrics (set once metrics exist). */
export interface PoolObserver {
  onWait(seconds: number): void;
  onTimeout(): void;
}

export interface DbHandle {
  db: Db;
  driver: "pglite" | "postgres";
  poolStats(): PoolStats;
  setObserver(observer: PoolObserver): void;
  close(): Promise<void>;
}

/** A CLIENT span per statement when the caller is being traced (db.* semconv); free when tracing is off. */
function tracedQuery<T>(sql: string, run: () => Promise<T>): Promise<T> {
  const op = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase() ?? "QUERY";
  return inSpan(
    op,
    { "db.system.name": "postgresql", "db.operation.name": op, "db.query.text": sql.slice(0, 2000) },
    () => run(),
  );
}

const TRACED = Symbol("lectern.traced");

function traceClient(client: pg.PoolClient): pg.PoolClient {
  const marked = client as pg.PoolClient & { [TRACED]?: true };
  if (marked[TRACED]) return client;
  const original = client.query.bind(client) as (...args: unknown[]) => unknown;
  (client as { query: unknown }).query = (text: unknown, values?: unknown) =>
    typeof text === "string"
      ? tracedQuery(text, () => original(text, values) as Promise<unknown>)
      : original(text, values);
  marked[TRACED] = true;
  return client;
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
  let observer: PoolObserver | null = null;
  const instrumented = {
    connect: async () => {
      const start = performance.now();
      try {
        const client = await pool.connect();
        observer?.onWait((performance.now() - start) / 1000);
        return traceClient(client);
      } catch (err) {
        if (/timeout/i.test((err as Error).message)) observer?.onTimeout();
        throw err;
      }
    },
    end: () => pool.end(),
  };
  const db = new Kysely<Database>({ dialect: new PostgresDialect({ pool: instrumented }) });
  return {
    db,
    driver: "postgres",
    setObserver: (o) => {
      observer = o;
    },
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
  observer: PoolObserver | null = null;

  constructor(pglite: PGlite) {
    this.pg = pglite;
  }

  async connect() {
    if (this.locked) {
      const start = performance.now();
      this.waiting++;
      await new Promise<void>((resolve) => this.queue.push(resolve));
      this.waiting--;
      this.observer?.onWait((performance.now() - start) / 1000);
    } else {
      this.observer?.onWait(0);
    }
    this.locked = true;
    const client = this.pg;
    let released = false;
    return {
      query: (sql: string, params: readonly unknown[]) =>
        tracedQuery(sql, () => this.run(client, sql, params)),
      release: () => {
        if (released) return;
        released = true;
        const next = this.queue.shift();
        if (next) next();
        else this.locked = false;
      },
    };
  }

  private async run(client: PGlite, sql: string, params: readonly unknown[]) {
    const command = /^\s*(\w+)/.exec(sql)?.[1]?.toUpperCase();
    if (params.length === 0) {
      // The simple protocol runs multi-statement text, which plain-SQL migrations need.
      const all = await client.exec(sql);
      const res = all[all.length - 1];
      return { rows: res?.rows ?? [], rowCount: res?.affectedRows ?? res?.rows.length ?? 0, command };
    }
    const res = await client.query(sql, params as unknown[]);
    return { rows: res.rows, rowCount: res.affectedRows ?? res.rows.length, command };
  }

  get busy(): boolean {
    return this.locked;
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
      idle: pool.busy ? 0 : 1,
      waiting: pool.waiting,
    }),
    setObserver: (o) => {
      pool.observer = o;
    },
    close: () => db.destroy(),
  };
}

/** Run fn in a transaction. The only way services open one, so every mutation and its audit row commit together. */
export function inTransaction<T>(db: Db, fn: (tx: Tx) => Promise<T>): Promise<T> {
  return db.transaction().execute(fn);
}

/**
 * Keyset pagination, newest first: the rows that sort after a cursor (time, id) in `time DESC, id DESC`
 * order. One row comparison, which PostgreSQL serves from a (time, id) index.
 */
export function beforeCursor(column: "created_at" | "updated_at", at: Date, id: string): RawBuilder<boolean> {
  return sql<boolean>`(${sql.ref(column)}, ${sql.ref("id")}) < (${at}, ${id})`;
}
