// Synchronous, size-capped reads of kernel pseudo-files (procfs, sysfs).
//
// Why synchronous: procfs and sysfs attributes are rendered by the kernel in
// memory; a sync open/read/close costs a few microseconds, while the same
// read through libuv's thread pool costs tens of times more (npm run bench,
// "Cost of one file system operation"). A scrape reads thousands of such
// files when many patches or threads are present, so the hot path stays
// synchronous; long walks pause between slices (CollectorContext.pacing).
// Files of the host's root filesystem, which may be on a disk or a network
// mount that hangs, are read through the thread pool instead (rootfs.ts).
//
// Why non-blocking: every file is opened with O_NONBLOCK and must be a regular
// file (fstat), so a FIFO, socket or device put in place of an attribute can
// neither block the process nor feed it data: it is refused as "not_regular".
//
// Why capped: a garbage or hostile file must not make us allocate without
// bound; every read has a byte limit and reports "too_large" beyond it.
import fs from "node:fs";

/**
 * Why a read produced no value. "absent" is normal (the kernel lacks the file);
 * "not_regular": a FIFO, socket or device where a file should be;
 * "outside_rootfs": the file opened under --path.rootfs turned out to be outside it (a link swapped in).
 */
export type ReadFailure =
  "absent" | "unreadable" | "vanished" | "too_large" | "io_error" | "not_regular" | "outside_rootfs";

export interface Failed {
  readonly ok: false;
  readonly failure: ReadFailure;
  readonly code: string;
}

export type ReadResult = { readonly ok: true; readonly text: string } | Failed;

export type ListResult = { readonly ok: true; readonly entries: readonly fs.Dirent[] } | Failed;

export type NamesResult = { readonly ok: true; readonly names: readonly string[] } | Failed;

export type StatResult = { readonly ok: true; readonly stats: fs.Stats } | Failed;

/** Default cap for an attribute: sysfs values fit in one page (4 KiB, 64 KiB on some arm64/ppc64le). */
export const DEFAULT_READ_CAP_BYTES = 64 * 1024;

const scratch = Buffer.allocUnsafe(DEFAULT_READ_CAP_BYTES + 1);

/**
 * Flags of every open of a file to read: never blocks on a FIFO or a device that honours O_NONBLOCK, and a
 * terminal put in place of a file never becomes the process's controlling terminal (O_NOCTTY).
 */
export const READ_FLAGS = fs.constants.O_RDONLY | fs.constants.O_NONBLOCK | fs.constants.O_NOCTTY;

export const NOT_REGULAR: Failed = { ok: false, failure: "not_regular", code: "ENOTREG" };
const TOO_LARGE: Failed = { ok: false, failure: "too_large", code: "EFBIG" };

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
    // ENXIO: open(2) of a socket, or of a FIFO for writing; never a regular file.
    case "ENXIO":
      return { failure: "not_regular", code };
    default:
      return { failure: "io_error", code };
  }
}

export function errorCode(error: unknown): string {
  if (typeof error === "object" && error !== null && "code" in error && typeof error.code === "string") {
    return error.code;
  }
  return "UNKNOWN";
}

export function failed(error: unknown): Failed {
  return { ok: false, ...classifyError(error) };
}

/**
 * The first read asks for one page. Kernel handlers size their buffer by the
 * request (proc_sys allocates and zeroes `count` bytes), so asking for 64 KiB
 * to read "1\n" made each read of /proc/sys/kernel/* three times slower.
 */
const FIRST_READ_BYTES = 4096;

/**
 * The buffer of one capped read, the same for the synchronous reads here and
 * the thread pool's in rootfs.ts: where the next read goes, how much it asks
 * for, and whether the file has ended or outgrown its cap.
 */
export class CappedBuffer {
  total = 0;

  constructor(
    public buffer: Buffer,
    private readonly capBytes: number,
    private readonly singleRead: boolean,
    private readonly firstReadBytes = FIRST_READ_BYTES,
  ) {}

  /** Bytes the next read asks for at buffer[total]; grows the buffer when it is full. */
  wanted(): number {
    if (this.total === this.buffer.length) {
      // Only a file larger than the first buffer (and within its cap) gets a
      // larger one, doubled as it grows: allocating the whole cap up front cost
      // 4 MiB per scrape for /proc/modules, and the garbage collections that came with it.
      const grown = Buffer.allocUnsafe(Math.min(this.capBytes + 1, this.buffer.length * 2));
      this.buffer.copy(grown, 0, 0, this.total);
      this.buffer = grown;
    }
    const limit = Math.min(this.buffer.length, this.capBytes + 1);
    // A file that filled the first page is a large one: read the rest in large chunks.
    return this.total < this.firstReadBytes ? Math.min(this.firstReadBytes, limit - this.total) : limit - this.total;
  }

