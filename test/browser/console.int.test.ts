import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../src/features/web/build.ts";
import { chromiumMissing, type Lectern, launchChromium, ROOT, SCREENSHOTS, startLectern } from "./helpers.ts";

/**
 * The web console as a person meets it: the real server (embedded defaults, fresh data directory), the
 * built console, Debian's Chromium. It runs once, in the pglite project: it never touches the test
 * database. Screenshots of each main page land in test-artifacts/screenshots/.
 */

const isPglite = process.env.LECTERN_TEST_DB === "pglite";
const missing = chromiumMissing();
const inCi = process.env.CI === "true";
if (isPglite && missing && !inCi) console.warn(`[skipping browser suite] ${missing}`);

/** The mock model spreads this latency over its words, so the stream is slow enough to watch. */
const MOCK_LATENCY_MS = "1500";
/** Each step drives several pages; the project default (5 s) is for inject() tests. */
const STEP_MS = 60_000;

/**
 * Runs in the page: the output's text while the run is still streaming and something has arrived, else
 * false. A function, not a string: the console's CSP forbids eval, which a string would need. The DOM
 * types are spelled out because this file compiles without the DOM library.
 */
function streamingText(): string | false {
  type El = { getAttribute(name: string): string | null; textContent: string | null };
  const doc = (globalThis as unknown as { document: { querySelector(s: string): El | null } }).document;
  const o = doc.querySelector('[data-testid="output"]');
  return o && o.getAttribute("aria-busy") === "true" && o.textContent?.trim() ? o.textContent : false;
}

