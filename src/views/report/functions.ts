// Patched functions (the opt-in functions, redirection and probes
// collectors): does ftrace really send each patched function to its
// replacement, which functions are patched, and what else is attached to
// them. Also where a thread blocking a transition is (readiness.ts names the
// threads): the patched function on its kernel stack.
import type { BlockedInside } from "../../collectors/blocking-stacks.js";
import type { Hook } from "../../collectors/ftrace-hooks.js";
import type { PatchedFunction } from "../../collectors/patched-functions.js";
import type { FunctionProbes, ProbesFacts } from "../../collectors/probes.js";
import type { FunctionRedirection, RedirectionFacts } from "../../collectors/redirection.js";
import type { Fact } from "../../fact.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Facts, type Finding } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";

/** "busy_wait_fn (lp_busy_target)", with the sympos when it is not the first symbol of that name. */
export function functionName(fn: PatchedFunction): string {
  const sympos = fn.sympos !== undefined && fn.sympos > 1 ? `, sympos ${fn.sympos}` : "";
  return `${fn.function} (${fn.object}${sympos})`;
}

/** The subject of a function's findings: "lp_busy/lp_busy_target/busy_wait_fn" (",<sympos>" when given). */
function subjectOf(fn: PatchedFunction): string {
  return `${fn.patch}/${fn.object}/${fn.function}${fn.sympos === undefined ? "" : `,${fn.sympos}`}`;
}

const key = (fn: PatchedFunction): string => `${fn.patch}\0${fn.object}\0${fn.function}\0${fn.sympos ?? ""}`;

function functionFacts(fn: PatchedFunction): Facts {
  return { patch: fn.patch, object: fn.object, function: fn.function, sympos: fn.sympos ?? null };
}

/** Where each file the section reads lives, for "not mounted". */
const MOUNT = {
  tracefs: "tracefs is not mounted (/sys/kernel/tracing, or /sys/kernel/debug/tracing)",
  debugfs: "debugfs is not mounted (/sys/kernel/debug)",
  procfs: "not found",
} as const;

/** Why tracefs, debugfs or a stack could not be read, in words. */
function unknownText(reason: string, filesystem: keyof typeof MOUNT): string {
  if (reason === "not_mounted") return MOUNT[filesystem];
  if (reason === "unreadable") return "readable by root only";
  if (reason === "too_large") return "larger than the exporter reads";
  return reasonText(reason);
}

export function functionsSection(snapshot: Snapshot): SectionResult {
  const { functions, redirection, probes } = snapshot.facts;
  if (functions === undefined && redirection === undefined && probes === undefined) return EMPTY;
  const findings: Finding[] = [];
  const fine: string[] = [];
  if (redirection !== undefined) {
    const summary = redirectionFinding(redirection);
    findings.push(summary);
    if (summary.level === "ok") fine.push("ftrace redirects every patched function");
  }
  if (functions !== undefined) {
    const hooks = new Map<string, FunctionRedirection>((redirection?.functions ?? []).map((f) => [key(f), f]));
    findings.push(
      finding("patched_functions", "info", `${functions.total} patched function(s)`, {
        details: functions.truncated
          ? [`${functions.functions.length} listed, the rest left out at --collector.functions.limit`]
          : [],
        facts: { total: functions.total, listed: functions.functions.length, truncated: functions.truncated },
      }),
    );
    for (const fn of functions.functions) findings.push(functionFinding(fn, hooks.get(key(fn))));
  }
  if (probes !== undefined) {
    findings.push(probesFinding(probes));
    for (const fn of probes.functions) findings.push(...probeFindings(fn));
  }
  return { findings, fine };
}

/** Why a function is not redirected, from ftrace's record of it. */
const NOT_REDIRECTED: Readonly<Record<Extract<Hook, { redirected: false }>["evidence"], string>> = {
  not_traced: "ftrace has no hook on it",
  no_ipmodify: "hooked, but by no user that modifies the IP",
  other_ipmodify_user: "another user that modifies the IP holds it",
};

/** Whether ftrace redirects every function of the enabled patches: one finding, failing when one is not. */
function redirectionFinding(redirection: RedirectionFacts): Finding {
  const { source, checked, notRedirected } = redirection;
  const facts = {
    source: source.state === "ok" ? source.value : null,
    checked: checked.state === "ok" ? checked.value : null,
    not_redirected: notRedirected.state === "ok" ? notRedirected.value : null,
    // The functions not redirected: none when every one is, not known when the check could not be made.
    functions: notRedirected.state === "ok" ? [] : null,
  };
  if (checked.state !== "ok" || notRedirected.state !== "ok") {
    const reason =
      checked.state === "unknown" ? unknownText(checked.reason, "tracefs") : "ftrace has no enabled_functions";
    return finding("redirection", "info", `whether ftrace redirects the patched functions is unknown: ${reason}`, {
      facts: { ...facts, reason: checked.state === "unknown" ? checked.reason : null },
    });
  }
  if (checked.value === 0) {
    return finding("redirection", "info", "no function of an enabled, patched object to check against ftrace", {
      facts,
    });
  }
  if (notRedirected.value === 0) {
    return finding("redirection", "ok", `ftrace redirects all ${checked.value} function(s) of the enabled patches`, {
      facts,
    });
  }
  const missing = redirection.functions.flatMap((f) => (f.hook.redirected ? [] : [{ ...f, hook: f.hook }]));
  return finding(
    "redirection",
    "fail",
    `${notRedirected.value} of ${checked.value} function(s) of enabled patches are not redirected by ftrace: the kernel runs their old code`,
    {
      details: [
        ...missing.map((f) => `${f.patch}: ${functionName(f)}: ${NOT_REDIRECTED[f.hook.evidence]}`),
        ...(missing.length < notRedirected.value ? ["more not listed: --collector.functions.limit"] : []),
      ],
      facts: {
        ...facts,
        functions: missing.map((f) => ({ ...functionFacts(f), evidence: f.hook.evidence })),
      },
    },
  );
}

