// Fault injection into node:fs for in-process tests. The tests run as root,
// and root reads a mode-0000 file anyway, so permission errors are simulated
// here instead: the calls the exporter's readers use (src/fs/: synchronous
// for procfs and sysfs, callbacks through the thread pool for the root
// filesystem) are wrapped, and a denied path behaves like a file or directory
// of another user with mode 0000 (open and readdir fail with EACCES, so does
// anything below it; stat of the path itself still works, and so does an
// O_PATH open, which needs no permission on the file: reading it through
// /proc/self/fd/N then fails). The test/e2e unprivileged suite checks the
// same against real permissions, as uid 65534.
//
// "Vanishing" paths are removed right after their parent directory is
// listed: the race of a patch or thread going away between readdir and read.
import fs from "node:fs";
import path from "node:path";

export interface Faults {
  readonly denied: ReadonlySet<string>;
  readonly vanishing: ReadonlySet<string>;
}

/** open(2)'s O_PATH: opens without reading, so it needs no permission on the file itself. */
const O_PATH = 0o10000000;

const SYNC = ["openSync", "readdirSync", "statSync", "lstatSync", "readlinkSync"] as const;
const ASYNC = ["open", "readdir", "stat", "lstat", "readlink"] as const;
type Wrapped = (typeof SYNC)[number] | (typeof ASYNC)[number];

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
  const originals = Object.fromEntries([...SYNC, ...ASYNC].map((name) => [name, fs[name]])) as {
    [K in Wrapped]: (typeof fs)[K];
  };
  const below = (target: string): boolean => [...faults.denied].some((d) => target.startsWith(`${d}/`));
  const deniedItself = (target: string): boolean => faults.denied.has(target) || below(target);
  /** The file a path names: /proc/self/fd/N is the file that descriptor holds. */
  const named = (arg: unknown): string => {
    const target = path.resolve(String(arg));
    if (!/^\/proc\/self\/fd\/\d+$/.test(target)) return target;
    try {
      return originals.readlinkSync(target);
    } catch {
      return target;
    }
  };
  /** Whether a call on `target` fails: `itself` for calls that need permission on the file itself. */
  const fails = (name: Wrapped, args: readonly unknown[]): string | undefined => {
    const target = named(args[0]);
    const opensWithoutReading = name.startsWith("open") && typeof args[1] === "number" && (args[1] & O_PATH) !== 0;
    const itself = (name.startsWith("open") && !opensWithoutReading) || name.startsWith("readdir");
    return (itself ? deniedItself(target) : below(target)) ? target : undefined;
  };
  const vanishAfterListing = (dirArg: unknown): void => {
    const dir = named(dirArg);
    for (const gone of faults.vanishing) {
      if (path.dirname(gone) === dir) fs.rmSync(gone, { recursive: true, force: true });
    }
  };

  const mutable = fs as unknown as Record<Wrapped, unknown>;
  for (const name of SYNC) {
    const original = originals[name] as (...args: unknown[]) => unknown;
    mutable[name] = (...args: unknown[]) => {
      const target = fails(name, args);
      if (target !== undefined) throw eacces(name.replace("Sync", ""), target);
      const result = original(...args);
      if (name === "readdirSync") vanishAfterListing(args[0]);
      return result;
    };
  }
  for (const name of ASYNC) {
    const original = originals[name] as (...args: unknown[]) => unknown;
    mutable[name] = (...args: unknown[]) => {
      const callback = args[args.length - 1] as (error: unknown, value?: unknown) => void;
      const target = fails(name, args);
      if (target !== undefined) {
        process.nextTick(() => callback(eacces(name, target)));
        return;
      }
      if (name !== "readdir") return original(...args);
      const dir = args[0];
      return original(...args.slice(0, -1), (error: unknown, value: unknown) => {
        if (error === null) vanishAfterListing(dir);
        callback(error, value);
      });
    };
  }
  return () => Object.assign(fs, originals);
}
