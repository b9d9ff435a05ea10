// What the check report is made of: findings. A finding is one condition the
// report looked at — a readiness check, a patch, a taint flag, a reboot
// reason — with its level, a line of text, the facts behind it and, when it
// needs action, the runbook section that says what to do.
//
// FINDINGS is the catalogue: every id, the section it belongs to, its runbook
// and its rank. A new finding is one entry here plus the code that makes it
// (src/views/report/<section>.ts); docs/check-json.md documents each id (a
// test keeps the two in step). Ids are stable: scripts match on them.
import { escapeControl } from "../escape.js";
import { runbookUrl, type RunbookAnchor } from "./runbooks.js";

/** ok: as it should be; info: worth knowing; warn: a problem to look at; fail: live patching cannot work. */
export type Level = "ok" | "info" | "warn" | "fail";
export const LEVELS: readonly Level[] = ["ok", "info", "warn", "fail"];

export const SEVERITY: Readonly<Record<Level, number>> = { ok: 0, info: 1, warn: 2, fail: 3 };

export function isProblem(level: Level): boolean {
  return SEVERITY[level] >= SEVERITY.warn;
}

/** The sections of the report, in the order they are shown. */
export const SECTIONS = {
  kernel: "Kernel",
  readiness: "Readiness",
  patches: "Live patches",
  functions: "Patched functions",
  kernel_log: "Kernel log",
  taint: "Taint",
  reboot: "Reboot",
  clients: "Live-patch clients",
  exporter: "Exporter",
} as const;
export type SectionId = keyof typeof SECTIONS;

export interface FindingKind {
  readonly section: SectionId;
  /**
   * The names of its facts, all of them always present in the JSON (null
   * where a value is not known or does not apply): docs/check-json.md lists
   * them and docs/check-json.schema.json gives each its type.
   */
  readonly facts: readonly string[];
  /** The runbook section a problem of this kind links to. */
  readonly runbook?: RunbookAnchor;
  /** Worth a line near the top of the landing page even when it is no problem. */
  readonly notable?: true;
}

/**
 * Every kind of finding. The order is the rank among problems of the same
 * level: causes before their consequences, what silently breaks patches
 * before what only blocks the next one.
 */