/** One patched function; its redirection when the redirection collector checked it. */
function functionFinding(fn: PatchedFunction, checked: FunctionRedirection | undefined): Finding {
  const hook = checked?.hook;
  const state = hook === undefined ? "" : hook.redirected ? ", redirected by ftrace" : ", NOT redirected by ftrace";
  return finding("patched_function", "info", `${fn.patch}: ${functionName(fn)}${state}`, {
    subject: subjectOf(fn),
    facts: { ...functionFacts(fn), redirected: hook?.redirected ?? null },
  });
}

function probesFinding(probes: ProbesFacts): Finding {
  const { kprobedFunctions: kprobed, ftraceSharedFunctions: shared, ipmodifyConflicts: conflicts } = probes;
  const value = (fact: Fact<number>): number | null => (fact.state === "ok" ? fact.value : null);
  const facts = {
    kprobed_functions: value(kprobed),
    ftrace_shared_functions: value(shared),
    ipmodify_conflicts: value(conflicts),
    truncated: probes.truncated,
  };
  const unknown = [
    kprobed.state === "unknown" ? `kprobes not checked: ${unknownText(kprobed.reason, "debugfs")}` : undefined,
    shared.state === "unknown" ? `other ftrace users not checked: ${unknownText(shared.reason, "tracefs")}` : undefined,
  ].filter((x) => x !== undefined);
  const details = probes.truncated ? ["more probed functions not listed: --collector.functions.limit"] : [];
  const counts = [
    kprobed.state === "ok" && kprobed.value > 0 ? `${kprobed.value} with kprobes` : undefined,
    shared.state === "ok" && shared.value > 0 ? `${shared.value} with another ftrace user` : undefined,
  ].filter((x) => x !== undefined);
  // A kernel without kprobes (absent) has none on a patched function either.
  const none = unknown.length === 0 && counts.length === 0;
  const text = none
    ? "no kprobe and no other ftrace user on a patched function"
    : [counts.length > 0 ? `patched functions: ${counts.join(", ")}` : undefined, ...unknown]
        .filter((x) => x !== undefined)
        .join("; ");
  return finding("probes", none ? "ok" : "info", text, { details, facts });
}

/** What is attached to one patched function: kprobes in its body or at its entry, other ftrace users. */
function probeFindings(fn: FunctionProbes): Finding[] {
  const findings: Finding[] = [];
  const name = `${fn.patch}: ${functionName(fn)}`;
  const input = (facts: Facts) => ({ subject: subjectOf(fn), facts: { ...functionFacts(fn), ...facts } });
  if (fn.ipmodifyConflict) {
    findings.push(
      finding(
        "ipmodify_conflict",
        "fail",
        `${name} is held by another ftrace user that modifies the IP: the live patch cannot hook it`,
        {
          ...input({ ftrace_users: fn.ftraceUsers }),
          details: ["a kprobe with a post handler (before 5.14), or a BPF trampoline that modifies the return"],
        },
      ),
    );
  }
  if (fn.kprobes.body > 0) {
    findings.push(
      finding(
        "kprobe_in_patched_body",
        "warn",
        `${fn.kprobes.body} kprobe(s) in the body of ${name}: they never fire once every task runs the replacement`,
        {
          ...input({ kprobes: fn.kprobes.body }),
          details: ["probe the replacement instead (its symbol in the live patch module), or the function's entry"],
        },
      ),
    );
  }
  if (fn.kprobes.entry > 0) {
    findings.push(
      finding(
        "kprobe_at_patched_entry",
        "info",
        `${fn.kprobes.entry} kprobe(s) at the entry of ${name}`,
        input({ kprobes: fn.kprobes.entry }),
      ),
    );
  }
  if (!fn.ipmodifyConflict && fn.ftraceUsers > 0) {
    findings.push(
      finding(
        "ftrace_shared",
        "info",
        `${fn.ftraceUsers} other ftrace user(s) on ${name}: a tracer, a kprobe or a BPF program`,
        input({ ftrace_users: fn.ftraceUsers }),
      ),
    );
  }
  return findings;
}

/** Where a blocking thread sleeps, for the line that names it: ", inside busy_wait_fn (lp_busy_target) at ...". */
export function insideText(inside: Fact<BlockedInside | null> | undefined): string {
  if (inside === undefined || inside.state === "absent") return "";
  if (inside.state === "unknown") return `, kernel stack ${unknownText(inside.reason, "procfs")}`;
  if (inside.value === null) return ", not inside a patched function (running, or an unreliable stack)";
  const { object, function: fn, frame, replacement } = inside.value;
  return `, inside ${replacement ? "the replacement " : ""}${fn} (${object}) at ${frame}`;
}

/**
 * The same, as the blocker's facts carry it: both keys always, `inside` null
 * when no patched function is on the stack or the stack is not known, and
 * `stack_unknown` why it is not (the kernel has no stack file: not_found).
 */
export function insideFacts(inside: Fact<BlockedInside | null> | undefined): {
  readonly inside: Facts | null;
  readonly stack_unknown: string | null;
} {
  if (inside === undefined) return { inside: null, stack_unknown: null };
  if (inside.state === "absent") return { inside: null, stack_unknown: "not_found" };
  if (inside.state === "unknown") return { inside: null, stack_unknown: inside.reason };
  if (inside.value === null) return { inside: null, stack_unknown: null };
  const { object, function: fn, frame, replacement } = inside.value;
  return { inside: { object, function: fn, frame, replacement }, stack_unknown: null };
}
