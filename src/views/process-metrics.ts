// The exporter's own process_* and nodejs_* families: the ones prom-client's
// collectDefaultMetrics() registers (same names, help, types, labels, order
// and values), computed and written directly.
//
// Why not prom-client's: on a host without live patches they were half of
// the CPU of a scrape (~0.4 ms): an async collect and render per family,
// label hashing per series, process.memoryUsage() reading /proc/self/stat
// for an RSS nobody uses there, and a 3-figure event loop histogram whose
// summary walks ~30,000 buckets (see event-loop-delay.ts). This reads
// /proc/self/status and lists /proc/self/fd once each, and asks V8 and libuv
// the rest. test/unit/process-metrics.test.ts checks the families against
// prom-client's. The three *_total gauges that promtool rejects are left out
// as before.
import fs from "node:fs";
import v8 from "node:v8";
import { EventLoopDelayMonitor, type EventLoopDelayStats } from "../event-loop-delay.js";
import { readText } from "../fs/read.js";
import { appendFamily, familyHeader, type Series } from "./exposition.js";
import { GcDurations } from "./gc-durations.js";

type FamilyType = "gauge" | "counter";

interface Family {
  readonly name: string;
  readonly header: string;
}

function family(name: string, help: string, type: FamilyType = "gauge"): Family {
  return { name, header: familyHeader(name, help, type) };
}

const F = {
  cpuUser: family("process_cpu_user_seconds_total", "Total user CPU time spent in seconds.", "counter"),
  cpuSystem: family("process_cpu_system_seconds_total", "Total system CPU time spent in seconds.", "counter"),
  cpu: family("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.", "counter"),
  startTime: family("process_start_time_seconds", "Start time of the process since unix epoch in seconds."),
  resident: family("process_resident_memory_bytes", "Resident memory size in bytes."),
  virtual: family("process_virtual_memory_bytes", "Virtual memory size in bytes."),
  heap: family("process_heap_bytes", "Process heap size in bytes."),
  openFds: family("process_open_fds", "Number of open file descriptors."),
  maxFds: family("process_max_fds", "Maximum number of open file descriptors."),
  lag: family("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds."),
  lagMin: family("nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay."),
  lagMax: family("nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay."),
  lagMean: family("nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays."),
  lagStddev: family("nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays."),
  lagP50: family("nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays."),
  lagP90: family("nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays."),
  lagP99: family("nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays."),
  resources: family(
    "nodejs_active_resources",
    "Number of active resources that are currently keeping the event loop alive, grouped by async resource type.",
  ),
  handles: family(
    "nodejs_active_handles",
    "Number of active libuv handles grouped by handle type. Every handle type is C++ class name.",
  ),
  requests: family(
    "nodejs_active_requests",
    "Number of active libuv requests grouped by request type. Every request type is C++ class name.",
  ),
  heapTotal: family("nodejs_heap_size_total_bytes", "Process heap size from Node.js in bytes."),
  heapUsed: family("nodejs_heap_size_used_bytes", "Process heap size used from Node.js in bytes."),
  external: family("nodejs_external_memory_bytes", "Node.js external memory size in bytes."),
  spaceTotal: family("nodejs_heap_space_size_total_bytes", "Process heap space size total from Node.js in bytes."),
  spaceUsed: family("nodejs_heap_space_size_used_bytes", "Process heap space size used from Node.js in bytes."),
  spaceAvailable: family(
    "nodejs_heap_space_size_available_bytes",
    "Process heap space size available from Node.js in bytes.",
  ),
  version: family("nodejs_version_info", "Node.js version info."),
} as const;

const LAG_FAMILIES: readonly [keyof EventLoopDelayStats, Family][] = [
  ["min", F.lagMin],
  ["max", F.lagMax],
  ["mean", F.lagMean],
  ["stddev", F.lagStddev],
  ["p50", F.lagP50],
  ["p90", F.lagP90],
  ["p99", F.lagP99],
];

const NO_LABELS: Readonly<Record<string, string>> = {};

/** Node.js internals prom-client counts handles and requests with (not in @types/node). */
interface ProcessInternals {
  _getActiveHandles?: () => unknown[];
  _getActiveRequests?: () => unknown[];
}

export class ProcessMetrics {
  /** As prom-client: CPU counted from when the metrics were set up, start time rounded once. */
  private readonly cpuBaseline = process.cpuUsage();
  private readonly startTimeSeconds = Math.round(Date.now() / 1000 - process.uptime());
  private readonly maxFds = readMaxFds();
  private readonly versionLabels = versionLabels();
  private readonly eventLoop = new EventLoopDelayMonitor();
  private readonly gc = new GcDurations();
  /** The lag measured by the previous scrape's setImmediate (0 before the first). */
  private lagSeconds = 0;

