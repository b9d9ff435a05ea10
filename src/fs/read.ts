// Synchronous, size-capped reads of kernel pseudo-files and small host files.
//
// Why synchronous: procfs and sysfs attributes are rendered by the kernel in
// memory; a sync open/read/close costs a few microseconds, while the same
// read through libuv's thread pool costs tens of times more (npm run bench,
// "Cost of one file system operation"). A scrape reads thousands of such
// files when many patches or threads are present, so the hot path stays
// synchronous.
//
// Why capped: a garbage or hostile file must not make us allocate without
// bound; every read has a byte limit and reports "too_large" beyond it.
import fs from "node:fs";

/** Why a read produced no value. "absent" is normal (the kernel lacks the file). */
export type ReadFailure = "absent" | "unreadable" | "vanished" | "too_large" | "io_error";

export type ReadResult =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly failure: ReadFailure; readonly code: string };

export type ListResult =
  | { readonly ok: true; readonly entries: readonly fs.Dirent[] }
  | { readonly ok: false; readonly failure: ReadFailure; readonly code: string };

export type StatResult =
  | { readonly ok: true; readonly stats: fs.Stats }
  | { readonly ok: false; readonly failure: ReadFailure; readonly code: string };

/** Default cap for an attribute: sysfs values fit in one page (4 KiB, 64 KiB on some arm64/ppc64le). */
export const DEFAULT_READ_CAP_BYTES = 64 * 1024;

const scratch = Buffer.allocUnsafe(DEFAULT_READ_CAP_BYTES + 1);

/** Maps a Node.js fs error to the reason we report. */
export function classifyError(error: unknown): { failure: ReadFailure; code: string } {
  const code = errorCode(error);
  switch (code) {
    case "ENOENT":
    case "ENOTDIR":
      return { failure: "absent", code };
    case "EACCES":
    case "EPERM":
      return { failure: "unreadable", code };
    // ENODEV: the kernfs node was removed while we held it open (patch freed);
    // ESRCH: the task exited between readdir and read.
    case "ENODEV":
    case "ESRCH":
      return { failure: "vanished", code };
    default:
      return { failure: "io_error", code };
  }
}

function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return "UNKNOWN";
}

/**
 * The first read asks for one page. Kernel handlers size their buffer by the
 * request (proc_sys allocates and zeroes `count` bytes), so asking for 64 KiB
 * to read "1\n" made each read of /proc/sys/kernel/* three times slower.
 */
const FIRST_READ_BYTES = 4096;

/**
 * Reads a whole file as UTF-8 text, up to `capBytes`. Never throws.
 * Opens read-only; callers must not pass write-only attributes (force, signal):
 * kernfs refuses them with EACCES even for root.
 *
 * `singleRead`: the file is rendered whole on the first read (a sysfs
 * attribute, a single-value procfs file such as patch_state, or a regular
 * file), so a read shorter than asked is the end and the read that would
 * return 0 is skipped. Not for multi-record seq_files such as /proc/modules,
 * which return one page of records per read.
 */
export function readText(path: string, capBytes: number = DEFAULT_READ_CAP_BYTES, singleRead = false): ReadResult {
  const read = readRaw(path, capBytes, singleRead);
  return read.ok ? { ok: true, text: read.buffer.toString("utf8", 0, read.length) } : read;
}

/** Reads a whole file as bytes, up to `capBytes` (for /proc/config.gz). Never throws. */
export function readBytes(
  path: string,
  capBytes: number,
): { ok: true; bytes: Buffer } | { ok: false; failure: ReadFailure; code: string } {
  const read = readRaw(path, capBytes, false);
  // A copy: the buffer may be the shared scratch buffer.
  return read.ok ? { ok: true, bytes: Buffer.from(read.buffer.subarray(0, read.length)) } : read;
}

/** The bytes of a file in `buffer[0, length)`; `buffer` may be the shared scratch buffer. */
function readRaw(
  path: string,
  capBytes: number,
  singleRead: boolean,
): { ok: true; buffer: Buffer; length: number } | { ok: false; failure: ReadFailure; code: string } {
  const fd = openQuietly(path, "r");
  if (typeof fd !== "number") return fd;
  try {
    let buffer = scratch;
    let total = 0;
    for (;;) {
      if (total === buffer.length) {
        // Only a file larger than the scratch buffer (and within its cap) gets
        // a buffer of its own, doubled as it grows: allocating the whole cap up
        // front cost 4 MiB per scrape for /proc/modules, and the garbage
        // collections that came with it.
        const grown = Buffer.allocUnsafe(Math.min(capBytes + 1, buffer.length * 2));
        buffer.copy(grown, 0, 0, total);
        buffer = grown;
      }
      const limit = Math.min(buffer.length, capBytes + 1);
      // A file that filled the first page is a large one: read the rest in large chunks.
      const wanted = total < FIRST_READ_BYTES ? Math.min(FIRST_READ_BYTES, limit - total) : limit - total;
      const n = fs.readSync(fd, buffer, total, wanted, null);
      total += n;
      if (total > capBytes) return { ok: false, failure: "too_large", code: "EFBIG" };
      if (n === 0 || (singleRead && n < wanted)) break;
    }
    return { ok: true, buffer, length: total };
  } catch (error) {
    return { ok: false, ...classifyError(error) };
  } finally {
    closeQuietly(fd);
  }
}

/** Lists a directory with entry types. Never throws. */
export function listDir(path: string): ListResult {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // see openQuietly
  try {
    return { ok: true, entries: fs.readdirSync(path, { withFileTypes: true }) };
  } catch (error) {
    return { ok: false, ...classifyError(error) };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Whether a directory exists and may be listed, without listing it:
 * open(O_DIRECTORY) fails as readdir would (ENOENT, ENOTDIR, EACCES), for a
 * fraction of the cost on a large directory such as /proc/sys/kernel.
 */
export function probeDir(path: string): { ok: true } | { ok: false; failure: ReadFailure; code: string } {
  const fd = openQuietly(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  if (typeof fd !== "number") return fd;
  closeQuietly(fd);
  return { ok: true };
}

/** stat(2), following symlinks. Never throws. */
export function statPath(path: string): StatResult {
  try {
    // A missing file is common here (reboot sentinels): no exception for it, they are slow.
    const stats = fs.statSync(path, { throwIfNoEntry: false });
    return stats === undefined ? { ok: false, failure: "absent", code: "ENOENT" } : { ok: true, stats };
  } catch (error) {
    return { ok: false, ...classifyError(error) };
  }
}

/**
 * open(2) that returns the failure instead of throwing it. Missing files are
 * normal here (a kernel without modules has no /proc/modules, a host without
 * a pending reboot no /run/reboot-required.pkgs), and the exception Node.js
 * makes for each one captured a stack trace nobody reads: half the cost of
 * the failed open. The limit is restored before anything else can run.
 */
function openQuietly(path: string, flags: string | number): number | { ok: false; failure: ReadFailure; code: string } {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fs.openSync(path, flags);
  } catch (error) {
    return { ok: false, ...classifyError(error) };
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Closing a pseudo-file cannot lose data; nothing useful to report.
  }
}
