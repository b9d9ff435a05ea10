// The answer to "is live patching working on this machine, and is it
// suitable?", built from one Snapshot. Rendered as text and JSON by the
// `check` command and as HTML by the landing page.
import type { Fact } from "../fact.js";
import { CLIENT_NAMES, type ClientName } from "../clients/names.js";
import { CLIENTS } from "../clients/registry.js";
import type { ClientFacts } from "../collectors/client.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { LivepatchFacts } from "../collectors/livepatch.js";
import type { ModulesFacts } from "../collectors/modules.js";
import type { TaintFacts } from "../collectors/taint.js";
import type { TransitionFacts } from "../collectors/transition.js";
import type { ModuleWithoutPatch } from "../derive/modules.js";
import type { ReadinessCheck, ReadinessFacts } from "../derive/readiness.js";
import type { RebootFacts, RebootReason } from "../derive/reboot.js";
import type { CollectorName } from "../registry.js";
import type { Snapshot } from "../snapshot/snapshot.js";
import { functionsSection, insideText } from "./report-functions.js";

/** ok: as it should be; info: worth knowing; warn: a problem to look at; fail: live patching cannot work. */
export type Level = "ok" | "info" | "warn" | "fail";

export interface Finding {
  readonly level: Level;
  readonly text: string;
}

export interface Section {
  readonly title: string;
  readonly findings: readonly Finding[];
}

export type Verdict = "healthy" | "problems" | "unreadable";

export interface Report {
  readonly verdict: Verdict;
  /** 0 healthy, 1 a problem was found, 2 the host could not be read. */
  readonly exitCode: 0 | 1 | 2;
  readonly summary: string;
  readonly ready: boolean | undefined;
  readonly sections: readonly Section[];
}

/** Without these the report cannot say anything trustworthy about the host. */
const ESSENTIAL: readonly CollectorName[] = ["kernel", "livepatch", "modules", "taint"];

export function buildReport(snapshot: Snapshot): Report {
  const { facts, derived } = snapshot;
  const failed = snapshot.runs.filter((run) => !run.success);
  const sections: Section[] = [
    kernelSection(facts.kernel),
    configSection(facts.kernel),
    readinessSection(derived.readiness, facts.livepatch, facts.modules),
    patchesSection(facts.livepatch, facts.transition, derived.modulesWithoutPatch),
    functionsSection({ functions: facts.functions, redirection: facts.redirection, probes: facts.probes }),
    taintSection(facts.taint),
    rebootSection(derived.reboot, clientFacts(snapshot)),
    clientsSection(clientFacts(snapshot)),
  ];
  if (failed.length > 0) {
    sections.push({
      title: "Exporter",
      findings: failed.map((run) => ({
        level: "fail",
        text: `collector ${run.name} failed: ${run.error ?? "unknown error"}`,
      })),
    });
  }
  const ready = derived.readiness?.ready.state === "ok" ? derived.readiness.ready.value : undefined;
  const unreadable = failed.some((run) => ESSENTIAL.includes(run.name));
  const problem = sections.some((s) => s.findings.some((f) => f.level === "warn" || f.level === "fail"));
  const verdict: Verdict = unreadable ? "unreadable" : problem ? "problems" : "healthy";
  return {
    verdict,
    exitCode: verdict === "healthy" ? 0 : verdict === "problems" ? 1 : 2,
    summary: summaryLine(verdict, ready),
    ready,
    sections,
  };
}

function summaryLine(verdict: Verdict, ready: boolean | undefined): string {
  if (verdict === "unreadable") return "The host could not be read completely; see the failures below.";
  const readiness =
    ready === true
      ? "A live patch can be loaded on this host."
      : ready === false
        ? "A live patch cannot be loaded on this host."
        : "Whether a live patch can be loaded is unknown.";
  return verdict === "healthy" ? `${readiness} No problems found.` : `${readiness} Problems found.`;
}

const finding = (level: Level, text: string): Finding => ({ level, text });

function why(fact: Fact<unknown>): string {
  return fact.state === "unknown"
    ? `unknown (${fact.reason.replace(/_/g, " ")})`
    : fact.state === "absent"
      ? "absent"
      : "known";
}

function kernelSection(kernel: KernelFacts | undefined): Section {
  const findings: Finding[] = [];
  if (kernel === undefined) return { title: "Kernel", findings: [finding("fail", "kernel facts could not be read")] };
  const version = kernel.version.state === "ok" ? ` ${kernel.version.value}` : "";
  findings.push(finding("info", `running ${kernel.release}${version} (${kernel.machine})`));
  if (kernel.osRelease.state === "ok") {
    const os = kernel.osRelease.value;
    findings.push(finding("info", `OS: ${os.get("PRETTY_NAME") ?? os.get("NAME") ?? os.get("ID") ?? "unnamed"}`));
  } else {
    findings.push(finding("info", `OS: os-release ${why(kernel.osRelease)}`));
  }
  if (kernel.bootTimeSeconds.state === "ok") {
    findings.push(finding("info", `booted ${new Date(kernel.bootTimeSeconds.value * 1000).toISOString()}`));
  }
  return { title: "Kernel", findings };
}

