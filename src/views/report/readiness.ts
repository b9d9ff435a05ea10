// Readiness: could a new live patch be loaded now, check by check (the
// derived readiness facts), the effective module signature policy once, and
// ftrace switched off under enabled patches.
import type { Fact } from "../../fact.js";
import type { KernelFacts } from "../../collectors/kernel.js";
import type { LivepatchFacts } from "../../collectors/livepatch.js";
import type { ModulesFacts } from "../../collectors/modules.js";
import type { TransitionFacts } from "../../collectors/transition.js";
import type { KmsgDerived } from "../../derive/kmsg.js";
import { READINESS_CHECKS, type ReadinessCheck, type ReadinessFacts } from "../../derive/readiness.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Facts, type Finding } from "./finding.js";
import { insideFacts, insideText } from "./functions.js";
import { EMPTY, type SectionResult } from "./section.js";
import { transitionAge } from "./transition-start.js";

/** Each check when it passes, in a few words for the "Fine:" line, and what is asked when it cannot be told. */
const PASS: Readonly<Record<ReadinessCheck, [text: string, fine: string, question: string]>> = {
  livepatch_built: ["live patching is built into the kernel", "live patching is built in", "live patching is built in"],
  sysfs_present: [
    "/sys/kernel/livepatch is present",
    "/sys/kernel/livepatch is present",
    "/sys/kernel/livepatch is present",
  ],
  modules_supported: ["the kernel supports loadable modules", "modules are supported", "the kernel supports modules"],
  modules_not_disabled: [
    "module loading is allowed (modules_disabled=0)",
    "module loading is allowed",
    "module loading is allowed (modules_disabled)",
  ],
  ftrace_enabled: ["ftrace is enabled (ftrace_enabled=1)", "ftrace is on", "ftrace is on (ftrace_enabled)"],
  no_transition_in_progress: [
    "no live patch transition is in progress",
    "no transition is in progress",
    "a transition is in progress",
  ],
};

interface Inputs {
  readonly livepatch: LivepatchFacts | undefined;
  readonly modules: ModulesFacts | undefined;
  readonly kernel: KernelFacts | undefined;
  readonly transition: TransitionFacts | undefined;
  /** When the transition in progress started, by the kernel log (kmsg), and the snapshot's time. */
  readonly kmsg: KmsgDerived | undefined;
  readonly nowMs: number;
}

export function readinessSection(snapshot: Snapshot): SectionResult {
  const readiness = snapshot.derived.readiness;
  const { livepatch, modules, kernel, transition } = snapshot.facts;
  const inputs: Inputs = {
    livepatch,
    modules,
    kernel,
    transition,
    kmsg: snapshot.derived.kmsg,
    nowMs: snapshot.takenAtMs,
  };
  const findings: Finding[] = [];
  const fine: string[] = [];
  if (readiness !== undefined) {
    for (const check of READINESS_CHECKS) {
      const fact = readiness.checks[check];
      if (fact.state === "absent") continue; // does not apply to this kernel
      if (fact.state === "unknown") {
        findings.push(
          finding(check, "info", `cannot tell whether ${PASS[check][2]} (${reasonText(fact.reason)})`, {
            facts: { passed: null, reason: fact.reason, ...checkInputs(check, inputs) },
          }),
        );
      } else if (fact.value) {
        findings.push(finding(check, "ok", PASS[check][0], { facts: { passed: true, ...checkInputs(check, inputs) } }));
        fine.push(PASS[check][1]);
      } else {
        findings.push(failed(check, inputs));
      }
    }
    const policy = signaturePolicy(readiness, modules, kernel);
    if (policy !== undefined) findings.push(policy);
  }
  const ftrace = ftraceUnderPatches(modules, livepatch);
  if (ftrace !== undefined) findings.push(ftrace);
  if (findings.length === 0) return EMPTY;
  return { findings, fine: readiness === undefined ? [] : summarise(readiness, fine) };
}

/** "every readiness check passes", "every other readiness check passes", or the ones that do. */
function summarise(readiness: ReadinessFacts, passing: readonly string[]): string[] {
  const facts = Object.values(readiness.checks);
  if (facts.some((c) => c.state === "unknown")) return [...passing];
  const failing = facts.filter((c) => c.state === "ok" && !c.value).length;
  if (passing.length === 0) return [];
  return [failing === 0 ? "every readiness check passes" : "every other readiness check passes"];
}

