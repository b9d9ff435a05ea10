// The simulated hours before Prometheus starts: every host's scrapes written
// as OpenMetrics, one file per time window, each turned into a TSDB block by
// `promtool tsdb create-blocks-from openmetrics` (while the next file is
// written) and deleted. The last hour is at the scrape interval, so the
// windows of rules and rates see what a real Prometheus would; before that,
// one scrape in `sparseStep` keeps every series and its changes at a fraction
// of the text.
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { killOnExit } from "./children.js";
import type { SimulatedHost } from "./host.js";

export interface HistoryOptions {
  readonly start: number;
  readonly end: number;
  /** From here to `end`, one sample per scrape interval. */
  readonly denseFrom: number;
  readonly denseStep: number;
  readonly sparseStep: number;
  /** Where promtool writes the blocks (Prometheus' data directory). */
  readonly dataDir: string;
  /** Where the OpenMetrics files are written (and deleted). */
  readonly workDir: string;
  /** Most lines per file: bounds the disk a file takes (about 120 bytes a line). */
  readonly maxLinesPerFile: number;
  /** Families no rule or dashboard reads get one sample every this many seconds. */
  readonly unreadStep: number;
  readonly log: (line: string) => void;
}

export interface HistoryResult {
  readonly samples: number;
  readonly files: number;
  readonly bytes: number;
  readonly generateSeconds: number;
  readonly promtoolSeconds: number;
}

interface Window {
  readonly from: number;
  readonly to: number;
  readonly step: number;
}

export async function writeHistory(hosts: readonly SimulatedHost[], options: HistoryOptions): Promise<HistoryResult> {
  const seriesPerHost = hosts.length === 0 ? 0 : averageSeries(hosts, options.start);
  const windows = planWindows(options, seriesPerHost * hosts.length);
  let samples = 0;
  let bytes = 0;
  let generateSeconds = 0;
  let promtoolSeconds = 0;
  let pending: Promise<void> | undefined;
  for (const [index, window] of windows.entries()) {
    const file = path.join(options.workDir, `history-${index}.om`);
    const started = performance.now();
    const written = writeWindow(hosts, window, file, options.unreadStep);
    generateSeconds += (performance.now() - started) / 1000;
    samples += written.lines;
    bytes += written.bytes;
    options.log(
      `history ${index + 1}/${windows.length}: ${iso(window.from)} to ${iso(window.to)} every ${window.step} s, ` +
        `${(written.lines / 1e6).toFixed(1)} M samples`,
    );
    await pending;
    pending = (async () => {
      const t0 = performance.now();
      await run("promtool", ["tsdb", "create-blocks-from", "openmetrics", "--quiet", file, options.dataDir]);
      promtoolSeconds += (performance.now() - t0) / 1000;
      fs.rmSync(file);
    })();
  }
  await pending;
  return { samples, files: windows.length, bytes, generateSeconds, promtoolSeconds };
}

/** Windows that never cross a 2-hour block boundary, each small enough for `maxLinesPerFile`. */
function planWindows(options: HistoryOptions, series: number): Window[] {
  const windows: Window[] = [];
  const parts: [number, number, number][] = [
    [options.start, options.denseFrom, options.sparseStep],
    [options.denseFrom, options.end, options.denseStep],
  ];
  for (const [from, to, step] of parts) {
    if (to <= from) continue;
    let length = 7200;
    while (length > step * 4 && series * (length / step) > options.maxLinesPerFile) length /= 2;
    for (let w = Math.floor(from / length) * length; w < to; w += length) {
      windows.push({ from: Math.max(from, w), to: Math.min(to, w + length), step });
    }
  }
  return windows;
}

/** Every host's scrapes in the window, time by time (each series in time order, as promtool needs). */
function writeWindow(
  hosts: readonly SimulatedHost[],
  window: Window,
  file: string,
  unreadStep: number,
): { lines: number; bytes: number } {
  const fd = fs.openSync(file, "w");
  let buffer: string[] = [];
  let buffered = 0;
  let lines = 0;
  let bytes = 0;
  const flush = (): void => {
    const text = buffer.join("");
    bytes += fs.writeSync(fd, text);
    buffer = [];
    buffered = 0;
  };
  try {
    const first = Math.floor(window.from / window.step) * window.step - window.step;
    for (let base = first; base < window.to; base += window.step) {
      const all = base % unreadStep === 0;
      for (const host of hosts) {
        const t = base + host.plan.offsetMs / 1000;
        if (t < window.from || t >= window.to) continue;
        const text = host.historyLines(t, all);
        buffer.push(text);
        buffered += text.length;
        lines += countLines(text);
        if (buffered > 8_000_000) flush();
      }
    }
    buffer.push("# EOF\n");
    flush();
  } finally {
    fs.closeSync(fd);
  }
  return { lines, bytes };
}

function countLines(text: string): number {
  let count = 0;
  for (let i = text.indexOf("\n"); i !== -1; i = text.indexOf("\n", i + 1)) count++;
  return count;
}

function averageSeries(hosts: readonly SimulatedHost[], t: number): number {
  const sample = hosts.slice(0, 200);
  const total = sample.reduce((sum, h) => sum + h.metricsAt(t).sampleCount + 5, 0);
  return total / sample.length;
}

const iso = (t: number): string => new Date(t * 1000).toISOString().slice(11, 19);

/** Runs a command to completion; its stderr is in the error when it fails. */
export function run(command: string, args: readonly string[]): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { stdio: ["ignore", "pipe", "pipe"] });
    killOnExit(child);
    let out = "";
    child.stdout.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.stderr.setEncoding("utf8").on("data", (chunk: string) => (out += chunk));
    child.once("error", reject);
    child.once("exit", (code) =>
      code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(" ")} exited with ${code}:\n${out}`)),
    );
  });
}
