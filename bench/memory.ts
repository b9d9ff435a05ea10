// Resident memory of our exporter over 10,000 sequential scrapes of a tree
// that exercises every collector (10 patches, a transition over 100 threads
// with blocking threads reported): no growth means a flat line after warm-up.
import { pathFlags } from "../test/helpers/fixtures.js";
import { syntheticTree } from "../test/helpers/synthetic-tree.js";
import { residentMemory, startOurs } from "./processes.js";
import { scrapeSequentially } from "./scrape.js";
import { SCALING_FLAGS } from "./scaling.js";

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
}

export async function runMemory(total: number, progress: (line: string) => void): Promise<MemoryResult> {
  const tree = syntheticTree({ patches: 10, transitionThreads: 100 });
  const exporter = await startOurs([...pathFlags(tree), ...SCALING_FLAGS]);
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
    return { points, peak: residentMemory(exporter.pid).peak, secondsPerScrape: elapsed / total };
  } finally {
    await exporter.stop();
  }
}
