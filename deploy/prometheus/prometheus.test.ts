import { spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse } from "yaml";

/**
 * The alert rules' checks: the structure every alert must have (annotations, runbooks, a firing and a
 * silent promtool case), then promtool itself, then a test of the tests — a broken threshold must make
 * `promtool test rules` fail. promtool is Debian's `prometheus` package (2.42); outside CI a missing binary
 * skips those tests, in CI it fails them.
 */

const here = dirname(fileURLToPath(import.meta.url));
const repoRoot = resolve(here, "../..");
const rulesDir = join(here, "rules");
const testsDir = join(here, "tests");
const runbooksDir = join(repoRoot, "docs/runbooks");
const RUNBOOK_BASE = "https://github.com/lectern/lectern/blob/main/docs/runbooks/";
const SEVERITIES = ["critical", "warning"];

interface Rule {
  alert?: string;
  record?: string;
  expr: string;
  labels?: Record<string, string>;
  annotations?: Record<string, string>;
}
interface RuleFile {
  groups: { name: string; rules: Rule[] }[];
}
interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: { exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }[] | null;
}
interface TestFile {
  rule_files: string[];
  evaluation_interval?: string;
  group_eval_order?: string[];
  tests: { name?: string; interval?: string; alert_rule_test?: AlertCase[] }[];
}

const ruleFiles = readdirSync(rulesDir)
  .filter((f) => f.endsWith(".yml"))
  .map((f) => join(rulesDir, f));
const testFiles = readdirSync(testsDir)
  .filter((f) => f.endsWith(".test.yml"))
  .map((f) => join(testsDir, f));
const groups = ruleFiles.flatMap((f) => (parse(readFileSync(f, "utf8")) as RuleFile).groups);
const alerts = groups.flatMap((g) => g.rules.filter((r) => r.alert !== undefined));
const alertNames = [...new Set(alerts.map((a) => a.alert as string))];
const tests = testFiles.map((f) => ({ file: f, spec: parse(readFileSync(f, "utf8")) as TestFile }));
const alertCases = tests.flatMap((t) => t.spec.tests.flatMap((c) => c.alert_rule_test ?? []));

function which(bin: string): string | null {
  const r = spawnSync("which", [bin], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}
const inCi = process.env.CI === "true";
const promtool = which("promtool");
const MISSING = "promtool not found: apt-get install prometheus prometheus-alertmanager";

function run(bin: string, args: string[]): { status: number | null; output: string } {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 60_000 });
  return { status: r.status, output: `${r.stdout}${r.stderr}` };
}

describe("alert rules: structure", () => {
  it("finds the rule and test files", () => {
    expect(ruleFiles.length).toBeGreaterThan(0);
    expect(testFiles.length).toBeGreaterThan(0);
    // The seed's alerts, the cost alerts and one burn-rate alert per SLO.
    expect(alertNames.sort()).toEqual(
      [
        "AvailabilityErrorBudgetBurn",
        "CostSpendRateHigh",
        "CostThresholdExceeded",
        "DbConnectionPoolExhausted",
        "HighErrorRate",
        "HighP99Latency",
        "LatencyErrorBudgetBurn",
        "PodRestartingTooOften",
      ].sort(),
    );
  });

  it.each(alerts.map((a) => [`${a.alert} (${a.labels?.severity})`, a] as const))(
    "%s has a severity, a summary, a description and a runbook_url into docs/runbooks/",
    (_, rule) => {
      expect(SEVERITIES).toContain(rule.labels?.severity);
      expect(rule.annotations?.summary?.trim()).toBeTruthy();
      expect(rule.annotations?.description?.trim()).toBeTruthy();
      const url = rule.annotations?.runbook_url ?? "";
      expect(url.startsWith(RUNBOOK_BASE), `${url} starts with ${RUNBOOK_BASE}`).toBe(true);
      const file = join(runbooksDir, url.slice(RUNBOOK_BASE.length));
      expect(existsSync(file), `${file} exists`).toBe(true);
    },
  );

  it("every runbook in docs/runbooks/ belongs to an alert", () => {
    const linked = new Set(alerts.map((a) => a.annotations?.runbook_url?.slice(RUNBOOK_BASE.length)));
    const files = readdirSync(runbooksDir).filter((f) => f.endsWith(".md") && f !== "README.md");
    expect(files.filter((f) => !linked.has(f))).toEqual([]);
  });

  it("every test file sets evaluation_interval and `interval:` on every group (promtool 2.42 gotcha)", () => {
    for (const { file, spec } of tests) {
      expect(spec.evaluation_interval, file).toBeTruthy();
      for (const c of spec.tests) expect(c.interval, `${file}: ${c.name}`).toBeTruthy();
    }
  });

  it("every test file loads existing rule files and evaluates recording rules before alerts", () => {
    const groupNames = groups.map((g) => g.name).sort();
    for (const { file, spec } of tests) {
      for (const rf of spec.rule_files) expect(existsSync(resolve(dirname(file), rf)), rf).toBe(true);
      expect([...(spec.group_eval_order ?? [])].sort(), file).toEqual(groupNames);
    }
  });

  it.each(
    alerts.map((a) => [`${a.alert} (${a.labels?.severity})`, a.alert as string, a.labels?.severity] as const),
  )("%s has a promtool case where it fires, with labels and annotations", (_, name, severity) => {
    const firing = alertCases
      .filter((c) => c.alertname === name)
      .flatMap((c) => c.exp_alerts ?? [])
      .filter((a) => a.exp_labels?.severity === severity);
    expect(firing.length).toBeGreaterThan(0);
    for (const a of firing) {
      expect(a.exp_annotations?.summary).toBeTruthy();
      expect(a.exp_annotations?.description).toBeTruthy();
      expect(a.exp_annotations?.runbook_url).toBeTruthy();
    }
  });

  it.each(alertNames)("%s has a promtool case where it stays silent", (name) => {
    const silent = alertCases.filter((c) => c.alertname === name && (c.exp_alerts ?? []).length === 0);
    expect(silent.length).toBeGreaterThan(0);
  });

  it("docs/observability.md lists every alert with its runbook in the Alerts section", () => {
    const doc = readFileSync(join(repoRoot, "docs/observability.md"), "utf8");
    const section = doc.slice(doc.indexOf("\n## Alerts"));
    expect(section.length).toBeGreaterThan(20);
    for (const a of alerts) {
      expect(section).toContain(`\`${a.alert}\``);
      expect(section).toContain(`runbooks/${a.annotations?.runbook_url?.slice(RUNBOOK_BASE.length)}`);
    }
  });
});

