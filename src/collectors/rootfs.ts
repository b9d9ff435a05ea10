// Reads of host files under --path.rootfs as facts: contained in it, through
// the thread pool (src/fs/root-files.ts).
import type { Dirent, Stats } from "node:fs";
import { known, type Fact } from "../fact.js";
import { failureFact, type FileAccess } from "../fs/file-access.js";
import { DEFAULT_READ_CAP_BYTES } from "../fs/read.js";

export async function readRootText(
  files: FileAccess,
  hostPath: string,
  capBytes: number = DEFAULT_READ_CAP_BYTES,
): Promise<Fact<string>> {
  const result = await files.readRootText(hostPath, capBytes);
  return result.ok ? known(result.text) : failureFact(result.failure);
}

export async function statRoot(files: FileAccess, hostPath: string): Promise<Fact<Stats>> {
  const result = await files.statRoot(hostPath);
  return result.ok ? known(result.stats) : failureFact(result.failure);
}

export interface Listing {
  readonly entries: readonly Dirent[];
  /** When the directory last changed (an entry added, removed or renamed), from its own stat. */
  readonly mtimeMs: number;
}

export async function listRoot(files: FileAccess, hostPath: string): Promise<Fact<Listing>> {
  const result = await files.listRoot(hostPath);
  return result.ok ? known({ entries: result.entries, mtimeMs: result.mtimeMs }) : failureFact(result.failure);
}
