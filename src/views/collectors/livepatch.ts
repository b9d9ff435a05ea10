// The livepatch collector's metrics: every patch, its attributes and objects;
// and the live patch modules loaded without a patch (derived with the modules
// collector's module list).
import { unknown } from "../../fact.js";
import { PATCH_STATUSES, type LivepatchFacts, type PatchStatus } from "../../collectors/livepatch.js";
import { bool, defineView, listed, spec } from "../view.js";

const STATUS_NOTES: Readonly<Partial<Record<PatchStatus, string>>> = {
  applied: "enabled, no transition",
  disabled: "listed but off, kernels up to 5.0",
};

const METRICS = {
  livepatch_sysfs_present: spec(
    [],
    "Whether /sys/kernel/livepatch exists, i.e. the live patching core is built in and initialised (1) or not (0).",
    "/sys/kernel/livepatch",
    "sysfs is not available",
  ),
  livepatch_patches: spec(
    [],
    "Number of live patches listed in /sys/kernel/livepatch.",
    "/sys/kernel/livepatch/*",
    "sysfs is not available",
  ),
  livepatch_patch_enabled: spec(
    ["patch"],
    "The patch's enabled attribute: 1 is the target state 'applied' (set at the start of a patching transition), 0 disabled or being unpatched.",
    "/sys/kernel/livepatch/<patch>/enabled",
    "the attribute is unreadable",
  ),
  livepatch_patch_transition: spec(
    ["patch"],
    "The patch's transition attribute: 1 while this patch is the one in transition.",
    "/sys/kernel/livepatch/<patch>/transition",
    "the kernel has no transition attribute (before 4.12) or it is unreadable",
  ),
  livepatch_patch_replace: spec(
    ["patch"],
    "The patch's replace attribute: 1 for a cumulative atomic-replace patch.",
    "/sys/kernel/livepatch/<patch>/replace",
    "the kernel has no replace attribute (before 6.11) or it is unreadable",
  ),
  livepatch_patch_stack_order: spec(
    ["patch"],
    "The patch's position in the patch stack, 1-based; a higher value was applied later and wins.",
    "/sys/kernel/livepatch/<patch>/stack_order",
    "the kernel has no stack_order attribute (before 6.14) or it is unreadable",
  ),
  livepatch_patch_state: spec(
    ["patch", "state"],
    `The patch's state as a state set: ${listed(PATCH_STATUSES, STATUS_NOTES)}.`,
    "enabled, transition, /sys/module/<patch>/initstate",
    "enabled or transition is unreadable",
  ),
  livepatch_object_patched: spec(
    ["patch", "object"],
    "The object's patched attribute: 1 when the patch's code redirection is installed for vmlinux or the module.",
    "/sys/kernel/livepatch/<patch>/<object>/patched",
    "the kernel has no patched attribute (before 6.1) or it is unreadable",
  ),
  livepatch_object_functions: spec(
    ["patch", "object"],
    "Number of functions the patch replaces in this object.",
    "/sys/kernel/livepatch/<patch>/<object>/<function,sympos>/",
    "the patch vanished while being read",
  ),
  livepatch_modules_without_patch: spec(
    [],
    "Number of loaded live patch modules (taint K) that have no patch in /sys/kernel/livepatch: disabled patches kept loaded (5.1+) or failed loads.",
    "/proc/modules, /sys/kernel/livepatch",
    "/proc/modules is unreadable or the kernel has no modules",
  ),
  livepatch_module_without_patch: spec(
    ["module", "state"],
    "1 for each loaded live patch module (taint K) without a patch in /sys/kernel/livepatch; state is the module's (live, loading, unloading).",
    "/proc/modules, /sys/kernel/livepatch",
    "there is no such module",
  ),
} as const;

export const livepatchView = defineView(METRICS, (sink, facts: LivepatchFacts, derived) => {
  sink.emit("livepatch_sysfs_present", {}, bool(facts.sysfsPresent));
  sink.emit("livepatch_patches", {}, facts.patches.length + facts.undecodable.length);
  // Decoded names of undecodable directories may collide: no per-patch series for them.
  if (facts.undecodable.length > 0) sink.unavailable("patch_names", "invalid");
  for (const patch of facts.patches) {
    const labels = { patch: patch.name };
    sink.fact("livepatch_patch_enabled", labels, patch.enabled, bool);
    sink.fact("livepatch_patch_transition", labels, patch.transition, bool);
    sink.fact("livepatch_patch_replace", labels, patch.replace, bool);
    sink.fact("livepatch_patch_stack_order", labels, patch.stackOrder, (n) => n);
    if (patch.status.state === "ok") {
      const current = patch.status.value;
      for (const state of PATCH_STATUSES)
        sink.emit("livepatch_patch_state", { patch: patch.name, state }, bool(state === current));
    }
    for (const object of patch.objects) {
      const objectLabels = { patch: patch.name, object: object.name };
      sink.fact("livepatch_object_patched", objectLabels, object.patched, bool);
      sink.fact("livepatch_object_functions", objectLabels, object.functions, (n) => n);
    }
  }
  const orphans = derived.modulesWithoutPatch ?? unknown("dependency_failed");
  sink.fact("livepatch_modules_without_patch", {}, orphans, (list) => list.length, "modules_without_patch");
  if (orphans.state === "ok") {
    for (const m of orphans.value) sink.emit("livepatch_module_without_patch", { module: m.module, state: m.state }, 1);
  }
});
