import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { request } from "node:http";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import OpenAI from "openai";
import { afterAll, afterEach, describe, expect, it } from "vitest";
import { dbKind } from "./helpers/harness.ts";

/**
 * README's quick start, as a new user meets it: the real `bin/lectern.js serve` process, embedded mode,
 * a fresh data directory, real HTTP. It never touches the test database, so it runs once (in the pglite
 * project) rather than twice.
 */

const root = fileURLToPath(new URL("..", import.meta.url));
const bin = join(root, "bin", "lectern.js");
const LISTENING = /^Lectern \S+ listening on (http:\/\/\S+) /m;
/** Generous: a cold PGlite start applies every migration, and CI machines are slow. */
const START_TIMEOUT_MS = 60_000;

interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

interface Server {
  child: ChildProcess;
  url: string;
  /** stdout and stderr so far, interleaved */
  output(): string;
  exited: Promise<Exit>;
}

const running = new Set<ChildProcess>();
const dirs: string[] = [];

function freshDataDir(): string {
  const dir = mkdtempSync(join(tmpdir(), "lectern-quickstart-"));
  dirs.push(dir);
  return dir;
}

/**
 * Start `lectern serve` and wait for its "listening" line. The environment is built from scratch so that
 * nothing from the developer's shell (a DATABASE_URL, say) turns this into something other than a first run.
 */
async function startServer(env: Record<string, string>): Promise<Server> {
  const child = spawn(process.execPath, [bin, "serve"], {
    cwd: root,
    env: { PATH: process.env.PATH ?? "", HOME: process.env.HOME ?? tmpdir(), ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  running.add(child);
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  child.stderr?.setEncoding("utf8").on("data", (chunk: string) => {
    out += chunk;
  });
  // "close", not "exit": it comes after stdio has drained, so output() is complete by then.
  const exited = new Promise<Exit>((resolve) => {
    child.once("close", (code, signal) => {
      running.delete(child);
      resolve({ code, signal });
    });
  });
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => {
      reject(new Error(`lectern serve printed no "listening" line within ${START_TIMEOUT_MS} ms:\n${out}`));
    }, START_TIMEOUT_MS);
    const check = () => {
      const m = LISTENING.exec(out);
      if (!m?.[1]) return;
      clearTimeout(timer);
      child.stdout?.off("data", check);
      resolve(m[1]);
    };
    child.stdout?.on("data", check);
    void exited.then(({ code, signal }) => {
      clearTimeout(timer);
      reject(new Error(`lectern serve exited (code ${code}, signal ${signal}) before listening:\n${out}`));
    });
  });
  return { child, url, output: () => out, exited };
}

/** SIGTERM and wait for the process to end; a hung shutdown fails the test instead of hanging it. */
async function stop(server: Server, timeoutMs = 30_000): Promise<Exit> {
  server.child.kill("SIGTERM");
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(
      () => reject(new Error(`no exit within ${timeoutMs} ms of SIGTERM:\n${server.output()}`)),
      timeoutMs,
    );
  });
  try {
    return await Promise.race([server.exited, timeout]);
  } finally {
    clearTimeout(timer);
  }
}

async function call<T = Record<string, unknown>>(
  server: Server,
  method: string,
  path: string,
  apiKey: string,
  body?: unknown,
): Promise<{ status: number; body: T }> {
  const res = await fetch(`${server.url}${path}`, {
    method,
    headers: {
      authorization: `Bearer ${apiKey}`,
      ...(body === undefined ? {} : { "content-type": "application/json" }),
    },
    ...(body === undefined ? {} : { body: JSON.stringify(body) }),
  });
  const text = await res.text();
  try {
    return { status: res.status, body: JSON.parse(text) as T };
  } catch {
    throw new Error(`${method} ${path}: expected JSON, got ${res.status}: ${text.slice(0, 500)}`);
  }
}

/** node:http with no agent: the request carries Connection: close and the socket ends with the response. */
function postWithoutKeepAlive(
  url: string,
  apiKey: string,
  body: unknown,
): Promise<{ status: number; body: Execution }> {
  return new Promise((resolve, reject) => {
    const req = request(
      url,
      {
        method: "POST",
        agent: false,
        headers: { authorization: `Bearer ${apiKey}`, "content-type": "application/json" },
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8").on("data", (chunk: string) => {
          text += chunk;
        });
        res.on("end", () => {
          try {
            resolve({ status: res.statusCode ?? 0, body: JSON.parse(text) as Execution });
          } catch {
            reject(new Error(`expected JSON, got ${res.statusCode}: ${text.slice(0, 500)}`));
          }
        });
      },
    );
    req.on("error", reject);
    req.end(JSON.stringify(body));
  });
}

function printedKey(output: string): string | undefined {
  return /^LECTERN_API_KEY=(lk_\S+)$/m.exec(output)?.[1];
}

interface Execution {
  id: string;
  status: string;
  output: string;
  model: string;
  usage: { input_tokens: number; output_tokens: number };
  cost_usd: string;
  latency_ms: number;
}

