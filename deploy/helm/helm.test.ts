import { spawnSync } from "node:child_process";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { afterAll, describe, expect, it } from "vitest";
import { parse, parseAllDocuments } from "yaml";
import {
  DASHBOARDS_DIR,
  DASHBOARDS_OUT,
  ESCAPED_OPEN,
  PROMETHEUS_RULES_OUT,
  RULES_DIR,
} from "../../scripts/generate-helm-assets.ts";

/**
 * The Helm chart, checked without helm (not installable here, so `helm lint` / `helm template` never run in
 * this repository's CI). What this covers and what it cannot:
 *
 * - The generated templates are up to date: the generator runs into a temp dir and its output must equal
 *   the committed files byte for byte.
 * - Every YAML file parses. Templates are not YAML until Go's text/template has run, and evaluating them
 *   exactly needs helm (sprig functions, include, toYaml, nindent …), so they are *neutralised* first:
 *   escaped `{{ "{{" }}` becomes a literal `{{` again, lines holding only template actions (if/with/range/end,
 *   include … | nindent) are dropped, and any other action becomes the scalar __TEMPLATE__. This catches
 *   broken indentation, duplicate keys and stray syntax in the static skeleton; it cannot catch a bad
 *   rendering of a conditional branch or of a helper's output.
 * - Template text is linted the way a parser would fail fast: actions well formed on one line, blocks
 *   balanced, every include names a defined helper, every .Values path exists in values.yaml.
 * - The PrometheusRule groups equal the source rule groups; each dashboard ConfigMap carries the
 *   grafana_dashboard label and its JSON equals the source dashboard.
 */

const root = fileURLToPath(new URL("../..", import.meta.url));
const chart = join(root, "deploy", "helm", "lectern");
const generator = join(root, "scripts", "generate-helm-assets.ts");
const dirs: string[] = [];

afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

function walk(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const path = join(dir, name);
    return statSync(path).isDirectory() ? walk(path) : [path];
  });
}

const chartFiles = walk(chart).sort();
const templateFiles = chartFiles.filter((f) => relative(chart, f).startsWith("templates/"));
const yamlTemplates = templateFiles.filter((f) => f.endsWith(".yaml"));
const values = parse(readFileSync(join(chart, "values.yaml"), "utf8")) as Record<string, unknown>;

const LITERAL_OPEN = "\u0000OPEN\u0000";
const ACTION = /\{\{.*?\}\}/g;
const ONLY_ACTIONS = /^\s*(\{\{.*?\}\}\s*)+$/;

/** Template text → YAML text with the template's static skeleton (see the header comment). */
function neutralise(text: string): string {
  return text
    .replaceAll(ESCAPED_OPEN, LITERAL_OPEN)
    .split("\n")
    .filter((line) => !ONLY_ACTIONS.test(line))
    .join("\n")
    .replace(ACTION, "__TEMPLATE__")
    .replaceAll(LITERAL_OPEN, "{{");
}

interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; labels?: Record<string, string> | null };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
}

function objects(file: string): K8sObject[] {
  const docs = parseAllDocuments(neutralise(readFileSync(file, "utf8")));
  const list = Array.isArray(docs) ? docs : [docs];
  for (const d of list) {
    if (d.errors.length)
      throw new Error(`${relative(root, file)}: ${d.errors.map((e) => e.message).join("; ")}`);
  }
  return list.map((d) => d.toJS() as K8sObject).filter((o) => o !== null);
}

function byKind(kind: string): K8sObject[] {
  return yamlTemplates.flatMap(objects).filter((o) => o.kind === kind);
}

