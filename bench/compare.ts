// The same closed-loop load against our exporter and node_exporter on this
// host, in alternating rounds (who goes first alternates too) so that a burst
// of noise from elsewhere on the machine hits both; the medians over rounds
// are reported, with the spread, and the servers' CPU time per request,
// which other work on the machine disturbs much less than req/s.
import { runLoad, type LoadResult, type LoadTool } from "./load.js";
import { cpuSeconds, residentMemory, type Target } from "./processes.js";
import { median, spreadPercent } from "./stats.js";

export interface Scenario {
  readonly label: string;
  readonly connections: number;
  /** Ask for gzip as Prometheus does (node_exporter compresses then; we do not). */
  readonly gzip: boolean;
}

/** The goals' two loads, then one as Prometheus itself scrapes. */
export const SCENARIOS: readonly Scenario[] = [
  { label: "1 connection", connections: 1, gzip: false },
  { label: "8 connections", connections: 8, gzip: false },
  { label: "1 connection, Accept-Encoding: gzip", connections: 1, gzip: true },
];

export interface CompareOptions {
  readonly tool: LoadTool;
  readonly wrkPath: string;
  readonly rounds: number;
  readonly durationSeconds: number;
}

/** A load run and the server's CPU time per request during it. */
export interface MeasuredRun extends LoadResult {
  readonly cpuPerRequest: number;
}

export interface LoadSummary {
  readonly target: string;
  readonly scenario: Scenario;
  readonly rounds: MeasuredRun[];
  /** Median over rounds of the server's CPU seconds per request. */
  readonly cpuPerRequest: number;
  readonly requestsPerSecond: number;
  /** (max - min) / median of requests per second over rounds, percent. */
  readonly spread: number;
  readonly p50: number;
  readonly p99: number;
  readonly errors: number;
}

export interface CompareResult {
  readonly loads: LoadSummary[];
  /** Resident set after all rounds, and peak, bytes, by target name. */
  readonly memory: Map<string, { rss: number; peak: number }>;
}

export async function runCompare(
  targets: readonly Target[],
  options: CompareOptions,
  progress: (line: string) => void,
): Promise<CompareResult> {
  const load = async (target: Target, scenario: Scenario, seconds: number): Promise<MeasuredRun> => {
    const cpuBefore = cpuSeconds(target.pid);
    const headers = scenario.gzip ? { "Accept-Encoding": "gzip" } : {};
    const result = await runLoad(options.tool, target.url, scenario.connections, seconds, headers, options.wrkPath);
    return { ...result, cpuPerRequest: (cpuSeconds(target.pid) - cpuBefore) / result.requests };
  };
  // Warm up both (JIT, caches, connection setup) before anything counts.
  for (const target of targets) for (const scenario of SCENARIOS) await load(target, scenario, 1);
  const results = new Map<string, MeasuredRun[]>();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const scenario of SCENARIOS) {
      for (const target of order) {
        const result = await load(target, scenario, options.durationSeconds);
        const key = `${target.name}@${scenario.label}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        progress(
          `load: round ${round + 1}/${options.rounds}, ${scenario.label}, ${target.name}: ` +
            `${result.requestsPerSecond.toFixed(0)} req/s, p50 ${(result.p50 * 1000).toFixed(2)} ms, ` +
            `${(result.cpuPerRequest * 1e6).toFixed(0)} µs CPU per request`,
        );
      }
    }
  }
  const loads: LoadSummary[] = [];
  for (const scenario of SCENARIOS) {
    for (const target of targets) {
      const rounds = results.get(`${target.name}@${scenario.label}`) ?? [];
      loads.push({
        target: target.name,
        scenario,
        rounds,
        cpuPerRequest: median(rounds.map((r) => r.cpuPerRequest)),
        requestsPerSecond: median(rounds.map((r) => r.requestsPerSecond)),
        spread: spreadPercent(rounds.map((r) => r.requestsPerSecond)),
        p50: median(rounds.map((r) => r.p50)),
        p99: median(rounds.map((r) => r.p99)),
        errors: rounds.reduce((sum, r) => sum + r.errors, 0),
      });
    }
  }
  const memory = new Map(targets.map((t) => [t.name, residentMemory(t.pid)]));
  return { loads, memory };
}
