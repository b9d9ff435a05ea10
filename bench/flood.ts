// The flood section: many connections at once against the real exporter
// process on loopback, one scenario after another (plain, the default
// --web.max-requests, mTLS with basic authentication), autocannon for a fixed
// time, the exporter's memory sampled from /proc while it runs. Bounded in
// connections and time: a load test of one host's exporter, not a stress tool.
import autocannon from "autocannon";
import fs from "node:fs";
import { makePki, secureWebConfig } from "../support/certs.js";
import { startExporter } from "../support/exporter-process.js";
import { pathFlags, realKernelTree } from "../support/trees.js";

/** Hard bounds: this is a load test of one host's exporter, not a stress tool. */
export const MAX_DURATION_SECONDS = 60;
export const MAX_CONNECTIONS = 1000;

export interface Scenario {
  readonly name: string;
  /** Exporter flags beyond the host paths. */
  readonly flags: readonly string[];
  /** TLS with a client certificate and basic authentication, as in deploy/web-config.example.yml. */
  readonly secure: boolean;
}

export interface FloodOptions {
  readonly connections: number;
  readonly durationSeconds: number;
}

export interface FloodResult {
  readonly scenario: string;
  readonly connections: number;
  readonly durationSeconds: number;
  readonly requests: number;
  readonly requestsPerSecond: number;
  readonly statuses: Readonly<Record<string, number>>;
  /** Connection errors and timeouts: requests that got no HTTP answer. */
  readonly errors: number;
  readonly timeouts: number;
  readonly latencyMs: { readonly p50: number; readonly p99: number; readonly max: number };
  readonly rssBytes: { readonly before: number; readonly peak: number; readonly after: number };
}

export const SCENARIOS: readonly Scenario[] = [
  { name: "plain HTTP, no request limit", flags: ["--web.max-requests=0"], secure: false },
  { name: "plain HTTP, --web.max-requests=40 (default)", flags: [], secure: false },
  { name: "mTLS + basic auth (bcrypt cost 10), no request limit", flags: ["--web.max-requests=0"], secure: true },
];

function rssBytes(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  return Number(/^VmRSS:\s+(\d+) kB$/m.exec(status)?.[1] ?? 0) * 1024;
}

export async function runFlood(options: FloodOptions, progress: (line: string) => void): Promise<FloodResult[]> {
  const results: FloodResult[] = [];
  for (const scenario of SCENARIOS) {
    progress(`flood: ${scenario.name}: ${options.connections} connections for ${options.durationSeconds} s`);
    results.push(await runScenario(scenario, options));
  }
  return results;
}

async function runScenario(scenario: Scenario, options: FloodOptions): Promise<FloodResult> {
  const connections = Math.min(Math.max(1, options.connections), MAX_CONNECTIONS);
  const duration = Math.min(Math.max(1, options.durationSeconds), MAX_DURATION_SECONDS);
  // A host mid-transition: the heaviest scrape (it walks every thread).
  const tree = realKernelTree("busy-stuck");
  const flags = [...pathFlags(tree), ...scenario.flags];
  let tlsOptions: { ca: string; cert: string; key: string } | undefined;
  let headers: Readonly<Record<string, string>> = {};
  if (scenario.secure) {
    const secure = secureWebConfig(makePki());
    flags.push(`--web.config.file=${secure.configFile}`);
    tlsOptions = secure.client;
    headers = secure.headers;
  }
  const exporter = await startExporter(flags);
  const pid = exporter.process.pid ?? 0;
  try {
    // One scrape first, so "before" is a warmed-up process.
    await autocannon({
      url: `${exporter.url}/metrics`,
      connections: 1,
      amount: 5,
      headers,
      ...(tlsOptions ? { tlsOptions } : {}),
    });
    const before = rssBytes(pid);
    let peak = before;
    const sampler = setInterval(() => {
      peak = Math.max(peak, rssBytes(pid));
    }, 100);
    const result = await autocannon({
      url: `${exporter.url}/metrics`,
      connections,
      headers,
      duration,
      timeout: 10,
      ...(tlsOptions ? { tlsOptions } : {}),
    });
    clearInterval(sampler);
    const after = rssBytes(pid);
    peak = Math.max(peak, after);
    const statuses: Record<string, number> = {};
    for (const [code, stats] of Object.entries(result.statusCodeStats ?? {})) statuses[code] = stats.count ?? 0;
    return {
      scenario: scenario.name,
      connections,
      durationSeconds: result.duration,
      requests: result.requests.total,
      requestsPerSecond: result.requests.average,
      statuses,
      errors: result.errors,
      timeouts: result.timeouts,
      latencyMs: { p50: result.latency.p50, p99: result.latency.p99, max: result.latency.max },
      rssBytes: { before, peak, after },
    };
  } finally {
    await exporter.stop();
  }
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(1);

export function floodTable(results: readonly FloodResult[]): string {
  const rows = results.map((r) =>
    [
      r.scenario,
      String(r.connections),
      `${r.durationSeconds.toFixed(0)} s`,
      String(r.requests),
      r.requestsPerSecond.toFixed(0),
      Object.entries(r.statuses)
        .map(([code, count]) => `${code}: ${count}`)
        .join(", "),
      `${r.errors} / ${r.timeouts}`,
      `${r.latencyMs.p50} / ${r.latencyMs.p99} / ${r.latencyMs.max}`,
      `${mib(r.rssBytes.before)} / ${mib(r.rssBytes.peak)} / ${mib(r.rssBytes.after)}`,
    ].join(" | "),
  );
  return [
    "| Scenario | Connections | Time | Requests | Req/s | Statuses | Errors / of which timeouts | Latency p50 / p99 / max (ms) | RSS before / peak / after (MiB) |",
    "|---|---|---|---|---|---|---|---|---|",
    ...rows.map((row) => `| ${row} |`),
  ].join("\n");
}