/** The value each check was decided on, as the kernel names it; null when it could not be read. */
function checkInputs(check: ReadinessCheck, { modules, kernel }: Inputs): Facts {
  const config = kernel?.config.state === "ok" ? kernel.config.value : undefined;
  switch (check) {
    case "livepatch_built":
      return { CONFIG_LIVEPATCH: config?.options.CONFIG_LIVEPATCH ?? null };
    case "modules_supported":
      return { CONFIG_MODULES: config?.options.CONFIG_MODULES ?? null };
    case "modules_not_disabled":
      return { modules_disabled: modules?.disabled.state === "ok" ? modules.disabled.value : null };
    case "ftrace_enabled":
      return { ftrace_enabled: modules?.ftraceEnabled.state === "ok" ? modules.ftraceEnabled.value : null };
    case "sysfs_present":
    case "no_transition_in_progress":
      return {};
  }
}

function failed(check: ReadinessCheck, inputs: Inputs): Finding {
  const { kernel } = inputs;
  const facts = { passed: false, ...checkInputs(check, inputs) };
  const config = kernel?.config.state === "ok" ? kernel.config.value : undefined;
  switch (check) {
    case "livepatch_built":
      return finding(
        check,
        "fail",
        config === undefined
          ? "live patching is not built into the kernel"
          : `live patching is not built into the kernel (CONFIG_LIVEPATCH is not set in ${config.path})`,
        { facts },
      );
    case "sysfs_present":
      return finding(check, "fail", "/sys/kernel/livepatch is absent", {
        details: [
          config?.options.CONFIG_LIVEPATCH === "y"
            ? "the kernel is built with live patching: its core did not initialise, or sysfs is not the host's (--path.sysfs)"
            : "without it no live patch can be enabled",
        ],
        facts,
      });
    case "modules_supported":
      return finding(check, "fail", "the kernel has no module support (CONFIG_MODULES is not set)", {
        details: [
          "a live patch is a module: none can ever be loaded into this kernel; a kernel built with it is needed",
        ],
        facts,
      });
    case "modules_not_disabled":
      return finding(check, "fail", "module loading is switched off until reboot (modules_disabled=1)", {
        details: ["the kernel refuses every module, live patches included (EPERM); only a reboot undoes it"],
        facts,
      });
    case "ftrace_enabled":
      return finding(check, "fail", "ftrace is disabled or not built (ftrace_enabled)", {
        details: ["live patches redirect functions through ftrace: none can be enabled without it"],
        facts,
      });
    case "no_transition_in_progress":
      return transitionInProgress(inputs);
  }
}

/** The stuck (or running) transition: the patch, its direction, since when (kernel log), and who blocks it. */
function transitionInProgress({ livepatch, transition, kmsg, nowMs }: Inputs): Finding {
  const refuses = "until it completes the kernel refuses to enable or disable any other patch (EBUSY)";
  const active = transition?.active;
  if (active === undefined) {
    const patch = livepatch?.patches.find((p) => p.transition.state === "ok" && p.transition.value);
    const name = patch?.name ?? "a patch";
    const status = patch?.status.state === "ok" ? patch.status.value : undefined;
    const direction = status === "patching" || status === "unpatching" ? status : null;
    const age = transitionAge(kmsg, patch?.name, nowMs);
    return finding(
      "no_transition_in_progress",
      "fail",
      `a transition is in progress (${name}, ${direction ?? "in transition"})`,
      {
        subject: patch?.name,
        details: [...age.details, refuses],
        facts: { passed: false, patch: patch?.name ?? null, direction, blocking_threads: null, ...age.facts },
      },
    );
  }
  const age = transitionAge(kmsg, active.patch, nowMs);
  const blocking = active.blocking;
  const who =
    blocking.state === "ok"
      ? blocking.value === 0
        ? "no thread blocks it any more"
        : `${blocking.value} ${blocking.value === 1 ? "thread blocks" : "threads block"} it`
      : `the threads that block it are unknown (${active.threads.unreadable} unreadable${active.truncated ? ", walk truncated at --collector.transition.max-threads" : ""})`;
  const details = [...age.details, refuses];
  for (const t of active.blockers)
    details.push(`blocked by pid ${t.pid} tid ${t.tid} ${t.comm}${insideText(t.inside)}`);
  if (blocking.state === "ok" && blocking.value > active.blockers.length) {
    details.push(
      active.blockers.length === 0
        ? "run with --collector.transition.blocking-threads to name the blocking threads"
        : `${blocking.value - active.blockers.length} more blocking thread(s) not listed (--collector.transition.blocking-threads-limit)`,
    );
  }
  if (blocking.state !== "ok" && active.threads.unreadable > 0) {
    details.push(
      "reading other users' threads needs CAP_DAC_READ_SEARCH (deploy/systemd/drop-ins/transition-threads.conf)",
    );
  }
  return finding(
    "no_transition_in_progress",
    "fail",
    `a transition is in progress (${active.patch}, ${active.direction}) and ${who}`,
    {
      subject: active.patch,
      details,
      facts: {
        passed: false,
        patch: active.patch,
        direction: active.direction,
        blocking_threads: blocking.state === "ok" ? blocking.value : null,
        threads: { ...active.threads },
        truncated: active.truncated,
        // Named only with --collector.transition.blocking-threads: otherwise not known, not none.
        blockers: active.listed
          ? active.blockers.map((t) => ({ pid: t.pid, tid: t.tid, comm: t.comm, ...insideFacts(t.inside) }))
          : null,
        ...age.facts,
      },
    },
  );
}

