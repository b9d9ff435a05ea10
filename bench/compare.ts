// The same closed-loop load against our exporter and node_exporter on this
// host, at 1 and 8 connections, in alternating rounds (who goes first
// alternates too) so that a burst of noise from elsewhere on the machine hits
// both; the medians over rounds are reported, with the spread.
import { runLoad, type LoadResult, type LoadTool } from "./load.js";
import { residentMemory, type Target } from "./processes.js";
import { median, spreadPercent } from "./stats.js";

export const CONNECTIONS = [1, 8] as const;

export interface CompareOptions {
  readonly tool: LoadTool;
  readonly wrkPath: string;
  readonly rounds: number;
  readonly durationSeconds: number;
}

export interface LoadSummary {
  readonly target: string;
  readonly connections: number;
  readonly rounds: LoadResult[];
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
  // Warm up both (JIT, caches, connection setup) before anything counts.
  for (const target of targets) await runLoad(options.tool, target.url, 1, 1, options.wrkPath);
  const results = new Map<string, LoadResult[]>();
  for (let round = 0; round < options.rounds; round++) {
    const order = round % 2 === 0 ? targets : [...targets].reverse();
    for (const connections of CONNECTIONS) {
      for (const target of order) {
        const result = await runLoad(options.tool, target.url, connections, options.durationSeconds, options.wrkPath);
        const key = `${target.name}@${connections}`;
        results.set(key, [...(results.get(key) ?? []), result]);
        progress(
          `load: round ${round + 1}/${options.rounds}, ${connections} conn, ${target.name}: ` +
            `${result.requestsPerSecond.toFixed(0)} req/s, p50 ${(result.p50 * 1000).toFixed(2)} ms`,
        );
      }
    }
  }
  const loads: LoadSummary[] = [];
  for (const connections of CONNECTIONS) {
    for (const target of targets) {
      const rounds = results.get(`${target.name}@${connections}`) ?? [];
      loads.push({
        target: target.name,
        connections,
        rounds,
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
