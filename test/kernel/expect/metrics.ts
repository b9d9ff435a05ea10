// /metrics expectations: a state's series are built from a small model of the
// host (patches, loaded modules, transition, taint...) by the same rules the
// exporter documents, and compared exactly, family by family: every series of
// a checked family must be expected, and every expected series must be there.
import assert from "node:assert/strict";
import { READINESS_CHECKS, type ReadinessCheck } from "../../../src/derive/readiness.js";
import { parseExposition } from "../../helpers/exposition.js";

/** A value, or a test for values that differ between runs (thread counts). */
export type Expected = number | { readonly describe: string; readonly test: (value: number) => boolean };
/** Normalised series key (name{label="value",...}, labels sorted) -> expected value. */
export type Series = Record<string, Expected>;

export const atLeast = (n: number): Expected => ({ describe: `>= ${n}`, test: (v) => v >= n });

/** The series of the functions, redirection and probes collectors. */
const FUNCTION_FAMILIES = [
  "livepatch_function_info",
  "livepatch_function_info_truncated",
  "livepatch_tracefs_readable",
  "livepatch_functions_checked",
  "livepatch_functions_not_redirected",
  "livepatch_function_redirected",
  "livepatch_function_redirected_truncated",
  "livepatch_functions_kprobed",
  "livepatch_functions_ftrace_shared",
  "livepatch_functions_ipmodify_conflict",
  "livepatch_function_kprobes",
  "livepatch_function_ftrace_users",
  "livepatch_function_ipmodify_conflict",
  "livepatch_function_probes_truncated",
] as const;

/**
 * Families compared exactly in every state, on top of those a state's
 * expectation names. Values that depend on the machine or the run (boot time,
 * durations, kernel build string) are left to other checks.
 */
export const EXACT_FAMILIES = [
  "livepatch_scrape_collector_success",
  "livepatch_fact_unavailable",
  "livepatch_sysfs_present",
  "livepatch_patches",
  "livepatch_patch_enabled",
  "livepatch_patch_transition",
  "livepatch_patch_state",
  "livepatch_patch_replace",
  "livepatch_patch_stack_order",
  "livepatch_object_patched",
  "livepatch_object_functions",
  "livepatch_modules_without_patch",
  "livepatch_module_without_patch",
  "livepatch_transition_in_progress",
  "livepatch_transition_info",
  "livepatch_transition_threads",
  "livepatch_transition_scan_truncated",
  "livepatch_transition_blocking_threads",
  "livepatch_transition_blocking_thread_info",
  "livepatch_transition_blocking_thread_function_info",
  "livepatch_kernel_tainted",
  "livepatch_kernel_taint_flag",
  "livepatch_kernel_taint_unknown_bit",
  "livepatch_modules_tainted",
  "livepatch_modules_supported",
  "livepatch_modules_disabled",
  "livepatch_modules_loaded",
  "livepatch_module_sig_enforce",
  "livepatch_ftrace_enabled",
  "livepatch_lockdown_mode",
  "livepatch_reboot_required",
  "livepatch_ready",
  "livepatch_ready_check",
  "livepatch_ready_signed_patches_only",
  // The opt-in collectors of patched functions (absent in scenarios that do not run them).
  ...FUNCTION_FAMILIES,
] as const;

