import { existsSync } from "node:fs";
import { join } from "node:path";
import type { Browser, Page } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ensureWebBuilt } from "../../src/features/web/build.ts";
import { chromiumMissing, type Lectern, launchChromium, ROOT, SCREENSHOTS, startLectern } from "./helpers.ts";

/**
 * Scenario 6 of the console in Chromium: evaluations and workflows, as the admin. Its own server (fresh data
 * directory) so the mock models can be quick here while console.int.test.ts keeps its slow, watchable stream;
 * the job runner is on (LECTERN_WORKER defaults to true), so runs progress by themselves. Screenshots land in
 * test-artifacts/screenshots/ next to the other pages'.
 */

const isPglite = process.env.LECTERN_TEST_DB === "pglite";
const missing = chromiumMissing();
const inCi = process.env.CI === "true";

/** Slow enough to see a run in progress (one cell at a time), quick enough for a short suite. */
const MOCK_LATENCY_MS = "400";
const STEP_MS = 90_000;
/** Bounded waits for background runs. */
const RUN_MS = 45_000;

const BAD_CSV = "name,expected\nAda,Echo: Hi Ada\nBob,Echo: Hi Bob,extra\nCy\n";
const GOOD_CSV = "name,expected\nAda,Echo: Hi Ada\nBob,Echo: Hi Bob\n";

