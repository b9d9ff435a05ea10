// A cache of heavy build artifacts (the single binary, the .deb, the container base image) shared by
// builds and test runs, keyed by a hash of every input: a hit is exactly what a build would
// produce now. It lives outside the checkout ($LIVEPATCH_BUILD_CACHE, else
// $XDG_CACHE_HOME/livepatch_exporter, else ~/.cache/livepatch_exporter) so that a fresh clone,
// as CI makes, still finds it. Entries are filled atomically (built in a temporary directory,
// renamed into place) so parallel test files never see half an artifact, and each kind keeps only
// its newest few entries.
import { createHash } from "node:crypto";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";

/** Entries kept per kind; older ones are removed after a new one is added. */
const KEEP_PER_KIND = 2;

export function cacheRoot(): string {
  const explicit = process.env["LIVEPATCH_BUILD_CACHE"];
  if (explicit !== undefined && explicit !== "") return explicit;
  const base = process.env["XDG_CACHE_HOME"] ?? path.join(os.homedir(), ".cache");
  return path.join(base, "livepatch_exporter");
}

/** A short hex digest of the inputs: strings as they are, files by content (missing files by name). */
export function hashInputs(values: readonly string[], files: readonly string[] = []): string {
  const hash = createHash("sha256");
  for (const value of values) hash.update(`v${value.length}:${value}\n`);
  for (const file of [...files].sort()) {
    hash.update(`f${file}\n`);
    try {
      hash.update(fs.readFileSync(file));
    } catch {
      hash.update("(missing)");
    }
  }
  return hash.digest("hex").slice(0, 20);
}

/** Every regular file under a directory, sorted (for hashInputs). */
export function filesUnder(directory: string): string[] {
  return fs
    .readdirSync(directory, { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile())
    .map((entry) => path.join(entry.parentPath, entry.name))
    .sort();
}

export interface CacheEntry {
  readonly directory: string;
  /** false when this call built it. */
  readonly hit: boolean;
}

/**
 * The cache entry for kind/key: found, or made by build(directory), which writes the artifact's
 * files into the directory it is given. A build that throws leaves nothing behind.
 */
export async function cached(
  kind: string,
  key: string,
  build: (directory: string) => Promise<void> | void,
): Promise<CacheEntry> {
  const kindDir = path.join(cacheRoot(), kind);
  const directory = path.join(kindDir, key);
  if (fs.existsSync(path.join(directory, ".complete"))) {
    const now = new Date();
    fs.utimesSync(directory, now, now);
    return { directory, hit: true };
  }
  fs.mkdirSync(kindDir, { recursive: true });
  // One build per entry at a time: parallel test files wait for the first instead of building too.
  const lock = await acquireLock(path.join(kindDir, `.${key}.lock`), () =>
    fs.existsSync(path.join(directory, ".complete")),
  );
  if (lock === undefined) return { directory, hit: true };
  const temp = fs.mkdtempSync(path.join(kindDir, `.building-${key}-`));
  try {
    await build(temp);
    fs.writeFileSync(path.join(temp, ".complete"), `${new Date().toISOString()}\n`);
    try {
      fs.renameSync(temp, directory);
    } catch (error) {
      // Another build of the same inputs finished first: theirs is as good as ours.
      if (!fs.existsSync(path.join(directory, ".complete"))) throw error;
      fs.rmSync(temp, { recursive: true, force: true });
    }
  } catch (error) {
    fs.rmSync(temp, { recursive: true, force: true });
    throw error;
  } finally {
    fs.rmSync(lock, { force: true });
  }
  prune(kindDir);
  return { directory, hit: false };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Takes the lock file (O_EXCL, holding our pid), or waits while a live process holds it; returns
 * undefined when that process finished the entry meanwhile. A lock whose process is gone is taken over.
 */
async function acquireLock(lock: string, done: () => boolean): Promise<string | undefined> {
  for (;;) {
    try {
      fs.writeFileSync(lock, `${process.pid}\n`, { flag: "wx" });
      if (!done()) return lock;
      fs.rmSync(lock, { force: true });
      return undefined;
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== "EEXIST") throw error;
    }
    if (done()) return undefined;
    let holder = 0;
    try {
      holder = Number(fs.readFileSync(lock, "utf8").trim());
    } catch {
      continue; // released meanwhile
    }
    if (Number.isInteger(holder) && holder > 0 && !alive(holder)) {
      fs.rmSync(lock, { force: true });
      continue;
    }
    await new Promise((resolve) => setTimeout(resolve, 500));
  }
}

/** Keeps the newest entries of a kind; unfinished builds older than a day are removed too. */
function prune(kindDir: string): void {
  const entries = fs
    .readdirSync(kindDir, { withFileTypes: true })
    .filter((entry) => entry.isDirectory())
    .map((entry) => {
      const full = path.join(kindDir, entry.name);
      return { name: entry.name, full, mtimeMs: fs.statSync(full).mtimeMs };
    });
  const dayAgo = Date.now() - 24 * 3600 * 1000;
  for (const entry of entries.filter((e) => e.name.startsWith(".building-") && e.mtimeMs < dayAgo)) {
    fs.rmSync(entry.full, { recursive: true, force: true });
  }
  const finished = entries.filter((e) => !e.name.startsWith(".")).sort((a, b) => b.mtimeMs - a.mtimeMs);
  for (const entry of finished.slice(KEEP_PER_KIND)) fs.rmSync(entry.full, { recursive: true, force: true });
}
