// The open file limit (RLIMIT_NOFILE) and what the exporter needs of it.
//
// Everything here uses Node's built-in modules only: src/main.ts checks the
// limit before the program is loaded, since loading it opens dozens of files
// at once (a limit of 32 ended in a raw EMFILE stack trace from the module
// loader). Node raises the soft limit to the hard one at start, so the soft
// limit read here is what the process really has.
import fs from "node:fs";

/**
 * Node and its event loop (about 20 descriptors at rest), plus the modules
 * loaded at start and later (the module loader opens many at once).
 */
export const RUNTIME_FILES = 64;
/** Files and directories the collectors have open at once, reads in the thread pool, the web config and its certificates. */
export const HOST_READ_FILES = 16;
/** One vendor client run: its output pipes, and spawning. */
export const FILES_PER_CLIENT = 4;
/** Connections beyond --web.max-requests: probes, and requests being refused. */
export const SPARE_CONNECTIONS = 8;
/** Connections counted for --web.max-requests=0 (no limit): some room to serve at all. */
export const UNLIMITED_REQUESTS_COUNTED = 64;

/** The soft limit from /proc/self/limits; undefined when unlimited or unknown (not Linux, no /proc). */
export function openFileLimit(): number | undefined {
  try {
    return parseOpenFileLimit(fs.readFileSync("/proc/self/limits", "utf8"));
  } catch {
    return undefined;
  }
}

/** "Max open files  1024  524288  files" -> 1024. */
export function parseOpenFileLimit(limits: string): number | undefined {
  const soft = /^Max open files\s+(\S+)\s+/m.exec(limits)?.[1];
  if (soft === undefined || !/^\d+$/.test(soft)) return undefined;
  return Number(soft);
}

export interface FileNeedsInput {
  /** --web.max-requests (0: no limit). */
  readonly maxRequests: number;
  /** Vendor clients that will run. */
  readonly clients: number;
}

/** What a configuration needs, part by part; the parts are shown to the operator. */
export function filesNeeded(input: FileNeedsInput): { readonly total: number; readonly parts: string } {
  const requests = input.maxRequests === 0 ? UNLIMITED_REQUESTS_COUNTED : input.maxRequests;
  const parts: [number, string][] = [
    [RUNTIME_FILES, "the runtime"],
    [HOST_READ_FILES, "reading the host"],
    [requests + SPARE_CONNECTIONS, `connections (--web.max-requests=${input.maxRequests}, probes)`],
  ];
  if (input.clients > 0) parts.push([FILES_PER_CLIENT * input.clients, `${input.clients} vendor client(s)`]);
  return {
    total: parts.reduce((sum, [n]) => sum + n, 0),
    parts: parts.map(([n, what]) => `${n} for ${what}`).join(", "),
  };
}

/** Connections the limit leaves room for once everything else is counted: the server's connection cap. */
export function connectionCap(limit: number | undefined, clients: number): number | undefined {
  if (limit === undefined) return undefined;
  return Math.max(1, limit - RUNTIME_FILES - HOST_READ_FILES - FILES_PER_CLIENT * clients);
}

export const RAISE_HINT =
  "raise it (LimitNOFILE= in the systemd unit, ulimit -n, or --ulimit nofile=N:N for a container)";

/** The one line printed when the limit does not even allow loading the program. */
export function startupLimitMessage(limit: number): string {
  return `the open file limit is ${limit}, too low to start: the runtime alone needs ${RUNTIME_FILES}, a configuration more; ${RAISE_HINT}`;
}
