// A Prometheus server (Debian's `prometheus`) for the simulation: started on a
// kernel-chosen loopback port over a given data directory, asked through its
// HTTP API with per-query statistics, watched for memory, and always stopped.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { freePort } from "../../support/free-port.js";
import { killOnExit } from "./children.js";

export interface PrometheusOptions {
  readonly dataDir: string;
  readonly configDir: string;
  readonly config: string;
  /** Files written beside the configuration (rule files). */
  readonly files?: Readonly<Record<string, string>>;
  readonly retention: string;
}

export class Prometheus {
  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    private readonly logs: string[],
    private readonly configFile: string,
  ) {}

  static async start(options: PrometheusOptions): Promise<Prometheus> {
    fs.mkdirSync(options.configDir, { recursive: true });
    for (const [name, content] of Object.entries(options.files ?? {}))
      fs.writeFileSync(path.join(options.configDir, name), content);
    const configFile = path.join(options.configDir, "prometheus.yml");
    fs.writeFileSync(configFile, options.config);
    const port = await freePort();
    const logs: string[] = [];
    const child = spawn(
      "prometheus",
      [
        `--config.file=${configFile}`,
        `--storage.tsdb.path=${options.dataDir}`,
        `--storage.tsdb.retention.time=${options.retention}`,
        // 2-hour blocks only: no leveled compaction rewrites the backfilled blocks while queries are measured.
        "--storage.tsdb.min-block-duration=2h",
        "--storage.tsdb.max-block-duration=2h",
        `--web.listen-address=127.0.0.1:${port}`,
        "--log.level=warn",
      ],
      { stdio: ["ignore", "ignore", "pipe"] },
    );
    killOnExit(child);
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => {
      logs.push(chunk);
      if (logs.length > 200) logs.shift();
    });
    const prometheus = new Prometheus(`http://127.0.0.1:${port}`, child, logs, configFile);
    const deadline = Date.now() + 600_000;
    for (;;) {
      if (child.exitCode !== null) throw new Error(`prometheus exited with ${child.exitCode}:\n${logs.join("")}`);
      try {
        if ((await fetch(`${prometheus.url}/-/ready`)).ok) return prometheus;
      } catch {
        // not listening yet
      }
      if (Date.now() > deadline) {
        await prometheus.stop();
        throw new Error(`prometheus did not become ready:\n${logs.join("")}`);
      }
      await sleep(500);
    }
  }

  get pid(): number {
    return this.child.pid ?? 0;
  }

  get recentLogs(): string {
    return this.logs.join("");
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise<void>((resolve) => this.child.once("exit", () => resolve()));
    this.child.kill("SIGTERM");
    const killer = setTimeout(() => this.child.kill("SIGKILL"), 60_000);
    await exited;
    clearTimeout(killer);
  }

  /** Loads a new configuration (SIGHUP), and waits until Prometheus reports it loaded. */
  async reload(config: string): Promise<void> {
    const loadedAt = async (): Promise<number> =>
      selfMetric(await this.selfMetrics(), "prometheus_config_last_reload_success_timestamp_seconds") ?? 0;
    const before = await loadedAt();
    fs.writeFileSync(this.configFile, config);
    this.child.kill("SIGHUP");
    const deadline = Date.now() + 120_000;
    while ((await loadedAt()) <= before) {
      if (Date.now() > deadline) throw new Error(`prometheus did not reload its configuration:\n${this.recentLogs}`);
      await sleep(500);
    }
  }

  /** Resident memory now and at its peak (VmRSS, VmHWM), in bytes. */
  memory(): { rss: number; peak: number } {
    const status = fs.readFileSync(`/proc/${this.pid}/status`, "utf8");
    const kb = (field: string): number =>
      Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? 0) * 1024;
    return { rss: kb("VmRSS"), peak: kb("VmHWM") };
  }

  /** A GET of the HTTP API (POST for queries, whose text can be long). */
  async api<T>(endpoint: string, params: Readonly<Record<string, string>>, method: "GET" | "POST" = "GET"): Promise<T> {
    const body = new URLSearchParams(params);
    const response =
      method === "GET"
        ? await fetch(`${this.url}/api/v1/${endpoint}?${body.toString()}`)
        : await fetch(`${this.url}/api/v1/${endpoint}`, { method, body });
    const answer = (await response.json()) as { status: string; error?: string; data?: T };
    if (answer.status !== "success" || answer.data === undefined)
      throw new QueryError(answer.error ?? `HTTP ${response.status}`);
    return answer.data;
  }

  /** An instant or range query with Prometheus' own statistics, and the time the HTTP round trip took. */
  async measure(expr: string, at: { time: number } | { start: number; end: number; step: number }): Promise<Measured> {
    const params: Record<string, string> =
      "time" in at
        ? { query: expr, time: String(at.time), stats: "all" }
        : { query: expr, start: String(at.start), end: String(at.end), step: String(at.step), stats: "all" };
    const started = performance.now();
    try {
      const data = await this.api<QueryData>("time" in at ? "query" : "query_range", params, "POST");
      const wallMs = performance.now() - started;
      const result = data.result;
      return {
        ok: true,
        wallMs,
        evalMs: (data.stats?.timings.evalTotalTime ?? 0) * 1000,
        series: result.length,
        labels: [...new Set(result.flatMap((s) => Object.keys(s.metric)))].sort(),
        samples: data.stats?.samples?.totalQueryableSamples ?? 0,
        peakSamples: data.stats?.samples?.peakSamples ?? 0,
      };
    } catch (error) {
      if (!(error instanceof QueryError)) throw error;
      return {
        ok: false,
        error: error.message,
        wallMs: performance.now() - started,
        evalMs: 0,
        series: 0,
        labels: [],
        samples: 0,
        peakSamples: 0,
      };
    }
  }

  /** The text of Prometheus' own /metrics. */
  async selfMetrics(): Promise<string> {
    return (await fetch(`${this.url}/metrics`)).text();
  }
}

export interface Measured {
  readonly ok: boolean;
  readonly error?: string;
  readonly wallMs: number;
  readonly evalMs: number;
  readonly series: number;
  readonly labels: readonly string[];
  readonly samples: number;
  readonly peakSamples: number;
}

interface QueryData {
  readonly resultType: string;
  readonly result: readonly { readonly metric: Readonly<Record<string, string>> }[];
  readonly stats?: {
    readonly timings: { readonly evalTotalTime: number };
    readonly samples?: { readonly totalQueryableSamples: number; readonly peakSamples: number };
  };
}

class QueryError extends Error {}

export function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}

/** A value of one of Prometheus' own metrics (the first sample of that name), if it has one. */
export function selfMetric(text: string, name: string): number | undefined {
  const match = new RegExp(`^${name}(?:\\{[^}]*\\})? (\\S+)$`, "m").exec(text);
  return match?.[1] === undefined ? undefined : Number(match[1]);
}
