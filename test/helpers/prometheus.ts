// A real Prometheus server (Debian's `prometheus` package) for end-to-end tests:
// started on a free loopback port with a temporary storage directory, queried
// through its HTTP API, and always stopped.
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../support/free-port.js";
import { startDaemon } from "./daemon.js";
import { scratchDir } from "./fixtures.js";

export interface RunningPrometheus {
  readonly url: string;
  readonly dir: string;
  readonly logs: string[];
  stop(): Promise<void>;
}

export { freePort };

/** Starts prometheus with `config` (YAML text) written beside `files` (name -> content). */
export async function startPrometheus(config: string, files: Record<string, string> = {}): Promise<RunningPrometheus> {
  const dir = fs.mkdtempSync(path.join(scratchDir(), "prometheus-"));
  for (const [name, content] of Object.entries(files)) fs.writeFileSync(path.join(dir, name), content);
  fs.writeFileSync(path.join(dir, "prometheus.yml"), config);
  const port = await freePort();
  const url = `http://127.0.0.1:${port}`;
  const daemon = await startDaemon(
    "prometheus",
    [
      `--config.file=${path.join(dir, "prometheus.yml")}`,
      `--storage.tsdb.path=${path.join(dir, "data")}`,
      `--web.listen-address=127.0.0.1:${port}`,
      "--log.level=warn",
    ],
    `${url}/-/ready`,
  );
  return { url, dir, logs: daemon.logs, stop: daemon.stop };
}

export interface VectorSample {
  readonly metric: Record<string, string>;
  readonly value: [number, string];
}

export async function query(prometheus: RunningPrometheus, expr: string): Promise<VectorSample[]> {
  const response = await fetch(`${prometheus.url}/api/v1/query?query=${encodeURIComponent(expr)}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: VectorSample[] };
  };
  if (body.status !== "success" || body.data === undefined)
    throw new Error(`query ${expr} failed: ${body.error ?? response.status}`);
  if (body.data.resultType !== "vector") throw new Error(`query ${expr} returned a ${body.data.resultType}`);
  return body.data.result;
}

export interface ActiveAlert {
  readonly labels: Record<string, string>;
  readonly annotations: Record<string, string>;
  readonly state: "pending" | "firing";
}

export async function alerts(prometheus: RunningPrometheus): Promise<ActiveAlert[]> {
  const response = await fetch(`${prometheus.url}/api/v1/alerts`);
  const body = (await response.json()) as { data: { alerts: ActiveAlert[] } };
  return body.data.alerts;
}

export interface Target {
  readonly labels: Record<string, string>;
  readonly health: "up" | "down" | "unknown";
  readonly lastScrape: string;
  readonly lastError: string;
}

export async function targets(prometheus: RunningPrometheus): Promise<Target[]> {
  const response = await fetch(`${prometheus.url}/api/v1/targets?state=active`);
  const body = (await response.json()) as { data: { activeTargets: Target[] } };
  return body.data.activeTargets;
}

export interface MatrixSample {
  readonly metric: Record<string, string>;
  readonly values: [number, string][];
}

/** A range query from `start` to `end` (seconds since the epoch) every `step` seconds. */
export async function queryRange(
  prometheus: RunningPrometheus,
  expr: string,
  range: { start: number; end: number; step: number },
): Promise<MatrixSample[]> {
  const params = new URLSearchParams({
    query: expr,
    start: String(range.start),
    end: String(range.end),
    step: String(range.step),
  });
  const response = await fetch(`${prometheus.url}/api/v1/query_range?${params.toString()}`);
  const body = (await response.json()) as {
    status: string;
    error?: string;
    data?: { resultType: string; result: MatrixSample[] };
  };
  if (body.status !== "success" || body.data === undefined)
    throw new Error(`range query ${expr} failed: ${body.error ?? response.status}`);
  if (body.data.resultType !== "matrix") throw new Error(`range query ${expr} returned a ${body.data.resultType}`);
  return body.data.result;
}

/** The values of `label` on the series matching `selector` (what Grafana's label_values() lists). */
export async function labelValues(prometheus: RunningPrometheus, label: string, selector: string): Promise<string[]> {
  const params = new URLSearchParams({ "match[]": selector });
  const response = await fetch(`${prometheus.url}/api/v1/label/${label}/values?${params.toString()}`);
  const body = (await response.json()) as { status: string; error?: string; data?: string[] };
  if (body.status !== "success" || body.data === undefined)
    throw new Error(`label values of ${label} for ${selector} failed: ${body.error ?? response.status}`);
  return body.data;
}
