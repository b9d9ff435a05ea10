// How long the real exporter process held its own event loop, measured inside it.
//
// A probe's wall time on a shared machine (2 cores, a dozen runnable processes
// from other work) is mostly time spent waiting for a CPU: it measures the
// machine, not the exporter. The kernel accounts that wait per thread
// (/proc/thread-self/schedstat: time on a CPU, then time runnable but waiting
// on a run queue, in ns). A preload in the exporter ticks every millisecond on
// its event loop; the time between two ticks minus the main thread's run-queue
// wait in between is the time the exporter itself held the loop (computing,
// collecting garbage, or blocked in a system call such as the open of a FIFO):
// what a probe would wait for on an idle machine. Each such stall over
// REPORT_MS is written to stderr as a JSON line, which startExporter collects.
import fs from "node:fs";
import path from "node:path";
import { freshDir } from "./fixtures.js";

/** Stalls shorter than this are not reported (a tick is 1 ms; timers are late by a little). */
const REPORT_MS = 5;

const PRELOAD = `import fs from "node:fs";
const buffer = Buffer.alloc(256);
const fd = fs.openSync("/proc/thread-self/schedstat", "r");
/** [ns on a CPU, ns waiting on a run queue] of this (the main) thread. */
function sched() {
  const n = fs.readSync(fd, buffer, 0, buffer.length, 0);
  const [run, wait] = buffer.toString("latin1", 0, n).split(" ").map(Number);
  return [run, wait];
}
let lastAt = performance.now();
let [lastRun, lastWait] = sched();
process.stderr.write(JSON.stringify({ msg: "test: loop monitor started" }) + "\\n");
setInterval(() => {
  const at = performance.now();
  const [run, wait] = sched();
  const wallMs = at - lastAt;
  const ownMs = wallMs - (wait - lastWait) / 1e6;
  if (ownMs > ${REPORT_MS}) {
    const line = { msg: "test: loop stall", ownMs, wallMs, cpuMs: (run - lastRun) / 1e6, endEpochMs: Date.now() };
    process.stderr.write(JSON.stringify(line) + "\\n");
  }
  lastAt = at;
  lastRun = run;
  lastWait = wait;
}, 1).unref();
`;

/** Writes the preload; run the exporter with `--import <it>`. */
export function loopStallPreload(): string {
  const file = path.join(freshDir("loop-stalls"), "loop-stalls.mjs");
  fs.writeFileSync(file, PRELOAD);
  return file;
}

export interface LoopStalls {
  /** Whether the monitor ran at all (else the numbers below mean nothing). */
  readonly monitored: boolean;
  /** The longest time the exporter itself held its event loop in the window, and the wall time of that stall. */
  readonly maxOwnMs: number;
  readonly wallMsOfMax: number;
  readonly cpuMsOfMax: number;
}

/**
 * Once the exporter has answered a first request: its start-up (loading modules, before and just after
 * "listening") is one long stall of the loop, which is not one during the work a test then times.
 */
export async function afterStartup(baseUrl: string): Promise<void> {
  const response = await fetch(`${baseUrl}/-/healthy`, { signal: AbortSignal.timeout(10_000) });
  await response.text();
}

/** The stalls reported in `logs` that overlap [fromEpochMs, toEpochMs] (start it after afterStartup). */
export function stallsDuring(logs: readonly string[], fromEpochMs: number, toEpochMs: number): LoopStalls {
  let maxOwnMs = 0;
  let wallMsOfMax = 0;
  let cpuMsOfMax = 0;
  for (const line of logs) {
    if (!line.includes('"test: loop stall"')) continue;
    const stall = JSON.parse(line) as { ownMs: number; wallMs: number; cpuMs: number; endEpochMs: number };
    if (stall.endEpochMs < fromEpochMs || stall.endEpochMs - stall.wallMs > toEpochMs) continue;
    if (stall.ownMs > maxOwnMs) ({ ownMs: maxOwnMs, wallMs: wallMsOfMax, cpuMs: cpuMsOfMax } = stall);
  }
  const monitored = logs.some((l) => l.includes('"test: loop monitor started"'));
  return { monitored, maxOwnMs, wallMsOfMax, cpuMsOfMax };
}

export function describeStall(stalls: LoopStalls): string {
  const { maxOwnMs, wallMsOfMax, cpuMsOfMax } = stalls;
  return `the exporter held its event loop ${maxOwnMs.toFixed(1)} ms (${cpuMsOfMax.toFixed(1)} ms on a CPU; ${wallMsOfMax.toFixed(1)} ms of wall time)`;
}