afterEach(async () => {
  // A failed assertion must not leave a server holding a port and a PGlite directory.
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

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

describe.skipIf(dbKind !== "pglite")("quick start (the real process, embedded mode)", () => {
  it("first start prints credentials and a key; prompts run; data and key survive a graceful restart", async () => {
    const dataDir = freshDataDir();
    // PORT=0 picks a free port; main.ts prints the bound port, not the configured 0.
    const env = { PORT: "0", LECTERN_DATA_DIR: dataDir, LOG_LEVEL: "warn" };
    const first = await startServer(env);
    expect(first.url).toMatch(/^http:\/\/127\.0\.0\.1:\d+$/);
    expect(first.url).not.toMatch(/:0$/);
    expect(first.output()).toMatch(/\(embedded mode, pglite\)/);
    expect(first.output()).toMatch(/^ {2}admin email: {4}admin@lectern\.local$/m);
    expect(first.output()).toMatch(/^ {2}admin password: \S{12,}$/m);
    const apiKey = printedKey(first.output());
    expect(apiKey, first.output()).toBeDefined();
    const key = apiKey as string;

    // The README's "Try it" request, verbatim apart from the port.
    const adHoc = await call<Execution>(first, "POST", "/api/v1/executions", key, {
      model: "mock/echo",
      messages: [{ role: "user", content: "Hello" }],
    });
    expect(adHoc.status, JSON.stringify(adHoc.body)).toBe(200);
    expect(adHoc.body.output).toBe("Echo: Hello");

    // The README's OpenAI-client snippet against /v1.
    const client = new OpenAI({ apiKey: key, baseURL: `${first.url}/v1`, maxRetries: 0 });
    const chat = await client.chat.completions.create({
      model: "mock/echo",
      messages: [{ role: "user", content: "Hi" }],
    });
    expect(chat.choices[0]?.message.content).toBe("Echo: Hi");

    const created = await call<{ id: string; version: { variables: string[] } }>(
      first,
      "POST",
      "/api/v1/prompts",
      key,
      {
        name: "greeting",
        version: { model: "mock/echo", messages: [{ role: "user", content: "Say hello to {{name}}" }] },
      },
    );
    expect(created.status, JSON.stringify(created.body)).toBe(201);
    expect(created.body.version.variables).toEqual(["name"]);

    const run = await call<Execution>(first, "POST", `/api/v1/prompts/${created.body.id}/execute`, key, {
      variables: { name: "Ada" },
    });
    expect(run.status, JSON.stringify(run.body)).toBe(200);
    expect(run.body).toMatchObject({
      status: "succeeded",
      model: "mock/echo",
      output: "Echo: Say hello to Ada",
    });
    // mock tokens: ceil(chars / 4) + 4 framing per input message → 16 chars: 4 + 4 = 8 in; 22 chars: 6 out.
    // mock price $0.5 / $1.5 per million → 8 × 0.5 + 6 × 1.5 = 13 micro-USD, exactly.
    expect(run.body.usage).toMatchObject({ input_tokens: 8, output_tokens: 6 });
    expect(run.body.cost_usd).toBe("0.000013");

    const spec = await fetch(`${first.url}/api/v1/openapi.json`);
    expect(spec.status).toBe(200);
    expect(((await spec.json()) as { openapi: string }).openapi).toBe("3.1.0");

    expect(await stop(first)).toEqual({ code: 0, signal: null });

    const keyFile = join(dataDir, "master.key");
    expect(existsSync(keyFile)).toBe(true);
    // The key file decrypts every stored provider credential: owner read/write only.
    expect(statSync(keyFile).mode & 0o777).toBe(0o600);

    const second = await startServer(env);
    expect(printedKey(second.output()), second.output()).toBeUndefined();
    expect(second.output()).not.toMatch(/admin password/);

    const stored = await call<Execution>(second, "GET", `/api/v1/executions/${run.body.id}`, key);
    expect(stored.status, JSON.stringify(stored.body)).toBe(200);
    expect(stored.body).toMatchObject({
      id: run.body.id,
      output: "Echo: Say hello to Ada",
      cost_usd: "0.000013",
    });

    expect(await stop(second)).toEqual({ code: 0, signal: null });
  }, 180_000);

  // mock/slow takes LECTERN_MOCK_LATENCY_MS + 1000 ms: 2.5 s, far longer than the 300 ms before SIGTERM.
  const slowEnv = () => ({
    PORT: "0",
    LECTERN_DATA_DIR: freshDataDir(),
    LOG_LEVEL: "warn",
    LECTERN_MOCK_LATENCY_MS: "1500",
  });
  const slowCall = { model: "mock/slow", messages: [{ role: "user", content: "still there?" }] };

  it("SIGTERM lets an in-flight request finish, then exits 0", async () => {
    const server = await startServer(slowEnv());
    const key = printedKey(server.output()) as string;
    // One request per connection (Connection: close), so only the drain itself is under test here.
    const inFlight = postWithoutKeepAlive(`${server.url}/api/v1/executions`, key, slowCall);
    await new Promise((resolve) => setTimeout(resolve, 300));
    expect(server.child.exitCode, "server died before SIGTERM").toBeNull();
    const exit = stop(server);
    exit.catch(() => {}); // awaited below; this only keeps an early failure from also reporting it as unhandled

    const res = await inFlight;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(res.body).toMatchObject({ status: "succeeded", output: "Echo: still there?" });
    // the slow model's own delay, so the request was still running when SIGTERM arrived at 300 ms
    expect(res.body.latency_ms).toBeGreaterThanOrEqual(2500);
    expect(await exit).toEqual({ code: 0, signal: null });
  }, 120_000);

  // A response finished during the drain leaves a keep-alive client (fetch, the OpenAI SDK, any load
  // balancer) holding an idle socket; shutdown must close idle sockets rather than wait for them.
  it("SIGTERM with a keep-alive client mid-request still exits 0 promptly", async () => {
    const server = await startServer(slowEnv());
    const key = printedKey(server.output()) as string;
    const inFlight = call<Execution>(server, "POST", "/api/v1/executions", key, slowCall);
    await new Promise((resolve) => setTimeout(resolve, 300));
    const exit = stop(server, 10_000);
    exit.catch(() => {}); // awaited below; this only keeps an early failure from also reporting it as unhandled
    const res = await inFlight;
    expect(res.status, JSON.stringify(res.body)).toBe(200);
    expect(await exit).toEqual({ code: 0, signal: null });
  }, 120_000);
});
