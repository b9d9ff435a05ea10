// Records the file system reads and child processes a piece of code starts,
// by wrapping node:fs and node:child_process in place (named ESM imports see
// the wrappers through syncBuiltinESMExports). For the "each file at most
// once per scrape, no process on the scrape path" checks of the tests and
// the benchmark. Not reentrant: one trace at a time.
import childProcess from "node:child_process";
import fs from "node:fs";
import { syncBuiltinESMExports } from "node:module";

export interface IoTrace {
  /** Opens (sync, callback or promise; readFile counts as one), by path. */
  readonly opens: Map<string, number>;
  /** Directory listings (readdir, opendir), by path. */
  readonly listings: Map<string, number>;
  /** stat and lstat calls, by path. */
  readonly stats: Map<string, number>;
  /** Child processes started, as "<function> <command>". */
  readonly spawns: string[];
}

type AnyFunction = (...args: unknown[]) => unknown;

const FS_OPENS = ["openSync", "open", "readFileSync", "readFile"] as const;
const FS_LISTINGS = ["readdirSync", "readdir", "opendirSync", "opendir"] as const;
const FS_STATS = ["statSync", "stat", "lstatSync", "lstat"] as const;
const PROMISE_OPENS = ["open", "readFile"] as const;
const PROMISE_LISTINGS = ["readdir", "opendir"] as const;
const PROMISE_STATS = ["stat", "lstat"] as const;
const SPAWNS = ["spawn", "spawnSync", "exec", "execSync", "execFile", "execFileSync", "fork"] as const;

/** Runs `body` with fs and child_process wrapped, and returns what it did. */
export async function traceIo(body: () => Promise<unknown>): Promise<IoTrace> {
  const trace: IoTrace = { opens: new Map(), listings: new Map(), stats: new Map(), spawns: [] };
  const restore: (() => void)[] = [];
  const wrap = (target: object, name: string, record: (first: unknown) => void): void => {
    const holder = target as Record<string, AnyFunction>;
    const original = holder[name];
    if (original === undefined) return;
    holder[name] = function (this: unknown, ...args: unknown[]) {
      record(args[0]);
      return original.apply(this, args);
    };
    restore.push(() => {
      holder[name] = original;
    });
  };
  const readlink = fs.readlinkSync;
  const count = (map: Map<string, number>) => (first: unknown) => {
    let key = typeof first === "string" ? first : first instanceof URL ? first.pathname : `fd:${String(first)}`;
    // A file reopened through its descriptor (src/fs/root-files.ts) counts as itself: descriptor numbers are reused.
    if (/^\/proc\/self\/fd\/\d+$/.test(key)) key = `${readlink(key)} (through its descriptor)`;
    map.set(key, (map.get(key) ?? 0) + 1);
  };
  for (const name of FS_OPENS) wrap(fs, name, count(trace.opens));
  for (const name of FS_LISTINGS) wrap(fs, name, count(trace.listings));
  for (const name of FS_STATS) wrap(fs, name, count(trace.stats));
  for (const name of PROMISE_OPENS) wrap(fs.promises, name, count(trace.opens));
  for (const name of PROMISE_LISTINGS) wrap(fs.promises, name, count(trace.listings));
  for (const name of PROMISE_STATS) wrap(fs.promises, name, count(trace.stats));
  for (const name of SPAWNS) wrap(childProcess, name, (command) => trace.spawns.push(`${name} ${String(command)}`));
  syncBuiltinESMExports();
  try {
    await body();
  } finally {
    for (const undo of restore.reverse()) undo();
    syncBuiltinESMExports();
  }
  return trace;
}

/** Paths with more than one access in the map. */
export function repeated(map: ReadonlyMap<string, number>): [string, number][] {
  return [...map].filter(([, n]) => n > 1);
}
