// Resident memory of our exporter over 10,000 back-to-back scrapes of a tree
// that exercises every collector (10 patches, a transition over 100 threads
// with blocking threads reported): no growth means a flat line after warm-up.
// And, in a fresh process, at a pace closer to Prometheus's (one scrape a
// second), where V8 has no reason to grow its heap.
import { pathFlags } from "../support/trees.js";
import { syntheticTree } from "../support/synthetic-tree.js";
import { residentMemory, startOurs } from "./processes.js";
import { scrapeSequentially } from "./scrape.js";
import { SCALING_FLAGS } from "./scaling.js";
import { sleep } from "./stats.js";

export interface MemoryPoint {
  readonly scrapes: number;
  /** Bytes. */
  readonly rss: number;
}

export interface MemoryResult {
  readonly points: MemoryPoint[];
  /** Peak resident set (VmHWM) at the end, bytes. */
  readonly peak: number;
  /** Mean scrape time over the run (client side, sequential), seconds. */
  readonly secondsPerScrape: number;
  /** RSS at the start and the end of scrapes one second apart, bytes. */
  readonly paced: { readonly scrapes: number; readonly start: number; readonly end: number } | undefined;
}

export async function runMemory(
  total: number,
  pacedScrapes: number,
  progress: (line: string) => void,
): Promise<MemoryResult> {
  const tree = syntheticTree({ patches: 10, transitionThreads: 100 });
  const flags = [...pathFlags(tree), ...SCALING_FLAGS];
  const paced = pacedScrapes > 0 ? await runPaced(flags, pacedScrapes, progress) : undefined;
  const exporter = await startOurs(flags);
  try {
    const points: MemoryPoint[] = [{ scrapes: 0, rss: residentMemory(exporter.pid).rss }];
    const checkpoints = [1, ...Array.from({ length: 10 }, (_, i) => Math.round(((i + 1) * total) / 10))];
    let done = 0;
    const started = process.hrtime.bigint();
    for (const checkpoint of [...new Set(checkpoints)]) {
      await scrapeSequentially(exporter.url, checkpoint - done);
      done = checkpoint;
      points.push({ scrapes: done, rss: residentMemory(exporter.pid).rss });
      progress(`memory: ${done} scrapes, RSS ${(points[points.length - 1]?.rss ?? 0) / 2 ** 20} MiB`);
    }
    const elapsed = Number(process.hrtime.bigint() - started) / 1e9;
    return { points, peak: residentMemory(exporter.pid).peak, secondsPerScrape: elapsed / total, paced };
  } finally {
    await exporter.stop();
  }
}

async function runPaced(
  flags: readonly string[],
  scrapes: number,
  progress: (line: string) => void,
): Promise<MemoryResult["paced"]> {
  const exporter = await startOurs(flags);
  try {
    const start = residentMemory(exporter.pid).rss;
    progress(`memory: ${scrapes} scrapes one second apart`);
    for (let i = 0; i < scrapes; i++) {
      await scrapeSequentially(exporter.url, 1);
      await sleep(1000);
    }
    return { scrapes, start, end: residentMemory(exporter.pid).rss };
  } finally {
    await exporter.stop();
  }
}
