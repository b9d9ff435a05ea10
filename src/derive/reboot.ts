// Does this host need a reboot, and why: each reason on its own, from the
// reboot collector's reading of the root filesystem and the running kernel
// (kernel collector).
//
// - reboot_required_file, reboot_needed_file: the sentinel files, as read;
// - newer_kernel_installed: a kernel of the running flavour newer than the
//   running one is installed (/lib/modules/*, /boot/vmlinuz-*), in the
//   distribution's version order (from os-release);
// - running_kernel_modules_missing: the running kernel's /lib/modules
//   directory is gone (its package was removed or replaced), so no module,
//   live patches included, can be loaded from disk any more. A kernel built
//   without module support (modules collector, else its configuration) never
//   had that directory: the reason does not hold there.
import { known, type Fact, unknown } from "../fact.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { ModulesFacts } from "../collectors/modules.js";
import type { InstalledKernel, RebootReading, RebootSignal } from "../collectors/reboot.js";
import { newestOfFlavour } from "../parse/kernel-release.js";
import { versionSchemeFor } from "../parse/version-compare.js";

export const REBOOT_REASONS = [
  "reboot_required_file",
  "reboot_needed_file",
  "newer_kernel_installed",
  "running_kernel_modules_missing",
] as const;
export type RebootReason = (typeof REBOOT_REASONS)[number];

export interface RebootFacts {
  readonly reasons: Readonly<Record<RebootReason, Fact<RebootSignal>>>;
  /** Packages listed in /run/reboot-required.pkgs (absent when the file is). */
  readonly packages: Fact<readonly string[]>;
  /** Kernel releases installed on the host. */
  readonly installedKernels: Fact<readonly string[]>;
  /** Newest installed release of the running kernel's flavour. */
  readonly newestKernel: Fact<string>;
}

export function rebootFacts(
  reading: RebootReading,
  kernel: KernelFacts | undefined,
  modules: ModulesFacts | undefined,
): RebootFacts {
  const { installed } = reading;
  const installedKernels: Fact<readonly string[]> =
    installed.state === "ok" ? known(installed.value.map((k) => k.release)) : installed;
  let newest: Fact<string> = unknown("dependency_failed");
  let newer: Fact<RebootSignal> = unknown("dependency_failed");
  let modulesMissing: Fact<RebootSignal> = unknown("dependency_failed");
  if (kernel !== undefined) {
    const running = kernel.release;
    const os = kernel.osRelease.state === "ok" ? kernel.osRelease.value : undefined;
    const scheme = versionSchemeFor(os?.get("ID"), os?.get("ID_LIKE"));
    if (installed.state === "ok") {
      const release = newestOfFlavour(scheme, running, [...installed.value.map((k) => k.release), running]);
      newest = release === undefined ? unknown("not_found") : known(release);
    } else {
      newest = installed;
    }
    if (newest.state === "ok") {
      const release = newest.value;
      newer = known(
        release === running
          ? { required: false, sinceSeconds: undefined }
          : { required: true, sinceSeconds: installed.state === "ok" ? sinceOf(installed.value, release) : undefined },
      );
    } else {
      newer = newest;
    }
    modulesMissing = runningModulesSignal(reading, running, moduleSupport(kernel, modules));
  }
  return {
    reasons: {
      reboot_required_file: reading.sentinels.reboot_required_file,
      reboot_needed_file: reading.sentinels.reboot_needed_file,
      newer_kernel_installed: newer,
      running_kernel_modules_missing: modulesMissing,
    },
    packages: reading.packages,
    installedKernels,
    newestKernel: newest,
  };
}

function sinceOf(installed: readonly InstalledKernel[], release: string): number | undefined {
  return installed.find((k) => k.release === release)?.sinceSeconds;
}

/** Whether the running kernel loads modules: /proc says so, else its build configuration. */
function moduleSupport(kernel: KernelFacts, modules: ModulesFacts | undefined): Fact<boolean> {
  if (modules?.supported.state === "ok") return modules.supported;
  if (kernel.config.state === "ok") return known(kernel.config.value.options.CONFIG_MODULES !== "n");
  return modules?.supported ?? unknown("dependency_failed");
}

/** Removing the running kernel's directory changed /lib/modules itself: its mtime says when. */
function runningModulesSignal(reading: RebootReading, running: string, supported: Fact<boolean>): Fact<RebootSignal> {
  const notRequired = known({ required: false, sinceSeconds: undefined });
  if (supported.state === "ok" && !supported.value) return notRequired;
  const dir = reading.modulesDir;
  if (dir.state !== "ok") return dir;
  if (dir.value.releases.includes(running)) return notRequired;
  // Gone, and needed only if this kernel loads modules.
  if (supported.state !== "ok") return supported;
  return known({ required: true, sinceSeconds: dir.value.changedSeconds });
}