function configSection(kernel: KernelFacts | undefined): Section {
  const title = "Build configuration";
  if (kernel === undefined) return { title, findings: [] };
  if (kernel.config.state !== "ok") {
    return {
      title,
      findings: [
        finding(
          "info",
          "no kernel configuration found (/proc/config.gz, /boot/config-<release>, /lib/modules/<release>/config)",
        ),
      ],
    };
  }
  const { source, path, options } = kernel.config.value;
  const on = (name: keyof typeof options): boolean => options[name] === "y" || options[name] === "m";
  const findings: Finding[] = [finding("info", `read from ${path} (${source})`)];
  const arch = on("CONFIG_HAVE_LIVEPATCH")
    ? "CONFIG_HAVE_LIVEPATCH=y: the architecture supports live patching"
    : "CONFIG_HAVE_LIVEPATCH is not set: the architecture does not support live patching";
  findings.push(finding(on("CONFIG_HAVE_LIVEPATCH") ? "info" : "fail", arch));
  findings.push(
    on("CONFIG_LIVEPATCH")
      ? finding("ok", "CONFIG_LIVEPATCH=y: this kernel is built with live patching")
      : finding("fail", "CONFIG_LIVEPATCH is not set: this kernel was built without live patching"),
  );
  findings.push(
    on("CONFIG_MODULES")
      ? finding("ok", "CONFIG_MODULES=y: the kernel can load modules")
      : finding(
          "fail",
          "CONFIG_MODULES is not set: the kernel cannot load modules at all, so no live patch module can be loaded",
        ),
  );
  const ftrace = on("CONFIG_DYNAMIC_FTRACE_WITH_REGS") || on("CONFIG_DYNAMIC_FTRACE_WITH_ARGS");
  findings.push(
    ftrace
      ? finding("ok", "CONFIG_DYNAMIC_FTRACE_WITH_REGS/ARGS: the ftrace flavour live patches ride on is built")
      : finding(
          "fail",
          "neither CONFIG_DYNAMIC_FTRACE_WITH_REGS nor _WITH_ARGS is set: live patches cannot redirect functions",
        ),
  );
  findings.push(
    on("CONFIG_HAVE_RELIABLE_STACKTRACE")
      ? finding("ok", "CONFIG_HAVE_RELIABLE_STACKTRACE=y: transitions can switch sleeping tasks")
      : finding("warn", "CONFIG_HAVE_RELIABLE_STACKTRACE is not set: transitions may never complete"),
  );
  const sig = on("CONFIG_MODULE_SIG_FORCE")
    ? "CONFIG_MODULE_SIG_FORCE=y: only signed modules load"
    : on("CONFIG_MODULE_SIG")
      ? "CONFIG_MODULE_SIG=y, not forced: unsigned modules load with taint E unless enforcement is switched on"
      : "CONFIG_MODULE_SIG is not set: modules are not signature-checked";
  findings.push(finding("info", sig));
  if (on("CONFIG_SECURITY_LOCKDOWN_LSM"))
    findings.push(finding("info", "CONFIG_SECURITY_LOCKDOWN_LSM=y: lockdown can restrict unsigned modules"));
  return { title, findings };
}

const CHECK_TEXT: Readonly<Record<ReadinessCheck, [pass: string, fail: string]>> = {
  livepatch_built: [
    "live patching is built into the kernel",
    "live patching is not built into the kernel (CONFIG_LIVEPATCH)",
  ],
  sysfs_present: ["/sys/kernel/livepatch is present", "/sys/kernel/livepatch is absent"],
  modules_supported: [
    "the kernel supports loadable modules",
    "the kernel has no module support (CONFIG_MODULES is not set)",
  ],
  modules_not_disabled: [
    "module loading is allowed (modules_disabled=0)",
    "module loading is switched off until reboot (modules_disabled=1)",
  ],
  ftrace_enabled: ["ftrace is enabled (ftrace_enabled=1)", "ftrace is disabled or not built (ftrace_enabled)"],
  no_transition_in_progress: [
    "no live patch transition is in progress",
    "a live patch transition is in progress: the kernel refuses to enable or disable another patch until it completes",
  ],
};