  /** Records a read of `n` bytes out of `wanted`: "more" to read on, "done" at the end. */
  advance(n: number, wanted: number): "more" | "done" | "too_large" {
    this.total += n;
    if (this.total > this.capBytes) return "too_large";
    return n === 0 || (this.singleRead && n < wanted) ? "done" : "more";
  }
}

/**
 * Reads a whole file as UTF-8 text, up to `capBytes`. Never throws, never blocks.
 * Opens read-only; callers must not pass write-only attributes (force, signal):
 * kernfs refuses them with EACCES even for root.
 *
 * `singleRead`: the file is rendered whole on the first read (a sysfs
 * attribute, a single-value procfs file such as patch_state, or a regular
 * file), so a read shorter than asked is the end and the read that would
 * return 0 is skipped. Not for multi-record seq_files such as /proc/modules,
 * which return one page of records per read.
 *
 * `listedRegular`: the caller has just seen the file listed as a regular file
 * (a directory entry's type), which spares the fstat; a FIFO swapped in since
 * then still cannot block (O_NONBLOCK).
 */
export function readText(
  path: string,
  capBytes: number = DEFAULT_READ_CAP_BYTES,
  singleRead = false,
  listedRegular = false,
): ReadResult {
  const read = readRaw(path, capBytes, singleRead, listedRegular);
  return read.ok ? { ok: true, text: read.buffer.toString("utf8", 0, read.length) } : read;
}

/** Reads a whole file as bytes, up to `capBytes` (for /proc/config.gz). Never throws. */
export function readBytes(path: string, capBytes: number): { ok: true; bytes: Buffer } | Failed {
  const read = readRaw(path, capBytes, false, false);
  // A copy: the buffer may be the shared scratch buffer.
  return read.ok ? { ok: true, bytes: Buffer.from(read.buffer.subarray(0, read.length)) } : read;
}

/** The bytes of a file in `buffer[0, length)`; `buffer` may be the shared scratch buffer. */
function readRaw(
  path: string,
  capBytes: number,
  singleRead: boolean,
  listedRegular: boolean,
): { ok: true; buffer: Buffer; length: number } | Failed {
  const fd = openQuietly(path, READ_FLAGS);
  if (typeof fd !== "number") return fd;
  try {
    if (!listedRegular && !fs.fstatSync(fd).isFile()) return NOT_REGULAR;
    const capped = new CappedBuffer(scratch, capBytes, singleRead);
    for (;;) {
      const wanted = capped.wanted();
      const step = capped.advance(fs.readSync(fd, capped.buffer, capped.total, wanted, null), wanted);
      if (step === "too_large") return TOO_LARGE;
      if (step === "done") return { ok: true, buffer: capped.buffer, length: capped.total };
    }
  } catch (error) {
    return failed(error);
  } finally {
    closeQuietly(fd);
  }
}

/** Lists a directory with entry types. Never throws; opendir(3) of a FIFO fails at once (ENOTDIR). */
export function listDir(path: string): ListResult {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // see openQuietly
  try {
    return { ok: true, entries: fs.readdirSync(path, { withFileTypes: true }) };
  } catch (error) {
    return failed(error);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/** Lists a directory's names only: no entry objects, for walks over thousands of directories. Never throws. */
export function listNames(path: string): NamesResult {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0; // see openQuietly
  try {
    return { ok: true, names: fs.readdirSync(path) };
  } catch (error) {
    return failed(error);
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Whether a directory exists and may be listed, without listing it:
 * open(O_DIRECTORY) fails as readdir would (ENOENT, ENOTDIR, EACCES), for a
 * fraction of the cost on a large directory such as /proc/sys/kernel.
 */
export function probeDir(path: string): { ok: true } | Failed {
  const fd = openQuietly(path, fs.constants.O_RDONLY | fs.constants.O_DIRECTORY);
  if (typeof fd !== "number") return fd;
  closeQuietly(fd);
  return { ok: true };
}

/**
 * open(2) that returns the failure instead of throwing it. Missing files are
 * normal here (a kernel without modules has no /proc/modules, a host without
 * a pending reboot no /run/reboot-required.pkgs), and the exception Node.js
 * makes for each one captured a stack trace nobody reads: half the cost of
 * the failed open. The limit is restored before anything else can run.
 */
function openQuietly(path: string, flags: number): number | Failed {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return fs.openSync(path, flags);
  } catch (error) {
    return failed(error);
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
