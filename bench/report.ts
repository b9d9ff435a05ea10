// The benchmark's Markdown report: machine, goals with verdicts, then each
// section's table. Memory in MB (10^6 bytes), as the memory goal is stated.
import { SCENARIOS, type CompareResult, type LoadSummary, type Scenario } from "./compare.js";
import { floodTable, type FloodResult } from "./flood.js";
import type { InstallMemory } from "./install-memory.js";
import type { IoCheck } from "./io-check.js";
import type { LoadTool } from "./load.js";
import type { Machine } from "./machine.js";
import { table, verdict } from "./markdown.js";
import type { MemoryResult } from "./memory.js";
import type { OperationCost } from "./operations.js";
import { FLOOR, STACK_FLOOR, STACK_FLOOR_ARGS } from "./processes.js";
import type { RuntimeGroupCost } from "./runtime-metrics.js";
import { marginalCost, type ScalingRow } from "./scaling.js";
import { PARTS, type ScrapeProfile } from "./scrape-profile.js";
import { ms, ratio } from "./stats.js";

const OURS = "livepatch_exporter";
const THEIRS = "node_exporter";
const RSS_REST_LIMIT_BYTES = 60e6;
const RSS_LOAD_LIMIT_BYTES = 70e6;
const PATCHES_P50_LIMIT_SECONDS = 0.05;
const THREADS_P50_LIMIT_SECONDS = 0.04;
/** RSS may move this much between 1,000 scrapes and the end of the run and still count as flat. */
const GROWTH_TOLERANCE = 0.05;

export interface ReportInput {
  readonly started: Date;
  readonly machine: Machine;
  readonly loadAverageAfter: string;
  readonly tool: LoadTool;
  readonly toolVersion: string | undefined;
  readonly nodeExporter: { readonly version: string; readonly args: readonly string[] } | undefined;
  readonly settings: {
    readonly rounds: number;
    readonly durationSeconds: number;
    readonly scrapes: number;
    readonly memoryScrapes: number;
    readonly tmpdir: string;
    readonly quick: boolean;
    readonly flood: { readonly connections: number; readonly durationSeconds: number };
  };
  readonly compare: CompareResult | undefined;
  readonly scaling: ScalingRow[] | undefined;
  readonly memory: MemoryResult | undefined;
  readonly io: IoCheck | undefined;
  /** RSS of a bare `node -e` on this machine, bytes. */
  readonly nodeFloorRss: number | undefined;
  /** RSS of node with the footprint flags and Express, pino, commander and prom-client loaded, bytes. */
  readonly dependencyFloorRss: number | undefined;
  readonly install: InstallMemory[] | undefined;
  readonly runtime: RuntimeGroupCost[] | undefined;
  readonly profiles: { label: string; profile: ScrapeProfile }[] | undefined;
  readonly operations: OperationCost[] | undefined;
  readonly flood: FloodResult[] | undefined;
}

export function report(input: ReportInput): string {
  const parts = [
    `### Benchmark ${input.started.toISOString().slice(0, 16).replace("T", " ")} UTC${input.settings.quick ? " (--quick)" : ""}`,
    machineSection(input),
    "#### Goals",
    targetsTable(input),
  ];
  if (input.compare !== undefined) parts.push(...compareSection(input, input.compare));
  if (input.scaling !== undefined) parts.push(...scalingSection(input.scaling));
  if (input.profiles !== undefined) parts.push(...profileSection(input.profiles));
  if (input.memory !== undefined) parts.push(...memorySection(input.memory));
  if (input.install !== undefined) parts.push(...installSection(input, input.install));
  if (input.runtime !== undefined) parts.push(...runtimeSection(input.runtime));
  if (input.io !== undefined) parts.push(...ioSection(input.io));
  if (input.operations !== undefined) parts.push(...operationsSection(input.operations));
  if (input.flood !== undefined) parts.push(...floodSection(input, input.flood));
  return `${parts.join("\n\n")}\n`;
}

