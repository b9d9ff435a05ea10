// "No file read twice, no process spawned" for one scrape, measured the way
// test/http/scrape-io.test.ts asserts it: node:fs and node:child_process
// wrapped around collection and rendering, in this process, over a tree with
// 100 patches and a transition over 1,000 threads.
import { snapshotSource } from "../test/helpers/collect.js";
import { repeated, traceIo } from "../test/helpers/io-trace.js";
import { syntheticTree } from "../test/helpers/synthetic-tree.js";
import { MetricsRenderer } from "../src/views/metrics.js";
import { snapshotSamples } from "../src/views/samples.js";

export interface IoCheck {
  readonly tree: string;
  readonly filesOpened: number;
  readonly filesOpenedTwice: number;
  readonly directoriesListed: number;
  readonly directoriesListedTwice: number;
  readonly spawns: number;
}

export async function checkScrapeIo(): Promise<IoCheck> {
  const source = snapshotSource(syntheticTree({ patches: 100, transitionThreads: 1000 }), {
    transition: { blockingThreads: true },
  });
  const renderer = new MetricsRenderer({ exporterMetrics: true });
  const build = { version: "bench", revision: "bench" };
  const scrape = async (): Promise<void> => {
    await renderer.render(snapshotSamples(await source.snapshot(), build));
  };
  await scrape(); // the first scrape also reads the facts fixed until reboot
  const trace = await traceIo(scrape);
  return {
    tree: "100 patches, transition over 1,000 threads, blocking threads reported",
    filesOpened: trace.opens.size,
    filesOpenedTwice: repeated(trace.opens).length,
    directoriesListed: trace.listings.size,
    directoriesListedTwice: repeated(trace.listings).length,
    spawns: trace.spawns.length,
  };
}
