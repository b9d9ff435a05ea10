// ftrace's and kprobes' views of the patched functions, read once per scrape
// (ctx.shared) by the redirection and probes collectors:
//
// - enabled_functions, in tracefs: /sys/kernel/tracing (4.1+), or through
//   debugfs at /sys/kernel/debug/tracing (older setups; debugfs automounts
//   tracefs there since 4.1). Both directories are mode 0700: root only.
// - kprobes/list and kprobes/enabled, in debugfs at /sys/kernel/debug.
//
// A file that is missing because its filesystem is not mounted is "not
// mounted", never "no functions"; one missing from a mounted filesystem is
// absent (a kernel without dynamic ftrace or kprobes).
import { ABSENT, known, type Fact, unknown } from "../fact.js";
import { failureFact } from "../fs/file-access.js";
import { sysPath } from "../fs/host-paths.js";
import { parseEnabledFunctions, type FtraceRecord } from "../parse/enabled-functions.js";
import { parseKprobesList, type Kprobe } from "../parse/kprobes-list.js";
import { parseBool01 } from "../parse/values.js";
import { readLivepatchTree } from "./livepatch.js";
import { patchedFunctions } from "./patched-functions.js";
import { readFact } from "./read-fact.js";
import type { CollectorContext } from "./types.js";

/** enabled_functions lists every traced function: with the function tracer on all of them, a few MiB. */
export const ENABLED_FUNCTIONS_CAP_BYTES = 32 * 1024 * 1024;
/** One line per probe; thousands of probes stay well within. */
const KPROBES_LIST_CAP_BYTES = 8 * 1024 * 1024;

export interface EnabledFunctionsFile {
  /** The path read (tracefs or debugfs). */
  readonly path: string;
  /** The records of the patched functions' names (the rest of the file is skipped unparsed). */
  readonly records: readonly FtraceRecord[];
}

export interface KprobesFile {
  readonly probes: readonly Kprobe[];
  /** /sys/kernel/debug/kprobes/enabled: 0 disarms every probe; unknown when unreadable. */
  readonly armed: Fact<boolean>;
}

/** The records of enabled_functions that name a patched function. */
export async function readEnabledFunctions(ctx: CollectorContext): Promise<Fact<EnabledFunctionsFile>> {
  const names = new Set(patchedFunctions(await ctx.shared(readLivepatchTree)).map((f) => f.function));
  const candidates = [
    sysPath(ctx.paths, "kernel", "tracing", "enabled_functions"),
    sysPath(ctx.paths, "kernel", "debug", "tracing", "enabled_functions"),
  ];
  let refused: Fact<never> | undefined;
  for (const path of candidates) {
    const read = ctx.files.readText(path, { capBytes: ENABLED_FUNCTIONS_CAP_BYTES });
    if (read.ok) {
      const parsed = parseEnabledFunctions(read.text, (symbol) => names.has(symbol));
      // The kernel writes every line in one shape: a line we cannot read may hide a hook we would miss.
      if (parsed.invalidLines > 0) {
        return unknown(ctx.files.invalid(path, `${parsed.invalidLines} line(s) not understood`));
      }
      return known({ path, records: parsed.records });
    }
    if (read.failure !== "absent") refused ??= failureFact(read.failure);
  }
  if (refused !== undefined) return refused;
  const mounted = [mountState(ctx, ["kernel", "tracing"]), mountState(ctx, ["kernel", "debug", "tracing"])];
  if (mounted.includes("mounted")) return ABSENT;
  return unknown(mounted.includes("unreadable") ? "unreadable" : "not_mounted");
}

/** The registered kprobes and whether kprobes are armed at all. */
export function readKprobes(ctx: CollectorContext): Fact<KprobesFile> {
  const path = sysPath(ctx.paths, "kernel", "debug", "kprobes", "list");
  const read = ctx.files.readText(path, { capBytes: KPROBES_LIST_CAP_BYTES });

  if (!read.ok) {
    if (read.failure !== "absent") return failureFact(read.failure);
    const debugfs = mountState(ctx, ["kernel", "debug"]);
    return debugfs === "mounted" ? ABSENT : unknown(debugfs === "unreadable" ? "unreadable" : "not_mounted");
  }
  const parsed = parseKprobesList(read.text);
  if (parsed.invalidLines > 0) {
    return unknown(ctx.files.invalid(path, `${parsed.invalidLines} line(s) not understood`));
  }
  const armed = readFact(ctx.files, sysPath(ctx.paths, "kernel", "debug", "kprobes", "enabled"), parseBool01);
  return known({ probes: parsed.probes, armed });
}

type MountState = "mounted" | "not_mounted" | "unreadable";

/** A pseudo filesystem's mount point: an empty or missing directory is not mounted. */
function mountState(ctx: CollectorContext, segments: readonly string[]): MountState {
  const listing = ctx.files.list(sysPath(ctx.paths, ...segments), { quiet: true });
  if (listing.ok) return listing.entries.length > 0 ? "mounted" : "not_mounted";
  return listing.failure === "unreadable" ? "unreadable" : "not_mounted";
}
