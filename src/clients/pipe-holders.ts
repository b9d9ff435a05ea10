// The processes that still hold a client's output after the client
// exited: descendants it left behind, including those that left its process
// group with setsid(2) (so killing the group misses them). Found through this
// process's own /proc (the PID namespace the clients run in, not
// --path.procfs): a process whose file descriptors include the pipe, and that
// started no earlier than the client (a descendant cannot be older). Only
// processes this process may inspect are seen, which are the ones it may
// signal anyway.
//
// Reads are asynchronous: this runs off the scrape path, and a host with
// thousands of processes must not hold up the event loop.
import fs from "node:fs";
import fsp from "node:fs/promises";

const PROC = "/proc";

/**
 * What a new child's standard output and error are ("socket:[123]": Node
 * connects a child's stdio with socket pairs, whose two ends are distinct, so
 * the child's end is read from the child). Read right after spawn, while the
 * child is still there; descendants inherit the same descriptors.
 */
export function childOutputs(pid: number): Set<string> {
  const found = new Set<string>();
  for (const fd of [1, 2]) {
    try {
      const target = fs.readlinkSync(`${PROC}/${pid}/fd/${fd}`);
      if (/^(pipe|socket):\[\d+\]$/.test(target)) found.add(target);
    } catch {
      // the child already exited: nothing of it is left to identify
    }
  }
  return found;
}

/** A process's start time, in clock ticks since boot (field 22 of /proc/<pid>/stat); undefined when gone. */
export function startTicks(pid: number): number | undefined {
  try {
    return parseStartTicks(fs.readFileSync(`${PROC}/${pid}/stat`, "latin1"));
  } catch {
    return undefined;
  }
}

/** Field 22 of a /proc/<pid>/stat line; the command name (field 2) may hold spaces and parentheses. */
export function parseStartTicks(stat: string): number | undefined {
  const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
  // Fields after the command start at field 3: field 22 is index 19.
  const ticks = Number(fields[19]);
  return Number.isSafeInteger(ticks) ? ticks : undefined;
}

/** The processes other than this one that started at or after `sinceTicks` and hold one of the outputs. */
export async function findPipeHolders(outputs: ReadonlySet<string>, sinceTicks: number): Promise<number[]> {
  if (outputs.size === 0) return [];
  let entries: string[];
  try {
    entries = await fsp.readdir(PROC);
  } catch {
    return [];
  }
  const holders: number[] = [];
  for (const entry of entries) {
    const pid = Number(entry);
    if (!/^\d+$/.test(entry) || pid === process.pid) continue;
    const started = await fsp.readFile(`${PROC}/${pid}/stat`, "latin1").then(parseStartTicks, () => undefined);
    if (started === undefined || started < sinceTicks) continue;
    if (await holdsAny(pid, outputs)) holders.push(pid);
  }
  return holders;
}

async function holdsAny(pid: number, outputs: ReadonlySet<string>): Promise<boolean> {
  let fds: string[];
  try {
    fds = await fsp.readdir(`${PROC}/${pid}/fd`);
  } catch {
    return false; // gone, or not ours to inspect
  }
  for (const fd of fds) {
    const target = await fsp.readlink(`${PROC}/${pid}/fd/${fd}`).catch(() => "");
    if (outputs.has(target)) return true;
  }
  return false;
}

/** SIGKILL to each; returns how many were signalled (a process may have exited meanwhile). */
export function killAll(pids: readonly number[]): number {
  let killed = 0;
  for (const pid of pids) {
    try {
      process.kill(pid, "SIGKILL");
      killed += 1;
    } catch {
      // already gone, or not ours
    }
  }
  return killed;
}
