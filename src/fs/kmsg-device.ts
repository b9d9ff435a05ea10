// The kernel log device, /dev/kmsg: the one character device this exporter
// reads, and never in a way that could block.
//
// - Opened O_RDONLY|O_NONBLOCK (libuv adds O_CLOEXEC), then checked with
//   fstat(2): the character device 1:11 (mem, kmsg), or a regular file holding
//   a saved copy of it (test captures; `cat /dev/kmsg > file` on another
//   host), which is replayed as if it were the device. Anything else (a FIFO,
//   another device, a directory) is refused: the path is not the kernel log.
// - The device: each read(2) returns one whole record. Opening replays the
//   ring buffer from its oldest record; reading past the newest one fails
//   with EAGAIN (non-blocking), which ends a drain; EPIPE says records were
//   overwritten since the last read, and the next read returns the oldest one
//   still there (the sequence numbers then show how many were lost); EINVAL
//   says the buffer is smaller than the record.
// - Opening it for reading runs the kernel's syslog permission check:
//   with kernel.dmesg_restrict=1 it needs CAP_SYSLOG, else EPERM.
// - The device's descriptor stays open between drains, so each drain returns
//   only what was logged since the last one. A saved copy is opened for each
//   drain and read from where the last one stopped.
import fs from "node:fs";
import { StringDecoder } from "node:string_decoder";
import { classifyError, type ReadFailure } from "./read.js";

/** /dev/kmsg is char 1:11 (Documentation/admin-guide/devices.txt). */
const KMSG_MAJOR = 1;
const KMSG_MINOR = 11;

/** A record is at most CONSOLE_EXT_LOG_MAX (8 KiB) plus its dictionary; start there and grow on EINVAL. */
const FIRST_BUFFER_BYTES = 16 * 1024;
const MAX_BUFFER_BYTES = 1024 * 1024;
/** A saved copy is read in chunks of this size. */
const FILE_CHUNK_BYTES = 256 * 1024;

export type KmsgKind = "device" | "file";

/** Why the kernel log could not be read: a read failure, or "invalid" (the path is not the kernel log). */
export type KmsgFailure = ReadFailure | "invalid";

export interface KmsgError {
  readonly failure: KmsgFailure;
  readonly code: string;
}

export interface KmsgDrain {
  /** Texts read, in order: one record each from the device, whole lines of records from a saved copy. */
  readonly chunks: readonly string[];
  /** Reads that failed with EPIPE: records were overwritten before they could be read. */
  readonly overwritten: number;
  /** The drain stopped at its limit before the end of the log (the rest is read next time). */
  readonly truncated: boolean;
  /** Why the log could not be opened or read to its end; the next drain opens it again. */
  readonly error: KmsgError | undefined;
}

type Opened =
  { readonly ok: true; readonly fd: number; readonly kind: KmsgKind } | ({ readonly ok: false } & KmsgError);

/** The kernel log at one path, read drain by drain; never blocks, never throws. */
export class KmsgLogReader {
  private device: number | undefined;
  private kindSeen: KmsgKind | undefined;
  private buffer = Buffer.allocUnsafe(FIRST_BUFFER_BYTES);
  /** A saved copy: where the next drain starts, and the text after its last newline so far. */
  private position = 0;
  private partial = "";
  private readonly decoder = new StringDecoder("utf8");

  constructor(readonly path: string) {}

  /** What the path turned out to be when last opened. */
  get kind(): KmsgKind | undefined {
    return this.kindSeen;
  }

  /** Reads what was logged since the last drain, at most `maxChunks` texts. */
  drain(maxChunks: number): KmsgDrain {
    let fd = this.device;
    if (fd === undefined) {
      const opened = open(this.path);
      if (!opened.ok) return failed(opened);
      this.kindSeen = opened.kind;
      fd = opened.fd;
      if (opened.kind === "device") this.device = fd;
    }
    try {
      return this.kindSeen === "device" ? this.drainDevice(fd, maxChunks) : this.drainFile(fd, maxChunks);
    } finally {
      if (this.device !== fd) closeQuietly(fd);
    }
  }

  close(): void {
    if (this.device === undefined) return;
    closeQuietly(this.device);
    this.device = undefined;
  }