function machineSection(input: ReportInput): string {
  const m = input.machine;
  const nodeExporter =
    input.nodeExporter === undefined
      ? "not installed (`apt-get install prometheus-node-exporter`): comparison skipped"
      : `${input.nodeExporter.version}, \`${input.nodeExporter.args.join(" ")}\``;
  return [
    `- Machine: ${m.cpu}, ${m.cores} cores, ${m.memory}, ${m.kernel}; Node.js ${m.node}`,
    `- Load average before / after: ${m.loadAverage} / ${input.loadAverageAfter}`,
    `- node_exporter: ${nodeExporter}`,
    `- Load generator: ${input.toolVersion ?? input.tool}${input.tool === "wrk" ? " (1 thread)" : ""}; ` +
      `${input.settings.rounds} alternating rounds of ${input.settings.durationSeconds} s per exporter and connection count`,
    `- Synthetic trees in ${input.settings.tmpdir}; scrapes are sequential over one keep-alive connection`,
  ].join("\n");
}

function load(compare: CompareResult | undefined, target: string, scenario: Scenario): LoadSummary | undefined {
  return compare?.loads.find((l) => l.target === target && l.scenario === scenario);
}

/** The goals' first load: plain requests at 1 connection. */
const [ONE] = SCENARIOS;

function targetsTable(input: ReportInput): string {
  const rows: string[][] = [];
  const { compare, scaling, memory, io, install } = input;
  for (const scenario of SCENARIOS) {
    const ours = load(compare, OURS, scenario);
    const theirs = load(compare, THEIRS, scenario);
    const met = ours && theirs ? ours.requestsPerSecond >= theirs.requestsPerSecond : undefined;
    rows.push([
      `Throughput ≥ node_exporter's, ${scenario.label}`,
      ours && theirs
        ? `${ratio(ours.requestsPerSecond, theirs.requestsPerSecond)} (${ours.requestsPerSecond.toFixed(0)} vs ` +
          `${theirs.requestsPerSecond.toFixed(0)} req/s; CPU per request ${(ours.cpuPerRequest * 1e6).toFixed(0)} vs ` +
          `${(theirs.cpuPerRequest * 1e6).toFixed(0)} µs)`
        : "n/a",
      verdict(met),
      met === false && ours && theirs
        ? `${shortBy(ours.requestsPerSecond, theirs.requestsPerSecond)}; ` + throughputFloors(compare, scenario, theirs)
        : "",
    ]);
  }
  const ours1 = ONE && load(compare, OURS, ONE);
  const theirs1 = ONE && load(compare, THEIRS, ONE);
  const floor1 = ONE && load(compare, FLOOR, ONE);
  const stack1 = ONE && load(compare, STACK_FLOOR, ONE);
  const p50Met = ours1 && theirs1 ? ours1.p50 <= theirs1.p50 : undefined;
  rows.push([
    "p50 scrape ≤ node_exporter's (1 connection)",
    ours1 && theirs1 ? `${ms(ours1.p50)} vs ${ms(theirs1.p50)} ms` : "n/a",
    verdict(p50Met),
    p50Met === false && ours1 && theirs1
      ? `${ms(ours1.p50 - theirs1.p50)} ms over; the exporter with no collector (Express, prom-client, no host ` +
        `reads): ${stack1 ? ms(stack1.p50) : "n/a"} ms; a Node.js server sending the same bytes: ` +
        `${floor1 ? ms(floor1.p50) : "n/a"} ms`
      : "",
  ]);
  for (const [label, unit, size, limit, profileLabel] of [
    ["1,000 patches: p50 < 50 ms", "patch", 1000, PATCHES_P50_LIMIT_SECONDS, "1,000 patches"],
    [
      "Transition over 10,000 threads: p50 < 40 ms",
      "thread",
      10_000,
      THREADS_P50_LIMIT_SECONDS,
      "transition, 10,000 threads",
    ],
  ] as const) {
    const row = scaling?.find((r) => r.case.unit === unit && r.case.size === size);
    const profile = input.profiles?.find((p) => p.label === profileLabel)?.profile;
    const met = row ? row.p50 < limit : undefined;
    rows.push([
      label,
      row ? `${ms(row.p50, 1)} ms (CPU per scrape ${ms(row.cpuPerScrape, 1)} ms)` : "n/a",
      verdict(met),
      met === false && row
        ? `${ms(row.p50 - limit, 1)} ms over` +
          (profile === undefined
            ? ""
            : `; the read path alone is ${ms(profile.perScrape.get("read path") ?? NaN, 1)} ms of a profiled ` +
              `${ms(profile.total, 1)} ms scrape (profile below)`)
        : "",
    ]);
  }
  const rest = install === undefined ? undefined : Math.max(...install.map((i) => i.rest));
  const restWay = install?.find((i) => i.rest === rest)?.way.name;
  const dependencies =
    input.dependencyFloorRss === undefined
      ? ""
      : `; node with the same flags and only Express, pino, commander and prom-client loaded: ${mb(input.dependencyFloorRss)} MB`;
  rows.push([
    "Resident memory at rest < 60 MB, each install way",
    rest === undefined ? "n/a" : `${mb(rest)} MB at most (${restWay ?? "?"}); table below`,
    verdict(rest === undefined ? undefined : rest < RSS_REST_LIMIT_BYTES),
    rest !== undefined && rest >= RSS_REST_LIMIT_BYTES
      ? `${mb(rest - RSS_REST_LIMIT_BYTES)} MB over${dependencies}` +
        (input.nodeFloorRss === undefined ? "" : `; a bare \`node -e\`: ${mb(input.nodeFloorRss)} MB`)
      : "",
  ]);
  const loaded = [
    ...(install ?? []).map((i) => i.afterLoad),
    ...(compare ? [compare.memory.get(OURS)?.rss ?? NaN] : []),
    ...(memory ? [memory.points[memory.points.length - 1]?.rss ?? NaN] : []),
  ].filter(Number.isFinite);
  const afterLoad = loaded.length > 0 ? Math.max(...loaded) : undefined;
  rows.push([
    "Resident memory after load < 70 MB, each install way",
    afterLoad === undefined
      ? "n/a"
      : `${mb(afterLoad)} MB at most (install ways after their load, the load section, 10,000 scrapes)`,
    verdict(afterLoad === undefined ? undefined : afterLoad < RSS_LOAD_LIMIT_BYTES),
    afterLoad !== undefined && afterLoad >= RSS_LOAD_LIMIT_BYTES
      ? `${mb(afterLoad - RSS_LOAD_LIMIT_BYTES)} MB over`
      : "",
  ]);
  const growth = memory === undefined ? undefined : memoryGrowth(memory);
  rows.push([
    `No growth over ${memory?.points[memory.points.length - 1]?.scrapes ?? "10,000"} scrapes`,
    growth === undefined
      ? "n/a"
      : `${signedMb(growth.bytes)} MB (${(growth.fraction * 100).toFixed(1)}%): the lowest resident set of the ` +
        "second half of the checkpoints after 1,000 scrapes against the first half's",
    verdict(growth === undefined ? undefined : growth.fraction <= GROWTH_TOLERANCE),
    "",
  ]);
  rows.push([
    "No file read twice, no process spawned, per scrape",
    io === undefined
      ? "n/a"
      : `${io.filesOpenedTwice} of ${io.filesOpened} files read twice, ${io.directoriesListedTwice} of ${io.directoriesListed} directories listed twice, ${io.spawns} processes`,
    verdict(
      io === undefined ? undefined : io.filesOpenedTwice === 0 && io.directoriesListedTwice === 0 && io.spawns === 0,
    ),
    "",
  ]);
  return table(["Goal", "Measured", "Verdict", "Missed by; the floor"], rows);
}

