// The report's view of the patched functions (the opt-in functions,
// redirection and probes collectors) and of where a blocking thread sleeps:
// findings for `check` and the landing page, kept apart from report.ts so
// that its sections stay as they are.
import type { BlockedInside } from "../collectors/blocking-stacks.js";
import type { FunctionsFacts } from "../collectors/functions.js";
import type { PatchedFunction } from "../collectors/patched-functions.js";
import type { FunctionProbes, ProbesFacts } from "../collectors/probes.js";
import type { FunctionRedirection, RedirectionFacts } from "../collectors/redirection.js";
import type { Fact } from "../fact.js";

// The shapes of report.ts's findings (structural: report.ts imports this module).
type Level = "ok" | "info" | "warn" | "fail";
interface Finding {
  readonly level: Level;
  readonly text: string;
}
interface Section {
  readonly title: string;
  readonly findings: readonly Finding[];
}

export interface FunctionsReport {
  readonly functions: FunctionsFacts | undefined;
  readonly redirection: RedirectionFacts | undefined;
  readonly probes: ProbesFacts | undefined;
}

const finding = (level: Level, text: string): Finding => ({ level, text });

/** "busy_wait_fn (lp_busy_target)", with the sympos when it is not the first symbol of that name. */
export function functionName(fn: PatchedFunction): string {
  const sympos = fn.sympos !== undefined && fn.sympos > 1 ? `, sympos ${fn.sympos}` : "";
  return `${fn.function} (${fn.object}${sympos})`;
}

const key = (fn: PatchedFunction): string => `${fn.patch}\0${fn.object}\0${fn.function}\0${fn.sympos ?? ""}`;

const REASON: Readonly<Record<string, string>> = {
  not_mounted: "tracefs is not mounted (/sys/kernel/tracing, or debugfs at /sys/kernel/debug)",
  unreadable: "tracefs is readable by root only",
  too_large: "enabled_functions is larger than the exporter reads",
};

/** The "Patched functions" section; no findings when none of the three collectors ran. */
export function functionsSection(report: FunctionsReport): Section {
  const title = "Patched functions";
  const { functions, redirection, probes } = report;
  const findings: Finding[] = [];
  const redirected = new Map<string, FunctionRedirection>((redirection?.functions ?? []).map((f) => [key(f), f]));
  const probed = new Map<string, FunctionProbes>((probes?.functions ?? []).map((f) => [key(f), f]));

  if (redirection !== undefined) findings.push(...redirectionSummary(redirection));
  if (functions !== undefined) {
    findings.push(finding("info", `${functions.total} patched function(s)`));
    for (const fn of functions.functions) {
      const hook = redirected.get(key(fn))?.hook;
      const state = hook === undefined ? "" : hook.redirected ? ", redirected by ftrace" : ", NOT redirected by ftrace";
      findings.push(
        finding(hook?.redirected === false ? "fail" : "info", `  ${fn.patch}: ${functionName(fn)}${state}`),
      );
    }
    if (functions.truncated) findings.push(finding("info", "  (more not listed: --collector.functions.limit)"));
  } else if (redirection !== undefined) {
    // Without the list of every function, name those that matter.
    for (const fn of redirection.functions.filter((f) => !f.hook.redirected)) {
      findings.push(finding("fail", `  ${fn.patch}: ${functionName(fn)}, NOT redirected by ftrace`));
    }
  }
  if (probes !== undefined) findings.push(...probeFindings(probes, probed));
  return { title, findings };
}

function redirectionSummary(redirection: RedirectionFacts): Finding[] {
  const { checked, notRedirected } = redirection;
  if (checked.state !== "ok" || notRedirected.state !== "ok") {
    const reason = checked.state === "unknown" ? (REASON[checked.reason] ?? checked.reason.replace(/_/g, " ")) : "";
    return [finding("info", `redirection not checked: ${reason || "ftrace has no enabled_functions"}`)];
  }
  if (checked.value === 0)
    return [finding("info", "no function of an enabled, patched object to check against ftrace")];
  if (notRedirected.value === 0) {
    return [finding("ok", `ftrace redirects all ${checked.value} function(s) of the enabled patches`)];
  }
  return [
    finding(
      "fail",
      `${notRedirected.value} of ${checked.value} function(s) of enabled patches are not redirected by ftrace: the kernel runs their old code`,
    ),
  ];
}

function probeFindings(probes: ProbesFacts, probed: ReadonlyMap<string, FunctionProbes>): Finding[] {
  const findings: Finding[] = [];
  for (const [name, fact] of [
    ["kprobes", probes.kprobedFunctions],
    ["other ftrace users", probes.ftraceSharedFunctions],
  ] as const) {
    if (fact.state === "unknown") findings.push(finding("info", `${name} not checked: ${unknownText(fact)}`));
  }
  for (const fn of probed.values()) {
    const name = `${fn.patch}: ${functionName(fn)}`;
    if (fn.kprobes.body > 0) {
      findings.push(
        finding(
          "warn",
          `${fn.kprobes.body} kprobe(s) in the body of ${name}: they never fire once every task runs the replacement`,
        ),
      );
    }
    if (fn.kprobes.entry > 0) findings.push(finding("info", `${fn.kprobes.entry} kprobe(s) at the entry of ${name}`));
    if (fn.ipmodifyConflict) {
      findings.push(
        finding("fail", `${name} is held by another ftrace user that modifies the IP: the live patch cannot hook it`),
      );
    } else if (fn.ftraceUsers > 0) {
      findings.push(
        finding("info", `${fn.ftraceUsers} other ftrace user(s) on ${name}: a tracer, a kprobe or a BPF program`),
      );
    }
  }
  if (probes.truncated)
    findings.push(finding("info", "(more probed functions not listed: --collector.functions.limit)"));
  return findings;
}

function unknownText(fact: Fact<unknown>): string {
  if (fact.state !== "unknown") return "";
  if (fact.reason === "not_mounted") return "debugfs or tracefs is not mounted";
  if (fact.reason === "unreadable") return "readable by root only";
  return fact.reason.replace(/_/g, " ");
}

/** Where a blocking thread sleeps, for the line that names it: ", inside busy_wait_fn (lp_busy_target) at ...". */
export function insideText(inside: Fact<BlockedInside | null> | undefined): string {
  if (inside === undefined || inside.state === "absent") return "";
  if (inside.state === "unknown") return `, kernel stack ${unknownText(inside)}`;
  if (inside.value === null) return ", not inside a patched function (running, or an unreliable stack)";
  const { object, function: fn, frame, replacement } = inside.value;
  return `, inside ${replacement ? "the replacement " : ""}${fn} (${object}) at ${frame}`;
}
