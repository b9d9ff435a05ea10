// The two exporters as separate processes on loopback: ours is the built
// dist/main.js started by support/exporter-process.ts (kernel-chosen port), node_exporter
// is Debian's prometheus-node-exporter on a free port found the same way.
import { spawn, type ChildProcess } from "node:child_process";
import fs from "node:fs";
import { freePort } from "../support/free-port.js";
import { startExporter } from "../support/exporter-process.js";
import { binCommand, FOOTPRINT_FLAGS } from "../support/install-ways.js";
import { sleep } from "./stats.js";

export interface Target {
  readonly name: string;
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/** Where our exporter writes a CPU profile when it exits (node --cpu-prof), when set. */
let profileDir: string | undefined;

export function profileOursInto(dir: string): void {
  profileDir = dir;
}

/** What the exporter with every collector disabled is called in the report. */
export const STACK_FLOOR = "exporter, no collectors";
/**
 * The exporter itself with --collector.disable-defaults: Express, prom-client,
 * the process metrics and its own scrape metrics, with no read of the host.
 * What the product's stack costs before it reads anything: the floor of the
 * goals that compare with node_exporter.
 */
export const STACK_FLOOR_ARGS = ["--collector.disable-defaults"];

/** Our exporter as the npm bin starts it (its #! line: node with the footprint flags). */
export async function startOurs(args: readonly string[], name = "livepatch_exporter"): Promise<Target> {
  const [interpreter = "", line = "", main = ""] = binCommand();
  const command =
    profileDir === undefined ? binCommand() : [interpreter, `${line} --cpu-prof --cpu-prof-dir=${profileDir}`, main];
  const exporter = await startExporter(args, { command });
  const pid = exporter.process.pid;
  if (pid === undefined) throw new Error("exporter has no pid");
  return {
    name,
    url: `${exporter.url}/metrics`,
    pid,
    stop: async () => {
      await exporter.stop();
    },
  };
}

/** What the floor target is called in the report. */
export const FLOOR = "node:http floor";

/**
 * The floor of any Node.js exporter on this machine: node:http (no Express,
 * no collection, no rendering) answering the bytes of our /metrics, gzipped
 * per request when asked as ours does, with the same node flags.
 */
export async function startNodeFloor(body: string): Promise<Target> {
  const script = String.raw`
    const http = require("node:http");
    const zlib = require("node:zlib");
    const body = Buffer.from(process.env.FLOOR_BODY);
    const server = http.createServer((req, res) => {
      const gzip = /\bgzip\b/.test(req.headers["accept-encoding"] ?? "");
      res.setHeader("Content-Type", "text/plain; version=0.0.4; charset=utf-8");
      if (gzip) res.setHeader("Content-Encoding", "gzip");
      res.end(gzip ? zlib.gzipSync(body, { level: 1 }) : body);
    });
    server.listen(0, "127.0.0.1", () => process.stdout.write(server.address().port + "\n"));
    process.on("SIGTERM", () => process.exit(0));`;
  const child = spawn(process.execPath, [...FOOTPRINT_FLAGS, "-e", script], {
    stdio: ["ignore", "pipe", "inherit"],
    env: { ...process.env, FLOOR_BODY: body },
  });
  const port = await new Promise<string>((resolve, reject) => {
    child.stdout.setEncoding("utf8");
    child.stdout.once("data", (chunk: string) => resolve(chunk.trim()));
    child.once("exit", (code) => reject(new Error(`the floor server exited with ${code}`)));
  });
  const pid = child.pid;
  if (pid === undefined) throw new Error("the floor server has no pid");
  return { name: FLOOR, url: `http://127.0.0.1:${port}/metrics`, pid, stop: () => stopChild(child) };
}

/** node_exporter with two small collectors: a comparable amount of work. */
export const NODE_EXPORTER_ARGS = ["--collector.disable-defaults", "--collector.uname", "--collector.os"];

export async function startNodeExporter(binary: string): Promise<Target> {
  // The port is free when we ask; another process could take it before
  // node_exporter binds it, so try a few.
  let lastError: unknown;
  for (let attempt = 0; attempt < 3; attempt++) {
    const port = await freePort();
    const child = spawn(
      binary,
      [...NODE_EXPORTER_ARGS, `--web.listen-address=127.0.0.1:${port}`, "--log.level=error"],
      {
        stdio: ["ignore", "ignore", "pipe"],
      },
    );
    let stderr = "";
    child.stderr.setEncoding("utf8");
    child.stderr.on("data", (chunk: string) => (stderr += chunk));
    const url = `http://127.0.0.1:${port}/metrics`;
    try {
      await waitForHttp(url, child);
    } catch (error) {
      child.kill("SIGKILL");
      lastError = new Error(`node_exporter did not start: ${String(error)}\n${stderr}`);
      continue;
    }
    const pid = child.pid;
    if (pid === undefined) throw new Error("node_exporter has no pid");
    return { name: "node_exporter", url, pid, stop: () => stopChild(child) };
  }
  throw lastError;
}

async function waitForHttp(url: string, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`exited with ${child.exitCode}`);
    try {
      const response = await fetch(url);
      await response.arrayBuffer();
      if (response.ok) return;
    } catch {
      // Not listening yet.
    }
    await sleep(50);
  }
  throw new Error("timed out");
}

