// Fault injection into node:fs for in-process tests. The tests run as root,
// and root reads a mode-0000 file anyway, so permission errors are simulated
// here instead: the sync calls the exporter's readers use (src/fs/) are
// wrapped, and a denied path behaves like a file or directory of another
// user with mode 0000 (open and readdir fail with EACCES, so does anything
// below it; stat of the path itself still works). The test/e2e unprivileged
// suite checks the same against real permissions, as uid 65534.
//
// "Vanishing" paths are removed right after their parent directory is
// listed: the race of a patch or thread going away between readdir and read.
import fs from "node:fs";
import path from "node:path";

export interface Faults {
  readonly denied: ReadonlySet<string>;
  readonly vanishing: ReadonlySet<string>;
}

type Wrapped = "openSync" | "readdirSync" | "statSync" | "lstatSync" | "readlinkSync";

function eacces(syscall: string, target: string): NodeJS.ErrnoException {
  return Object.assign(new Error(`EACCES: permission denied, ${syscall} '${target}'`), {
    code: "EACCES",
    errno: -13,
    syscall,
    path: target,
  });
}

/** Installs the faults until the returned function is called. */
export function injectFaults(faults: Faults): () => void {
  const originals = {
    openSync: fs.openSync,
    readdirSync: fs.readdirSync,
    statSync: fs.statSync,
    lstatSync: fs.lstatSync,
    readlinkSync: fs.readlinkSync,
  };
  const below = (target: string): boolean => [...faults.denied].some((d) => target.startsWith(`${d}/`));
  const deniedItself = (target: string): boolean => faults.denied.has(target) || below(target);
  const guard = <F extends (...args: never[]) => unknown>(name: Wrapped, original: F, onItself: boolean): F =>
    ((...args: Parameters<F>) => {
      const target = path.resolve(String(args[0]));
      if (onItself ? deniedItself(target) : below(target)) throw eacces(name.replace("Sync", ""), target);
      return original(...args);
    }) as F;

  const mutable = fs as unknown as Record<Wrapped, unknown>;
  mutable.openSync = guard("openSync", originals.openSync, true);
  mutable.statSync = guard("statSync", originals.statSync, false);
  mutable.lstatSync = guard("lstatSync", originals.lstatSync, false);
  mutable.readlinkSync = guard("readlinkSync", originals.readlinkSync, false);
  const guardedReaddir = guard("readdirSync", originals.readdirSync, true);
  mutable.readdirSync = (...args: Parameters<typeof fs.readdirSync>) => {
    const entries = guardedReaddir(...args);
    const dir = path.resolve(String(args[0]));
    for (const gone of faults.vanishing) {
      if (path.dirname(gone) === dir) fs.rmSync(gone, { recursive: true, force: true });
    }
    return entries;
  };
  return () => Object.assign(fs, originals);
}
