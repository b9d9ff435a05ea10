// p50 scrape time against trees of growing size: 1, 10, 100 and 1,000
// patches (3 objects x 5 functions each), and a transition in progress over
// 1,000 (and 10,000) threads. Linear growth means a constant marginal cost
// per patch (or per thread) from one size to the next.
import { pathFlags } from "../support/trees.js";
import { syntheticTree, type SyntheticSpec } from "../support/synthetic-tree.js";
import { cpuSeconds, startOurs } from "./processes.js";
import { scrapeSequentially } from "./scrape.js";
import { quantile } from "./stats.js";

export interface ScalingCase {
  readonly label: string;
  /** What grows: patches or threads. */
  readonly unit: "patch" | "thread";
  readonly size: number;
  readonly spec: SyntheticSpec;
}

export interface ScalingRow {
  readonly case: ScalingCase;
  readonly series: number;
  readonly bytes: number;
  readonly scrapes: number;
  /** Seconds. */
  readonly p50: number;
  readonly p99: number;
  /** The exporter's CPU seconds per scrape over the timed scrapes: barely moved by other work on the machine. */
  readonly cpuPerScrape: number;
}

export function scalingCases(full: boolean): ScalingCase[] {
  const patches = [1, 10, 100, 1000].map((n): ScalingCase => ({
    label: `${n} patch${n === 1 ? "" : "es"}`,
    unit: "patch",
    size: n,
    spec: { patches: n },
  }));
  const threads = (full ? [1000, 10_000] : [1000]).map((n): ScalingCase => ({
    label: `transition, ${n} threads`,
    unit: "thread",
    size: n,
    spec: { patches: 1, transitionThreads: n },
  }));
  return [...patches, ...threads];
}

/** Every flag the benchmark passes besides the tree's paths. */
export const SCALING_FLAGS = ["--collector.transition.blocking-threads"];

export async function runScaling(
  cases: readonly ScalingCase[],
  scrapesFor: (c: ScalingCase) => number,
  progress: (line: string) => void,
): Promise<ScalingRow[]> {
  const rows: ScalingRow[] = [];
  for (const c of cases) {
    progress(`scaling: building ${c.label}`);
    const tree = syntheticTree(c.spec);
    const exporter = await startOurs([...pathFlags(tree), ...SCALING_FLAGS]);
    try {
      const scrapes = scrapesFor(c);
      const warmup = await scrapeSequentially(exporter.url, Math.max(5, Math.ceil(scrapes / 10)));
      const body = await (await fetch(exporter.url)).text();
      progress(`scaling: ${c.label}: ${scrapes} scrapes`);
      const cpuBefore = cpuSeconds(exporter.pid);
      const timed = await scrapeSequentially(exporter.url, scrapes);
      const cpuPerScrape = (cpuSeconds(exporter.pid) - cpuBefore) / scrapes;
      rows.push({
        case: c,
        series: body.split("\n").filter((line) => line !== "" && !line.startsWith("#")).length,
        bytes: warmup.bytes,
        scrapes,
        p50: quantile(timed.seconds, 0.5),
        p99: quantile(timed.seconds, 0.99),
        cpuPerScrape,
      });
    } finally {
      await exporter.stop();
    }
  }
  return rows;
}

/**
 * Marginal CPU seconds per unit (patch or thread) from the previous row of the
 * same unit, or undefined for the first. CPU time rather than p50: on a busy
 * machine the wall time of a scrape also holds the time other processes ran.
 */
export function marginalCost(rows: readonly ScalingRow[], index: number): number | undefined {
  const row = rows[index];
  if (row === undefined) return undefined;
  const previous = rows
    .slice(0, index)
    .reverse()
    .find((r) => r.case.unit === row.case.unit);
  if (previous === undefined) return undefined;
  return (row.cpuPerScrape - previous.cpuPerScrape) / (row.case.size - previous.case.size);
}
