// Whether this kernel can load a module now: module support, modules_disabled,
// signature enforcement, lockdown, ftrace; and the loaded modules with their
// taint letters (from /proc/modules: one read instead of one per module).
import { ABSENT, known, type Fact, unknown } from "../fact.js";
import { failureFact } from "../fs/file-access.js";
import { procPath, sysPath } from "../fs/host-paths.js";
import { parseLockdown, type Lockdown } from "../parse/lockdown.js";
import { parseProcModules, type LoadedModule } from "../parse/proc-modules.js";
import { parseBool01, parseBoolYN } from "../parse/values.js";
import { readFact } from "./read-fact.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

export interface ModulesFacts {
  /** The kernel was built with CONFIG_MODULES. */
  readonly supported: Fact<boolean>;
  /** /proc/sys/kernel/modules_disabled (absent without CONFIG_MODULES). */
  readonly disabled: Fact<boolean>;
  /** /sys/module/module/parameters/sig_enforce (absent without CONFIG_MODULE_SIG). */
  readonly sigEnforce: Fact<boolean>;
  /** /sys/kernel/security/lockdown; unknown with reason not_mounted when securityfs is not mounted. */
  readonly lockdown: Fact<Lockdown>;
  /** /proc/sys/kernel/ftrace_enabled (absent without CONFIG_FUNCTION_TRACER). */
  readonly ftraceEnabled: Fact<boolean>;
  /** /proc/modules (absent without CONFIG_MODULES). */
  readonly loaded: Fact<readonly LoadedModule[]>;
}

export const modules: Collector<ModulesFacts> = {
  help: "module loading: modules_disabled, sig_enforce, lockdown, ftrace",
  create: () => read,
};

function read(ctx: CollectorContext): ModulesFacts {
  // Absence below only means "not built" if procfs itself is there.
  if (!ctx.files.probeDir(procPath(ctx.paths, "sys", "kernel")).ok) {
    throw new CollectorError(`procfs is not available at ${ctx.paths.procfs}`);
  }
  const disabled = readFact(ctx.files, procPath(ctx.paths, "sys", "kernel", "modules_disabled"), parseBool01);
  const loaded = readLoadedModules(ctx);
  return {
    supported: modulesSupported(disabled, loaded),
    disabled,
    sigEnforce: readSigEnforce(ctx),
    lockdown: readLockdown(ctx),
    ftraceEnabled: readFact(ctx.files, procPath(ctx.paths, "sys", "kernel", "ftrace_enabled"), parseBool01),
    loaded,
  };
}

/** Both files exist exactly when CONFIG_MODULES=y; either one answers. */
function modulesSupported(disabled: Fact<boolean>, loaded: Fact<readonly LoadedModule[]>): Fact<boolean> {
  if (disabled.state === "ok" || loaded.state === "ok") return known(true);
  if (disabled.state === "absent" && loaded.state === "absent") return known(false);
  return disabled.state === "unknown" ? disabled : loaded;
}

function readLoadedModules(ctx: CollectorContext): Fact<readonly LoadedModule[]> {
  const path = procPath(ctx.paths, "modules");
  const result = ctx.files.readText(path, { capBytes: 4 * 1024 * 1024 });
  if (!result.ok) return failureFact(result.failure);
  const parsed = parseProcModules(result.text);
  if (parsed.invalidLines > 0) ctx.files.invalid(path, `${parsed.invalidLines} unparseable lines`);
  return known(parsed.modules);
}

/** Absence means "no CONFIG_MODULE_SIG" only if sysfs itself is there. */
function readSigEnforce(ctx: CollectorContext): Fact<boolean> {
  const fact = readFact(ctx.files, sysPath(ctx.paths, "module", "module", "parameters", "sig_enforce"), parseBoolYN);
  if (fact.state === "absent" && !ctx.files.list(sysPath(ctx.paths, "kernel")).ok) return unknown("not_mounted");
  return fact;
}

/**
 * securityfs is usually not mounted in containers; then the file is missing
 * although the LSM may be active. An empty /sys/kernel/security is an unmounted
 * mount point; a mounted securityfs without the file means no lockdown LSM.
 */
function readLockdown(ctx: CollectorContext): Fact<Lockdown> {
  const fact = readFact(ctx.files, sysPath(ctx.paths, "kernel", "security", "lockdown"), parseLockdown);
  if (fact.state !== "absent") return fact;
  const securityfs = ctx.files.list(sysPath(ctx.paths, "kernel", "security"));
  if (!securityfs.ok || securityfs.entries.length === 0) return unknown("not_mounted");
  return ABSENT;
}
