// The modules collector's metrics: whether this kernel can load a module now.
import type { ModulesFacts } from "../../collectors/modules.js";
import { LOCKDOWN_MODES } from "../../parse/lockdown.js";
import { bool, defineView, listed, spec } from "../view.js";

const METRICS = {
  livepatch_modules_supported: spec(
    [],
    "Whether the kernel supports loadable modules at all (CONFIG_MODULES).",
    "/proc/sys/kernel/modules_disabled, /proc/modules",
    "both files are unreadable",
  ),
  livepatch_modules_disabled: spec(
    [],
    "The modules_disabled sysctl: 1 means no module can be loaded or unloaded until reboot.",
    "/proc/sys/kernel/modules_disabled",
    "the kernel has no module support, or the file is unreadable",
  ),
  livepatch_modules_loaded: spec(
    [],
    "Number of loaded modules.",
    "/proc/modules",
    "the kernel has no module support, or the file is unreadable",
  ),
  livepatch_module_sig_enforce: spec(
    [],
    "Module signature enforcement (sig_enforce Y=1, N=0): only signed modules load when 1.",
    "/sys/module/module/parameters/sig_enforce",
    "the kernel has no module signing (CONFIG_MODULE_SIG), or the file is unreadable",
  ),
  livepatch_lockdown_mode: spec(
    ["mode"],
    `Kernel lockdown mode as a state set (${listed(LOCKDOWN_MODES)}); integrity and above reject unsigned modules.`,
    "/sys/kernel/security/lockdown",
    "securityfs is not mounted, the lockdown LSM is not built, or the file is unreadable (see livepatch_fact_unavailable)",
  ),
  livepatch_ftrace_enabled: spec(
    [],
    "The ftrace_enabled sysctl; live patches ride on ftrace (before 5.5, 0 silently voids applied patches).",
    "/proc/sys/kernel/ftrace_enabled",
    "the kernel has no function tracer, or the file is unreadable",
  ),
} as const;

export const modulesView = defineView(METRICS, (sink, facts: ModulesFacts) => {
  sink.fact("livepatch_modules_supported", {}, facts.supported, bool, "modules_supported");
  sink.fact("livepatch_modules_disabled", {}, facts.disabled, bool, "modules_disabled");
  sink.fact("livepatch_modules_loaded", {}, facts.loaded, (list) => list.length, "proc_modules");
  sink.fact("livepatch_module_sig_enforce", {}, facts.sigEnforce, bool, "module_sig_enforce");
  sink.fact("livepatch_ftrace_enabled", {}, facts.ftraceEnabled, bool, "ftrace_enabled");
  const lockdown = facts.lockdown;
  if (lockdown.state === "ok") {
    const modes = new Set<string>([...LOCKDOWN_MODES, ...lockdown.value.available]);
    for (const mode of modes) sink.emit("livepatch_lockdown_mode", { mode }, bool(mode === lockdown.value.active));
  } else if (lockdown.state === "unknown") {
    sink.unavailable("lockdown", lockdown.reason);
  }
});
