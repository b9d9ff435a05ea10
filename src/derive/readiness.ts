// "Could a new live patch be loaded on this host right now?" One verdict per
// check and one overall, from the facts of the livepatch, modules and kernel
// collectors. A check whose input is unknown is left out; the overall verdict
// is 0 as soon as one known check fails, 1 only when every check is known and
// passes, and unknown otherwise.
//
// Signature enforcement and lockdown do not block live patching, but they
// allow only signed patch modules: reported beside the verdict.
//
// A transition in progress blocks it for as long as it lasts: the kernel
// enables or disables no other patch while klp_transition_patch is set
// (__klp_enable_patch() returns -EBUSY, so the insmod of a new patch fails).
import { ABSENT, known, type Fact, unknown } from "../fact.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { LivepatchFacts } from "../collectors/livepatch.js";
import type { ModulesFacts } from "../collectors/modules.js";

export const READINESS_CHECKS = [
  "livepatch_built",
  "sysfs_present",
  "modules_supported",
  "modules_not_disabled",
  "ftrace_enabled",
  "no_transition_in_progress",
] as const;
export type ReadinessCheck = (typeof READINESS_CHECKS)[number];

export interface ReadinessFacts {
  /** Each check's verdict; "absent" means the check does not apply (no modules at all). */
  readonly checks: Readonly<Record<ReadinessCheck, Fact<boolean>>>;
  readonly ready: Fact<boolean>;
  /** Only signed patch modules can be loaded (sig_enforce=Y or lockdown integrity/confidentiality). */
  readonly signedPatchesOnly: Fact<boolean>;
}

export interface ReadinessInputs {
  readonly livepatch: LivepatchFacts | undefined;
  readonly modules: ModulesFacts | undefined;
  readonly kernel: KernelFacts | undefined;
}

export function readiness(inputs: ReadinessInputs): ReadinessFacts {
  const checks = readinessChecks(inputs);
  return { checks, ready: overall(Object.values(checks)), signedPatchesOnly: signedOnly(inputs.modules) };
}

function readinessChecks({ livepatch, modules, kernel }: ReadinessInputs): Record<ReadinessCheck, Fact<boolean>> {
  const config = kernel?.config.state === "ok" ? kernel.config.value : undefined;
  const sysfs: Fact<boolean> = livepatch === undefined ? unknown("dependency_failed") : known(livepatch.sysfsPresent);

  // The sysfs directory proves the core is built; the config can prove it is not.
  let built: Fact<boolean> = unknown("not_found");
  if (livepatch?.sysfsPresent === true || config?.options.CONFIG_LIVEPATCH === "y") built = known(true);
  else if (config !== undefined) built = known(false);

  const supported = modules?.supported ?? unknown("dependency_failed");
  let notDisabled: Fact<boolean> = unknown("dependency_failed");
  if (modules !== undefined) {
    const disabled = modules.disabled;
    if (supported.state === "ok" && !supported.value) notDisabled = { state: "absent" };
    else
      notDisabled =
        disabled.state === "ok"
          ? known(!disabled.value)
          : disabled.state === "absent"
            ? unknown("not_found")
            : disabled;
  }

  // Without CONFIG_FUNCTION_TRACER there is no ftrace_enabled, and no live patching either.
  let ftrace: Fact<boolean> = unknown("dependency_failed");
  if (modules !== undefined) ftrace = modules.ftraceEnabled.state === "absent" ? known(false) : modules.ftraceEnabled;

  return {
    livepatch_built: built,
    sysfs_present: sysfs,
    modules_supported: supported,
    modules_not_disabled: notDisabled,
    ftrace_enabled: ftrace,
    no_transition_in_progress: noTransition(livepatch),
  };
}

/** A patch's transition attribute reads 1 exactly while it is klp_transition_patch. */
function noTransition(livepatch: LivepatchFacts | undefined): Fact<boolean> {
  if (livepatch === undefined) return unknown("dependency_failed");
  if (!livepatch.sysfsPresent) return ABSENT; // no live patching: the check does not apply
  const transitions = livepatch.patches.map((p) => p.transition);
  if (transitions.some((t) => t.state === "ok" && t.value)) return known(false);
  // Kernels before 4.12 have no transition attribute: patches switch at once.
  const unread = transitions.find((t) => t.state === "unknown");
  if (unread !== undefined) return unread;
  return livepatch.undecodable.length > 0 ? unknown("invalid") : known(true);
}

function overall(checks: readonly Fact<boolean>[]): Fact<boolean> {
  if (checks.some((c) => c.state === "ok" && !c.value)) return known(false);
  if (checks.every((c) => c.state === "absent" || (c.state === "ok" && c.value))) return known(true);
  return unknown("dependency_failed");
}

function signedOnly(modules: ModulesFacts | undefined): Fact<boolean> {
  if (modules === undefined) return unknown("dependency_failed");
  const enforce = modules.sigEnforce;
  const lockdown = modules.lockdown;
  const lockedDown = lockdown.state === "ok" ? lockdown.value.active !== "none" : undefined;
  if ((enforce.state === "ok" && enforce.value) || lockedDown === true) return known(true);
  // sig_enforce absent: no module signing at all, so nothing forces signatures.
  const enforceKnownOff = (enforce.state === "ok" && !enforce.value) || enforce.state === "absent";
  const lockdownKnownOff = lockedDown === false || lockdown.state === "absent";
  if (enforceKnownOff && lockdownKnownOff) return known(false);
  return unknown(lockdown.state === "unknown" ? lockdown.reason : "dependency_failed");
}
