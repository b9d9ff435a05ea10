// Runs a command under strace -f and summarises what it asked of the kernel: system call names,
// socket address families and files opened for writing, across every process it started.
import { spawnSync } from "node:child_process";

export const STRACE = ["strace", "-f", "-qq", "-s", "256"] as const;

export function requireStrace(): void {
  const result = spawnSync("strace", ["-V"], { encoding: "utf8" });
  if (result.error) throw new Error(`strace is required (apt-get install strace): ${result.error.message}`);
}

export interface TraceSummary {
  readonly syscalls: ReadonlySet<string>;
  readonly socketFamilies: ReadonlySet<string>;
  /** open/openat/creat calls that could write: path and flags. */
  readonly writeOpens: readonly { path: string; flags: string }[];
  /** Every path passed to open/openat/stat-like calls. */
  readonly paths: ReadonlySet<string>;
}

/** Parses strace -f output ("<pid> name(args) = result", with unfinished/resumed halves). */
export function summariseTrace(text: string): TraceSummary {
  const syscalls = new Set<string>();
  const socketFamilies = new Set<string>();
  const writeOpens: { path: string; flags: string }[] = [];
  const paths = new Set<string>();
  for (const line of text.split("\n")) {
    const call = /^\d+\s+(?:<\.\.\. )?([a-z_0-9]+)(?:\(| resumed>)/.exec(line);
    if (call === null) continue;
    const name = call[1] ?? "";
    syscalls.add(name);
    const family = /^\d+\s+socket\((AF_[A-Z0-9]+)/.exec(line);
    if (family?.[1] !== undefined) socketFamilies.add(family[1]);
    const open = /^\d+\s+(?:open|openat|creat)\((?:AT_FDCWD|\d+), "([^"]*)", ([A-Z_|]+)/.exec(line);
    if (open !== null) {
      const [, path = "", flags = ""] = open;
      paths.add(path);
      if (/O_WRONLY|O_RDWR|O_CREAT|O_TRUNC|O_APPEND/.test(flags)) writeOpens.push({ path, flags });
    }
  }
  return { syscalls, socketFamilies, writeOpens, paths };
}
