// The benchmark's Markdown report: machine, goals with verdicts, then each
// section's table. Memory in MB (10^6 bytes), as the memory goal is stated.
import { SCENARIOS, type CompareResult, type LoadSummary, type Scenario } from "./compare.js";
import { floodTable, type FloodResult } from "./flood.js";
import type { IoCheck } from "./io-check.js";
import type { LoadTool } from "./load.js";
import type { Machine } from "./machine.js";
import { table, verdict } from "./markdown.js";
import type { MemoryResult } from "./memory.js";
import type { OperationCost } from "./operations.js";
import { marginalCost, type ScalingRow } from "./scaling.js";
import { ms, ratio } from "./stats.js";

const OURS = "livepatch_exporter";
const THEIRS = "node_exporter";
const RSS_LIMIT_BYTES = 60e6;
const PATCHES_P50_LIMIT_SECONDS = 0.05;
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
  if (input.memory !== undefined) parts.push(...memorySection(input.memory));
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

/** The goals' loads: plain requests at 1 and 8 connections. */
const [ONE, EIGHT] = SCENARIOS;

function targetsTable(input: ReportInput): string {
  const rows: string[][] = [];
  const { compare, scaling, memory, io } = input;
  for (const scenario of [ONE, EIGHT]) {
    if (scenario === undefined) continue;
    const ours = load(compare, OURS, scenario);
    const theirs = load(compare, THEIRS, scenario);
    rows.push([
      `Throughput ≥ node_exporter's, ${scenario.label}`,
      ours && theirs
        ? `${ratio(ours.requestsPerSecond, theirs.requestsPerSecond)} (${ours.requestsPerSecond.toFixed(0)} vs ` +
          `${theirs.requestsPerSecond.toFixed(0)} req/s; CPU per request ${(ours.cpuPerRequest * 1e6).toFixed(0)} vs ` +
          `${(theirs.cpuPerRequest * 1e6).toFixed(0)} µs)`
        : "n/a",
      verdict(ours && theirs ? ours.requestsPerSecond >= theirs.requestsPerSecond : undefined),
    ]);
  }
  const ours1 = ONE && load(compare, OURS, ONE);
  const theirs1 = ONE && load(compare, THEIRS, ONE);
  rows.push([
    "p50 scrape ≤ node_exporter's (1 connection)",
    ours1 && theirs1 ? `${ms(ours1.p50)} vs ${ms(theirs1.p50)} ms` : "n/a",
    verdict(ours1 && theirs1 ? ours1.p50 <= theirs1.p50 : undefined),
  ]);
  const thousand = scaling?.find((r) => r.case.unit === "patch" && r.case.size === 1000);
  rows.push([
    "1,000 patches: p50 < 50 ms",
    thousand ? `${ms(thousand.p50, 1)} ms (CPU per scrape ${ms(thousand.cpuPerScrape, 1)} ms)` : "n/a",
    verdict(thousand ? thousand.p50 < PATCHES_P50_LIMIT_SECONDS : undefined),
  ]);
  const rssValues = [
    ...(compare ? [compare.memory.get(OURS)?.rss ?? NaN] : []),
    ...(memory ? [memory.points[memory.points.length - 1]?.rss ?? NaN] : []),
  ];
  const paced = memory?.paced;
  const rss = rssValues.length > 0 ? Math.max(...rssValues) : undefined;
  const start = memory?.points[0]?.rss;
  rows.push([
    "Resident memory < 60 MB",
    rss === undefined
      ? "n/a"
      : `${mb(rss)} MB largest measured` +
        (start === undefined ? "" : `, ${mb(start)} MB at start`) +
        (paced === undefined ? "" : `, ${mb(paced.end)} MB after ${paced.scrapes} scrapes one second apart`) +
        (input.nodeFloorRss === undefined ? "" : `; a bare \`node -e\`: ${mb(input.nodeFloorRss)} MB`),
    verdict(rss === undefined ? undefined : rss < RSS_LIMIT_BYTES),
  ]);
  const growth = memory === undefined ? undefined : memoryGrowth(memory);
  rows.push([
    `No growth over ${memory?.points[memory.points.length - 1]?.scrapes ?? "10,000"} scrapes`,
    growth === undefined
      ? "n/a"
      : `${signedMb(growth.bytes)} MB (${(growth.fraction * 100).toFixed(1)}%) from 1,000 scrapes to the end`,
    verdict(growth === undefined ? undefined : growth.fraction <= GROWTH_TOLERANCE),
  ]);
  rows.push([
    "No file read twice, no process spawned, per scrape",
    io === undefined
      ? "n/a"
      : `${io.filesOpenedTwice} of ${io.filesOpened} files read twice, ${io.directoriesListedTwice} of ${io.directoriesListed} directories listed twice, ${io.spawns} processes`,
    verdict(
      io === undefined ? undefined : io.filesOpenedTwice === 0 && io.directoriesListedTwice === 0 && io.spawns === 0,
    ),
  ]);
  return table(["Goal", "Measured", "Verdict"], rows);
}

function compareSection(input: ReportInput, compare: CompareResult): string[] {
  const rows: string[][] = [];
  for (const scenario of SCENARIOS) {
    const ours = load(compare, OURS, scenario);
    const theirs = load(compare, THEIRS, scenario);
    for (const summary of [ours, theirs]) {
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
      "their own process metrics. With Accept-Encoding: gzip (what Prometheus sends) node_exporter compresses its " +
      "answer and we do not.",
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

function memoryGrowth(memory: MemoryResult): { bytes: number; fraction: number } | undefined {
  const warm = memory.points.find((p) => p.scrapes >= 1000) ?? memory.points[1];
  const end = memory.points[memory.points.length - 1];
  if (warm === undefined || end === undefined || warm === end) return undefined;
  return { bytes: end.rss - warm.rss, fraction: (end.rss - warm.rss) / warm.rss };
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
