// Where the host's filesystems are mounted, as node_exporter's --path.* flags say.
//
// procfs and sysfs paths are plain joins: the kernel owns those trees. Files of
// the host's root filesystem (/etc/os-release, /boot, /lib/modules, /run) are
// resolved by resolveUnderRoot so that an absolute symlink such as
// /var/run -> /run stays inside --path.rootfs instead of escaping into the
// container that runs the exporter; rootfs.ts then checks the file it actually
// opened, because a link can be swapped in after the resolution.
import path from "node:path";
import { pool } from "./pool.js";
import { failed, type Failed } from "./read.js";

export interface HostPaths {
  readonly procfs: string;
  readonly sysfs: string;
  readonly rootfs: string;
  /** The kernel log device; a container reads the host's through a device mapping (docs/kernel-log.md). */
  readonly kmsg: string;
}

export const DEFAULT_HOST_PATHS: HostPaths = { procfs: "/proc", sysfs: "/sys", rootfs: "/", kmsg: "/dev/kmsg" };

export function procPath(paths: HostPaths, ...segments: string[]): string {
  return path.join(paths.procfs, ...segments);
}

export function sysPath(paths: HostPaths, ...segments: string[]): string {
  return path.join(paths.sysfs, ...segments);
}

/** Linux gives up after 40 symlinks (MAXSYMLINKS); so do we. */
const MAX_SYMLINK_HOPS = 40;

export type RootResolution = { readonly ok: true; readonly path: string } | Failed;

/** What a path is: the target when it is a symlink, undefined otherwise. Rejects as lstat(2) does. */
export type Lookup = (candidate: string) => Promise<string | undefined>;

/** lstat(2), and readlink(2) for a link, through the thread pool. */
export const lookup: Lookup = async (candidate) =>
  (await pool.lstat(candidate)).isSymbolicLink() ? pool.readlink(candidate) : undefined;

/**
 * Resolves an absolute host path (e.g. "/var/run/reboot-required") to a path on
 * this machine under `root` (a real path: no symlink in it), following symlinks
 * the way the host's kernel would if `root` were its "/": absolute targets
 * restart at `root`, ".." never climbs above it. The final component is
 * resolved too. A missing component yields { failure: "absent" }. Each step is
 * a call in the thread pool (pool.ts): the host's root may be a network mount.
 */
export async function resolveUnderRoot(root: string, hostPath: string, look = lookup): Promise<RootResolution> {
  let pending = splitComponents(hostPath);
  const resolved: string[] = [];
  let hops = 0;
  while (pending.length > 0) {
    const [component, ...rest] = pending;
    pending = rest;
    if (component === undefined || component === ".") continue;
    if (component === "..") {
      resolved.pop();
      continue;
    }
    const candidate = path.join(root, ...resolved, component);
    let target: string | undefined;
    try {
      target = await look(candidate);
    } catch (error) {
      return failed(error);
    }
    if (target === undefined) {
      resolved.push(component);
      continue;
    }
    hops += 1;
    if (hops > MAX_SYMLINK_HOPS) return { ok: false, failure: "io_error", code: "ELOOP" };
    if (path.isAbsolute(target)) resolved.length = 0;
    pending = [...splitComponents(target), ...pending];
  }
  return { ok: true, path: path.join(root, ...resolved) };
}

function splitComponents(p: string): string[] {
  return p.split("/").filter((c) => c.length > 0);
}