/**
 * The module signature policy in force, said once: lockdown (integrity or
 * confidentiality) rejects unsigned modules whatever sig_enforce says; with
 * no lockdown, sig_enforce decides; without CONFIG_MODULE_SIG nothing is
 * checked.
 */
function signaturePolicy(
  readiness: ReadinessFacts,
  modules: ModulesFacts | undefined,
  kernel: KernelFacts | undefined,
): Finding | undefined {
  if (modules === undefined) return undefined;
  const supported = modules.supported;
  if (supported.state === "ok" && !supported.value) return undefined; // no modules: no policy to speak of
  const enforce = modules.sigEnforce;
  const lockdown = modules.lockdown;
  const sigForce = kernel?.config.state === "ok" ? kernel.config.value.options.CONFIG_MODULE_SIG_FORCE : null;
  const forced = sigForce === "y";
  const sig = enforce.state === "ok" ? (enforce.value ? "Y" : "N") : null;
  const mode = lockdown.state === "ok" ? lockdown.value.active : null;
  const facts = {
    signed_only: factValue(readiness.signedPatchesOnly),
    sig_enforce: sig,
    lockdown: mode,
    lockdown_unknown: lockdown.state === "unknown" ? lockdown.reason : null,
    CONFIG_MODULE_SIG_FORCE: sigForce,
  };
  const trusted = "a live patch must be signed with a key the kernel trusts";
  let text: string;
  const details: string[] = [];
  if (mode !== null && mode !== "none") {
    text = `only signed modules load: lockdown=${mode} rejects unsigned ones`;
    if (sig === "N")
      details.push("sig_enforce=N does not matter under lockdown: the kernel still refuses unsigned modules (EPERM)");
    details.push(trusted);
  } else if (sig === "Y") {
    text = `only signed modules load (sig_enforce=Y${forced ? ", CONFIG_MODULE_SIG_FORCE" : ""})`;
    details.push(trusted);
  } else if (enforce.state === "absent") {
    text = "modules are not signature-checked (the kernel has no CONFIG_MODULE_SIG)";
  } else if (sig === "N" && (mode === "none" || lockdown.state === "absent")) {
    text = `unsigned modules load (sig_enforce=N, ${mode === null ? "no lockdown LSM" : "lockdown=none"}); they taint the kernel E`;
  } else if (sig === "N") {
    const why =
      lockdown.state === "unknown" && lockdown.reason === "not_mounted"
        ? "securityfs is not mounted at /sys/kernel/security"
        : `lockdown is ${lockdown.state === "unknown" ? `unknown (${reasonText(lockdown.reason)})` : "not known"}`;
    text = "unsigned modules load unless lockdown is on (sig_enforce=N)";
    details.push(`${why}: whether lockdown rejects unsigned modules cannot be told`);
  } else {
    text = `the module signature policy is unknown (sig_enforce ${enforce.state === "unknown" ? reasonText(enforce.reason) : "unknown"})`;
  }
  return finding("module_signature_policy", "info", text, { details, facts });
}

function factValue(fact: Fact<boolean>): boolean | null {
  return fact.state === "ok" ? fact.value : null;
}

/** Before 5.5, ftrace_enabled=0 silently turns every enabled patch off. */
function ftraceUnderPatches(
  modules: ModulesFacts | undefined,
  livepatch: LivepatchFacts | undefined,
): Finding | undefined {
  const off = modules?.ftraceEnabled.state === "ok" && !modules.ftraceEnabled.value;
  const enabled = livepatch?.patches.filter((p) => p.enabled.state === "ok" && p.enabled.value) ?? [];
  if (!off || enabled.length === 0) return undefined;
  return finding(
    "ftrace_disabled_with_patches",
    "fail",
    "ftrace_enabled=0 while patches are enabled: on kernels before 5.5 the patches are silently inactive",
    { facts: { ftrace_enabled: false, enabled_patches: enabled.map((p) => p.name) } },
  );
}