describe.skipIf(!isPglite || (missing !== null && !inCi))("web console in Chromium", () => {
  let lectern: Lectern | undefined;
  let browser: Browser | undefined;
  let page: Page;
  const problems: string[] = [];
  let promptId = "";

  /** A full-page screenshot from the top: scrolled, the sticky sidebar and header would be drawn mid-page. */
  const shot = async (name: string) => {
    await page.evaluate(() =>
      (globalThis as unknown as { scrollTo(x: number, y: number): void }).scrollTo(0, 0),
    );
    await page.screenshot({ path: join(SCREENSHOTS, `${name}.png`), fullPage: true });
  };
  const url = (path: string) => `${lectern?.url}${path}`;
  const nav = () => page.getByRole("navigation", { name: "Main" });

  beforeAll(async () => {
    if (missing) throw new Error(missing);
    const result = await ensureWebBuilt(console);
    if (!existsSync(join(ROOT, "web", "dist", "index.html"))) {
      throw new Error(`the web console is not built (ensureWebBuilt: ${result}); see the log above`);
    }
    lectern = await startLectern({ LECTERN_MOCK_LATENCY_MS: MOCK_LATENCY_MS });
    browser = await launchChromium();
    const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
    // Chrome logs CSP violations itself too; this also catches those in report-only style dispatch.
    await context.addInitScript(
      `document.addEventListener("securitypolicyviolation", (e) => console.error("CSP violation: " + e.violatedDirective + " " + e.blockedURI));`,
    );
    page = await context.newPage();
    page.setDefaultTimeout(15_000);
    page.on("pageerror", (e) => problems.push(`page error: ${e.message}`));
    page.on("console", (m) => {
      if (m.type() === "error" && /CSP violation|Content Security Policy/i.test(m.text()))
        problems.push(m.text());
    });
  }, 180_000);

  afterAll(async () => {
    await browser?.close();
    await lectern?.stop();
  }, 60_000);

  it(
    "serves the console under a strict CSP and keeps the API's JSON 404",
    async () => {
      const res = await fetch(url("/prompts"), { headers: { accept: "text/html" } });
      expect(res.status).toBe(200);
      expect(res.headers.get("content-security-policy")).toMatch(/script-src 'self'/);
      expect(res.headers.get("content-security-policy")).not.toMatch(/unsafe-inline|unsafe-eval/);
      const api = await fetch(url("/api/v1/nope"), { headers: { accept: "text/html" } });
      expect(api.status).toBe(404);
      expect(await api.json()).toMatchObject({ error: { code: "not_found" } });
    },
    STEP_MS,
  );

  it(
    "1. logs in with the printed credentials, showing the API's error for a wrong password",
    async () => {
      const l = lectern as Lectern;
      await page.goto(url("/"));
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      await shot("01-login");
      await page.getByLabel("Email").fill(l.adminEmail);
      await page.getByLabel("Password").fill("not-the-password");
      await page.getByRole("button", { name: "Sign in" }).click();
      const alert = page.getByRole("alert");
      await alert.getByText("Invalid email or password").waitFor();
      expect(await alert.textContent()).toMatch(/request req_/);

      await page.getByLabel("Password").fill(l.adminPassword);
      await page.getByRole("button", { name: "Sign in" }).click();
      await nav().waitFor();
      await page.getByRole("heading", { name: "Playground", level: 1 }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/playground");
      for (const item of ["Playground", "Prompts", "Executions", "API keys", "Members", "Settings"]) {
        expect(await nav().getByRole("link", { name: item, exact: true }).count(), item).toBe(1);
      }
    },
    STEP_MS,
  );

  it(
    "2. creates a prompt with a variable",
    async () => {
      await nav().getByRole("link", { name: "Prompts", exact: true }).click();
      await page.getByText("No prompts yet").waitFor();
      await page.getByRole("link", { name: "New prompt" }).click();
      await page.getByLabel("Name", { exact: true }).fill("Greeter");
      await page.getByLabel("Tags").fill("demo, onboarding");
      await page.getByLabel("Description").fill("Greets a person by name.");
      await page.getByLabel("Content of message 2 (user)").fill("Say hello to {{name}}, please.");
      await page.getByText("Variables: name").waitFor();
      await page.getByLabel("Commit message").fill("First draft");
      await page.getByRole("button", { name: "Create prompt" }).click();
      await page.getByRole("heading", { name: "Greeter", level: 1 }).waitFor();
      await page.getByRole("heading", { name: "Version 1 (latest)" }).waitFor();
      promptId = new URL(page.url()).pathname.split("/")[2] ?? "";
      expect(promptId).toMatch(/^pmt_/);
      await shot("03-prompt-detail");

      await nav().getByRole("link", { name: "Prompts", exact: true }).click();
      await page.getByRole("link", { name: "Greeter" }).waitFor();
      await page.getByLabel("Search prompts").fill("nothing-like-this");
      await page.getByText("No prompts match").waitFor();
      await page.getByLabel("Search prompts").fill("greet");
      await page.getByRole("link", { name: "Greeter" }).waitFor();
      await shot("02-prompts");
    },
    STEP_MS,
  );

  it(
    "3. runs it in the playground on the mock model, streaming, with tokens, cost and latency",
    async () => {
      await page.getByRole("link", { name: "Greeter" }).click();
      await page.getByRole("link", { name: "Open in playground" }).click();
      await page.getByTestId("run-mode").getByText("Runs Greeter v1 as saved.").waitFor();
      await page.getByLabel("name", { exact: true }).fill("Ada");
      await page.getByRole("button", { name: "Run", exact: true }).click();

      const partial = String(
        await (await page.waitForFunction(streamingText, undefined, { polling: 20 })).jsonValue(),
      );
      await page.getByTestId("run-metrics").waitFor();
      const final = (await page.getByTestId("output").textContent()) ?? "";
      expect(final).toBe("Echo: Say hello to Ada, please.");
      expect(partial.length).toBeLessThan(final.length);
      expect(final.startsWith(partial)).toBe(true);
      const metrics = page.getByTestId("run-metrics");
      const cost = (await metrics.getByTestId("cost").textContent()) ?? "";
      expect(cost).toMatch(/^\$0\.\d*[1-9]\d*$/);
      expect(await metrics.textContent()).toMatch(/Latency\d[\d.]* m?s/);
      expect(await metrics.textContent()).toMatch(/Total tokens\d+/);
      await shot("04-playground");

      await page.getByRole("link", { name: /^Open execution exe_/ }).click();
      await page.getByRole("heading", { name: "Execution", level: 1 }).waitFor();
      await page.getByRole("link", { name: "Greeter" }).waitFor();
      expect(await page.getByTestId("cost").first().textContent()).toBe(cost);
      await page.getByText("Say hello to Ada, please.").first().waitFor();
      await shot("06-execution-detail");

      await nav().getByRole("link", { name: "Executions" }).click();
      await page.getByRole("cell", { name: "Greeter" }).first().waitFor();
      await page.getByLabel("Status").selectOption("failed");
      await page.getByText("No executions match these filters").waitFor();
      await page.getByLabel("Status").selectOption("succeeded");
      await page.getByRole("cell", { name: "Greeter" }).first().waitFor();
    },
    STEP_MS,
  );

  it(
    "shows the model's own error message, and lists the failed run with a latency chart",
    async () => {
      await nav().getByRole("link", { name: "Playground" }).click();
      await page.getByLabel("Content of message 2 (user)").fill("Anything at all");
      await page.getByLabel("Model").selectOption("mock/error");
      await page.getByRole("button", { name: "Run", exact: true }).click();
      const alert = page.getByRole("alert").filter({ hasText: "The run failed" });
      await alert.getByText(/always fails/).waitFor();
      expect(await alert.textContent()).toMatch(/request req_/);
      await shot("04b-playground-error");

      await nav().getByRole("link", { name: "Executions" }).click();
      await page
        .getByRole("row", { name: /failed/ })
        .first()
        .waitFor();
      await page
        .getByRole("img", { name: /Bar chart of latency/ })
        .locator("canvas")
        .waitFor();
      await shot("05-executions");
    },
    STEP_MS,
  );

  it(
    "saves an edit as a new version, diffs the versions and moves the production label",
    async () => {
      await page.goto(url(`/playground?prompt=${promptId}&version=1`));
      await page.getByTestId("run-mode").getByText("Runs Greeter v1 as saved.").waitFor();
      await page.getByLabel("Content of message 2 (user)").fill("Say hello to {{name}}, warmly.");
      await page
        .getByTestId("run-mode")
        .getByText(/^Edited/)
        .waitFor();
      await page.getByLabel(/Commit message for a new version/).fill("Warmer");
      await page.getByRole("button", { name: "Save as new version" }).click();
      await page.getByText("Saved as version 2").waitFor();
      await page.getByRole("link", { name: "Open the prompt" }).click();
      await page.getByRole("link", { name: "History (2)" }).click();
      const diff = page.getByRole("figure", { name: "Changes from v1 to v2" });
      await diff.getByText("+1").waitFor();
      expect(await diff.locator(".diff-del").textContent()).toContain("Say hello to {{name}}, please.");
      expect(await diff.locator(".diff-add").textContent()).toContain("Say hello to {{name}}, warmly.");
      await shot("07-prompt-history-diff");

      await page.getByRole("link", { name: "Overview" }).click();
      await page.getByLabel("Label", { exact: true }).fill("production");
      await page.getByLabel("Version", { exact: true }).selectOption("2");
      await page.getByRole("button", { name: "Set label", exact: true }).click();
      await page.getByText("“production” now points at v2.").waitFor();
      await page.getByLabel("Version", { exact: true }).selectOption("1");
      await page.getByRole("button", { name: "Move label", exact: true }).click();
      await page.getByText("“production” now points at v1.").waitFor();
      await shot("03b-prompt-labels");
    },
    STEP_MS,
  );

  it(
    "4. creates an API key and shows it only once",
    async () => {
      await nav().getByRole("link", { name: "API keys" }).click();
      await page.getByLabel("Name", { exact: true }).fill("CI deploy");
      await page.getByRole("button", { name: "Create key" }).click();
      const secret = page.getByTestId("new-key-value");
      await secret.waitFor();
      const key = await secret.inputValue();
      expect(key).toMatch(/^lk_[A-Za-z0-9]{38}$/);
      await page.getByRole("button", { name: "Copy" }).waitFor();
      const works = await fetch(url("/api/v1/models"), { headers: { authorization: `Bearer ${key}` } });
      expect(works.status).toBe(200);
      await shot("08-api-key-created");

      await page.getByRole("button", { name: "Done, I have copied it" }).click();
      await page.getByTestId("new-key").waitFor({ state: "detached" });
      expect(await page.content()).not.toContain(key);
      await page.reload();
      await page.getByRole("cell", { name: "CI deploy", exact: true }).waitFor();
      expect(await page.content()).not.toContain(key);
      await shot("09-api-keys");

      await page.getByRole("button", { name: "Revoke CI deploy" }).click();
      await page.getByRole("button", { name: "Revoke key" }).click();
      await page
        .getByRole("row", { name: /CI deploy/ })
        .getByText("revoked")
        .waitFor();
      const revoked = await fetch(url("/api/v1/models"), { headers: { authorization: `Bearer ${key}` } });
      expect(revoked.status).toBe(401);
    },
    STEP_MS,
  );

  it(
    "5. as a viewer, finds no edit controls",
    async () => {
      await nav().getByRole("link", { name: "Members" }).click();
      await page.getByLabel("Email").fill("viewer@example.com");
      await page.getByLabel("Name (optional)").fill("Vera Viewer");
      await page.getByLabel("Role", { exact: true }).selectOption("viewer");
      await page.getByLabel("Password for a new user (optional)").fill("viewer-password-1");
      await page.getByRole("button", { name: "Add member" }).click();
      await page.getByText("Added viewer@example.com as viewer.").waitFor();
      await shot("10-members");
      await nav().getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { name: "Organization" }).waitFor();
      await page.getByLabel("Name", { exact: true }).waitFor();
      await shot("11-settings");

      await page.getByRole("button", { name: /Admin/ }).click();
      await page.getByRole("button", { name: "Sign out" }).click();
      await page.getByRole("heading", { name: "Sign in" }).waitFor();
      expect(new URL(page.url()).pathname).toBe("/");
      await page.getByLabel("Email").fill("viewer@example.com");
      await page.getByLabel("Password").fill("viewer-password-1");
      await page.getByRole("button", { name: "Sign in" }).click();
      await page.getByRole("heading", { name: "Prompts", level: 1 }).waitFor();

      for (const hidden of ["Playground", "API keys"]) {
        expect(await nav().getByRole("link", { name: hidden }).count(), hidden).toBe(0);
      }
      await page.getByRole("link", { name: "Greeter" }).waitFor();
      expect(await page.getByRole("link", { name: "New prompt" }).count()).toBe(0);

      await page.getByRole("link", { name: "Greeter" }).click();
      await page.getByRole("heading", { name: "Greeter", level: 1 }).waitFor();
      await page.getByText("production").first().waitFor();
      for (const name of [
        "Edit",
        "Delete",
        "Open in playground",
        "Set label",
        "Move label",
        "Remove label production",
      ]) {
        expect(await page.getByRole("link", { name, exact: true }).count(), name).toBe(0);
        expect(await page.getByRole("button", { name, exact: true }).count(), name).toBe(0);
      }
      expect(await page.getByRole("textbox").count()).toBe(0);
      await shot("12-viewer-prompt");

      await nav().getByRole("link", { name: "Members" }).click();
      await page.getByRole("cell", { name: "viewer@example.com" }).waitFor();
      expect(await page.getByRole("heading", { name: "Add a member" }).count()).toBe(0);
      expect(await page.getByRole("combobox").count()).toBe(0);
      expect(await page.getByRole("button", { name: /^Remove/ }).count()).toBe(0);

      await nav().getByRole("link", { name: "Settings" }).click();
      await page.getByRole("heading", { name: "Organization" }).waitFor();
      expect(await page.getByRole("button", { name: "Save" }).count()).toBe(0);

      await page.goto(url("/playground"));
      await page.getByText("Not available to your role").waitFor();
      await shot("13-viewer-playground");
    },
    STEP_MS,
  );

  it("saw no CSP violation and no uncaught error on any page", () => {
    expect(problems).toEqual([]);
  });
});
