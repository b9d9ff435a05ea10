// Does this host need a reboot, and why: each reason on its own.
//
// - reboot_required_file: Debian/Ubuntu's /run/reboot-required (with the
//   packages that asked for it in /run/reboot-required.pkgs);
// - reboot_needed_file: SUSE's /run/reboot-needed;
// - newer_kernel_installed: a kernel of the running flavour newer than the
//   running one is installed (/lib/modules/*, /boot/vmlinuz-*), in the
//   distribution's version order;
// - running_kernel_modules_missing: the running kernel's /lib/modules
//   directory is gone (its package was removed or replaced), so no module,
//   live patches included, can be loaded from disk any more.
// All paths are host paths under --path.rootfs.
import type { Dirent } from "node:fs";
import { known, type Fact, unknown } from "../fact.js";
import type { FileAccess } from "../fs/file-access.js";
import { newestOfFlavour, releaseFromKernelImage } from "../parse/kernel-release.js";
import { versionSchemeFor } from "../parse/version-compare.js";
import { listRoot, readRootText, statRoot } from "./rootfs.js";
import type { Collector, CollectorContext } from "./types.js";

export const REBOOT_REASONS = [
  "reboot_required_file",
  "reboot_needed_file",
  "newer_kernel_installed",
  "running_kernel_modules_missing",
] as const;
export type RebootReason = (typeof REBOOT_REASONS)[number];

export interface RebootSignal {
  readonly required: boolean;
  /** When the condition appeared (sentinel or kernel directory mtime), if known. */
  readonly sinceSeconds: number | undefined;
}

export interface RebootFacts {
  readonly reasons: Readonly<Record<RebootReason, Fact<RebootSignal>>>;
  /** Packages listed in /run/reboot-required.pkgs (absent when the file is). */
  readonly packages: Fact<readonly string[]>;
  /** Kernel releases installed on the host. */
  readonly installedKernels: Fact<readonly string[]>;
  /** Newest installed release of the running kernel's flavour. */
  readonly newestKernel: Fact<string>;
}

const SENTINEL_REQUIRED = "/run/reboot-required";
const SENTINEL_NEEDED = "/run/reboot-needed";

export function createRebootCollector(): Collector<"reboot"> {
  return {
    name: "reboot",
    help: "Reboot required: sentinel files, a newer installed kernel, the running kernel's modules removed.",
    dependsOn: ["kernel"],
    collect,
  };
}

function collect(ctx: CollectorContext): RebootFacts {
  const { files } = ctx;
  const root = ctx.paths.rootfs;
  const kernel = ctx.deps.kernel;
  const modulesDir = listRoot(files, root, "/lib/modules");
  const installed = installedKernels(files, root, modulesDir);

  let newest: Fact<string> = unknown("dependency_failed");
  let newer: Fact<RebootSignal> = unknown("dependency_failed");
  let modulesMissing: Fact<RebootSignal> = unknown("dependency_failed");
  if (kernel !== undefined) {
    const running = kernel.release;
    const os = kernel.osRelease.state === "ok" ? kernel.osRelease.value : undefined;
    const scheme = versionSchemeFor(os?.get("ID"), os?.get("ID_LIKE"));
    newest =
      installed.state === "ok"
        ? newestFact(newestOfFlavour(scheme, running, [...installed.value, running]))
        : installed;
    newer = newest.state === "ok" ? known(newerKernelSignal(files, root, running, newest.value)) : newest;
    modulesMissing = runningModulesSignal(files, root, modulesDir, running);
  }
  return {
    reasons: {
      reboot_required_file: sentinel(files, root, SENTINEL_REQUIRED),
      reboot_needed_file: sentinel(files, root, SENTINEL_NEEDED),
      newer_kernel_installed: newer,
      running_kernel_modules_missing: modulesMissing,
    },
    packages: packages(files, root),
    installedKernels: installed,
    newestKernel: newest,
  };
}

/**
 * Only a /lib/modules that holds some kernel says anything: a missing or empty
 * one (a container image, a host root that is not mounted) is not evidence.
 */
function runningModulesSignal(
  files: FileAccess,
  root: string,
  modulesDir: Fact<readonly Dirent[]>,
  running: string,
): Fact<RebootSignal> {
  if (modulesDir.state === "unknown") return modulesDir;
  const kernels = modulesDir.state === "ok" ? modulesDir.value.filter((e) => /^\d/.test(e.name)) : [];
  if (kernels.length === 0) return unknown("not_found");
  if (kernels.some((e) => e.name === running)) return known({ required: false, sinceSeconds: undefined });
  // Removing the running kernel's directory changed /lib/modules itself: its mtime says when.
  const stat = statRoot(files, root, "/lib/modules");
  return known({
    required: true,
    sinceSeconds: stat.state === "ok" ? Math.floor(stat.value.mtimeMs / 1000) : undefined,
  });
}

function newestFact(release: string | undefined): Fact<string> {
  return release === undefined ? unknown("not_found") : known(release);
}

function sentinel(files: FileAccess, root: string, hostPath: string): Fact<RebootSignal> {
  const stat = statRoot(files, root, hostPath);
  if (stat.state === "absent") return known({ required: false, sinceSeconds: undefined });
  if (stat.state !== "ok") return stat;
  return known({ required: true, sinceSeconds: Math.floor(stat.value.mtimeMs / 1000) });
}

function packages(files: FileAccess, root: string): Fact<readonly string[]> {
  const text = readRootText(files, root, `${SENTINEL_REQUIRED}.pkgs`);
  if (text.state !== "ok") return text;
  return known([
    ...new Set(
      text.value
        .split("\n")
        .map((l) => l.trim())
        .filter((l) => l.length > 0),
    ),
  ]);
}

/** Releases with a /lib/modules/<release> directory or a /boot/vmlinuz-<release> image. */
function installedKernels(
  files: FileAccess,
  root: string,
  modulesDir: Fact<readonly Dirent[]>,
): Fact<readonly string[]> {
  const boot = listRoot(files, root, "/boot");
  if (modulesDir.state !== "ok" && boot.state !== "ok") {
    const failed = modulesDir.state === "unknown" ? modulesDir : boot.state === "unknown" ? boot : undefined;
    return failed ?? unknown("not_found");
  }
  const releases = new Set<string>();
  if (modulesDir.state === "ok") {
    for (const entry of modulesDir.value) if (/^\d/.test(entry.name)) releases.add(entry.name);
  }
  if (boot.state === "ok") {
    for (const entry of boot.value) {
      const release = releaseFromKernelImage(entry.name);
      if (release !== undefined) releases.add(release);
    }
  }
  // Nothing found (an empty /boot, no /lib/modules) is no evidence of anything.
  return releases.size === 0 ? unknown("not_found") : known([...releases].sort());
}

function newerKernelSignal(files: FileAccess, root: string, running: string, newest: string): RebootSignal {
  if (newest === running) return { required: false, sinceSeconds: undefined };
  const stat = statRoot(files, root, `/lib/modules/${newest}`);
  const fallback = stat.state === "ok" ? stat : statRoot(files, root, `/boot/vmlinuz-${newest}`);
  return {
    required: true,
    sinceSeconds: fallback.state === "ok" ? Math.floor(fallback.value.mtimeMs / 1000) : undefined,
  };
}