  private drainDevice(fd: number, maxChunks: number): KmsgDrain {
    const chunks: string[] = [];
    let overwritten = 0;
    for (;;) {
      if (chunks.length >= maxChunks) return { chunks, overwritten, truncated: true, error: undefined };
      let n: number;
      try {
        n = quietly(() => fs.readSync(fd, this.buffer, 0, this.buffer.length, null));
      } catch (error) {
        const code = errorCode(error);
        if (code === "EAGAIN" || code === "EWOULDBLOCK") break;
        if (code === "EPIPE") {
          overwritten += 1;
          continue;
        }
        if (code === "EINVAL" && this.buffer.length < MAX_BUFFER_BYTES) {
          this.buffer = Buffer.allocUnsafe(this.buffer.length * 4);
          continue;
        }
        // Closed by drain(): the next drain opens the device again (and skips what it replays).
        this.device = undefined;
        return { chunks, overwritten, truncated: false, error: { ...classifyError(error), code } };
      }
      if (n === 0) break;
      chunks.push(this.buffer.toString("utf8", 0, n));
    }
    return { chunks, overwritten, truncated: false, error: undefined };
  }

  private drainFile(fd: number, maxChunks: number): KmsgDrain {
    const chunks: string[] = [];
    if (this.buffer.length < FILE_CHUNK_BYTES) this.buffer = Buffer.allocUnsafe(FILE_CHUNK_BYTES);
    for (;;) {
      if (chunks.length >= maxChunks) return { chunks, overwritten: 0, truncated: true, error: undefined };
      let n: number;
      try {
        n = fs.readSync(fd, this.buffer, 0, this.buffer.length, this.position);
      } catch (error) {
        return { chunks, overwritten: 0, truncated: false, error: classifyError(error) };
      }
      if (n === 0) break;
      // Chunks end at a newline, so that no record is cut in two.
      this.position += n;
      const text = this.partial + this.decoder.write(this.buffer.subarray(0, n));
      const end = text.lastIndexOf("\n") + 1;
      this.partial = text.slice(end);
      if (end > 0) chunks.push(text.slice(0, end));
    }
    // The end of a saved copy ends its last record, newline or not.
    if (this.partial !== "") {
      chunks.push(this.partial);
      this.partial = "";
    }
    return { chunks, overwritten: 0, truncated: false, error: undefined };
  }
}

function failed(error: KmsgError): KmsgDrain {
  return { chunks: [], overwritten: 0, truncated: false, error: { failure: error.failure, code: error.code } };
}

function open(path: string): Opened {
  let fd: number;
  try {
    fd = quietly(() => fs.openSync(path, fs.constants.O_RDONLY | fs.constants.O_NONBLOCK));
  } catch (error) {
    return { ok: false, ...classifyError(error) };
  }
  try {
    const stats = fs.fstatSync(fd);
    if (stats.isCharacterDevice() && major(stats.rdev) === KMSG_MAJOR && minor(stats.rdev) === KMSG_MINOR) {
      return { ok: true, fd, kind: "device" };
    }
    if (stats.isFile()) return { ok: true, fd, kind: "file" };
    closeQuietly(fd);
    return { ok: false, failure: "invalid", code: stats.isCharacterDevice() ? "ENOTKMSG" : "ENOTCHR" };
  } catch (error) {
    closeQuietly(fd);
    return { ok: false, ...classifyError(error) };
  }
}

/** Linux's dev_t as Node.js reports it (new_encode_dev): major in bits 8-19, minor in bits 0-7 and 20-31. */
function major(rdev: number): number {
  return Math.floor(rdev / 0x100) & 0xfff;
}

function minor(rdev: number): number {
  return (rdev & 0xff) | (Math.floor(rdev / 0x1000) & 0xfff00);
}

/**
 * EAGAIN ends every drain of the device, and a missing device fails every
 * scrape: exceptions whose stack traces nobody reads. The limit is restored
 * before anything else can run (as in read.ts).
 */
function quietly<T>(call: () => T): T {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return call();
  } finally {
    Error.stackTraceLimit = limit;
  }
}

function errorCode(error: unknown): string {
  return typeof error === "object" && error !== null && "code" in error && typeof error.code === "string"
    ? error.code
    : "UNKNOWN";
}

function closeQuietly(fd: number): void {
  try {
    fs.closeSync(fd);
  } catch {
    // Nothing was written; nothing to report.
  }
}
