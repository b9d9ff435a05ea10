// Not part of `npm run bench`: compares two builds of the exporter, scrape by
// scrape and under load (before and after a change to the scrape path). Usage:
//   node --import tsx bench/before-after.ts <dir of the other build's dist/main.js> [rounds]
import { pathFlags } from "../support/trees.js";
import { startExporter } from "../support/exporter-process.js";
import { syntheticTree } from "../support/synthetic-tree.js";
import { runLoad } from "./load.js";
import { cpuSeconds } from "./processes.js";
import { scrapeSequentially } from "./scrape.js";
import { median, quantile } from "./stats.js";

const [otherMain, roundsArg] = process.argv.slice(2);
if (otherMain === undefined) throw new Error("usage: before-after.ts <other dist/main.js> [rounds]");
const rounds = Number(roundsArg ?? 3);
const builds = [
  { name: "before", command: [process.execPath, otherMain] },
  { name: "after", command: [process.execPath, new URL("../dist/main.js", import.meta.url).pathname] },
];
const trees = {
  host: [] as string[],
  "100 patches": pathFlags(syntheticTree({ patches: 100 })),
  "1000 patches": pathFlags(syntheticTree({ patches: 1000 })),
};

const results = new Map<string, number[]>();
const record = (key: string, value: number): void => void results.set(key, [...(results.get(key) ?? []), value]);
for (let round = 0; round < rounds; round++) {
  for (const build of round % 2 === 0 ? builds : [...builds].reverse()) {
    for (const [tree, flags] of Object.entries(trees)) {
      const exporter = await startExporter(flags, { command: build.command });
      const pid = exporter.process.pid ?? 0;
      const url = `${exporter.url}/metrics`;
      try {
        if (tree === "host") {
          await runLoad("wrk", url, 1, 1);
          const before = cpuSeconds(pid);
          const load = await runLoad("wrk", url, 1, 4);
          record(`${build.name} ${tree} req/s`, load.requestsPerSecond);
          record(`${build.name} ${tree} CPU µs/scrape`, ((cpuSeconds(pid) - before) / load.requests) * 1e6);
        } else {
          const count = tree.startsWith("1000") ? 15 : 60;
          await scrapeSequentially(url, 5);
          const before = cpuSeconds(pid);
          const timed = await scrapeSequentially(url, count);
          record(`${build.name} ${tree} p50 ms`, quantile(timed.seconds, 0.5) * 1000);
          record(`${build.name} ${tree} CPU ms/scrape`, ((cpuSeconds(pid) - before) / count) * 1000);
        }
      } finally {
        await exporter.stop();
      }
      process.stderr.write(`round ${round + 1} ${build.name} ${tree} done\n`);
    }
  }
}
process.stdout.write("| Measure | Before | After |\n| --- | --- | --- |\n");
for (const key of [...results.keys()].filter((k) => k.startsWith("before "))) {
  const measure = key.slice("before ".length);
  const before = median(results.get(key) ?? []);
  const after = median(results.get(`after ${measure}`) ?? []);
  process.stdout.write(`| ${measure} | ${before.toFixed(1)} | ${after.toFixed(1)} |\n`);
}
