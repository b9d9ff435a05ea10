// Probes attached to patched functions. Observability tools hook functions by
// name; after a live patch the old function's body no longer runs, so a probe
// inside it never fires again (one at its entry, on the ftrace call site, still
// does: the call enters the old function before the handler redirects it).
// And kprobes armed through ftrace, tracers and BPF trampolines share the
// ftrace call site with the live patch; one that also modifies the IP
// (IPMODIFY) cannot coexist with it at all.
//
// - kprobes: /sys/kernel/debug/kprobes/list (debugfs, root). Armed probes only:
//   not [GONE], not [DISABLED], and kprobes/enabled not 0.
// - other ftrace users: enabled_functions (tracefs, root), shared with the
//   redirection collector.
import { mapFact, type Fact } from "../fact.js";
import type { Kprobe } from "../parse/kprobes-list.js";
import { liveHook, otherFtraceUsers, recordsByFunction, recordsOf } from "./ftrace-hooks.js";
import { readEnabledFunctions, readKprobes } from "./ftrace-files.js";
import { readLivepatchTree } from "./livepatch.js";
import {
  bounded,
  objectModule,
  patchedFunctions,
  symbolKey,
  type Listed,
  type PatchedFunction,
} from "./patched-functions.js";
import type { Collector, CollectorContext } from "./types.js";

export const KPROBE_POSITIONS = ["entry", "body"] as const;
export type KprobePosition = (typeof KPROBE_POSITIONS)[number];

export interface FunctionProbes extends PatchedFunction {
  /** Armed kprobes and kretprobes on the old function, by where they sit. */
  readonly kprobes: Readonly<Record<KprobePosition, number>>;
  /** ftrace users of the function besides the live patch (tracers, ftrace-based kprobes, BPF). */
  readonly ftraceUsers: number;
  /** Another IPMODIFY ftrace user holds the function, so the live patch cannot hook it. */
  readonly ipmodifyConflict: boolean;
}

/** The functions with a probe, another ftrace user or a conflict. */
export interface ProbesFacts extends Listed<FunctionProbes> {
  /** Patched functions with at least one armed kprobe; unknown when kprobes/list could not be read. */
  readonly kprobedFunctions: Fact<number>;
  /** Patched functions with another ftrace user; unknown when enabled_functions could not be read. */
  readonly ftraceSharedFunctions: Fact<number>;
  /** Patched functions held by another IPMODIFY user; unknown when enabled_functions could not be read. */
  readonly ipmodifyConflicts: Fact<number>;
}

export const probes: Collector<ProbesFacts> = {
  help: "kprobes and other ftrace users on patched functions (debugfs kprobes/list, tracefs; root)",
  optIn: true,
  create:
    ({ options }) =>
    async (ctx) =>
      collect(ctx, options.functions.limit),
};

async function collect(ctx: CollectorContext, limit: number): Promise<ProbesFacts> {
  const all = patchedFunctions(await ctx.shared(readLivepatchTree));
  const kprobes = mapFact(ctx.shared(readKprobes), (file) =>
    armedProbes(file.probes, file.armed.state === "ok" ? file.armed.value : true),
  );
  const ftrace = mapFact(await ctx.shared(readEnabledFunctions), (file) => recordsByFunction(file.records));

  const found = all.map((fn): FunctionProbes => {
    const records = ftrace.state === "ok" ? recordsOf(ftrace.value, fn) : [];
    const hook = liveHook(records);
    return {
      ...fn,
      kprobes: kprobes.state === "ok" ? positions(kprobes.value, fn) : { entry: 0, body: 0 },
      ftraceUsers: otherFtraceUsers(records, hook),
      ipmodifyConflict: hook.evidence === "other_ipmodify_user",
    };
  });
  const count = (test: (f: FunctionProbes) => boolean): number => found.filter(test).length;
  const probed = found.filter((f) => f.kprobes.entry + f.kprobes.body + f.ftraceUsers > 0 || f.ipmodifyConflict);
  return {
    kprobedFunctions: mapFact(kprobes, () => count((f) => f.kprobes.entry + f.kprobes.body > 0)),
    ftraceSharedFunctions: mapFact(ftrace, () => count((f) => f.ftraceUsers > 0)),
    ipmodifyConflicts: mapFact(ftrace, () => count((f) => f.ipmodifyConflict)),
    ...bounded(probed, limit),
  };
}

/** Armed probes by function ("module\0symbol"). */
function armedProbes(list: readonly Kprobe[], armed: boolean): ReadonlyMap<string, readonly Kprobe[]> {
  const index = new Map<string, Kprobe[]>();
  if (!armed) return index;
  for (const probe of list) {
    if (probe.gone || probe.disabled) continue;
    const key = symbolKey(probe.module, probe.symbol);
    index.set(key, [...(index.get(key) ?? []), probe]);
  }
  return index;
}

/**
 * Entry: the function's first instruction or its ftrace call site (after the
 * endbr64 of IBT kernels), and every kretprobe; body: anywhere else.
 */
function positions(index: ReadonlyMap<string, readonly Kprobe[]>, fn: PatchedFunction): Record<KprobePosition, number> {
  const result = { entry: 0, body: 0 };
  for (const probe of index.get(symbolKey(objectModule(fn.object), fn.function)) ?? []) {
    const atEntry = probe.offset === 0 || probe.ftrace || probe.kind === "kretprobe";
    result[atEntry ? "entry" : "body"] += 1;
  }
  return result;
}
