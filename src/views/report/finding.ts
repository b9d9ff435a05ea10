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
  ftrace_disabled_with_patches: { section: "readiness", runbook: "LivepatchFtraceDisabled" },
  collector_failed: { section: "exporter", runbook: "LivepatchCollectorFailing" },
  ipmodify_conflict: { section: "functions", runbook: "LivepatchFunctionNotRedirected" },
  redirection: { section: "functions", runbook: "LivepatchFunctionNotRedirected" },
  modules_supported: { section: "readiness", runbook: "LivepatchNotReady" },
  livepatch_built: { section: "readiness", runbook: "LivepatchNotReady" },
  sysfs_present: { section: "readiness", runbook: "LivepatchNotReady" },
  modules_not_disabled: { section: "readiness", runbook: "LivepatchNotReady" },
  ftrace_enabled: { section: "readiness", runbook: "LivepatchNotReady" },
  no_transition_in_progress: { section: "readiness", runbook: "LivepatchTransitionNotCompleting" },
  kconfig_have_livepatch: { section: "kernel", runbook: "LivepatchNotReady" },
  kconfig_dynamic_ftrace: { section: "kernel", runbook: "LivepatchNotReady" },
  kconfig_reliable_stacktrace: { section: "kernel", runbook: "LivepatchNotReady" },
  patch: { section: "patches", runbook: "LivepatchPatchDisabled" },
  patch_name_not_utf8: { section: "patches", runbook: "LivepatchCollectorFailing" },
  module_without_patch: { section: "patches", runbook: "LivepatchModuleWithoutPatch" },
  kprobe_in_patched_body: { section: "functions" },
  transition_forced: { section: "kernel_log", runbook: "LivepatchTransitionForced" },
  module_load_refused: { section: "kernel_log", runbook: "LivepatchModuleLoadRefused" },
  taint_flag: { section: "taint", runbook: "LivepatchNewKernelTaint" },
  reboot_required: { section: "reboot", runbook: "LivepatchRebootRequired" },
  client: { section: "clients", runbook: "LivepatchClientFailing" },
  module_signature_policy: { section: "readiness", notable: true },
  kernel_release: { section: "kernel" },
  os_release: { section: "kernel" },
  boot_time: { section: "kernel" },
  kernel_config: { section: "kernel" },
  livepatch_sysfs: { section: "patches" },
  no_patch_loaded: { section: "patches" },
  patched_functions: { section: "functions" },
  patched_function: { section: "functions" },
  probes: { section: "functions" },
  kprobe_at_patched_entry: { section: "functions" },
  ftrace_shared: { section: "functions" },
  kmsg_read: { section: "kernel_log" },
  kmsg_unreadable: { section: "kernel_log", runbook: "LivepatchKernelLogUnreadable" },
  kmsg_records_lost: { section: "kernel_log" },
  transition_duration: { section: "kernel_log" },
  tainted: { section: "taint" },
  taint_unknown_bit: { section: "taint" },
  reboot_reason_unknown: { section: "reboot" },
  reboot_can_wait: { section: "reboot", notable: true },
  clients_none: { section: "clients" },
  collectors_disabled: { section: "exporter", notable: true },
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

export interface FindingInput {
  readonly subject?: string | undefined;
  readonly details?: readonly string[];
  readonly facts?: Facts;
}

/**
 * Makes a finding. Everything read from the host that it carries (names in
 * its text, subject, details and facts) goes through escapeControl here, the
 * report's one place for it.
 */
export function finding(id: FindingId, level: Level, text: string, input: FindingInput = {}): Finding {
  const kind: FindingKind = FINDINGS[id];
  return {
    id,
    level,
    section: kind.section,
    subject: input.subject === undefined ? undefined : escapeControl(input.subject),
    text: escapeControl(text),
    details: (input.details ?? []).map(escapeControl),
    facts: escapeFacts(input.facts ?? {}),
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