function readinessSection(
  readiness: ReadinessFacts | undefined,
  livepatch: LivepatchFacts | undefined,
  modules: ModulesFacts | undefined,
): Section {
  const findings: Finding[] = [];
  if (readiness !== undefined) {
    for (const [check, fact] of Object.entries(readiness.checks) as [ReadinessCheck, Fact<boolean>][]) {
      const [pass, fail] = CHECK_TEXT[check];
      if (fact.state === "ok") findings.push(finding(fact.value ? "ok" : "fail", fact.value ? pass : fail));
      else if (fact.state === "unknown") findings.push(finding("info", `${check.replace(/_/g, " ")}: ${why(fact)}`));
    }
  }
  if (modules !== undefined) {
    const enforce = modules.sigEnforce;
    if (enforce.state === "ok") {
      findings.push(
        finding(
          "info",
          enforce.value
            ? "sig_enforce=Y: only signed patch modules can be loaded"
            : "sig_enforce=N: unsigned modules are accepted (with taint E)",
        ),
      );
    }
    const lockdown = modules.lockdown;
    if (lockdown.state === "ok") {
      const mode = lockdown.value.active;
      findings.push(
        finding("info", mode === "none" ? "lockdown: none" : `lockdown: ${mode}: unsigned modules are rejected`),
      );
    } else if (lockdown.state === "unknown") {
      const reason =
        lockdown.reason === "not_mounted" ? "securityfs is not mounted at /sys/kernel/security" : why(lockdown);
      findings.push(finding("info", `lockdown: unknown, ${reason}`));
    }
    const ftraceOff = modules.ftraceEnabled.state === "ok" && !modules.ftraceEnabled.value;
    const anyEnabled = livepatch?.patches.some((p) => p.enabled.state === "ok" && p.enabled.value) ?? false;
    if (ftraceOff && anyEnabled) {
      findings.push(
        finding(
          "fail",
          "ftrace_enabled=0 while patches are enabled: on kernels before 5.5 the patches are silently inactive",
        ),
      );
    }
  }
  return { title: "Readiness", findings };
}

function patchesSection(
  livepatch: LivepatchFacts | undefined,
  transition: TransitionFacts | undefined,
  orphans: Fact<readonly ModuleWithoutPatch[]> | undefined,
): Section {
  const findings: Finding[] = [];
  if (livepatch === undefined)
    return { title: "Live patches", findings: [finding("fail", "live patches could not be read")] };
  if (!livepatch.sysfsPresent)
    findings.push(finding("info", "no /sys/kernel/livepatch: no upstream live patches can exist"));
  else if (livepatch.patches.length === 0) findings.push(finding("info", "no live patch is loaded"));
  for (const patch of livepatch.patches) {
    const status = patch.status.state === "ok" ? patch.status.value : why(patch.status);
    const functions = patch.objects.reduce((n, o) => n + (o.functions.state === "ok" ? o.functions.value : 0), 0);
    const objects = patch.objects.map((o) =>
      o.patched.state === "ok" ? `${o.name}${o.patched.value ? "" : " (not patched)"}` : o.name,
    );
    const extras = [
      patch.replace.state === "ok" ? `replace=${patch.replace.value ? 1 : 0}` : undefined,
      patch.stackOrder.state === "ok" ? `stack_order=${patch.stackOrder.value}` : undefined,
    ].filter((x) => x !== undefined);
    const level: Level = status === "applied" ? "ok" : "warn";
    const suffix = extras.length > 0 ? `; ${extras.join(", ")}` : "";
    findings.push(
      finding(
        level,
        `${patch.name}: ${status}; ${functions} function(s) in ${objects.join(", ") || "no object"}${suffix}`,
      ),
    );
  }
  const active = transition?.active;
  if (active !== undefined) {
    const blocking =
      active.blocking.state === "ok"
        ? `${active.blocking.value} thread(s) blocking`
        : `blocking threads ${why(active.blocking)} (${active.threads.unreadable} unreadable${active.truncated ? ", walk truncated" : ""})`;
    findings.push(finding("warn", `transition in progress: ${active.patch} ${active.direction}, ${blocking}`));
    for (const t of active.blockers) {
      findings.push(finding("info", `  blocked by pid ${t.pid} tid ${t.tid} ${t.comm}${insideText(t.inside)}`));
    }
  }
  if (orphans?.state === "ok") {
    for (const m of orphans.value) {
      findings.push(finding("warn", `module ${m.module} (${m.state}) is a live patch module with no active patch`));
    }
  }
  return { title: "Live patches", findings };
}

