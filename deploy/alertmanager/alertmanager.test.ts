import { type ChildProcess, spawn, spawnSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { parse, stringify } from "yaml";

/**
 * The Alertmanager config's checks: its shape (secrets only from files), amtool's own check and route tests
 * per severity, then a real Alertmanager that delivers to a local HTTP sink standing in for PagerDuty and
 * Slack. The binaries come from Debian's `prometheus-alertmanager` package (0.25); outside CI a missing one
 * skips those tests, in CI it fails them.
 */

const here = dirname(fileURLToPath(import.meta.url));
const configPath = join(here, "alertmanager.yml");
const RUNBOOK_BASE = "https://github.com/lectern/lectern/blob/main/docs/runbooks/";

interface PagerdutyConfig {
  routing_key?: string;
  routing_key_file?: string;
  url?: string;
}
interface SlackConfig {
  api_url?: string;
  api_url_file?: string;
}
interface Receiver {
  name: string;
  pagerduty_configs?: PagerdutyConfig[];
  slack_configs?: SlackConfig[];
}
interface Route {
  receiver?: string;
  group_by?: string[];
  group_wait?: string;
  group_interval?: string;
  matchers?: string[];
  routes?: Route[];
}
interface Config {
  global?: Record<string, unknown>;
  templates: string[];
  route: Route;
  inhibit_rules: { source_matchers: string[]; target_matchers: string[]; equal: string[] }[];
  receivers: Receiver[];
}

const config = parse(readFileSync(configPath, "utf8")) as Config;

function which(bin: string): string | null {
  const r = spawnSync("which", [bin], { encoding: "utf8" });
  return r.status === 0 ? r.stdout.trim() : null;
}
const inCi = process.env.CI === "true";
const amtool = which("amtool");
const alertmanager = which("prometheus-alertmanager");
const MISSING =
  "amtool/prometheus-alertmanager not found: apt-get install prometheus prometheus-alertmanager";

function run(bin: string, args: string[]): { status: number | null; stdout: string; output: string } {
  const r = spawnSync(bin, args, { encoding: "utf8", timeout: 30_000 });
  return { status: r.status, stdout: r.stdout, output: `${r.stdout}${r.stderr}` };
}

describe("alertmanager config: structure", () => {
  it("reads every secret from a file, never inline", () => {
    const pd = config.receivers.flatMap((r) => r.pagerduty_configs ?? []);
    const slack = config.receivers.flatMap((r) => r.slack_configs ?? []);
    expect(pd.length).toBeGreaterThan(0);
    expect(slack.length).toBeGreaterThan(0);
    for (const c of pd) {
      expect(c.routing_key).toBeUndefined();
      expect(c.routing_key_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
    }
    for (const c of slack) {
      expect(c.api_url).toBeUndefined();
      expect(c.api_url_file).toMatch(/^\/etc\/alertmanager\/secrets\//);
    }
    expect(config.global?.slack_api_url).toBeUndefined();
  });

  it("inhibits a warning while the matching critical fires", () => {
    expect(config.inhibit_rules).toContainEqual(
      expect.objectContaining({
        source_matchers: ['severity="critical"'],
        target_matchers: ['severity="warning"'],
        equal: expect.arrayContaining(["alertname"]),
      }),
    );
  });
});

describe("alertmanager: tools", () => {
  // In CI a missing binary is a failure, never a silent skip.
  it.runIf(inCi && (amtool === null || alertmanager === null))(
    "amtool and alertmanager are installed",
    () => {
      expect.fail(MISSING);
    },
  );
});

describe.skipIf(amtool === null)(amtool ? "amtool" : `amtool (skipped: ${MISSING})`, () => {
  const bin = amtool as string;

  it("amtool check-config passes", () => {
    const r = run(bin, ["check-config", configPath]);
    expect(r.output).toContain("SUCCESS");
    expect(r.output).toContain("2 receivers");
    expect(r.status, r.output).toBe(0);
  });

  /** The receivers amtool resolves for a label set; --verify.receivers makes a mismatch exit 1. */
  function routeTest(receivers: string, labels: string[]) {
    return run(bin, [
      "config",
      "routes",
      "test",
      `--config.file=${configPath}`,
      `--verify.receivers=${receivers}`,
      ...labels,
    ]);
  }

  it("routes critical to PagerDuty only", () => {
    const r = routeTest("pagerduty-critical", ["severity=critical", "alertname=HighErrorRate"]);
    // stdout is the resolved receiver list; amtool's warnings go to stderr.
    expect(r.stdout.trim()).toBe("pagerduty-critical");
    expect(r.status, r.output).toBe(0);
  });

  it("routes warning to Slack only", () => {
    const r = routeTest("slack-warning", ["severity=warning", "alertname=CostSpendRateHigh"]);
    expect(r.stdout.trim()).toBe("slack-warning");
    expect(r.status, r.output).toBe(0);
  });

  it("routes an alert without a known severity to Slack, so nothing is dropped", () => {
    const r = routeTest("slack-warning", ["alertname=SomethingNew"]);
    expect(r.stdout.trim()).toBe("slack-warning");
    expect(r.status, r.output).toBe(0);
  });

  it("the route assertion can fail: critical is not routed to Slack", () => {
    const r = routeTest("slack-warning", ["severity=critical", "alertname=HighErrorRate"]);
    expect(r.status).toBe(1);
    expect(r.output).toContain("pagerduty-critical");
  });
});

interface Delivery {
  path: string;
  body: Record<string, unknown>;
}

describe.skipIf(alertmanager === null)(
  alertmanager ? "alertmanager delivers to PagerDuty and Slack" : `alertmanager (skipped: ${MISSING})`,
  () => {
    let tmp = "";
    const routingKey = "0123456789abcdef0123456789abcdef";
    const deliveries: Delivery[] = [];
    let sink: Server | undefined;
    let child: ChildProcess | undefined;
    let amUrl = "";
    let amLog = "";

    async function freePort(): Promise<number> {
      const s = createServer();
      await new Promise<void>((ok) => s.listen(0, "127.0.0.1", ok));
      const { port } = s.address() as AddressInfo;
      await new Promise((ok) => s.close(ok));
      return port;
    }

    /** Polls until `found` returns something, or fails after `ms` with what arrived so far. */
    async function waitFor<T>(what: string, found: () => T | undefined, ms = 30_000): Promise<T> {
      const end = Date.now() + ms;
      while (Date.now() < end) {
        const v = found();
        if (v !== undefined) return v;
        await new Promise((r) => setTimeout(r, 100));
      }
      throw new Error(`${what} not delivered in ${ms} ms; got ${JSON.stringify(deliveries)}\n${amLog}`);
    }

    async function postAlerts(
      alerts: { labels: Record<string, string>; annotations: Record<string, string> }[],
    ) {
      const now = new Date().toISOString();
      const res = await fetch(`${amUrl}/api/v2/alerts`, {
        method: "POST",
        headers: { "content-type": "application/json" },
        body: JSON.stringify(
          alerts.map((a) => ({ ...a, startsAt: now, generatorURL: "http://prometheus.test/graph" })),
        ),
      });
      expect(res.status).toBe(200);
    }

    function alert(name: string, severity: string, extra: Record<string, string> = {}) {
      const runbook = `${RUNBOOK_BASE}${name.replace(/(?<!^)([A-Z])/g, "-$1").toLowerCase()}.md`;
      return {
        labels: { alertname: name, severity, namespace: "lectern", job: "lectern", ...extra },
        annotations: {
          summary: `${name} ${severity} summary`,
          description: `${name} ${severity} description`,
          runbook_url: runbook,
        },
      };
    }

    const pagerduty = () => deliveries.filter((d) => d.path === "/pagerduty");
    /** A PagerDuty event's alert name: the `class` field, which the receiver sets to it. */
    const pdClass = (d: Delivery) => (d.body.payload as { class?: string } | undefined)?.class;
    const slack = () => deliveries.filter((d) => d.path === "/slack");

    beforeAll(async () => {
      // Made in the hook, not at collection, so that a skipped suite leaves nothing behind.
      tmp = mkdtempSync(join(tmpdir(), "lectern-alertmanager-"));
      sink = createServer((req, res) => {
        let raw = "";
        req.on("data", (c: Buffer) => {
          raw += c.toString("utf8");
        });
        req.on("end", () => {
          deliveries.push({ path: req.url ?? "", body: JSON.parse(raw) as Record<string, unknown> });
          // What the real services answer: PagerDuty Events v2 202 + JSON, a Slack webhook 200 "ok".
          if (req.url === "/pagerduty") {
            res.writeHead(202, { "content-type": "application/json" });
            res.end('{"status":"success","message":"Event processed","dedup_key":"x"}');
          } else {
            res.writeHead(200, { "content-type": "text/plain" });
            res.end("ok");
          }
        });
      });
      await new Promise<void>((ok) => sink?.listen(0, "127.0.0.1", ok));
      const sinkUrl = `http://127.0.0.1:${(sink.address() as AddressInfo).port}`;

      // The repository's config with only the secrets, the PagerDuty URL and the timings swapped: the
      // routes, inhibit rule and templates under test are the real ones. Trailing newlines as in a
      // Kubernetes Secret made with --from-file.
      const keyFile = join(tmp, "pagerduty-routing-key");
      const webhookFile = join(tmp, "slack-webhook-url");
      writeFileSync(keyFile, `${routingKey}\n`);
      writeFileSync(webhookFile, `${sinkUrl}/slack\n`);
      const cfg = structuredClone(config);
      cfg.templates = [join(here, "templates/*.tmpl")];
      // Seconds, not the production 30s/5m, so that a delivery arrives well inside the test's wait.
      cfg.route.group_wait = "1s";
      cfg.route.group_interval = "1s";
      for (const r of cfg.receivers) {
        for (const c of r.pagerduty_configs ?? []) {
          c.routing_key_file = keyFile;
          c.url = `${sinkUrl}/pagerduty`;
        }
        for (const c of r.slack_configs ?? []) c.api_url_file = webhookFile;
      }
      const cfgFile = join(tmp, "alertmanager.yml");
      writeFileSync(cfgFile, stringify(cfg));

      const port = await freePort();
      amUrl = `http://127.0.0.1:${port}`;
      child = spawn(
        alertmanager as string,
        [
          `--config.file=${cfgFile}`,
          `--storage.path=${join(tmp, "data")}`,
          `--web.listen-address=127.0.0.1:${port}`,
          "--cluster.listen-address=",
          "--log.level=warn",
        ],
        { stdio: ["ignore", "pipe", "pipe"] },
      );
      child.stdout?.on("data", (c: Buffer) => {
        amLog += c.toString("utf8");
      });
      child.stderr?.on("data", (c: Buffer) => {
        amLog += c.toString("utf8");
      });
      const end = Date.now() + 20_000;
      for (;;) {
        if (child.exitCode !== null) throw new Error(`alertmanager exited ${child.exitCode}:\n${amLog}`);
        const ok = await fetch(`${amUrl}/-/ready`).then(
          (r) => r.ok,
          () => false,
        );
        if (ok) break;
        if (Date.now() > end) throw new Error(`alertmanager not ready in 20 s:\n${amLog}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }, 30_000);

    afterAll(async () => {
      const proc = child;
      if (proc && proc.exitCode === null) {
        const exited = new Promise((ok) => proc.once("exit", ok));
        proc.kill("SIGTERM");
        const timer = setTimeout(() => proc.kill("SIGKILL"), 5_000);
        await exited;
        clearTimeout(timer);
      }
      await new Promise((ok) => (sink ? sink.close(ok) : ok(undefined)));
      if (tmp) rmSync(tmp, { recursive: true, force: true });
    });

    it("delivers a critical alert to PagerDuty as an Events API v2 trigger", {
      timeout: 45_000,
    }, async () => {
      const a = alert("HighErrorRate", "critical");
      await postAlerts([a]);
      const d = await waitFor("PagerDuty event for HighErrorRate", () =>
        pagerduty().find((p) => pdClass(p) === "HighErrorRate"),
      );
      const body = d.body as {
        routing_key: string;
        event_action: string;
        dedup_key: string;
        client: string;
        client_url: string;
        links: { href: string; text: string }[];
        payload: {
          summary: string;
          source: string;
          severity: string;
          class: string;
          component: string;
          group: string;
          custom_details: Record<string, string>;
        };
      };
      expect(body.routing_key).toBe(routingKey);
      expect(body.event_action).toBe("trigger");
      expect(body.dedup_key).toBeTruthy();
      expect(body.client).toBe("Lectern Alertmanager");
      expect(body.client_url).toContain("/#/alerts?receiver=pagerduty-critical");
      expect(body.payload.summary).toBe("HighErrorRate: HighErrorRate critical summary");
      expect(body.payload.severity).toBe("critical");
      expect(body.payload).toMatchObject({ class: "HighErrorRate", component: "lectern", group: "lectern" });
      expect(body.links).toEqual([{ href: a.annotations.runbook_url, text: "Runbook" }]);
      expect(body.payload.custom_details.alerts).toBe(
        "[firing] HighErrorRate critical summary | job=lectern namespace=lectern\n",
      );
      expect(body.payload.custom_details.runbook).toBe(a.annotations.runbook_url);
      // Routed to PagerDuty only.
      expect(slack().filter((s) => JSON.stringify(s.body).includes("HighErrorRate"))).toEqual([]);
    });

    it("delivers a warning to Slack with the template's title and text", { timeout: 45_000 }, async () => {
      const a = alert("CostSpendRateHigh", "warning");
      await postAlerts([a]);
      const d = await waitFor("Slack message for CostSpendRateHigh", () =>
        slack().find((s) => JSON.stringify(s.body).includes("CostSpendRateHigh")),
      );
      const body = d.body as {
        attachments: { title: string; title_link: string; text: string; color: string; fallback: string }[];
      };
      expect(body.attachments).toHaveLength(1);
      const [att] = body.attachments;
      expect(att?.title).toBe("[FIRING:1] CostSpendRateHigh (lectern)");
      expect(att?.title_link).toBe(a.annotations.runbook_url);
      expect(att?.color).toBe("warning");
      expect(att?.fallback).toBe("[FIRING:1] CostSpendRateHigh (lectern)");
      expect(att?.text).toBe(
        [
          "*WARNING:* CostSpendRateHigh warning summary",
          "CostSpendRateHigh warning description",
          `Labels: job=lectern namespace=lectern | <${a.annotations.runbook_url}|Runbook>`,
          "",
        ].join("\n"),
      );
      expect(pagerduty().filter((p) => pdClass(p) === "CostSpendRateHigh")).toEqual([]);
    });

    it("does not deliver a warning to Slack while the matching critical fires", {
      timeout: 45_000,
    }, async () => {
      await postAlerts([
        alert("LatencyErrorBudgetBurn", "critical", { slo: "latency" }),
        alert("LatencyErrorBudgetBurn", "warning", { slo: "latency" }),
        // Control: a warning with no matching critical, sent in the same batch, must arrive. Once it has,
        // the inhibited warning's group (same receiver, same timings) has been flushed too.
        alert("AvailabilityErrorBudgetBurn", "warning", { slo: "availability" }),
      ]);
      await waitFor("PagerDuty event for LatencyErrorBudgetBurn", () =>
        pagerduty().find((p) => pdClass(p) === "LatencyErrorBudgetBurn"),
      );
      await waitFor("Slack message for the control warning", () =>
        slack().find((s) => JSON.stringify(s.body).includes("AvailabilityErrorBudgetBurn")),
      );
      // Three more group_wait/group_interval periods, for good measure.
      await new Promise((r) => setTimeout(r, 3_000));
      expect(slack().filter((s) => JSON.stringify(s.body).includes("LatencyErrorBudgetBurn"))).toEqual([]);
    });
  },
);
