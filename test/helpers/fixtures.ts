// Fixture trees for tests: the real-kernel captures (tar.gz, which keep the
// empty function directories git would drop) and hand-made trees that follow
// the kernel interface reference for what the captured 6.1 kernel cannot show.
// A tree's root holds proc/, sys/ and, when asked for, the host's root files
// (etc/, boot/, lib/, run/), so --path.rootfs is the root itself.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { gzipSync } from "node:zlib";
import type { HostPaths } from "../../src/fs/host-paths.js";
import { HANDMADE, type Entry, type HandmadeName, type RealCapture, type TreeSpec } from "../fixtures/handmade.js";

export const FIXTURES_DIR = fileURLToPath(new URL("../fixtures/", import.meta.url));
const REAL_KERNEL_DIR = path.join(FIXTURES_DIR, "real-kernel");

let workDir: string | undefined;

/** A temporary directory for this test process, removed at exit. */
export function testDir(): string {
  if (workDir === undefined) {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-exporter-test-"));
    workDir = dir;
    process.on("exit", () => fs.rmSync(dir, { recursive: true, force: true }));
  }
  return workDir;
}

let counter = 0;

/** Extracts a real capture (and optionally the Debian 12 root files) into a fresh directory. */
export function realKernelTree(capture: RealCapture, options: { rootfs?: boolean } = {}): string {
  const root = path.join(testDir(), `${capture}-${(counter += 1)}`);
  fs.mkdirSync(root, { recursive: true });
  extract(capture, root);
  if (options.rootfs !== false) extract("rootfs-debian12", root);
  return root;
}

function extract(archive: string, into: string): void {
  // Each archive holds one top-level folder named after itself.
  execFileSync("tar", ["xzf", path.join(REAL_KERNEL_DIR, `${archive}.tar.gz`), "-C", into, "--strip-components=1"]);
}

/** Builds a hand-made tree by name. */
export function handmadeTree(name: HandmadeName): string {
  return buildTree(HANDMADE[name]);
}

export function buildTree(spec: TreeSpec): string {
  const root =
    spec.base === undefined
      ? path.join(testDir(), `tree-${(counter += 1)}`)
      : realKernelTree(spec.base, { rootfs: spec.rootfs !== false });
  fs.mkdirSync(root, { recursive: true });
  for (const [relative, entry] of Object.entries(spec.files)) applyEntry(path.join(root, relative), entry);
  return root;
}

function applyEntry(target: string, entry: Entry): void {
  fs.rmSync(target, { recursive: true, force: true });
  if (entry === null) return;
  fs.mkdirSync(path.dirname(target), { recursive: true });
  if (typeof entry === "string") fs.writeFileSync(target, entry);
  else if ("dir" in entry) fs.mkdirSync(target, { recursive: true });
  else if ("symlink" in entry) fs.symlinkSync(entry.symlink, target);
  else fs.writeFileSync(target, gzipSync(entry.gzip));
}

export function hostPaths(root: string): HostPaths {
  return { procfs: path.join(root, "proc"), sysfs: path.join(root, "sys"), rootfs: root };
}

/** The --path.* flags for a tree. */
export function pathFlags(root: string): string[] {
  const paths = hostPaths(root);
  return [`--path.procfs=${paths.procfs}`, `--path.sysfs=${paths.sysfs}`, `--path.rootfs=${paths.rootfs}`];
}
