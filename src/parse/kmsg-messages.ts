// What a kernel message (a facility-0 record of /dev/kmsg) says about live
// patching and module loading. The texts are the kernel's own, from
// kernel/livepatch/{core,transition,patch}.c, kernel/module/{main,signing}.c
// (kernel/module.c before 5.19) and security/lockdown/lockdown.c, for the
// versions this exporter supports (4.x to 6.14+); docs/kernel-log.md lists
// them with their versions. A "livepatch: " line this table does not know is
// "other", never dropped.

export const LIVEPATCH_EVENTS = [
  "enabling",
  "disabling",
  "patching_started",
  "unpatching_started",
  "patching_complete",
  "unpatching_complete",
  "signaling",
  "forcing",
  "reversing",
  "enable_failed",
  "cancelling",
  "applying_to_module",
  "apply_failed",
  "module_refused",
  "reverting_from_module",
  "debug",
  "other",
] as const;
export type LivepatchEvent = (typeof LIVEPATCH_EVENTS)[number];

export const MODULE_EVENTS = [
  "taint",
  "verification_failed",
  "signature_rejected",
  "lockdown_rejected",
  "livepatch_unsupported",
] as const;
export type ModuleEvent = (typeof MODULE_EVENTS)[number];

/** Why the kernel refused to load a module, as its log says. modules_disabled=1 refuses silently (EPERM). */
export const REFUSAL_REASONS = [
  "unsigned",
  "unavailable_key",
  "unsupported_crypto",
  "lockdown",
  "livepatch_unsupported",
  "patch_apply_failed",
  "patch_enable_failed",
] as const;
export type RefusalReason = (typeof REFUSAL_REASONS)[number];

export type Direction = "patching" | "unpatching";

/** A line of the livepatch core ("livepatch: ..."). */
export type LivepatchMessage =
  | { readonly kind: "enabling" | "disabling" | "enable_failed"; readonly patch: string }
  | { readonly kind: "start" | "complete"; readonly patch: string; readonly direction: Direction }
  /** signaling and forcing name no patch: they belong to the transition in progress. */
  | { readonly kind: "signaling" | "forcing" }
  | { readonly kind: "applying_to_module" | "reverting_from_module" | "apply_failed"; readonly patch: string }
  | { readonly kind: "module_refused"; readonly patch: string; readonly module: string }
  /** debug: printed only with dynamic debug (pr_debug); other: a line this table does not know. */
  | { readonly kind: "debug" | "other"; readonly patch: string | undefined };

export type KernelMessage =
  | { readonly source: "livepatch"; readonly message: LivepatchMessage }
  | {
      readonly source: "module";
      readonly event: ModuleEvent;
      /** The module the line names; "" when it names none (lockdown, "Disabling lock debugging"). */
      readonly module: string;
      readonly refusal?: RefusalReason;
    };

const LIVEPATCH_PREFIX = "livepatch: ";
/** A patch is named after its module: MODULE_NAME_LEN (64 with the NUL, 56 on some architectures). */
const NAME = "([A-Za-z0-9_-]{1,64})";
const QUOTED = `'${NAME}'`;

const LIVEPATCH_LINES: readonly [RegExp, (m: RegExpExecArray) => LivepatchMessage][] = [
  // core.c, __klp_enable_patch(), every version.
  [new RegExp(`^enabling patch ${QUOTED}$`), (m) => ({ kind: "enabling", patch: at(m, 1) })],
  // core.c, 4.0-4.11 (no consistency model: disabling is immediate).
  [new RegExp(`^disabling patch ${QUOTED}$`), (m) => ({ kind: "disabling", patch: at(m, 1) })],
  // transition.c, klp_start_transition(), 4.12+ (also printed again when a transition is reversed).
  [
    new RegExp(`^${QUOTED}: starting (patching|unpatching) transition$`),
    (m) => ({ kind: "start", patch: at(m, 1), direction: direction(at(m, 2)) }),
  ],
  // transition.c, klp_complete_transition(), 4.12+ (a cancelled enable ends with "unpatching complete").
  [
    new RegExp(`^${QUOTED}: (patching|unpatching) complete$`),
    (m) => ({ kind: "complete", patch: at(m, 1), direction: direction(at(m, 2)) }),
  ],
  // transition.c: 4.15-5.0 on each write of 1 to <patch>/signal, 5.1+ once per transition after 15 retries.
  [/^signaling remaining tasks$/, () => ({ kind: "signaling" })],
  // transition.c, klp_force_transition(), 4.15+: the text says "patched" in both directions.
  [/^forcing remaining tasks to the (?:un)?patched state$/, () => ({ kind: "forcing" })],
  // core.c, __klp_enable_patch() error path, 4.12+: klp_cancel_transition() follows.
  [new RegExp(`^failed to enable patch ${QUOTED}$`), (m) => ({ kind: "enable_failed", patch: at(m, 1) })],
  // core.c, klp_module_coming() / klp_cleanup_module_patches_limited().
  [
    new RegExp(`^applying patch ${QUOTED} to loading module ${QUOTED}$`),
    (m) => ({ kind: "applying_to_module", patch: at(m, 1) }),
  ],
  [
    new RegExp(`^reverting patch ${QUOTED} on unloading module ${QUOTED}$`),
    (m) => ({ kind: "reverting_from_module", patch: at(m, 1) }),
  ],
  [
    new RegExp(`^failed to (?:apply patch ${QUOTED} to|initialize patch ${QUOTED} for) module ${QUOTED} \\(-?\\d+\\)$`),
    (m) => ({ kind: "apply_failed", patch: m[1] ?? at(m, 2) }),
  ],
  [
    new RegExp(`^patch ${QUOTED} failed for module ${QUOTED}, refusing to load module ${QUOTED}$`),
    (m) => ({ kind: "module_refused", patch: at(m, 1), module: at(m, 3) }),
  ],
  // pr_debug (dynamic debug only): initializing/completing, reversing, canceling, and the per-task
  // reasons of klp_try_switch_task() ("klp_try_switch_task: <comm>:<pid> is sleeping on function ...").
  [
    new RegExp(`^${QUOTED}: (?:initializing|completing) (?:patching|unpatching) transition$`),
    (m) => ({ kind: "debug", patch: at(m, 1) }),
  ],
  [new RegExp(`^${QUOTED}: reversing transition from `), (m) => ({ kind: "debug", patch: at(m, 1) })],
  [new RegExp(`^${QUOTED}: canceling patching transition`), (m) => ({ kind: "debug", patch: at(m, 1) })],
  [/^klp_\w+: /, () => ({ kind: "debug", patch: undefined })],
];

