// A bounded load run against the real exporter process on loopback: autocannon
// for a fixed time with a fixed number of connections, the exporter's memory
// sampled from /proc while it runs. Used by `npm run load` and by a smoke test.
import autocannon from "autocannon";
import fs from "node:fs";
import { hashSync } from "bcryptjs";
import path from "node:path";
import { makePki } from "../test/helpers/certs.js";
import { pathFlags, realKernelTree } from "../test/helpers/fixtures.js";
import { startExporter } from "../test/helpers/server.js";

/** Hard bounds: this is a load test of one host's exporter, not a stress tool. */
export const MAX_DURATION_SECONDS = 60;
export const MAX_CONNECTIONS = 1000;
export const MAX_AMOUNT = 100_000;

export interface Scenario {
  readonly name: string;
  /** Exporter flags beyond the host paths. */
  readonly flags: readonly string[];
  /** TLS with a client certificate and basic authentication, as in deploy/web-config.example.yml. */
  readonly secure: boolean;
}

export interface LoadOptions {
  readonly connections: number;
  /** Run for this long... */
  readonly durationSeconds?: number;
  /** ...or for this many requests. */
  readonly amount?: number;
}

export interface LoadResult {
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

export async function runScenario(scenario: Scenario, options: LoadOptions): Promise<LoadResult> {
  const connections = Math.min(Math.max(1, options.connections), MAX_CONNECTIONS);
  const duration = Math.min(Math.max(1, options.durationSeconds ?? 10), MAX_DURATION_SECONDS);
  const amount = options.amount === undefined ? undefined : Math.min(options.amount, MAX_AMOUNT);
  // A host mid-transition: the heaviest scrape (it walks every thread).
  const tree = realKernelTree("busy-stuck");
  const flags = [...pathFlags(tree), ...scenario.flags];
  let tlsOptions: { ca: string; cert: string; key: string } | undefined;
  const headers: Record<string, string> = {};
  if (scenario.secure) {
    const pki = makePki();
    const config = path.join(pki.dir, "web.yml");
    fs.writeFileSync(
      config,
      [
        "tls_server_config:",
        "  cert_file: server.crt",
        "  key_file: server.key",
        "  client_auth_type: RequireAndVerifyClientCert",
        "  client_ca_file: ca.crt",
        "basic_auth_users:",
        `  prometheus: ${hashSync("load-test", 10)}`,
        "",
      ].join("\n"),
    );
    flags.push(`--web.config.file=${config}`);
    tlsOptions = { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey };
    headers["authorization"] = `Basic ${Buffer.from("prometheus:load-test").toString("base64")}`;
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
      ...(amount === undefined ? { duration } : { amount }),
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

export function markdownTable(results: readonly LoadResult[]): string {
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