  /** The families, in prom-client's order, without the trailing newline. */
  render(): string {
    let text = "";
    const one = (f: Family, value: number | undefined): void => {
      if (value !== undefined) text = appendFamily(text, f.header, f.name, [{ labels: NO_LABELS, value }]);
    };
    const many = (f: Family, series: Iterable<Series>): void => {
      text = appendFamily(text, f.header, f.name, series);
    };

    const cpu = process.cpuUsage(this.cpuBaseline);
    one(F.cpuUser, cpu.user / 1e6);
    one(F.cpuSystem, cpu.system / 1e6);
    one(F.cpu, (cpu.user + cpu.system) / 1e6);
    one(F.startTime, this.startTimeSeconds);
    const status = readStatus();
    if (status !== undefined) {
      one(F.resident, status.VmRSS);
      one(F.virtual, status.VmSize);
      one(F.heap, status.VmData);
    }
    one(F.openFds, openFds());
    one(F.maxFds, this.maxFds);

    this.measureLag();
    one(F.lag, this.lagSeconds);
    const delay = this.eventLoop.take();
    for (const [key, f] of LAG_FAMILIES) one(f, delay[key]);

    many(F.resources, countByName(process.getActiveResourcesInfo()));
    const internals = process as unknown as ProcessInternals;
    if (internals._getActiveHandles) many(F.handles, countByConstructor(internals._getActiveHandles()));
    if (internals._getActiveRequests) many(F.requests, countByConstructor(internals._getActiveRequests()));

    const heap = v8.getHeapStatistics();
    one(F.heapTotal, heap.total_heap_size);
    one(F.heapUsed, heap.used_heap_size);
    one(F.external, heap.external_memory);
    const spaces = v8.getHeapSpaceStatistics().map((space) => ({
      labels: { space: space.space_name.slice(0, space.space_name.indexOf("_space")) },
      space,
    }));
    many(
      F.spaceTotal,
      spaces.map(({ labels, space }) => ({ labels, value: space.space_size })),
    );
    many(
      F.spaceUsed,
      spaces.map(({ labels, space }) => ({ labels, value: space.space_used_size })),
    );
    many(
      F.spaceAvailable,
      spaces.map(({ labels, space }) => ({ labels, value: space.space_available_size })),
    );
    many(F.version, [{ labels: this.versionLabels, value: 1 }]);
    return this.gc.appendTo(text);
  }

  stop(): void {
    this.eventLoop.stop();
    this.gc.stop();
  }

  /** As prom-client: each scrape times a setImmediate, and reports the previous one's. */
  private measureLag(): void {
    const started = process.hrtime.bigint();
    setImmediate(() => {
      this.lagSeconds = Number(process.hrtime.bigint() - started) / 1e9;
    });
  }
}

const VM_RSS = /^VmRSS:\s*(\d+) kB$/m;
const VM_SIZE = /^VmSize:\s*(\d+) kB$/m;
const VM_DATA = /^VmData:\s*(\d+) kB$/m;

/** VmRSS, VmSize and VmData of /proc/self/status, in bytes (single_open: whole on the first read). */
function readStatus(): { VmRSS: number; VmSize: number; VmData: number } | undefined {
  const result = readText("/proc/self/status", 64 * 1024, true);
  if (!result.ok) return undefined;
  const kib = (re: RegExp): number => Number(re.exec(result.text)?.[1] ?? NaN) * 1024;
  return { VmRSS: kib(VM_RSS), VmSize: kib(VM_SIZE), VmData: kib(VM_DATA) };
}

/** Entries of /proc/self/fd, less the one the listing itself opens. */
function openFds(): number | undefined {
  try {
    return fs.readdirSync("/proc/self/fd").length - 1;
  } catch {
    return undefined;
  }
}

/** The soft limit of "Max open files" in /proc/self/limits, read once. */
function readMaxFds(): number | undefined {
  const limits = readText("/proc/self/limits");
  if (!limits.ok) return undefined;
  const line = limits.text.split("\n").find((l) => l.startsWith("Max open files"));
  return line === undefined ? undefined : Number(line.split(/ {2,}/)[1]);
}

/** As prom-client: each part as a number ("NaN" for a pre-release suffix). */
function versionLabels(): Record<string, string> {
  const [major, minor, patch] = process.version.slice(1).split(".").map(Number);
  return { version: process.version, major: String(major), minor: String(minor), patch: String(patch) };
}

function countByName(names: readonly string[]): Series[] {
  const counts = new Map<string, number>();
  for (const name of names) counts.set(name, (counts.get(name) ?? 0) + 1);
  return [...counts].map(([type, value]) => ({ labels: { type }, value }));
}

function countByConstructor(objects: readonly unknown[]): Series[] {
  const names: string[] = [];
  for (const object of objects) {
    const constructor = (object as { constructor?: { name?: unknown } } | null | undefined)?.constructor;
    if (constructor !== undefined) names.push(String(constructor.name));
  }
  return countByName(names);
}