describe("Helm chart: generated files", () => {
  it("are up to date with deploy/prometheus/rules and deploy/grafana/dashboards", () => {
    const out = mkdtempSync(join(tmpdir(), "lectern-helm-"));
    dirs.push(out);
    const run = spawnSync(process.execPath, [generator, "--out", out], { cwd: root, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const stale = [PROMETHEUS_RULES_OUT, DASHBOARDS_OUT].filter(
      (path) => readFileSync(join(out, path), "utf8") !== readFileSync(join(root, path), "utf8"),
    );
    expect(stale, "stale generated files: run `npx node scripts/generate-helm-assets.ts`").toEqual([]);
  });

  it("--check names stale files and fails", () => {
    // The same comparison as above, from the script's side, so CI can also run it without vitest.
    const run = spawnSync(process.execPath, [generator, "--check"], { cwd: root, encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
  });

  it("the PrometheusRule groups equal the source rule groups, file by file", () => {
    const sources = readdirSync(join(root, RULES_DIR))
      .filter((f) => f.endsWith(".yml"))
      .sort()
      .map((f) => parse(readFileSync(join(root, RULES_DIR, f), "utf8")) as { groups?: unknown[] })
      .filter((doc) => doc.groups); // promtool test files, if any sit there, are not rule files
    expect(sources.length, `no rule files in ${RULES_DIR}`).toBeGreaterThan(0);
    const rules = objects(join(root, PROMETHEUS_RULES_OUT));
    expect(rules.map((r) => [r.apiVersion, r.kind])).toEqual(
      sources.map(() => ["monitoring.coreos.com/v1", "PrometheusRule"]),
    );
    expect(rules.map((r) => r.spec?.groups)).toEqual(sources.map((s) => s.groups));
    // Alert annotations keep their Prometheus templates once Helm has rendered the escapes.
    expect(JSON.stringify(rules)).toContain("{{ $value");
  });

  it("each dashboard ConfigMap has the grafana_dashboard label and its JSON equals the source", () => {
    const sources = readdirSync(join(root, DASHBOARDS_DIR))
      .filter((f) => f.endsWith(".json"))
      .sort();
    const maps = objects(join(root, DASHBOARDS_OUT));
    expect(maps).toHaveLength(sources.length);
    sources.forEach((file, i) => {
      const map = maps[i] as K8sObject;
      expect(map.kind).toBe("ConfigMap");
      expect(map.metadata.labels ?? {}).toHaveProperty("grafana_dashboard");
      const key = `lectern-${file.replace(/\.json$/, "")}.json`;
      expect(Object.keys(map.data ?? {})).toEqual([key]);
      const source = JSON.parse(readFileSync(join(root, DASHBOARDS_DIR, file), "utf8"));
      expect(JSON.parse(map.data?.[key] ?? "null")).toEqual(source);
    });
  });

  it("the generator escapes template delimiters, so a source change cannot break the chart", () => {
    const text = readFileSync(join(root, DASHBOARDS_OUT), "utf8");
    // Every "{{" is either the escape itself, or a chart action at the start of a line's content.
    const unescaped = text
      .replaceAll(ESCAPED_OPEN, "")
      .split("\n")
      .filter((line) => line.includes("{{") && /"legendFormat"|"expr"/.test(line));
    expect(unescaped).toEqual([]);
  });
});

describe("Helm chart: YAML and templates", () => {
  it("Chart.yaml and values.yaml parse, and the chart is complete", () => {
    const meta = parse(readFileSync(join(chart, "Chart.yaml"), "utf8")) as Record<string, unknown>;
    expect(meta).toMatchObject({ apiVersion: "v2", name: "lectern", type: "application" });
    expect(typeof values).toBe("object");
    const names = templateFiles.map((f) => relative(join(chart, "templates"), f));
    for (const t of [
      "_helpers.tpl",
      "deployment.yaml",
      "service.yaml",
      "servicemonitor.yaml",
      "networkpolicy.yaml",
      "hpa.yaml",
      "pdb.yaml",
      "generated-prometheusrules.yaml",
      "generated-dashboards.yaml",
    ]) {
      expect(names).toContain(t);
    }
  });

  it("every template parses as YAML once its template actions are neutralised", () => {
    const problems: string[] = [];
    for (const file of yamlTemplates) {
      try {
        const objs = objects(file);
        if (objs.length === 0) problems.push(`${relative(chart, file)}: no object`);
        for (const o of objs) {
          if (!o.apiVersion || !o.kind || !o.metadata?.name) {
            problems.push(`${relative(chart, file)}: an object without apiVersion, kind or metadata.name`);
          }
        }
      } catch (err) {
        problems.push((err as Error).message);
      }
    }
    expect(problems).toEqual([]);
  });

  it("the neutraliser does not hide broken YAML (a bad indent fails)", () => {
    // If neutralise() swallowed everything, the test above would pass vacuously.
    const broken = "apiVersion: v1\nkind: Service\nmetadata:\n  name: {{ .Values.x }}\n   labels: {}\n";
    expect(parseAllDocuments(neutralise(broken)).flatMap((d) => d.errors)).not.toHaveLength(0);
    const fine =
      'metadata:\n  labels:\n    {{- include "x" . | nindent 4 }}\n    a: {{ .Values.a | quote }}\n';
    expect(parse(neutralise(fine))).toEqual({ metadata: { labels: { a: "__TEMPLATE__" } } });
  });

  it("template actions are well formed and blocks balanced", () => {
    const problems: string[] = [];
    for (const file of templateFiles) {
      const name = relative(chart, file);
      const text = readFileSync(file, "utf8")
        .replaceAll(ESCAPED_OPEN, "")
        // Go template comments may span lines; keep their line breaks so line numbers stay right.
        .replace(/\{\{-? ?\/\*[\s\S]*?\*\/ ?-?\}\}/g, (c) => c.replace(/[^\n]/g, ""));
      let depth = 0;
      text.split("\n").forEach((line, i) => {
        const where = `${name}:${i + 1}`;
        // A stray "}}" is literal text to Go; a "{{" without its "}}" on the same line is not (ours never span lines).
        if (line.replace(ACTION, "").includes("{{"))
          problems.push(`${where}: an action is not closed on its line`);
        for (const [action] of line.matchAll(ACTION)) {
          const inner = action.slice(2, -2);
          if (inner.includes("{{")) problems.push(`${where}: nested {{ in ${action}`);
          if (/^-\S/.test(inner) || /\S-$/.test(inner))
            problems.push(`${where}: trim marker without a space: ${action}`);
          const keyword = /^-?\s*(\w+)/.exec(inner)?.[1];
          if (keyword && ["if", "range", "with", "define", "block"].includes(keyword)) depth++;
          if (keyword === "end") depth--;
          if (depth < 0) problems.push(`${where}: {{ end }} without an opening block`);
        }
      });
      if (depth !== 0) problems.push(`${name}: ${depth} unclosed block(s)`);
    }
    expect(problems).toEqual([]);
  });

  it("every include names a defined helper and every .Values path exists in values.yaml", () => {
    const helpers = readFileSync(join(chart, "templates", "_helpers.tpl"), "utf8");
    const defined = new Set([...helpers.matchAll(/define "([^"]+)"/g)].map((m) => m[1]));
    const problems: string[] = [];
    for (const file of templateFiles) {
      const text = readFileSync(file, "utf8").replaceAll(ESCAPED_OPEN, "");
      for (const [, name] of text.matchAll(/include "([^"]+)"/g)) {
        if (!defined.has(name)) problems.push(`${relative(chart, file)}: include "${name}" is not defined`);
      }
      for (const [, path] of text.matchAll(/\.Values((?:\.\w+)+)/g)) {
        let node: unknown = values;
        for (const key of (path as string).slice(1).split(".")) {
          node =
            node && typeof node === "object" && key in node
              ? (node as Record<string, unknown>)[key]
              : undefined;
          if (node === undefined) {
            problems.push(`${relative(chart, file)}: .Values${path} is not in values.yaml`);
            break;
          }
        }
      }
    }
    expect(problems).toEqual([]);
  });
});

interface Container {
  livenessProbe: { httpGet: { path: string } };
  startupProbe: { httpGet: { path: string } };
  readinessProbe: { httpGet: { path: string } };
  env: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: unknown } }>;
  lifecycle: { preStop: { sleep?: unknown } };
  volumeMounts: unknown;
}

describe("Helm chart: what the deployment promises", () => {
  const deployment = () => byKind("Deployment")[0] as K8sObject;
  const container = () => {
    const spec = deployment().spec as { template: { spec: { containers: Container[] } } };
    return spec.template.spec.containers[0] as Container;
  };

  it("probes: /healthz for liveness and startup, /readyz for readiness", () => {
    const c = container();
    expect(c.livenessProbe.httpGet.path).toBe("/healthz");
    expect(c.startupProbe.httpGet.path).toBe("/healthz");
    expect(c.readinessProbe.httpGet.path).toBe("/readyz");
  });

  it("listens on all interfaces, and the database URL and master key come from Secrets", () => {
    const env = container().env as Array<{
      name: string;
      value?: string;
      valueFrom?: { secretKeyRef?: unknown };
    }>;
    expect(env.find((e) => e.name === "HOST")?.value).toBe("0.0.0.0");
    for (const name of ["DATABASE_URL", "LECTERN_MASTER_KEY", "REDIS_URL", "LECTERN_METRICS_TOKEN"]) {
      expect(env.find((e) => e.name === name)?.valueFrom?.secretKeyRef, name).toBeDefined();
    }
    const helpers = readFileSync(join(chart, "templates", "_helpers.tpl"), "utf8");
    expect(helpers).toContain("database.existingSecret is required");
    expect(helpers).toContain("masterKey.existingSecret is required");
  });

  it("non-root, read-only root filesystem, no capabilities, graceful shutdown", () => {
    expect(values.podSecurityContext).toMatchObject({
      runAsNonRoot: true,
      seccompProfile: { type: "RuntimeDefault" },
    });
    expect((values.podSecurityContext as { runAsUser: number }).runAsUser).toBeGreaterThan(0);
    expect(values.securityContext).toMatchObject({
      allowPrivilegeEscalation: false,
      readOnlyRootFilesystem: true,
      runAsNonRoot: true,
      capabilities: { drop: ["ALL"] },
    });
    expect(values.resources).toMatchObject({
      requests: { cpu: expect.any(String), memory: expect.any(String) },
    });
    // Lectern's own drain gives up after 25 s (src/main.ts); preStop comes first.
    const grace = values.terminationGracePeriodSeconds as number;
    expect(grace).toBeGreaterThanOrEqual(30);
    expect(grace).toBeGreaterThan((values.preStopSleepSeconds as number) + 25);
    expect(container().lifecycle.preStop.sleep).toBeDefined();
    expect(container().volumeMounts).toEqual([{ name: "tmp", mountPath: "/tmp" }]);
  });

  it("ServiceMonitor: named port, /metrics, job relabelled to what the rules select, release label", () => {
    const sm = byKind("ServiceMonitor")[0] as K8sObject & {
      spec: { endpoints: Array<{ path?: string; relabelings?: unknown[] }> };
    };
    expect(sm.spec.endpoints[0]?.path).toBe("/metrics");
    expect(sm.spec.endpoints[0]?.relabelings).toContainEqual(expect.objectContaining({ targetLabel: "job" }));
    expect((values.serviceMonitor as { jobName: string }).jobName).toBe("lectern");
    const rules = readFileSync(join(root, PROMETHEUS_RULES_OUT), "utf8");
    expect(rules).toContain('job="lectern"');
    // The release-label gotcha: both objects kube-prometheus-stack must select use the labels helper that
    // adds release: <monitoring.prometheusRelease>.
    const helpers = readFileSync(join(chart, "templates", "_helpers.tpl"), "utf8");
    expect(helpers).toMatch(/define "lectern.monitoringLabels"[\s\S]*release: \{\{ \. \| quote \}\}/);
    expect(readFileSync(join(chart, "templates", "servicemonitor.yaml"), "utf8")).toContain(
      "lectern.monitoringLabels",
    );
    expect(rules).toContain("lectern.monitoringLabels");
    expect((values.monitoring as { prometheusRelease: string }).prometheusRelease).toBe(
      "kube-prometheus-stack",
    );
  });

  it("NetworkPolicy: the metrics port is open to the Prometheus namespace only", () => {
    const np = byKind("NetworkPolicy")[0] as K8sObject & {
      spec: { ingress: Array<{ ports?: Array<{ port: string }>; from?: unknown }> };
    };
    const metrics = np.spec.ingress.find((r) => r.ports?.[0]?.port === "metrics");
    expect(metrics?.from).toEqual([
      { namespaceSelector: { matchLabels: { "kubernetes.io/metadata.name": "__TEMPLATE__" } } },
    ]);
    expect((values.metrics as { mode: string }).mode).toBe("port");
  });

  it("HPA and PodDisruptionBudget target the Deployment's pods", () => {
    expect(byKind("HorizontalPodAutoscaler")[0]?.spec?.scaleTargetRef).toMatchObject({ kind: "Deployment" });
    expect(byKind("PodDisruptionBudget")[0]?.spec).toHaveProperty("maxUnavailable");
  });
});

interface DataSource {
  type: string;
  uid: string;
  url: string;
  jsonData?: { exemplarTraceIdDestinations?: Array<Record<string, string>> };
}
interface StackValues {
  prometheus: {
    prometheusSpec: {
      enableFeatures: string[];
      serviceMonitorSelectorNilUsesHelmValues: boolean;
      ruleSelectorNilUsesHelmValues: boolean;
      retention: string;
    };
  };
  grafana: {
    sidecar: {
      dashboards: { label: string; labelValue: string; folderAnnotation: string };
      datasources: { uid: string; exemplarTraceIdDestinations: Record<string, string> };
    };
    additionalDataSources: DataSource[];
  };
}
interface TempoValues {
  tempo: {
    server: { http_listen_port: number };
    receivers: { otlp: { protocols: { http: { endpoint: string } } } };
  };
}

describe("the monitoring stack's values agree with the chart and the Grafana provisioning", () => {
  const read = <T>(path: string) => parse(readFileSync(join(root, path), "utf8")) as T;
  const kps = read<StackValues>("deploy/kube-prometheus-stack/values.yaml");
  const tempo = read<TempoValues>("deploy/tempo/values.yaml");
  const provisioned = read<{ datasources: DataSource[] }>(
    "deploy/grafana/provisioning/datasources/datasources.yaml",
  );
  const tempoDs = kps.grafana.additionalDataSources.find((d) => d.type === "tempo");
  const port = (url: string) => new URL(url).port;

  it("Prometheus keeps exemplars and selects the chart's objects by its release label", () => {
    expect(kps.prometheus.prometheusSpec.enableFeatures).toContain("exemplar-storage");
    expect(kps.prometheus.prometheusSpec.serviceMonitorSelectorNilUsesHelmValues).toBe(true);
    expect(kps.prometheus.prometheusSpec.ruleSelectorNilUsesHelmValues).toBe(true);
    // Month-to-date cost and the 30-day SLO rules need a month of samples.
    expect(Number(/^(\d+)d$/.exec(kps.prometheus.prometheusSpec.retention)?.[1])).toBeGreaterThanOrEqual(31);
    // The release name the docs install kube-prometheus-stack under is the chart's default label value.
    expect(readFileSync(join(root, "deploy/kube-prometheus-stack/values.yaml"), "utf8")).toContain(
      `helm upgrade --install ${(values.monitoring as { prometheusRelease: string }).prometheusRelease} `,
    );
  });

  it("Grafana's sidecar loads the chart's dashboard ConfigMaps into their folder", () => {
    const dashboards = kps.grafana.sidecar.dashboards;
    expect(dashboards.label).toBe("grafana_dashboard");
    expect(dashboards.labelValue).toBe((values.grafanaDashboards as { labelValue: string }).labelValue);
    expect(dashboards.folderAnnotation).toBe("grafana_folder");
    expect(readFileSync(join(root, DASHBOARDS_OUT), "utf8")).toContain("grafana_folder:");
  });

  it("exemplar links point at the Tempo data source, by uid and trace_id label, in both setups", () => {
    expect(kps.grafana.sidecar.datasources.exemplarTraceIdDestinations).toMatchObject({
      datasourceUid: tempoDs?.uid,
      traceIdLabelName: "trace_id",
    });
    const list = provisioned.datasources;
    const prom = list.find((d) => d.type === "prometheus");
    const tempoProvisioned = list.find((d) => d.type === "tempo");
    expect(prom?.jsonData?.exemplarTraceIdDestinations).toEqual([
      expect.objectContaining({ name: "trace_id", datasourceUid: tempoProvisioned?.uid }),
    ]);
    expect(tempoProvisioned?.uid).toBe(tempoDs?.uid);
    // The dashboards find Prometheus through ${datasource}; kube-prometheus-stack's own is uid "prometheus".
    expect(prom?.uid).toBe(kps.grafana.sidecar.datasources.uid);
  });

  it("Tempo's ports match the Grafana data source and Lectern's OTLP endpoint", () => {
    expect(port(tempoDs?.url ?? "")).toBe(String(tempo.tempo.server.http_listen_port));
    const otlp = (values.tracing as { otlpEndpoint: string }).otlpEndpoint;
    expect(tempo.tempo.receivers.otlp.protocols.http.endpoint).toBe(`0.0.0.0:${port(otlp)}`);
  });

  it('the container is named lectern: the pod-restart alert selects container="lectern"', () => {
    const spec = byKind("Deployment")[0]?.spec as {
      template: { spec: { containers: Array<{ name: string }> } };
    };
    expect(spec.template.spec.containers[0]?.name).toBe("lectern");
    expect(readFileSync(join(root, PROMETHEUS_RULES_OUT), "utf8")).toContain('container="lectern"');
  });

  it("the Grafana dashboard provider provisions from files", () => {
    const { providers } = read<{ providers: unknown[] }>(
      "deploy/grafana/provisioning/dashboards/lectern.yaml",
    );
    expect(providers[0]).toMatchObject({ type: "file", allowUiUpdates: false });
  });
});
