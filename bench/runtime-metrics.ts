// What each group of prom-client's default metrics (process_*, nodejs_*)
// costs: its series and bytes per scrape, the time its collect() and
// rendering add to a scrape (in this process, against a renderer without
// it, scrapes one event-loop turn apart so that observers run too), and the
// CPU it uses between scrapes (an idle process with only that group, against
// one with none). src/views/metrics.ts keeps by default the groups that earn
// their cost; docs/performance.md explains the choice.
import { spawn } from "node:child_process";
import { setImmediate as nextTurn } from "node:timers/promises";
import { fileURLToPath } from "node:url";
import { MetricsRenderer, RUNTIME_GROUP_NAMES, RUNTIME_GROUPS, type RuntimeGroupName } from "../src/views/metrics.js";
import type { Sample } from "../src/views/view.js";
import { FOOTPRINT_FLAGS } from "../support/install-ways.js";
import { cpuSeconds } from "./processes.js";
import { median, sleep } from "./stats.js";

export interface RuntimeGroupCost {
  readonly group: RuntimeGroupName;
  readonly byDefault: boolean;
  readonly families: readonly string[];
  readonly series: number;
  readonly bytes: number;
  /** Added to one scrape, microseconds (median of batches, minus a renderer without the group). */
  readonly microsPerScrape: number;
  /** CPU used between scrapes by an idle process with only this group, minus one with none; % of one core. */
  readonly idleCpuPercent: number;
}

const BATCHES = 10;
const SCRAPES_PER_BATCH = 100;
const IDLE_SECONDS = 20;

/** A small scrape of our own beside the runtime metrics, so rendering allocates as a real one does. */
const OWN_SAMPLES: readonly Sample[] = [
  {
    name: "livepatch_exporter_build_info",
    labels: { version: "bench", revision: "bench", nodejs_version: "v0" },
    value: 1,
  },
  ...["livepatch", "transition", "taint", "modules", "kernel", "reboot", "readiness"].map((collector) => ({
    name: "livepatch_scrape_collector_success",
    labels: { collector },
    value: 1,
  })),
];

export async function measureRuntimeGroups(progress: (line: string) => void): Promise<RuntimeGroupCost[]> {
  progress(`runtime metrics: ${IDLE_SECONDS} s of idle processes, one per group`);
  const idle = await idleCpu();
  const costs: RuntimeGroupCost[] = [];
  for (const group of RUNTIME_GROUP_NAMES) {
    progress(`runtime metrics: ${group}`);
    const renderer = new MetricsRenderer({ exporterMetrics: false, runtimeGroups: [group] });
    const text = (await renderer.render([])).trim();
    const lines = text.split("\n");
    costs.push({
      group,
      byDefault: RUNTIME_GROUPS[group].byDefault,
      families: lines.filter((l) => l.startsWith("# TYPE ")).map((l) => l.split(" ")[2] ?? ""),
      series: lines.filter((l) => l !== "" && !l.startsWith("#")).length,
      bytes: Buffer.byteLength(text) + 2,
      microsPerScrape: await scrapeMicros([group]),
      idleCpuPercent: Math.max(0, (idle.get(group) ?? NaN) - (idle.get("none") ?? NaN)),
    });
  }
  return costs;
}

/** µs the groups add to a scrape: batches with and without them, alternated, median of the differences. */
async function scrapeMicros(groups: readonly RuntimeGroupName[]): Promise<number> {
  const batch = async (renderer: MetricsRenderer): Promise<number> => {
    const started = process.hrtime.bigint();
    for (let i = 0; i < SCRAPES_PER_BATCH; i++) {
      await renderer.render(OWN_SAMPLES);
      await nextTurn(); // observers (GC) and timers run between scrapes, as they do in the server
    }
    return Number(process.hrtime.bigint() - started) / 1000 / SCRAPES_PER_BATCH;
  };
  const without = new MetricsRenderer({ exporterMetrics: false, runtimeGroups: [] });
  const withGroups = new MetricsRenderer({ exporterMetrics: false, runtimeGroups: groups });
  await batch(without);
  await batch(withGroups);
  const differences: number[] = [];
  for (let i = 0; i < BATCHES; i++) {
    const [a, b] = i % 2 === 0 ? [without, withGroups] : [withGroups, without];
    const first = await batch(a);
    const second = await batch(b);
    differences.push(a === withGroups ? first - second : second - first);
  }
  return median(differences);
}

const RENDERER = fileURLToPath(new URL("../dist/views/metrics.js", import.meta.url));

/** % of one core used by idle processes (with the footprint flags), one per group and one without any. */
async function idleCpu(): Promise<Map<string, number>> {
  const names = ["none", ...RUNTIME_GROUP_NAMES];
  const children = names.map((name) => {
    const groups = JSON.stringify(name === "none" ? [] : [name]);
    const script =
      `const { MetricsRenderer } = await import(${JSON.stringify(RENDERER)});` +
      `new MetricsRenderer({ exporterMetrics: false, runtimeGroups: ${groups} });` +
      `process.stdout.write("ready\\n"); setInterval(() => {}, 1 << 30);`;
    return spawn(process.execPath, [...FOOTPRINT_FLAGS, "--input-type=module", "-e", script], {
      stdio: ["ignore", "pipe", "ignore"],
    });
  });
  const ready = Promise.all(children.map((child) => new Promise((resolve) => child.stdout.once("data", resolve))));
  try {
    await ready;
    await sleep(1000);
    const before = children.map((child) => cpuSeconds(child.pid ?? 0));
    await sleep(IDLE_SECONDS * 1000);
    const after = children.map((child) => cpuSeconds(child.pid ?? 0));
    return new Map(
      names.map((name, i) => [name, (((after[i] ?? NaN) - (before[i] ?? NaN)) / IDLE_SECONDS) * 100] as const),
    );
  } finally {
    for (const child of children) child.kill("SIGKILL");
  }
}
