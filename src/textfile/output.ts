// Where textfile mode writes, and how: node_exporter's textfile collector reads
// every *.prom file of its directory on each scrape, so a reader must never see
// a half-written file. The text goes to a hidden temporary file in the same
// directory (same filesystem, and not *.prom, so the collector skips it),
// is flushed to disk, made world-readable, and renamed over the target in one
// step: a reader sees the old file or the new one, never a mix.
import { randomBytes } from "node:crypto";
import fs from "node:fs";
import path from "node:path";

/** The file name written when --output names a directory. */
export const DEFAULT_TEXTFILE_NAME = "livepatch_exporter.prom";

/** Readable by node_exporter whatever user it runs as, writable by us only. */
export const TEXTFILE_MODE = 0o644;

/** Temporary files older than this, left by a run that was killed mid-write, are removed. */
const STALE_TEMP_MS = 60 * 60 * 1000;

/** --output cannot be used: the message says why. */
export class TextfileOutputError extends Error {
  override readonly name = "TextfileOutputError";
}

export interface TextfileTarget {
  readonly directory: string;
  /** The final file: directory + a *.prom name. */
  readonly file: string;
}

/**
 * --output as node_exporter needs it: an existing directory (the file is
 * livepatch_exporter.prom in it) or a file ending in .prom in an existing
 * directory. Anything else would be written where the collector never looks.
 */
export function resolveTextfileTarget(output: string): TextfileTarget {
  if (output.trim() === "") throw new TextfileOutputError("--output must name a directory or a .prom file");
  const absolute = path.resolve(output);
  const stat = statOrUndefined(absolute);
  if (stat?.isDirectory() === true) {
    return { directory: absolute, file: path.join(absolute, DEFAULT_TEXTFILE_NAME) };
  }
  if (!absolute.endsWith(".prom") || path.basename(absolute) === ".prom") {
    throw new TextfileOutputError(
      stat === undefined
        ? `--output ${output}: no such directory (a file must end in .prom, the only files node_exporter's textfile collector reads)`
        : `--output ${output}: not a directory, and not a file ending in .prom (the only files node_exporter's textfile collector reads)`,
    );
  }
  if (stat !== undefined && !stat.isFile()) {
    throw new TextfileOutputError(`--output ${output}: exists and is not a regular file`);
  }
  const directory = path.dirname(absolute);
  if (statOrUndefined(directory)?.isDirectory() !== true) {
    throw new TextfileOutputError(`--output ${output}: directory ${directory} does not exist`);
  }
  return { directory, file: absolute };
}

function statOrUndefined(file: string): fs.Stats | undefined {
  try {
    return fs.statSync(file);
  } catch {
    return undefined;
  }
}

/** The hidden temporary name for one write; the pattern lets a later run recognise leftovers. */
function tempName(target: TextfileTarget): string {
  return path.join(
    target.directory,
    `.${path.basename(target.file)}.${process.pid}.${randomBytes(6).toString("hex")}.tmp`,
  );
}

function isOurTemp(target: TextfileTarget, name: string): boolean {
  const base = path.basename(target.file).replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^\\.${base}\\.\\d+\\.[0-9a-f]{12}\\.tmp$`).test(name);
}

/**
 * Writes text to target.file atomically, mode 0644 whatever the umask. On
 * failure nothing but the old file (if any) is left, and the error is thrown.
 */
export async function writeTextfileAtomically(target: TextfileTarget, text: string): Promise<void> {
  const temp = tempName(target);
  // O_EXCL|O_NOFOLLOW: never write through a file or link someone else put there.
  const flags = fs.constants.O_WRONLY | fs.constants.O_CREAT | fs.constants.O_EXCL | fs.constants.O_NOFOLLOW;
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(temp, flags, TEXTFILE_MODE);
    await handle.chmod(TEXTFILE_MODE);
    await handle.writeFile(text, "utf8");
    // On disk before the rename: after a crash the target is old or new, never empty.
    await handle.sync();
    await handle.close();
    handle = undefined;
    await fs.promises.rename(temp, target.file);
  } catch (error) {
    await handle?.close().catch(() => undefined);
    await fs.promises.rm(temp, { force: true }).catch(() => undefined);
    throw error;
  }
  await syncDirectory(target.directory);
}

/** Makes the rename itself durable; some filesystems refuse fsync on a directory, which is harmless. */
async function syncDirectory(directory: string): Promise<void> {
  let handle: fs.promises.FileHandle | undefined;
  try {
    handle = await fs.promises.open(directory, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
    await handle.sync();
  } catch {
    // Durability of the rename is best effort; the file itself is already synced.
  } finally {
    await handle?.close().catch(() => undefined);
  }
}

/**
 * Removes temporary files of earlier runs that were killed between creating
 * and renaming them (older than an hour, so a run in progress is never
 * touched). Returns the names removed.
 */
export async function removeStaleTempFiles(target: TextfileTarget, nowMs = Date.now()): Promise<string[]> {
  const removed: string[] = [];
  let names: string[];
  try {
    names = await fs.promises.readdir(target.directory);
  } catch {
    return removed;
  }
  for (const name of names.filter((n) => isOurTemp(target, n))) {
    const file = path.join(target.directory, name);
    try {
      const stat = await fs.promises.lstat(file);
      if (stat.isFile() && nowMs - stat.mtimeMs > STALE_TEMP_MS) {
        await fs.promises.rm(file);
        removed.push(name);
      }
    } catch {
      // Gone already, or not ours to remove: leave it.
    }
  }
  return removed;
}