export const FINDINGS = {
  ftrace_disabled_with_patches: {
    section: "readiness",
    runbook: "LivepatchFtraceDisabled",
    facts: ["ftrace_enabled", "enabled_patches"],
  },
  collector_failed: { section: "exporter", runbook: "LivepatchCollectorFailing", facts: ["collector", "error"] },
  ipmodify_conflict: {
    section: "functions",
    runbook: "LivepatchFunctionNotRedirected",
    facts: ["patch", "object", "function", "sympos", "ftrace_users"],
  },
  redirection: {
    section: "functions",
    runbook: "LivepatchFunctionNotRedirected",
    facts: ["source", "checked", "not_redirected", "reason", "functions"],
  },
  modules_supported: {
    section: "readiness",
    runbook: "LivepatchNotReady",
    facts: ["passed", "reason", "CONFIG_MODULES"],
  },
  livepatch_built: {
    section: "readiness",
    runbook: "LivepatchNotReady",
    facts: ["passed", "reason", "CONFIG_LIVEPATCH"],
  },
  sysfs_present: { section: "readiness", runbook: "LivepatchNotReady", facts: ["passed", "reason"] },
  modules_not_disabled: {
    section: "readiness",
    runbook: "LivepatchNotReady",
    facts: ["passed", "reason", "modules_disabled"],
  },
  ftrace_enabled: { section: "readiness", runbook: "LivepatchNotReady", facts: ["passed", "reason", "ftrace_enabled"] },
  no_transition_in_progress: {
    section: "readiness",
    runbook: "LivepatchTransitionNotCompleting",
    facts: [
      "passed",
      "reason",
      "patch",
      "direction",
      "blocking_threads",
      "threads",
      "truncated",
      "blockers",
      "started_at",
      "running_seconds",
    ],
  },
  kconfig_have_livepatch: { section: "kernel", runbook: "LivepatchNotReady", facts: ["CONFIG_HAVE_LIVEPATCH"] },
  kconfig_dynamic_ftrace: {
    section: "kernel",
    runbook: "LivepatchNotReady",
    facts: ["CONFIG_DYNAMIC_FTRACE_WITH_REGS", "CONFIG_DYNAMIC_FTRACE_WITH_ARGS"],
  },
  kconfig_reliable_stacktrace: {
    section: "kernel",
    runbook: "LivepatchNotReady",
    facts: ["CONFIG_HAVE_RELIABLE_STACKTRACE"],
  },
  patch: {
    section: "patches",
    runbook: "LivepatchPatchDisabled",
    facts: ["name", "status", "enabled", "transition", "replace", "stack_order", "objects"],
  },
  patch_name_not_utf8: { section: "patches", runbook: "LivepatchCollectorFailing", facts: ["name"] },
  module_without_patch: { section: "patches", runbook: "LivepatchModuleWithoutPatch", facts: ["module", "state"] },
  kprobe_in_patched_body: { section: "functions", facts: ["patch", "object", "function", "sympos", "kprobes"] },
  transition_forced: { section: "kernel_log", runbook: "LivepatchTransitionForced", facts: ["patch", "forced_at"] },
  module_load_refused: {
    section: "kernel_log",
    runbook: "LivepatchModuleLoadRefused",
    facts: ["reason", "count", "patches"],
  },
  taint_flag: { section: "taint", runbook: "LivepatchNewKernelTaint", facts: ["letter", "bit", "name", "kind"] },
  reboot_required: {
    section: "reboot",
    runbook: "LivepatchRebootRequired",
    facts: ["required", "reason", "since", "packages", "newest_kernel"],
  },
  client: {
    section: "clients",
    runbook: "LivepatchClientFailing",
    facts: [
      "client",
      "binary",
      "up",
      "error",
      "state",
      "support",
      "patches",
      "fixes_applied",
      "effective_kernel",
      "coverage_end",
      "covered_and_patched",
      "problems",
    ],
  },
  module_signature_policy: {
    section: "readiness",
    notable: true,
    facts: ["signed_only", "sig_enforce", "lockdown", "lockdown_unknown", "CONFIG_MODULE_SIG_FORCE"],
  },
  kernel_release: { section: "kernel", facts: ["release", "version", "machine"] },
  os_release: { section: "kernel", facts: ["pretty_name", "id", "version_id"] },
  boot_time: { section: "kernel", facts: ["booted"] },
  kernel_config: { section: "kernel", facts: ["source", "path"] },
  livepatch_sysfs: { section: "patches", facts: ["present"] },
  no_patch_loaded: { section: "patches", facts: ["patches"] },
  patched_functions: { section: "functions", facts: ["total", "listed", "truncated"] },
  patched_function: { section: "functions", facts: ["patch", "object", "function", "sympos", "redirected"] },
  probes: {
    section: "functions",
    facts: ["kprobed_functions", "ftrace_shared_functions", "ipmodify_conflicts", "truncated"],
  },
  kprobe_at_patched_entry: { section: "functions", facts: ["patch", "object", "function", "sympos", "kprobes"] },
  ftrace_shared: { section: "functions", facts: ["patch", "object", "function", "sympos", "ftrace_users"] },
  kmsg_read: { section: "kernel_log", facts: ["path", "kind", "records", "malformed"] },
  kmsg_unreadable: { section: "kernel_log", runbook: "LivepatchKernelLogUnreadable", facts: ["path", "reason"] },
  kmsg_records_lost: { section: "kernel_log", facts: ["lost"] },
  transition_duration: { section: "kernel_log", facts: ["patch", "direction", "seconds"] },
  tainted: { section: "taint", facts: ["value", "flags"] },
  taint_unknown_bit: { section: "taint", facts: ["bit"] },
  reboot_reason_unknown: { section: "reboot", facts: ["reason", "unknown"] },
  reboot_can_wait: { section: "reboot", notable: true, facts: ["client", "can_wait"] },
  clients_none: { section: "clients", facts: ["clients"] },
  collectors_disabled: { section: "exporter", notable: true, facts: ["collectors"] },
} as const satisfies Readonly<Record<string, FindingKind>>;
export type FindingId = keyof typeof FINDINGS;
export const FINDING_IDS = Object.keys(FINDINGS) as readonly FindingId[];

