// What one file system operation of a scrape costs on this machine, in this
// process: the floor under the per-patch cost of the scaling table (a patch
// is 4 directory listings and 5 attribute reads), and the reason reads are
// synchronous (src/fs/read.ts).
import fs from "node:fs";
import { listDir, readText } from "../src/fs/read.js";
import { syntheticTree } from "../support/synthetic-tree.js";

export interface OperationCost {
  readonly operation: string;
  /** Microseconds per operation, best of several batches. */
  readonly micros: number;
}

export async function measureOperations(): Promise<OperationCost[]> {
  const root = syntheticTree({ patches: 1 });
  const patch = `${root}/sys/kernel/livepatch/lp_bench_1`;
  const attribute = `${patch}/enabled`;
  const costs: OperationCost[] = [];
  const sync = (operation: string, run: () => unknown): void => {
    costs.push({ operation, micros: best(() => run(), 2000) });
  };
  sync("list a patch directory (readdirSync with types)", () => listDir(patch));
  sync("read an attribute (open, one read, close)", () => readText(attribute, 4096, true));
  sync("read an attribute (open, read to EOF, close)", () => readText(attribute, 4096));
  sync("open a missing file (failure)", () => readText(`${patch}/stack_order`));
  costs.push({
    operation: "read an attribute with fs.promises.readFile (thread pool)",
    micros: await bestAsync(() => fs.promises.readFile(attribute, "utf8"), 500),
  });
  return costs;
}

function best(run: () => void, count: number): number {
  let fastest = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1000 / count);
  }
  return fastest;
}

async function bestAsync(run: () => Promise<unknown>, count: number): Promise<number> {
  let fastest = Infinity;
  for (let batch = 0; batch < 5; batch++) {
    const started = process.hrtime.bigint();
    for (let i = 0; i < count; i++) await run();
    fastest = Math.min(fastest, Number(process.hrtime.bigint() - started) / 1000 / count);
  }
  return fastest;
}
