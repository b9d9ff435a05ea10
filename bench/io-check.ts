// "No file read twice, no process spawned" for one scrape, measured the way
// test/http/scrape-io.test.ts asserts it: node:fs and node:child_process
// wrapped around collection and rendering, in this process, over a tree with
// 100 patches and a transition over 1,000 threads.
import { parseInvocation } from "../src/cli.js";
import { createExporter } from "../src/exporter.js";
import { silentLogger } from "../src/log.js";
import { MetricsRenderer } from "../src/views/metrics.js";
import { snapshotSamples } from "../src/views/samples.js";
import { repeated, traceIo } from "../support/io-trace.js";
import { syntheticTree } from "../support/synthetic-tree.js";
import { pathFlags } from "../support/trees.js";

export interface IoCheck {
  readonly tree: string;
  readonly filesOpened: number;
  readonly filesOpenedTwice: number;
  readonly directoriesListed: number;
  readonly directoriesListedTwice: number;
  readonly spawns: number;
}

export async function checkScrapeIo(): Promise<IoCheck> {
  const tree = syntheticTree({ patches: 100, transitionThreads: 1000 });
  const { options } = parseInvocation([...pathFlags(tree), "--collector.transition.blocking-threads"], {});
  const { source } = createExporter(options, silentLogger);
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