describe.skipIf(!isPglite || (missing !== null && !inCi))(
  "web console in Chromium: evaluations and workflows",
  () => {
    let lectern: Lectern | undefined;
    let browser: Browser | undefined;
    let page: Page;
    const problems: string[] = [];
    let promptId = "";

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
      // The prompt under test comes from the API: creating prompts in the console is scenario 2's.
      const res = await fetch(url("/api/v1/prompts"), {
        method: "POST",
        headers: { authorization: `Bearer ${lectern.apiKey}`, "content-type": "application/json" },
        body: JSON.stringify({
          name: "Greeter",
          version: { model: "mock/echo", messages: [{ role: "user", content: "Hi {{name}}" }] },
        }),
      });
      expect(res.status).toBe(201);
      promptId = ((await res.json()) as { id: string }).id;

      browser = await launchChromium();
      const context = await browser.newContext({ viewport: { width: 1360, height: 900 } });
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

      await page.goto(url("/"));
      await page.getByLabel("Email").fill(lectern.adminEmail);
      await page.getByLabel("Password").fill(lectern.adminPassword);
      await page.getByRole("button", { name: "Sign in" }).click();
      await nav().waitFor();
    }, 180_000);

    afterAll(async () => {
      await browser?.close();
      await lectern?.stop();
    }, 60_000);

    it(
      "6a. creates a dataset from a CSV file, after the API's per-line errors for a bad one",
      async () => {
        for (const item of ["Workflows", "Evaluations", "Datasets"]) {
          expect(await nav().getByRole("link", { name: item, exact: true }).count(), item).toBe(1);
        }
        await nav().getByRole("link", { name: "Datasets", exact: true }).click();
        await page.getByText("No datasets yet").waitFor();
        await page.getByRole("link", { name: "New dataset" }).click();
        await page.getByLabel("Name", { exact: true }).fill("people");
        const file = page.getByLabel("File (CSV or JSONL)");
        await file.setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(BAD_CSV) });
        await page.getByRole("button", { name: "Create and import" }).click();

        const errors = page.getByTestId("import-errors");
        await errors.waitFor();
        expect(await errors.textContent()).toContain("people.csv was not imported: 2 bad lines");
        const rows = errors.locator("tbody tr");
        expect(await rows.count()).toBe(2);
        expect(await rows.nth(0).textContent()).toBe("3expected 2 fields, found 3Bob,Echo: Hi Bob,extra");
        expect(await rows.nth(1).textContent()).toBe("4expected 2 fields, found 1Cy");
        expect(await errors.textContent()).toMatch(/request req_/);
        await page.getByText(/was created and is empty/).waitFor();
        await shot("14-dataset-import-errors");

        await file.setInputFiles({ name: "people.csv", mimeType: "text/csv", buffer: Buffer.from(GOOD_CSV) });
        await page.getByRole("button", { name: "Import file" }).click();
        await page.getByRole("heading", { name: "people", level: 1 }).waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/datasets\/ds_/);
        expect(await page.getByTestId("item-count").textContent()).toBe("2");
        await page.getByTestId("items-table").getByText("Echo: Hi Bob").waitFor();
        await shot("15-dataset");

        await nav().getByRole("link", { name: "Datasets", exact: true }).click();
        await page.getByRole("link", { name: "people" }).waitFor();
        expect(await page.getByRole("link", { name: "people" }).count()).toBe(1);
      },
      STEP_MS,
    );

    it(
      "6b. evaluates a prompt version × two mock models on it, with live progress to 100% and aggregates per model",
      async () => {
        await page.getByRole("link", { name: "people" }).click();
        await page.getByRole("link", { name: "Start an evaluation" }).click();
        await page.getByRole("heading", { name: "New evaluation", level: 1 }).waitFor();
        expect(await page.getByLabel("Dataset").inputValue()).toMatch(/^ds_/);
        await page.getByLabel("Name (optional)").fill("echo vs lorem");
        await page.getByLabel("Prompt 1", { exact: true }).selectOption({ label: "Greeter" });
        await page.getByLabel("Version of prompt 1").selectOption("v:1");
        await page.getByLabel("mock/echo", { exact: true }).check();
        await page.getByLabel("mock/lorem", { exact: true }).check();
        // One cell at a time, so the progress is visible while it climbs.
        await page.getByLabel(/^Concurrency/).fill("1");
        expect(await page.getByTestId("cell-count").textContent()).toContain("= 4 model calls");
        await page.getByRole("button", { name: "Start evaluation" }).click();

        await page.getByRole("heading", { name: "echo vs lorem", level: 1 }).waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/evaluations\/evr_/);
        const progress = page.getByTestId("progress-text");
        await progress.waitFor();
        const first = (await progress.textContent()) ?? "";
        expect(first).toMatch(/^\d of 4 cells \(\d+%\)/);
        await page
          .getByTestId("progress-text")
          .getByText("4 of 4 cells (100%)", { exact: true })
          .waitFor({ timeout: RUN_MS });
        await page.getByTestId("run-status").getByText("succeeded").waitFor();
        expect(await page.getByRole("progressbar", { name: "Cells done" }).getAttribute("value")).toBe("100");

        const rows = page.getByTestId("aggregates").locator("tbody tr");
        await rows.nth(1).waitFor();
        expect(await rows.count()).toBe(2);
        const byModel = new Map<string, string>();
        for (let i = 0; i < 2; i++) {
          const text = (await rows.nth(i).textContent()) ?? "";
          byModel.set(
            text.includes("mock/echo") ? "mock/echo" : text.includes("mock/lorem") ? "mock/lorem" : "?",
            text,
          );
        }
        expect([...byModel.keys()].sort()).toEqual(["mock/echo", "mock/lorem"]);
        expect(byModel.get("mock/echo")).toContain("2/2");
        expect(byModel.get("mock/echo")).toContain("100%");
        expect(byModel.get("mock/lorem")).toContain("0%");
        for (const cost of await page.getByTestId("aggregates").getByTestId("cost").allTextContents()) {
          expect(cost).toMatch(/^\$\d+(\.\d+)?$/);
        }
        await page
          .getByRole("img", { name: /Bar chart of pass rate and mean score/ })
          .locator("canvas")
          .waitFor();
        await shot("16-evaluation-run");

        await page.getByRole("link", { name: "Results (4)" }).click();
        const results = page.getByTestId("results").locator("tbody tr");
        await results.nth(3).waitFor();
        expect(await results.count()).toBe(4);
        await page.getByTestId("results").getByText("Echo: Hi Ada", { exact: true }).waitFor();
        await page.getByLabel("Outcome").selectOption("false");
        await page.getByTestId("results").getByText("mock/lorem").first().waitFor();
        await page.waitForFunction(() => {
          const d = (
            globalThis as unknown as { document: { querySelectorAll(s: string): { length: number } } }
          ).document;
          return d.querySelectorAll('[data-testid="results"] tbody tr').length === 2;
        });
        await shot("17-evaluation-results");

        await page.getByRole("link", { name: "Compare" }).click();
        const summary = page.getByTestId("compare-summary");
        await summary.waitFor();
        expect(await summary.textContent()).toContain("Compared items2");
        expect(await summary.textContent()).toContain("Regressed2");
        await shot("18-evaluation-compare");

        await nav().getByRole("link", { name: "Evaluations", exact: true }).click();
        await page.getByRole("link", { name: "echo vs lorem" }).waitFor();
        await page.getByText("4/4 (100%)").waitFor();
        await shot("19-evaluations");
      },
      STEP_MS,
    );

    it(
      "6c. creates a workflow of two parallel prompt steps and a join, runs it, and shows every step and the DAG",
      async () => {
        await nav().getByRole("link", { name: "Workflows", exact: true }).click();
        await page.getByText("No workflows yet").waitFor();
        await page.getByRole("link", { name: "New workflow" }).click();
        await page.getByLabel("Name", { exact: true }).fill("Greet twice");
        const definition = (joinTemplate: string) => ({
          inputs: [{ name: "name" }],
          steps: [
            { id: "echo", type: "prompt", prompt_id: promptId, variables: { name: "{{inputs.name}}" } },
            {
              id: "lorem",
              type: "prompt",
              prompt_id: promptId,
              model: "mock/lorem",
              variables: { name: "{{inputs.name}}" },
            },
            { id: "join", type: "transform", op: "template", template: joinTemplate },
          ],
          output: "{{steps.join.output}}",
        });
        const editor = page.getByLabel("Definition (JSON)");
        // First a reference to a step that does not exist: the API's problem is shown under its step.
        await editor.fill(
          JSON.stringify(definition("{{steps.echo.output}} | {{steps.nope.output}}"), null, 2),
        );
        await page.getByRole("button", { name: "Create workflow" }).click();
        const problems_ = page.getByTestId("definition-errors");
        await problems_.waitFor();
        expect(await problems_.textContent()).toMatch(/Step “join”.*nope/);
        await shot("22-workflow-definition-errors");

        await editor.fill(
          JSON.stringify(definition("{{steps.echo.output}}\n---\n{{steps.lorem.output}}"), null, 2),
        );
        expect(await page.getByTestId("dag").locator(".dag-node").count()).toBe(3);
        await page.getByRole("button", { name: "Create workflow" }).click();
        await page.getByRole("heading", { name: "Greet twice", level: 1 }).waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/workflows\/wf_/);

        await page.getByLabel("name", { exact: true }).fill("Ada");
        await page.getByRole("button", { name: "Run workflow" }).click();
        await page.getByRole("heading", { name: "Workflow run", level: 1 }).waitFor();
        expect(new URL(page.url()).pathname).toMatch(/^\/workflows\/runs\/wfr_/);
        await page.getByTestId("run-status").getByText("succeeded").waitFor({ timeout: RUN_MS });

        const steps = page.getByTestId("steps").locator("tbody tr");
        await steps.nth(2).waitFor();
        expect(await steps.count()).toBe(3);
        for (let i = 0; i < 3; i++)
          expect(await steps.nth(i).locator(".badge").textContent()).toBe("succeeded");
        expect(await page.getByTestId("run-output").textContent()).toMatch(/^Echo: Hi Ada\n---\n\S/);
        const dag = page.getByTestId("dag");
        expect(await dag.locator(".dag-node").count()).toBe(3);
        expect(await dag.locator(".dag-node-succeeded").count()).toBe(3);
        expect(await dag.locator("path.dag-edge").count()).toBe(2);
        // echo and lorem side by side in the first column, join after them
        const box = async (step: string) => dag.locator(`[data-step="${step}"]`).boundingBox();
        const [echo, lorem, joined] = [await box("echo"), await box("lorem"), await box("join")];
        expect(echo?.x).toBe(lorem?.x);
        expect(joined?.x ?? 0).toBeGreaterThan(echo?.x ?? 0);
        expect(await dag.locator("ol li").last().textContent()).toBe(
          "join: transform (template), succeeded. Column 2; runs after echo and lorem.",
        );
        await shot("20-workflow-run");

        await page.getByRole("link", { name: "Greet twice" }).first().click();
        await page.getByRole("heading", { name: "Greet twice", level: 1 }).waitFor();
        await page.getByRole("row", { name: /succeeded/ }).waitFor();
        await shot("21-workflow");
      },
      STEP_MS,
    );

    it("saw no CSP violation and no uncaught error on any page", () => {
      expect(problems).toEqual([]);
    });
  },
);
