// Kernel release strings and which installed kernel is "newer".
//
// Only kernels of the same flavour are compared: Debian's "-cloud-amd64" or
// Ubuntu's "-lowlatency" installed beside "-amd64"/"-generic" is a different
// kernel line, not an upgrade. The flavour is what follows the leading
// numeric version; RHEL/Fedora dist tags (".el9_4", ".fc39") are not part of
// it, since a point release moves them.
import { compareVersions, type VersionScheme } from "./version-compare.js";

const LEADING_VERSION = /^\d+(?:\.\d+)*(?:-\d+(?:\.\d+)*)?/;
const DIST_TAG = /\.(?:el\d+(?:_\d+)*|fc\d+|amzn\d+|azl\d+|cm\d+)/g;

export function kernelFlavour(release: string): string {
  return release.replace(LEADING_VERSION, "").replace(DIST_TAG, "");
}

/** The newest release of the running kernel's flavour, or undefined when none is installed. */
export function newestOfFlavour(
  scheme: VersionScheme,
  running: string,
  installed: readonly string[],
): string | undefined {
  const flavour = kernelFlavour(running);
  let newest: string | undefined;
  for (const release of installed) {
    if (kernelFlavour(release) !== flavour) continue;
    if (newest === undefined || compareVersions(scheme, release, newest) > 0) newest = release;
  }
  return newest;
}

/** "vmlinuz-6.1.0-27-amd64" -> "6.1.0-27-amd64"; other /boot files -> undefined. */
export function releaseFromKernelImage(fileName: string): string | undefined {
  const match = /^(?:vmlinuz|vmlinux|Image|zImage|bzImage)-(.+)$/.exec(fileName);
  const release = match?.[1];
  // Fedora's "vmlinuz-0-rescue-<machine-id>" and Debian's ".old" backups are not installed kernels.
  if (release === undefined || release.endsWith(".old") || release.includes("rescue")) return undefined;
  return /^\d/.test(release) ? release : undefined;
}