function taintSection(taint: TaintFacts | undefined): Section {
  if (taint === undefined)
    return { title: "Taint", findings: [finding("fail", "/proc/sys/kernel/tainted could not be read")] };
  const set = taint.decoded.flags.filter((f) => f.set);
  if (taint.value === 0n) return { title: "Taint", findings: [finding("ok", "not tainted (0)")] };
  const findings: Finding[] = [finding("info", `tainted: ${taint.value}`)];
  for (const { flag } of set) {
    const level: Level = flag.kind === "error" ? "warn" : "info";
    const note = flag.letter === "K" ? " (a live patch module was loaded since boot; not proof one is active)" : "";
    findings.push(finding(level, `${flag.letter} bit ${flag.bit} ${flag.name}: ${flag.description}${note}`));
  }
  for (const bit of taint.decoded.unknownBits) {
    findings.push(finding("info", `bit ${bit}: not an upstream taint bit (distribution-specific)`));
  }
  return { title: "Taint", findings };
}

const REBOOT_TEXT: Readonly<Record<RebootReason, string>> = {
  reboot_required_file: "/run/reboot-required exists",
  reboot_needed_file: "/run/reboot-needed exists",
  newer_kernel_installed: "a newer kernel is installed",
  running_kernel_modules_missing: "the running kernel's /lib/modules directory is gone",
};

interface ClientReport {
  readonly facts: ClientFacts;
  readonly rebootCanWait: Fact<boolean> | undefined;
}

/** The facts of every client collector that ran, in documentation order. */
function clientFacts(snapshot: Snapshot): [ClientName, ClientReport][] {
  return CLIENT_NAMES.flatMap((name): [ClientName, ClientReport][] => {
    const facts = snapshot.facts[name];
    return facts === undefined ? [] : [[name, { facts, rebootCanWait: snapshot.derived.rebootCanWait[name] }]];
  });
}

function rebootSection(reboot: RebootFacts | undefined, clients: readonly [ClientName, ClientReport][]): Section {
  const title = "Reboot";
  if (reboot === undefined) return { title, findings: [finding("info", "reboot state could not be read")] };
  const findings: Finding[] = [];
  for (const [reason, fact] of Object.entries(reboot.reasons) as [
    RebootReason,
    RebootFacts["reasons"][RebootReason],
  ][]) {
    if (fact.state === "ok" && fact.value.required) {
      let text = `reboot required: ${REBOOT_TEXT[reason]}`;
      if (reason === "newer_kernel_installed" && reboot.newestKernel.state === "ok")
        text += ` (${reboot.newestKernel.value})`;
      if (reason === "reboot_required_file" && reboot.packages.state === "ok" && reboot.packages.value.length > 0) {
        text += ` (${reboot.packages.value.join(", ")})`;
      }
      findings.push(finding("warn", text));
    } else if (fact.state === "unknown") {
      findings.push(finding("info", `cannot tell whether ${REBOOT_TEXT[reason]}: ${why(fact)}`));
    }
  }
  if (!findings.some((f) => f.level === "warn")) findings.unshift(finding("ok", "no reboot required"));
  for (const [name, { rebootCanWait: wait }] of clients) {
    if (wait?.state !== "ok") continue;
    findings.push(
      finding(
        "info",
        wait.value
          ? `the reboot can wait: ${name} says the running kernel is covered and its patches are applied`
          : `${name} does not vouch for postponing the reboot`,
      ),
    );
  }
  return { title, findings };
}

function clientsSection(clients: readonly [ClientName, ClientReport][]): Section {
  const findings: Finding[] = [];
  for (const [name, { facts }] of clients) {
    const who = `${name} (${CLIENTS[name].title}, ${facts.binary})`;
    const last = facts.last;
    if (last === undefined) {
      findings.push(finding("info", `${who}: no run has finished yet`));
      continue;
    }
    if (!last.outcome.ok) {
      findings.push(finding("warn", `${who}: ${last.outcome.reason.replace(/_/g, " ")}: ${last.outcome.message}`));
      continue;
    }
    const view = last.outcome.view;
    const summary = [
      view.state === undefined ? undefined : `state ${view.state.current}`,
      view.supportState === undefined ? undefined : `support ${view.supportState.current}`,
      view.patches === undefined
        ? undefined
        : `patches ${[...view.patches].map(([state, n]) => `${state} ${n}`).join(", ")}`,
      view.fixes === undefined ? undefined : `${view.fixes.filter((f) => f.patched).length} fix(es) applied`,
      view.effectiveKernel === undefined ? undefined : `effective kernel ${view.effectiveKernel}`,
      view.coverageEndSeconds === undefined
        ? undefined
        : `coverage ends ${new Date(view.coverageEndSeconds * 1000).toISOString().slice(0, 10)}`,
    ].filter((part) => part !== undefined);
    findings.push(finding(view.problems.length > 0 ? "warn" : "ok", `${who}: ${summary.join("; ") || "up"}`));
    for (const problem of view.problems) findings.push(finding("warn", `  ${problem}`));
    for (const detail of view.details) findings.push(finding("info", `  ${detail}`));
  }
  return { title: "Live-patch clients", findings };
}