const TAINT_LINES: readonly RegExp[] = [
  /^loading out-of-tree module taints kernel\.$/,
  /^tainting kernel with TAINT_LIVEPATCH$/,
  /^module license '.*' taints kernel\.$/,
  /^module license taints kernel\.$/,
  /^module is from the staging directory, the quality is unknown, you have been warned\.$/,
  /^loading test module taints kernel\.$/,
  /^module uses symbols .* from proprietary module .*, inheriting taint\.$/,
  // try_to_force_load(): "<module>: <reason>: kernel tainted."
  /^.+: kernel tainted\.$/,
];

const MODULE_PREFIX = new RegExp(`^${NAME}: (.*)$`);
const SIGNATURE_REJECTED =
  /^[Ll]oading of (unsigned module|module with no signature|module with unsupported crypto|module with unavailable key) is rejected$/;
const LOCKDOWN = /^Lockdown: (.*) is restricted; see man kernel_lockdown\.7$/;

/** Classifies a kernel message; undefined when it is neither live patching nor module loading. */
export function classifyMessage(message: string): KernelMessage | undefined {
  if (message.startsWith(LIVEPATCH_PREFIX)) {
    const body = message.slice(LIVEPATCH_PREFIX.length);
    // 4.0-4.8: the livepatch core itself taints, before "enabling patch".
    if (body === "tainting kernel with TAINT_LIVEPATCH") return { source: "module", event: "taint", module: "" };
    return { source: "livepatch", message: livepatchMessage(body) };
  }
  if (message === "Disabling lock debugging due to kernel taint") {
    return { source: "module", event: "taint", module: "" };
  }
  const lockdown = LOCKDOWN.exec(message);
  if (lockdown !== null) {
    // "Lockdown: <comm>: unsigned module loading is restricted" (5.4+); distribution patches before
    // 5.4 wrote "Lockdown: [<comm>: ]Loading of unsigned module is restricted". Other lockdown
    // restrictions (hibernation, kprobes, tracefs...) are not about modules.
    if (!/\bmodule\b/i.test(at(lockdown, 1))) return undefined;
    return { source: "module", event: "lockdown_rejected", module: "", refusal: "lockdown" };
  }
  // kernel/module/signing.c: "Loading of <reason> is rejected" (5.4-5.9 and 5.19+), with the module's
  // name first in between ("<mod>: Loading of ..." then "<mod>: loading of ...").
  const unprefixed = signatureRejection(message, "");
  if (unprefixed !== undefined) return unprefixed;
  const prefixed = MODULE_PREFIX.exec(message);
  if (prefixed === null) return undefined;
  const module = at(prefixed, 1);
  const rest = at(prefixed, 2);
  const rejected = signatureRejection(rest, module);
  if (rejected !== undefined) return rejected;
  if (rest === "module verification failed: signature and/or required key missing - tainting kernel") {
    return { source: "module", event: "verification_failed", module };
  }
  if (rest === "module is marked as livepatch module, but livepatch support is disabled") {
    return { source: "module", event: "livepatch_unsupported", module, refusal: "livepatch_unsupported" };
  }
  if (TAINT_LINES.some((line) => line.test(rest))) return { source: "module", event: "taint", module };
  return undefined;
}

function signatureRejection(text: string, module: string): KernelMessage | undefined {
  const match = SIGNATURE_REJECTED.exec(text);
  if (match === null) return undefined;
  const what = at(match, 1);
  const refusal: RefusalReason = what.includes("unavailable key")
    ? "unavailable_key"
    : what.includes("unsupported crypto")
      ? "unsupported_crypto"
      : "unsigned";
  return { source: "module", event: "signature_rejected", module, refusal };
}

function livepatchMessage(body: string): LivepatchMessage {
  for (const [pattern, make] of LIVEPATCH_LINES) {
    const match = pattern.exec(body);
    if (match !== null) return make(match);
  }
  // Unknown: keep the patch it names, if it names one ("... patch 'x' ..." or "'x': ...").
  const named = new RegExp(`(?:^|patch )${QUOTED}`).exec(body);
  return { kind: "other", patch: named?.[1] };
}

function direction(text: string): Direction {
  return text === "unpatching" ? "unpatching" : "patching";
}

function at(match: RegExpExecArray, index: number): string {
  return match[index] ?? "";
}