function shortBy(ours: number, theirs: number): string {
  return `${((1 - ours / theirs) * 100).toFixed(0)}% short`;
}

/** The two floors under a throughput goal: the product's own stack reading nothing, and bare node:http. */
function throughputFloors(compare: CompareResult | undefined, scenario: Scenario, theirs: LoadSummary): string {
  const describe = (summary: LoadSummary | undefined, what: string): string =>
    summary === undefined
      ? `${what}: not measured`
      : `${what}: ${summary.requestsPerSecond.toFixed(0)} req/s (${ratio(summary.requestsPerSecond, theirs.requestsPerSecond)}), ` +
        `${(summary.cpuPerRequest * 1e6).toFixed(0)} µs CPU per request`;
  return [
    describe(
      load(compare, STACK_FLOOR, scenario),
      "the exporter with no collector (Express, prom-client, no host reads)",
    ),
    describe(load(compare, FLOOR, scenario), "a Node.js server (node:http) sending the same bytes"),
  ].join("; ");
}

function compareSection(input: ReportInput, compare: CompareResult): string[] {
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    const ours = load(compare, OURS, scenario);
    const theirs = load(compare, THEIRS, scenario);
    for (const summary of [ours, theirs, load(compare, STACK_FLOOR, scenario), load(compare, FLOOR, scenario)]) {
      if (summary === undefined) continue;
      rows.push([
        summary.target,
        scenario.label,
        summary.requestsPerSecond.toFixed(0),
        `±${(summary.spread / 2).toFixed(0)}%`,
        ms(summary.p50),
        ms(summary.p99),
        (summary.cpuPerRequest * 1e6).toFixed(0),
        String(summary.errors),
      ]);
    }
    if (ours && theirs) {
      rows.push([
        "**ours / node_exporter**",
        scenario.label,
        ratio(ours.requestsPerSecond, theirs.requestsPerSecond),
        "",
        ratio(ours.p50, theirs.p50),
        ratio(ours.p99, theirs.p99),
        ratio(ours.cpuPerRequest, theirs.cpuPerRequest),
        "",
      ]);
    }
  }
  const memoryRows = [...compare.memory].map(([name, memory]) => [name, mb(memory.rss), mb(memory.peak)]);
  if (input.nodeFloorRss !== undefined) {
    memoryRows.push(["`node -e` doing nothing (the Node.js floor here)", mb(input.nodeFloorRss), ""]);
  }
  return [
    `#### Load on this host's /proc and /sys (median of ${input.settings.rounds} rounds)`,
    table(["Exporter", "Load", "req/s", "Spread", "p50 ms", "p99 ms", "CPU µs/req", "Errors"], rows),
    "Spread: half the range of req/s over the rounds, relative to the median. CPU µs/req: the server's user + system " +
      "CPU time (all threads, /proc/<pid>/stat) over the requests it served, the figure least disturbed by other work " +
      "on the machine. Ours runs every collector with default flags; node_exporter runs uname and os; both serve " +
      "their own process metrics. With Accept-Encoding: gzip (what Prometheus sends) both compress their answer. " +
      `${FLOOR}: node with our flags sending the bytes of our /metrics from memory (gzip level 1 per request when ` +
      "asked), no Express, no collection, no rendering: the ceiling of any Node.js exporter on this machine. " +
      `${STACK_FLOOR}: this exporter started the same way with \`${STACK_FLOOR_ARGS.join(" ")}\`: Express, ` +
      "prom-client, the process metrics and its own, no read of the host: the ceiling of this product's stack " +
      "before it reads anything.",
    table(["Resident memory after the load", "RSS MB", "Peak MB"], memoryRows),
  ];
}