describe("alert rules: promtool", () => {
  // In CI a missing promtool is a failure, never a silent skip.
  it.runIf(inCi && promtool === null)("promtool is installed", () => {
    expect.fail(MISSING);
  });
});

// promtool runs take seconds (the SLO cases evaluate 7 hours of series minute by minute).
describe.skipIf(promtool === null)(
  promtool ? "promtool" : `promtool (skipped: ${MISSING})`,
  { timeout: 60_000 },
  () => {
    const bin = promtool as string;
    // Made in a hook, not at collection, so that a skipped suite leaves nothing behind.
    let tmp = "";
    beforeAll(() => {
      tmp = mkdtempSync(join(tmpdir(), "lectern-promtool-"));
    });
    afterAll(() => rmSync(tmp, { recursive: true, force: true }));

    /**
     * Runs `promtool test rules` on a copy of rules/ and tests/ (same layout, so rule_files paths hold) with
     * one edit applied; `only` limits the run to the test files that matter, to keep the suite quick.
     */
    function mutatedCopy(
      name: string,
      edit: { dir: "rules" | "tests"; from: string | RegExp; to: string },
      only?: string[],
    ) {
      const dir = join(tmp, name);
      cpSync(rulesDir, join(dir, "rules"), { recursive: true });
      cpSync(testsDir, join(dir, "tests"), { recursive: true });
      const target = join(dir, edit.dir);
      let changed = 0;
      for (const f of readdirSync(target)) {
        const text = readFileSync(join(target, f), "utf8");
        const next = text.replaceAll(edit.from, edit.to);
        if (next !== text) {
          changed++;
          writeFileSync(join(target, f), next);
        }
      }
      // A mutation that matched nothing would make the "suite fails" assertion test nothing.
      expect(changed, `mutation ${String(edit.from)} applied`).toBeGreaterThan(0);
      const files = readdirSync(join(dir, "tests"))
        .filter((f) => only === undefined || only.includes(f))
        .map((f) => join(dir, "tests", f));
      return run(bin, ["test", "rules", ...files]);
    }

    it("promtool check rules passes", () => {
      const r = run(bin, ["check", "rules", ...ruleFiles]);
      expect(r.output).toContain("SUCCESS");
      expect(r.status, r.output).toBe(0);
    });

    it("promtool test rules passes", () => {
      const r = run(bin, ["test", "rules", ...testFiles]);
      expect(r.output).not.toContain("FAILED");
      expect(r.status, r.output).toBe(0);
    });

    it("fails when an alert's threshold is raised (error rate 1% -> 50%): the firing cases catch it", () => {
      const r = mutatedCopy(
        "raised",
        {
          dir: "rules",
          from: "lectern:slo_availability_errors:ratio_rate5m > 0.01",
          to: "lectern:slo_availability_errors:ratio_rate5m > 0.5",
        },
        ["http.test.yml"],
      );
      expect(r.status).toBe(1);
      expect(r.output).toContain("HighErrorRate fires when 2% of requests fail");
      expect(r.output).toContain("got:[]");
    });

    it("fails when an alert's threshold is lowered (error rate 1% -> 0.1%): the silent cases catch it", () => {
      const r = mutatedCopy(
        "lowered",
        {
          dir: "rules",
          from: "lectern:slo_availability_errors:ratio_rate5m > 0.01",
          to: "lectern:slo_availability_errors:ratio_rate5m > 0.001",
        },
        ["http.test.yml"],
      );
      expect(r.status).toBe(1);
      expect(r.output).toContain("HighErrorRate stays silent at 0.5% errors");
    });

    it("fails when a burn-rate factor is wrong (14.4 -> 144): the fast-burn case catches it", () => {
      const r = mutatedCopy("factor", { dir: "rules", from: "(14.4 * 0.01)", to: "(144 * 0.01)" }, [
        "slo.test.yml",
      ]);
      expect(r.status).toBe(1);
      // Constant-rate cases cannot tell the pairs apart (the 6h/30m pair pages too); this one can.
      expect(r.output).toContain("LatencyErrorBudgetBurn pages through the 1h/5m windows alone");
    });

    it("fails without `interval:` in the test groups, which is why every group sets it", () => {
      const r = mutatedCopy("no-interval", { dir: "tests", from: /^ {4}interval: 1m\n/gm, to: "" }, [
        "http.test.yml",
        "resources.test.yml",
        "cost.test.yml",
      ]);
      expect(r.status).toBe(1);
      expect(r.output).toContain("got:[]");
    });
  },
);
