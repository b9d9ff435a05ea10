// What the host's root filesystem says about a reboot: the sentinel files
// that package managers leave, and the kernels installed. Which reasons hold
// for the running kernel (a newer kernel of its flavour installed, its
// modules removed) is derived with the kernel collector's facts
// (src/derive/reboot.ts).
//
// - reboot_required_file: Debian/Ubuntu's /run/reboot-required (with the
//   packages that asked for it in /run/reboot-required.pkgs);
// - reboot_needed_file: SUSE's /run/reboot-needed.
// All paths are host paths under --path.rootfs, read through the thread pool
// and never outside it (src/fs/root-files.ts): this collector is asynchronous,
// and bounded by --collector.timeout.
import type { Dirent } from "node:fs";
import { known, type Fact, unknown } from "../fact.js";
import type { FileAccess } from "../fs/file-access.js";
import { releaseFromKernelImage } from "../parse/kernel-release.js";
import { listRoot, readRootText, statRoot, type Listing } from "./rootfs.js";
import type { Collector, CollectorContext } from "./types.js";

export interface RebootSignal {
  readonly required: boolean;
  /** When the condition appeared (sentinel or kernel directory mtime), if known. */
  readonly sinceSeconds: number | undefined;
}

const SENTINELS = { reboot_required_file: "/run/reboot-required", reboot_needed_file: "/run/reboot-needed" } as const;
export type SentinelReason = keyof typeof SENTINELS;

export interface InstalledKernel {
  readonly release: string;
  /** Modification time of /lib/modules/<release>, else of /boot/vmlinuz-<release>, if known. */
  readonly sinceSeconds: number | undefined;
}

export interface RebootReading {
  readonly sentinels: Readonly<Record<SentinelReason, Fact<RebootSignal>>>;
  /** Packages listed in /run/reboot-required.pkgs (absent when the file is). */
  readonly packages: Fact<readonly string[]>;
  /** Kernels with a /lib/modules/<release> directory or a /boot/vmlinuz-<release> image, by release. */
  readonly installed: Fact<readonly InstalledKernel[]>;
  /** The kernels /lib/modules holds; unknown (not_found) when it holds none, which proves nothing. */
  readonly modulesDir: Fact<ModulesDir>;
}

export interface ModulesDir {
  readonly releases: readonly string[];
  /** Modification time of /lib/modules: removing a kernel's directory changes it. */
  readonly changedSeconds: number | undefined;
}

export const reboot: Collector<RebootReading> = {
  help: "reboot required, by reason",
  create: () => read,
};

async function read(ctx: CollectorContext): Promise<RebootReading> {
  const { files } = ctx;
  const [required, needed, pkgs, modulesListing] = await Promise.all([
    sentinel(files, SENTINELS.reboot_required_file),
    sentinel(files, SENTINELS.reboot_needed_file),
    packages(files),
    listRoot(files, "/lib/modules"),
  ]);
  return {
    sentinels: { reboot_required_file: required, reboot_needed_file: needed },
    packages: pkgs,
    installed: await installedKernels(files, modulesListing),
    modulesDir: modulesDir(modulesListing),
  };
}

async function sentinel(files: FileAccess, hostPath: string): Promise<Fact<RebootSignal>> {
  const stat = await statRoot(files, hostPath);
  if (stat.state === "absent") return known({ required: false, sinceSeconds: undefined });
  if (stat.state !== "ok") return stat;
  return known({ required: true, sinceSeconds: seconds(stat.value.mtimeMs) });
}

async function packages(files: FileAccess): Promise<Fact<readonly string[]>> {
  const text = await readRootText(files, `${SENTINELS.reboot_required_file}.pkgs`);
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

const isRelease = (entry: Dirent): boolean => /^\d/.test(entry.name);

/**
 * Only a /lib/modules that holds some kernel says anything: a missing or empty
 * one (a container image, a host root that is not mounted) is not evidence.
 */
function modulesDir(listing: Fact<Listing>): Fact<ModulesDir> {
  if (listing.state === "unknown") return listing;
  const releases = listing.state === "ok" ? listing.value.entries.filter(isRelease).map((e) => e.name) : [];
  if (releases.length === 0 || listing.state !== "ok") return unknown("not_found");
  return known({ releases, changedSeconds: seconds(listing.value.mtimeMs) });
}

async function installedKernels(
  files: FileAccess,
  modulesListing: Fact<Listing>,
): Promise<Fact<readonly InstalledKernel[]>> {
  const boot = await listRoot(files, "/boot");
  if (modulesListing.state !== "ok" && boot.state !== "ok") {
    const failed = modulesListing.state === "unknown" ? modulesListing : boot.state === "unknown" ? boot : undefined;
    return failed ?? unknown("not_found");
  }
  const withModules = new Set(
    modulesListing.state === "ok" ? modulesListing.value.entries.filter(isRelease).map((e) => e.name) : [],
  );
  const releases = new Set(withModules);
  if (boot.state === "ok") {
    for (const entry of boot.value.entries) {
      const release = releaseFromKernelImage(entry.name);
      if (release !== undefined) releases.add(release);
    }
  }
  // Nothing found (an empty /boot, no /lib/modules) is no evidence of anything.
  if (releases.size === 0) return unknown("not_found");
  return known(
    await Promise.all(
      [...releases].sort().map(async (release) => {
        const dir = withModules.has(release) ? await statRoot(files, `/lib/modules/${release}`) : undefined;
        const stat = dir?.state === "ok" ? dir : await statRoot(files, `/boot/vmlinuz-${release}`);
        return { release, sinceSeconds: stat.state === "ok" ? seconds(stat.value.mtimeMs) : undefined };
      }),
    ),
  );
}

function seconds(mtimeMs: number): number {
  return Math.floor(mtimeMs / 1000);
}