function scalingSection(rows: readonly ScalingRow[]): string[] {
  const body = rows.map((row, index) => {
    const previous = rows
      .slice(0, index)
      .reverse()
      .find((r) => r.case.unit === row.case.unit);
    const marginal = marginalCost(rows, index);
    return [
      row.case.label,
      String(row.series),
      (row.bytes / 1024).toFixed(0),
      String(row.scrapes),
      ms(row.p50),
      ms(row.p99),
      ms(row.cpuPerScrape),
      previous ? ratio(row.p50, previous.p50) : "",
      marginal === undefined ? "" : `${(marginal * 1e6).toFixed(1)} µs per ${row.case.unit}`,
    ];
  });
  const linearity = (unit: "patch" | "thread"): string | undefined => {
    const indexes = rows.map((r, i) => (r.case.unit === unit ? i : -1)).filter((i) => i >= 0);
    const last = indexes[indexes.length - 1];
    const before = indexes[indexes.length - 2];
    if (last === undefined || before === undefined) return undefined;
    const a = marginalCost(rows, before);
    const b = marginalCost(rows, last);
    if (a === undefined || b === undefined) return undefined;
    return `marginal CPU per ${unit} at the largest size / at the size before: ${ratio(b, a)} (1× = linear)`;
  };
  return [
    "#### Scaling (synthetic trees, 3 objects × 5 functions per patch)",
    table(
      ["Tree", "Series", "Body KiB", "Scrapes", "p50 ms", "p99 ms", "CPU ms/scrape", "p50 × previous", "Marginal CPU"],
      body,
    ),
    [linearity("patch"), linearity("thread")].filter((l) => l !== undefined).join("; ") +
      ". Flags: `--collector.transition.blocking-threads` (20 blocking threads' comm read).",
  ];
}

