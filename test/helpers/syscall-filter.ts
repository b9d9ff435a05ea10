// Resolves a unit's SystemCallFilter= lines into the set of allowed system calls with systemd's own
// tables (systemd-analyze syscall-filter), the way systemd applies them: the first line decides
// whether it is an allow list, "~" lines remove from it.
import { systemdTool } from "./systemd.js";

const groups = new Map<string, string[]>();

/** The system calls of a group, nested groups expanded. */
export function expandGroup(group: string): string[] {
  const cached = groups.get(group);
  if (cached !== undefined) return cached;
  const result = systemdTool("systemd-analyze", ["syscall-filter", "--no-pager", group]);
  if (result.status !== 0) throw new Error(`systemd-analyze syscall-filter ${group}: ${result.stderr}`);
  const names = result.stdout
    .split("\n")
    .slice(1)
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .flatMap((name) => (name.startsWith("@") ? expandGroup(name) : [name]));
  groups.set(group, names);
  return names;
}

function expand(entries: readonly string[]): string[] {
  return entries.flatMap((entry) => (entry.startsWith("@") ? expandGroup(entry) : [entry]));
}

/** The allowed system calls for SystemCallFilter= values in order; the first must be an allow list. */
export function allowedSyscalls(filters: readonly string[]): Set<string> {
  const [first, ...rest] = filters;
  if (first === undefined || first.startsWith("~")) throw new Error("expected an allow list first");
  const allowed = new Set<string>();
  for (const filter of [first, ...rest]) {
    const deny = filter.startsWith("~");
    for (const name of expand((deny ? filter.slice(1) : filter).split(/\s+/).filter(Boolean))) {
      if (deny) allowed.delete(name);
      else allowed.add(name);
    }
  }
  return allowed;
}