/** A value behind a finding, as JSON carries it. */
export type FactValue = string | number | boolean | null | readonly FactValue[] | { readonly [key: string]: FactValue };
export type Facts = Readonly<Record<string, FactValue>>;

export interface Finding {
  /** Stable: the check or condition (FINDINGS). With subject, unique in a report. */
  readonly id: FindingId;
  readonly level: Level;
  readonly section: SectionId;
  /** What the finding is about when there can be several of its id: a patch, module, flag, reason, client. */
  readonly subject: string | undefined;
  /** One line. */
  readonly text: string;
  /** More lines: what follows from it, who blocks it, what the client says. */
  readonly details: readonly string[];
  /** The facts the finding was made from. */
  readonly facts: Facts;
  /** The runbook section, for problems (warn and fail) only. */
  readonly runbook: string | undefined;
}

/** Info and ok findings a reader should see without unfolding anything. */
export function isNotable(f: Finding): boolean {
  const kind: FindingKind = FINDINGS[f.id];
  return !isProblem(f.level) && kind.notable === true;
}

/** The fact names of a kind of finding: a finding may carry only these. */
export type FactName<Id extends FindingId> = (typeof FINDINGS)[Id]["facts"][number];

export interface FindingInput<Id extends FindingId> {
  readonly subject?: string | undefined;
  readonly details?: readonly string[];
  /** Its facts; a name left out is null (not known, or does not apply). */
  readonly facts?: Readonly<Partial<Record<FactName<Id>, FactValue>>>;
}

/**
 * Makes a finding. Everything read from the host that it carries (names in
 * its text, subject, details and facts) goes through escapeControl here, the
 * report's one place for it. Every fact of its kind is there, null when not
 * given, so a script finds the same names in every finding of an id.
 */
export function finding<Id extends FindingId>(
  id: Id,
  level: Level,
  text: string,
  input: FindingInput<Id> = {},
): Finding {
  const kind: FindingKind = FINDINGS[id];
  const given: Readonly<Record<string, FactValue | undefined>> = input.facts ?? {};
  const facts = Object.fromEntries(kind.facts.map((name) => [name, given[name] ?? null]));
  return {
    id,
    level,
    section: kind.section,
    subject: input.subject === undefined ? undefined : escapeControl(input.subject),
    text: escapeControl(text),
    details: (input.details ?? []).map(escapeControl),
    facts: escapeFacts(facts),
    runbook: isProblem(level) && kind.runbook !== undefined ? runbookUrl(kind.runbook) : undefined,
  };
}

function escapeFacts(facts: Facts): Facts {
  return Object.fromEntries(Object.entries(facts).map(([key, value]) => [key, escapeValue(value)]));
}

function escapeValue(value: FactValue): FactValue {
  if (typeof value === "string") return escapeControl(value);
  if (Array.isArray(value)) return value.map(escapeValue);
  if (value !== null && typeof value === "object") return escapeFacts(value as Facts);
  return value;
}

/** Problems first by level, then by their kind's rank, then as they came. */
export function compareSeverity(a: Finding, b: Finding): number {
  return SEVERITY[b.level] - SEVERITY[a.level] || FINDING_IDS.indexOf(a.id) - FINDING_IDS.indexOf(b.id);
}

/** Why a fact is not known, in words: "unreadable", "not found". */
export function reasonText(reason: string): string {
  return reason.replace(/_/g, " ");
}