/**
 * Growth after warm-up, from the troughs. The resident set at one checkpoint depends on where V8's collection
 * cycle is (74 to 81 MB from one thousand scrapes to the next here), so two single points can show a "growth"
 * of 7 MB, or hide one. What a leak raises is what stays after collection: the lowest resident set of the
 * second half of the checkpoints against the lowest of the first.
 */
function memoryGrowth(memory: MemoryResult): { bytes: number; fraction: number } | undefined {
  const warm = memory.points.filter((p) => p.scrapes >= 1000);
  if (warm.length < 4) return undefined;
  const half = Math.floor(warm.length / 2);
  const lowest = (points: readonly { rss: number }[]): number => Math.min(...points.map((p) => p.rss));
  const first = lowest(warm.slice(0, half));
  const bytes = lowest(warm.slice(half)) - first;
  return { bytes, fraction: bytes / first };
}

function memorySection(memory: MemoryResult): string[] {
  return [
    "#### Memory over sequential scrapes (10 patches, transition over 100 threads)",
    table(
      ["Scrapes", ...memory.points.map((p) => p.scrapes.toLocaleString("en-US"))],
      [["RSS MB", ...memory.points.map((p) => mb(p.rss))]],
    ),
    `Peak RSS ${mb(memory.peak)} MB; ${ms(memory.secondsPerScrape)} ms per scrape on average.` +
      (memory.paced === undefined
        ? ""
        : ` A fresh process scraped ${memory.paced.scrapes} times one second apart: ${mb(memory.paced.start)} MB ` +
          `at start, ${mb(memory.paced.end)} MB at the end.`),
  ];
}

function ioSection(io: IoCheck): string[] {
  return [
    "#### I/O of one scrape",
    `${io.tree}: ${io.filesOpened} files opened (${io.filesOpenedTwice} more than once), ` +
      `${io.directoriesListed} directories listed (${io.directoriesListedTwice} more than once), ` +
      `${io.spawns} processes spawned. Asserted by test/http/scrape-io.test.ts.`,
  ];
}

function operationsSection(costs: readonly OperationCost[]): string[] {
  const list = costs[0]?.micros;
  const read = costs[1]?.micros;
  const perPatch =
    list === undefined || read === undefined
      ? ""
      : ` A patch (3 objects) is 4 listings and 5 one-read attributes: ${(4 * list + 5 * read).toFixed(0)} µs of ` +
        "file system work here, before anything is parsed or rendered.";
  return [
    "#### Cost of one file system operation (in this process, best of 5 batches)",
    table(
      ["Operation", "µs"],
      costs.map((c) => [c.operation, c.micros.toFixed(1)]),
    ),
    `Each listing is 5 system calls (open, fstat, getdents twice, close), each read 3 (open, read, close).${perPatch}`,
  ];
}

function floodSection(input: ReportInput, results: readonly FloodResult[]): string[] {
  const { connections, durationSeconds } = input.settings.flood;
  const failed = results.filter((r) => r.errors > 0 || r.timeouts > 0).length;
  return [
    `#### Flood: ${connections} connections for ${durationSeconds} s per scenario (autocannon, a host mid-transition)`,
    floodTable(results),
    failed === 0
      ? "Every request was answered."
      : `${failed} scenario(s) had requests with no answer within 10 s (errors / of which timeouts).`,
  ];
}

