// Host trees for the tests and the benchmark: the real-kernel captures
// (test/fixtures/real-kernel/*.tar.gz, which keep the empty function
// directories git would drop) extracted into a scratch directory. A tree's
// root holds proc/, sys/ and, when asked for, the host's root files (etc/,
// boot/, lib/, run/), so --path.rootfs is the root itself.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import type { HostPaths } from "../src/fs/host-paths.js";

const REAL_KERNEL_DIR = fileURLToPath(new URL("../test/fixtures/real-kernel/", import.meta.url));

/** The captures of a Debian 6.1 kernel with real live patches, one per state (test/fixtures/real-kernel/README.md). */
export const REAL_CAPTURES = [
  "clean",
  "basic-enabled",
  "busy-stuck",
  "stacked",
  "disabled-during",
  "modules-disabled",
  "lockdown-integrity",
] as const;
export type RealCapture = (typeof REAL_CAPTURES)[number];

let workDir: string | undefined;

/** A temporary directory for this process, removed at exit. */
export function scratchDir(): string {
  if (workDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-exporter-test-"));
    workDir = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

let counter = 0;

/** A fresh, empty directory under the scratch directory. */
export function freshDir(prefix: string): string {
  const dir = path.join(scratchDir(), `${prefix}-${(counter += 1)}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

/**
 * Where a tree keeps its kernel log: a capture's kmsg.txt (the raw /dev/kmsg records) as a regular
 * file, which --path.kmsg replays as if it were the device.
 */
export const KMSG_IN_TREE = "dev/kmsg";

/** Extracts a real capture (and optionally the Debian 12 root files) into a fresh directory. */
export function realKernelTree(capture: RealCapture, options: { rootfs?: boolean } = {}): string {
  const root = freshDir(capture);
  extract(capture, root);
  fs.mkdirSync(path.join(root, path.dirname(KMSG_IN_TREE)), { recursive: true });
  fs.renameSync(path.join(root, "kmsg.txt"), path.join(root, KMSG_IN_TREE));
  if (options.rootfs !== false) extract("rootfs-debian12", root);
  return root;
}

function extract(archive: string, into: string): void {
  // Each archive holds one top-level folder named after itself.
  execFileSync("tar", ["xzf", path.join(REAL_KERNEL_DIR, `${archive}.tar.gz`), "-C", into, "--strip-components=1"]);
}

export function hostPaths(root: string): HostPaths {
  return {
    procfs: path.join(root, "proc"),
    sysfs: path.join(root, "sys"),
    rootfs: root,
    kmsg: path.join(root, KMSG_IN_TREE),
  };
}

/** The --path.* flags for a tree. */
export function pathFlags(root: string): string[] {
  const paths = hostPaths(root);
  return [
    `--path.procfs=${paths.procfs}`,
    `--path.sysfs=${paths.sysfs}`,
    `--path.rootfs=${paths.rootfs}`,
    `--path.kmsg=${paths.kmsg}`,
  ];
}