export function key(name: string, labels: Readonly<Record<string, string | number>> = {}): string {
  const pairs = Object.entries(labels)
    .map(([k, v]): [string, string] => [k, String(v)])
    .sort(([a], [b]) => a.localeCompare(b));
  return `${name}{${pairs.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
}

const familyOf = (seriesKey: string): string => seriesKey.slice(0, seriesKey.indexOf("{"));

/** The exposition's series under normalised keys (the parser also rejects malformed output). */
export function parseMetrics(text: string): Map<string, number> {
  const normalised = new Map<string, number>();
  for (const [raw, value] of parseExposition(text).series) {
    const labels = Object.fromEntries(
      [...raw.slice(raw.indexOf("{") + 1, -1).matchAll(/(\w+)=("(?:[^"\\]|\\.)*")/g)].map((m): [string, string] => [
        m[1] ?? "",
        JSON.parse(m[2] ?? '""') as string,
      ]),
    );
    normalised.set(key(familyOf(raw), labels), value);
  }
  return normalised;
}

export function assertMetrics(actual: ReadonlyMap<string, number>, expected: Series): void {
  const families = new Set<string>([...EXACT_FAMILIES, ...Object.keys(expected).map(familyOf)]);
  const problems: string[] = [];
  for (const [k, want] of Object.entries(expected)) {
    const got = actual.get(k);
    if (got === undefined) problems.push(`missing    ${k} (want ${describe(want)})`);
    else if (typeof want === "number" ? got !== want : !want.test(got))
      problems.push(`wrong      ${k} = ${got} (want ${describe(want)})`);
  }
  for (const [k, got] of actual) {
    if (families.has(familyOf(k)) && !(k in expected)) problems.push(`unexpected ${k} = ${got}`);
  }
  assert.deepEqual(problems.sort(), [], `/metrics differs from the expectation:\n  ${problems.sort().join("\n  ")}`);
}

const describe = (want: Expected): string => (typeof want === "number" ? String(want) : want.describe);

// ---------------------------------------------------------------- the model

export type PatchState = "applied" | "patching" | "unpatching" | "disabled";
export interface PatchModel {
  readonly name: string;
  readonly state: PatchState;
  /** Object name -> the functions it patches (its `patched` attribute is 1 in every state here). */
  readonly objects: Readonly<Record<string, readonly string[]>>;
}

export interface BlockingThread {
  readonly pid: number;
  readonly tid: number;
  readonly comm: string;
  /** The patched function its kernel stack is inside (the exporter runs as root in the guest). */
  readonly inside?: { readonly object: string; readonly function: string };
}

/** Probes on a patched function: kprobes by position, and ftrace users besides the live patch. */
export interface ProbesModel {
  readonly entry: number;
  readonly body: number;
  readonly ftraceUsers: number;
}

export interface HostModel {
  /** Patches listed in /sys/kernel/livepatch. */
  readonly patches: readonly PatchModel[];
  /** Loaded modules -> their taint letters (/proc/modules). */
  readonly modules: Readonly<Record<string, string>>;
  /** Live patch modules loaded without a patch directory. */
  readonly withoutPatch?: readonly string[];
  /** The transition in progress and the threads that block it (named: the exporter runs with the flag). */
  readonly transition?: {
    readonly patch: string;
    readonly direction: "patching" | "unpatching";
    readonly blockers: readonly BlockingThread[];
  };
  /** Taint letters of /proc/sys/kernel/tainted. */
  readonly taint: string;
  readonly modulesDisabled?: boolean;
  readonly sigEnforce?: boolean;
  readonly lockdown?: "none" | "integrity" | "confidentiality";
  /**
   * The opt-in collectors of patched functions run (--collector.functions, .redirection, .probes), with
   * the probes on patched functions by function name; undefined: they do not run.
   */
  readonly functions?: { readonly probes?: Readonly<Record<string, ProbesModel>> };
}

/** Bit, letter and name of the taint flags the exporter always reports (kernel docs, tainted-kernels.rst). */
const TAINT_FLAGS: readonly [number, string, string][] = [
  [0, "P", "PROPRIETARY_MODULE"],
  [1, "F", "FORCED_MODULE"],
  [2, "S", "CPU_OUT_OF_SPEC"],
  [3, "R", "FORCED_RMMOD"],
  [4, "M", "MACHINE_CHECK"],
  [5, "B", "BAD_PAGE"],
  [6, "U", "USER"],
  [7, "D", "DIE"],
  [8, "A", "OVERRIDDEN_ACPI_TABLE"],
  [9, "W", "WARN"],
  [10, "C", "CRAP"],
  [11, "I", "FIRMWARE_WORKAROUND"],
  [12, "O", "OOT_MODULE"],
  [13, "E", "UNSIGNED_MODULE"],
  [14, "L", "SOFTLOCKUP"],
  [15, "K", "LIVEPATCH"],
  [16, "X", "AUX"],
  [17, "T", "RANDSTRUCT"],
  [18, "N", "TEST"],
  [19, "J", "FWCTL"],
];
/** The module taint letters /proc/modules can show, as livepatch_modules_tainted lists them. */
const MODULE_TAINT_LETTERS = ["P", "F", "C", "O", "E", "K", "X", "T", "N", "J"];

export const taintValue = (letters: string): number =>
  TAINT_FLAGS.filter(([, letter]) => letters.includes(letter)).reduce((sum, [bit]) => sum + 2 ** bit, 0);

/** Readiness checks that fail in this model. */
export function failingChecks(model: HostModel): ReadinessCheck[] {
  return [
    ...(model.modulesDisabled === true ? (["modules_not_disabled"] as const) : []),
    ...(model.transition === undefined ? [] : (["no_transition_in_progress"] as const)),
  ];
}

/** Every series of EXACT_FAMILIES for a host in this state. */
export function hostSeries(model: HostModel): Series {
  const series: Series = {};
  const set = (name: string, labels: Record<string, string | number>, value: Expected): void => {
    series[key(name, labels)] = value;
  };
  const optIn = model.functions === undefined ? [] : ["functions", "redirection", "probes"];
  const collectors = ["livepatch", "transition", "kmsg", "taint", "modules", "kernel", "reboot", "readiness", ...optIn];
  for (const collector of collectors) {
    set("livepatch_scrape_collector_success", { collector }, 1);
  }

  set("livepatch_sysfs_present", {}, 1);
  set("livepatch_patches", {}, model.patches.length);
  for (const patch of model.patches) {
    set(
      "livepatch_patch_enabled",
      { patch: patch.name },
      patch.state === "applied" || patch.state === "patching" ? 1 : 0,
    );
    set(
      "livepatch_patch_transition",
      { patch: patch.name },
      patch.state === "patching" || patch.state === "unpatching" ? 1 : 0,
    );
    for (const state of ["applied", "patching", "unpatching", "disabled"]) {
      set("livepatch_patch_state", { patch: patch.name, state }, patch.state === state ? 1 : 0);
    }
    for (const [object, functions] of Object.entries(patch.objects)) {
      set("livepatch_object_patched", { patch: patch.name, object }, 1);
      set("livepatch_object_functions", { patch: patch.name, object }, functions.length);
    }
  }
  const withoutPatch = model.withoutPatch ?? [];
  set("livepatch_modules_without_patch", {}, withoutPatch.length);
  for (const module of withoutPatch) set("livepatch_module_without_patch", { module, state: "live" }, 1);

  const transition = model.transition;
  set("livepatch_transition_in_progress", {}, transition === undefined ? 0 : 1);
  if (transition !== undefined) {
    set("livepatch_transition_info", { patch: transition.patch, direction: transition.direction }, 1);
    // The threads the walk saw: the blockers on one side, every other thread on the other.
    const blocking = transition.blockers.length;
    const [patched, unpatched] = transition.direction === "patching" ? [atLeast(1), blocking] : [blocking, atLeast(1)];
    set("livepatch_transition_threads", { state: "patched" }, patched);
    set("livepatch_transition_threads", { state: "unpatched" }, unpatched);
    set("livepatch_transition_threads", { state: "idle" }, 0);
    set("livepatch_transition_threads", { state: "unreadable" }, 0);
    set("livepatch_transition_scan_truncated", {}, 0);
    set("livepatch_transition_blocking_threads", { patch: transition.patch }, blocking);
    for (const t of transition.blockers) {
      const thread = { patch: transition.patch, pid: t.pid, tid: t.tid };
      set("livepatch_transition_blocking_thread_info", { ...thread, comm: t.comm }, 1);
      if (t.inside !== undefined)
        set("livepatch_transition_blocking_thread_function_info", { ...thread, ...t.inside }, 1);
    }
  }
  if (model.functions !== undefined) Object.assign(series, functionSeries(model.patches, model.functions.probes ?? {}));

  set("livepatch_kernel_tainted", {}, taintValue(model.taint));
  // Only the set bits have a series (an unset bit is absent, not 0).
  for (const [bit, flag, name] of TAINT_FLAGS) {
    if (model.taint.includes(flag)) set("livepatch_kernel_taint_flag", { bit, flag, name }, 1);
  }

  const modules = Object.values(model.modules);
  set("livepatch_modules_loaded", {}, modules.length);
  // Only the letters some loaded module carries have a series.
  for (const flag of MODULE_TAINT_LETTERS) {
    const count = modules.filter((letters) => letters.includes(flag)).length;
    if (count > 0) set("livepatch_modules_tainted", { flag }, count);
  }
  set("livepatch_modules_supported", {}, 1);
  set("livepatch_modules_disabled", {}, model.modulesDisabled === true ? 1 : 0);
  set("livepatch_module_sig_enforce", {}, model.sigEnforce === true ? 1 : 0);
  set("livepatch_ftrace_enabled", {}, 1);
  const lockdown = model.lockdown ?? "none";
  for (const mode of ["none", "integrity", "confidentiality"]) {
    set("livepatch_lockdown_mode", { mode }, mode === lockdown ? 1 : 0);
  }

  for (const reason of [
    "reboot_required_file",
    "reboot_needed_file",
    "newer_kernel_installed",
    "running_kernel_modules_missing",
  ]) {
    set("livepatch_reboot_required", { reason }, 0);
  }

  const failing = failingChecks(model);
  for (const check of READINESS_CHECKS) set("livepatch_ready_check", { check }, failing.includes(check) ? 0 : 1);
  set("livepatch_ready", {}, failing.length === 0 ? 1 : 0);
  set("livepatch_ready_signed_patches_only", {}, model.sigEnforce === true || lockdown !== "none" ? 1 : 0);
  return series;
}

/**
 * The functions, redirection and probes collectors' series: every function of every patch listed (sympos
 * 1: the test modules patch unique symbols), each redirected by ftrace while its patch is enabled, and the
 * probes the state put on them.
 */
function functionSeries(patches: readonly PatchModel[], probes: Readonly<Record<string, ProbesModel>>): Series {
  const series: Series = {};
  const set = (name: string, labels: Record<string, string | number>, value: number): void => {
    series[key(name, labels)] = value;
  };
  const all = patches.flatMap((patch) =>
    Object.entries(patch.objects).flatMap(([object, functions]) =>
      functions.map((fn) => ({ patch, labels: { patch: patch.name, object, function: fn, sympos: "1" } })),
    ),
  );
  for (const { labels } of all) set("livepatch_function_info", labels, 1);
  set("livepatch_function_info_truncated", {}, 0);

  const enabled = all.filter(({ patch }) => patch.state === "applied" || patch.state === "patching");
  set("livepatch_tracefs_readable", {}, 1);
  set("livepatch_functions_checked", {}, enabled.length);
  set("livepatch_functions_not_redirected", {}, 0);
  for (const { labels } of enabled) set("livepatch_function_redirected", labels, 1);
  set("livepatch_function_redirected_truncated", {}, 0);

  const probed = all.flatMap(({ labels }) => {
    const p = probes[labels.function];
    return p === undefined ? [] : [{ labels, ...p }];
  });
  set("livepatch_functions_kprobed", {}, probed.filter((p) => p.entry + p.body > 0).length);
  set("livepatch_functions_ftrace_shared", {}, probed.filter((p) => p.ftraceUsers > 0).length);
  set("livepatch_functions_ipmodify_conflict", {}, 0);
  for (const { labels, entry, body, ftraceUsers } of probed) {
    if (entry > 0) set("livepatch_function_kprobes", { ...labels, position: "entry" }, entry);
    if (body > 0) set("livepatch_function_kprobes", { ...labels, position: "body" }, body);
    if (ftraceUsers > 0) set("livepatch_function_ftrace_users", labels, ftraceUsers);
  }
  set("livepatch_function_probes_truncated", {}, 0);
  return series;
}