function mb(bytes: number): string {
  return Number.isFinite(bytes) ? (bytes / 1e6).toFixed(1) : "n/a";
}

function signedMb(bytes: number): string {
  return `${bytes >= 0 ? "+" : ""}${mb(bytes)}`;
}

function profileSection(profiles: readonly { label: string; profile: ScrapeProfile }[]): string[] {
  const rows = profiles.map(({ label, profile }) => [
    label,
    String(profile.scrapes),
    ms(profile.total, 2),
    ...PARTS.map((part) => {
      const seconds = profile.perScrape.get(part) ?? 0;
      return `${ms(seconds, 2)} (${((seconds / profile.total) * 100).toFixed(0)}%)`;
    }),
  ]);
  return [
    "#### Where a scrape's CPU goes (V8 CPU profile, in the benchmark's process, without HTTP)",
    table(["Tree", "Scrapes", "ms per scrape", ...PARTS.map((p) => `${p} ms`)], rows),
    "The read path is src/fs and node:fs with the system calls they make (open, read, getdents, fstat, close), " +
      "charged to the collector that asked; prom-client includes its process metrics' reads of /proc/self; gzip is " +
      "level 1 of the whole body. The HTTP server and Express are the rest of the load section's CPU per request. " +
      "Profiling adds its own overhead: compare the shares, not the totals, with the tables above.",
  ];
}

function installSection(input: ReportInput, rows: readonly InstallMemory[]): string[] {
  return [
    "#### Resident memory in each way the exporter is installed (this host's /proc and /sys)",
    table(
      ["Install way", "Started as (from its file)", "At rest MB", "After load MB", "Peak MB"],
      rows.map((row) => [
        `${row.way.name} (${row.way.source})`,
        `\`${[...Object.entries(row.way.env).map(([k, v]) => `${k}=${v}`), ...row.way.command].join(" ").replace(/\/\S*\/(dist\/main\.js)/, "$1")}\``,
        mb(row.rest),
        mb(row.afterLoad),
        mb(row.peak),
      ]),
    ),
    "At rest: after scrapes one second apart (a fast Prometheus). After load: then 1 and 8 connections and 1 " +
      `with gzip, ${input.settings.durationSeconds} s each. The container runs the Dockerfile's ENTRYPOINT and ENV ` +
      "with this machine's node (the image's own Node.js may differ). Each way is measured with its descendants: " +
      "the container's tini and node together; peak is the sum of each process's own peak.",
  ];
}

function runtimeSection(costs: readonly RuntimeGroupCost[]): string[] {
  const kept = costs.filter((c) => c.byDefault);
  const sum = (list: readonly RuntimeGroupCost[], f: (c: RuntimeGroupCost) => number): number =>
    list.reduce((total, c) => total + f(c), 0);
  return [
    "#### What each group of prom-client's default metrics costs (process_*, nodejs_*)",
    table(
      ["Group", "Families", "Series", "Bytes", "µs per scrape", "Idle CPU % of a core", "Served"],
      costs.map((c) => [
        c.group,
        c.families.join(", "),
        String(c.series),
        String(c.bytes),
        c.microsPerScrape.toFixed(0),
        c.idleCpuPercent.toFixed(2),
        c.byDefault ? "by default" : "--web.exporter-metrics.extended",
      ]),
    ),
    `By default: ${sum(kept, (c) => c.series)} series, ${sum(kept, (c) => c.bytes)} bytes and ` +
      `${sum(kept, (c) => c.microsPerScrape).toFixed(0)} µs per scrape; all groups: ${sum(costs, (c) => c.series)} ` +
      `series, ${sum(costs, (c) => c.bytes)} bytes, ${sum(costs, (c) => c.microsPerScrape).toFixed(0)} µs per ` +
      "scrape. µs per scrape: collect() and rendering, in the benchmark's process, against a renderer without the " +
      "group. Idle CPU: an otherwise idle process with only that group, against one without any, over 20 s.",
  ];
}