async function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
  await exited;
  clearTimeout(killer);
}

/** Resident set size of a process, in bytes (VmRSS), and its peak (VmHWM). */
export function residentMemory(pid: number): { rss: number; peak: number } {
  const status = fs.readFileSync(`/proc/${pid}/status`, "utf8");
  const kib = (field: string): number => Number(new RegExp(`^${field}:\\s+(\\d+) kB`, "m").exec(status)?.[1] ?? NaN);
  return { rss: kib("VmRSS") * 1024, peak: kib("VmHWM") * 1024 };
}

/** The process and its descendants, from /proc/<pid>/stat's parent pids. */
export function processTree(pid: number): number[] {
  const parentOf = new Map<number, number>();
  for (const entry of fs.readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      const stat = fs.readFileSync(`/proc/${entry}/stat`, "utf8");
      parentOf.set(Number(entry), Number(stat.slice(stat.lastIndexOf(")") + 2).split(" ")[1]));
    } catch {
      // The process exited meanwhile.
    }
  }
  const tree = [pid];
  // The array iterator also visits the children pushed during the walk.
  for (const member of tree) {
    for (const [child, parent] of parentOf) if (parent === member) tree.push(child);
  }
  return tree;
}

/**
 * Resident memory of a process and its descendants together: a way that starts
 * the exporter under a wrapper (tini in the container) is measured whole, not as
 * the wrapper's own ~1 MB.
 */
export function treeResidentMemory(pid: number): { rss: number; peak: number } {
  let rss = 0;
  let peak = 0;
  for (const member of processTree(pid)) {
    const one = residentMemory(member);
    rss += one.rss;
    peak += one.peak;
  }
  return { rss, peak };
}

/**
 * CPU time (user + system, all threads) a process has used, in seconds, from
 * /proc/<pid>/stat. Divided by the requests served, it is the cost of a
 * request, much less disturbed than req/s by other work on the machine.
 */
export function cpuSeconds(pid: number): number {
  const stat = fs.readFileSync(`/proc/${pid}/stat`, "utf8");
  // Fields after the command name (which may contain spaces) start at state, field 3.
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  const ticks = Number(fields[11]) + Number(fields[12]); // utime (14), stime (15)
  return ticks / CLOCK_TICKS_PER_SECOND;
}

/** USER_HZ: 100 on every Linux architecture Node.js runs on. */
const CLOCK_TICKS_PER_SECOND = 100;

/** Resident set of a Node.js process that loads nothing: what any Node.js exporter starts from here. */
export function nodeFloorRss(): Promise<number> {
  return idleRss(["-e", "setTimeout(() => {}, 5000)"], 500);
}

/**
 * Resident set of node with the footprint flags and only the packages the
 * exporter cannot start without (Express, pino, commander, prom-client)
 * loaded: the floor under our own code and data.
 */
export function dependencyFloorRss(): Promise<number> {
  const script =
    'for (const m of ["express", "pino", "commander", "prom-client"]) await import(m); setTimeout(() => {}, 1 << 30);';
  return idleRss([...FOOTPRINT_FLAGS, "--input-type=module", "-e", script], 3000);
}

/** RSS of `node <args>` (run from the repository, for its node_modules) after settleMs. */
async function idleRss(args: readonly string[], settleMs: number): Promise<number> {
  const child = spawn(process.execPath, args, { stdio: "ignore", cwd: new URL("..", import.meta.url) });
  try {
    await sleep(settleMs);
    if (child.pid === undefined) return NaN;
    return residentMemory(child.pid).rss;
  } finally {
    await stopChild(child);
  }
}
