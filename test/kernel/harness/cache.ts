// Where built artefacts that do not change between runs are kept: the test
// modules and the initramfs layers, each named by a hash of what it is built
// from, so a stale one is never used. LIVEPATCH_TEST_CACHE overrides the place.
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

export function cacheDir(): string {
  const base =
    process.env["LIVEPATCH_TEST_CACHE"] ??
    path.join(process.env["XDG_CACHE_HOME"] ?? path.join(os.homedir(), ".cache"), "livepatch_exporter", "kernel-tests");
  fs.mkdirSync(base, { recursive: true });
  return base;
}

/**
 * The cached file `<name>-<key><suffix>`, built by `build` when missing.
 * Files of the same name with another key are removed, so the cache holds one
 * version of each artefact.
 */
export function cachedFile(name: string, key: string, suffix: string, build: () => Buffer): string {
  const dir = cacheDir();
  const file = path.join(dir, `${name}-${key}${suffix}`);
  if (fs.existsSync(file)) return file;
  const data = build();
  const temporary = `${file}.${process.pid}.tmp`;
  fs.writeFileSync(temporary, data);
  fs.renameSync(temporary, file);
  for (const other of fs.readdirSync(dir)) {
    if (other.startsWith(`${name}-`) && other.endsWith(suffix) && path.join(dir, other) !== file) {
      fs.rmSync(path.join(dir, other), { force: true });
    }
  }
  return file;
}
