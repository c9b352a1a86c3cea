import { type ChildProcess, spawn } from "node:child_process";
import { existsSync, mkdirSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { type Browser, chromium } from "playwright-core";

/**
 * Helpers for the browser suite: the real `lectern serve` process on a fresh data directory, and Debian's
 * Chromium driven by playwright-core (no downloaded browser: the machine has no internet).
 */

export const ROOT = fileURLToPath(new URL("../..", import.meta.url));
export const SCREENSHOTS = join(ROOT, "test-artifacts", "screenshots");
export const CHROMIUM = "/usr/bin/chromium";
const START_TIMEOUT_MS = 60_000;

/** Why the suite cannot run here, or null. In CI a missing browser is a failure, not a skip. */
export function chromiumMissing(): string | null {
  if (existsSync(CHROMIUM)) return null;
  return `Chromium is not installed at ${CHROMIUM}: install Debian's package with \`apt-get install -y chromium\``;
}

export interface Lectern {
  url: string;
  adminEmail: string;
  adminPassword: string;
  apiKey: string;
  output(): string;
  stop(): Promise<void>;
}

/**
 * Start `bin/lectern.js serve` on a free port (PORT=0) and read the first-run credentials from stdout.
 * The environment is built from scratch so nothing in the developer's shell (DATABASE_URL…) leaks in.
 */
export async function startLectern(env: Record<string, string> = {}): Promise<Lectern> {
  const dataDir = mkdtempSync(join(tmpdir(), "lectern-browser-"));
  const child: ChildProcess = spawn(process.execPath, [join(ROOT, "bin", "lectern.js"), "serve"], {
    cwd: ROOT,
    env: {
      PATH: process.env.PATH ?? "",
      HOME: process.env.HOME ?? tmpdir(),
      PORT: "0",
      LECTERN_DATA_DIR: dataDir,
      LOG_LEVEL: "warn",
      ...env,
    },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let out = "";
  child.stdout?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  child.stderr?.setEncoding("utf8").on("data", (c: string) => {
    out += c;
  });
  const exited = new Promise<void>((resolve) => child.once("close", () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill("SIGTERM");
      const timer = setTimeout(() => child.kill("SIGKILL"), 20_000);
      await exited;
      clearTimeout(timer);
    }
    rmSync(dataDir, { recursive: true, force: true });
  };
  try {
    const url = await new Promise<string>((resolve, reject) => {
      const timer = setTimeout(
        () =>
          reject(
            new Error(`lectern serve printed no "listening" line within ${START_TIMEOUT_MS} ms:\n${out}`),
          ),
        START_TIMEOUT_MS,
      );
      const check = () => {
        const m = /^Lectern \S+ listening on (http:\/\/\S+) /m.exec(out);
        if (!m?.[1]) return;
        clearTimeout(timer);
        resolve(m[1]);
      };
      child.stdout?.on("data", check);
      void exited.then(() => {
        clearTimeout(timer);
        reject(new Error(`lectern serve exited before listening:\n${out}`));
      });
    });
    const pick = (re: RegExp, what: string) => {
      const v = re.exec(out)?.[1];
      if (!v) throw new Error(`no ${what} in the first-run output:\n${out}`);
      return v;
    };
    return {
      url,
      adminEmail: pick(/^ {2}admin email: +(\S+)$/m, "admin email"),
      adminPassword: pick(/^ {2}admin password: +(\S+)$/m, "admin password"),
      apiKey: pick(/^LECTERN_API_KEY=(lk_\S+)$/m, "API key"),
      output: () => out,
      stop,
    };
  } catch (err) {
    await stop();
    throw err;
  }
}

/** Debian's Chromium with the flags this sandbox needs; playwright gives it a fresh temporary profile. */
export async function launchChromium(): Promise<Browser> {
  mkdirSync(SCREENSHOTS, { recursive: true });
  return chromium.launch({
    executablePath: CHROMIUM,
    headless: true,
    args: [
      "--headless",
      "--no-sandbox",
      "--disable-gpu",
      "--disable-quic",
      "--no-first-run",
      "--disable-background-networking",
      "--disable-component-update",
      "--disable-sync",
    ],
  });
}
