// Reads of host files under --path.rootfs, resolved without escaping it.
import { known, type Fact } from "../fact.js";
import { failureFact, type FileAccess } from "../fs/file-access.js";
import { DEFAULT_READ_CAP_BYTES } from "../fs/read.js";
import type { Dirent, Stats } from "node:fs";

export function readRootText(
  files: FileAccess,
  rootfs: string,
  hostPath: string,
  capBytes: number = DEFAULT_READ_CAP_BYTES,
): Fact<string> {
  const resolved = files.resolveRoot(rootfs, hostPath);
  if (!resolved.ok) return failureFact(resolved.failure);
  const result = files.readText(resolved.path, { capBytes });
  return result.ok ? known(result.text) : failureFact(result.failure);
}

export function statRoot(files: FileAccess, rootfs: string, hostPath: string): Fact<Stats> {
  const resolved = files.resolveRoot(rootfs, hostPath);
  if (!resolved.ok) return failureFact(resolved.failure);
  const result = files.stat(resolved.path);
  return result.ok ? known(result.stats) : failureFact(result.failure);
}

export function listRoot(files: FileAccess, rootfs: string, hostPath: string): Fact<readonly Dirent[]> {
  const resolved = files.resolveRoot(rootfs, hostPath);
  if (!resolved.ok) return failureFact(resolved.failure);
  const result = files.list(resolved.path);
  return result.ok ? known(result.entries) : failureFact(result.failure);
}
