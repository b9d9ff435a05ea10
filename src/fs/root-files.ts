// The host's root filesystem (--path.rootfs): reads, stats and listings that
// never leave it and never block the event loop.
//
// - Every call goes through the thread pool (pool.ts): /boot or /etc may be a
//   disk or a network mount that hangs, and a hung call must hold a pool
//   thread, not the process. The collector's timeout then fires, and the
//   collector is not started again while its call is still pending.
// - Containment is checked on what was opened, not on the path before opening
//   it: the path is resolved as the host would (host-paths.ts), then opened
//   with O_NOFOLLOW (and O_NONBLOCK to read it; O_PATH to stat or list it: no
//   side effect, no read permission needed), and /proc/self/fd/N must name
//   that same path, else nothing is read. A link swapped in between the
//   resolution and the open is caught, in a directory component as well as in
//   the last one. Stats and listings go through that very descriptor.
// - Only regular files are read (O_NONBLOCK, then fstat): a FIFO, socket or
//   device is refused as not_regular.
// - With --path.rootfs=/ nothing can be outside it: plain calls, no check; and
//   what a file or listing held is kept while its stat says it is unchanged
//   (unchanged.ts): one trip to the pool per scrape for a file that changes
//   once in months. (Under another root every read is checked afresh.)
import fs from "node:fs";
import path from "node:path";
import { lookup, resolveUnderRoot } from "./host-paths.js";
import { pool } from "./pool.js";
import { UnchangedMemory } from "./unchanged.js";
import {
  CappedBuffer,
  errorCode,
  failed,
  NOT_REGULAR,
  READ_FLAGS,
  type Failed,
  type ReadResult,
  type StatResult,
} from "./read.js";

/** open(2)'s O_PATH (Linux, every architecture Node.js runs on); Node.js does not export it. */
const O_PATH = 0o10000000;
/** For a stat or a listing: no side effect, no read permission needed, never blocks. */
const CHECKED_OPEN = O_PATH | fs.constants.O_NOFOLLOW;
/** The file changed while it was being opened (a rename inside the root): a race, like a file that vanished. */
const CHANGED: Failed = { ok: false, failure: "vanished", code: "ECHANGED" };
const NOT_A_DIRECTORY: Failed = { ok: false, failure: "absent", code: "ENOTDIR" };

type Opened = { readonly ok: true; readonly fd: number } | Failed;

/** A directory's entries with their types, and when it last changed (its mtime). */
export type RootListResult =
  { readonly ok: true; readonly entries: readonly fs.Dirent[]; readonly mtimeMs: number } | Failed;
type OpenedFile = { readonly ok: true; readonly fd: number; readonly stats: fs.Stats } | Failed;

export class RootFiles {
  private real: Promise<string> | undefined;
  /** What each path component was in this scrape: /run or /lib/modules is looked up once, not once per file. */
  private lookups = new Map<string, Promise<string | undefined>>();
  /** Under --path.rootfs=/: texts read, by cap and path, and listings, while their stat is unchanged. */
  private readonly texts = new UnchangedMemory<ReadResult>();
  private readonly listings = new UnchangedMemory<RootListResult>();

  constructor(private readonly rootfs: string) {}

  /**
   * A new scrape: components are looked up afresh. (A component that changes
   * during a scrape cannot mislead: what was opened is checked anyway.)
   */
  newScrape(): void {
    this.lookups = new Map();
  }

  /** A host path as this machine names it, for logs: /etc/os-release under /host is /host/etc/os-release. */
  local(hostPath: string): string {
    return path.join(this.rootfs, path.resolve("/", hostPath));
  }

  /** The whole file as UTF-8 text, up to `capBytes`. Never throws. */
  async readText(hostPath: string, capBytes: number): Promise<ReadResult> {
    const root = await this.root();
    if (typeof root !== "string") return root;
    if (root === "/") return this.readUnchecked(path.resolve("/", hostPath), capBytes);
    const opened = await this.openChecked(root, hostPath, READ_FLAGS | fs.constants.O_NOFOLLOW);
    if (!opened.ok) return opened;
    return (await readOpened(opened.fd, capBytes)).result;
  }

  /** Under --path.rootfs=/: what was read last time while the file's stat is unchanged, else a read. */
  private async readUnchecked(file: string, capBytes: number): Promise<ReadResult> {
    const name = `${capBytes}:${file}`;
    let fd: number;
    try {
      const kept = this.texts.get(name, await pool.statExact(file));
      if (kept !== undefined) return kept;
      fd = await pool.open(file, READ_FLAGS);
    } catch (error) {
      this.texts.forget(name);
      return failed(error);
    }
    const { result, stats } = await readOpened(fd, capBytes);
    if (stats === undefined) this.texts.forget(name);
    else this.texts.keep(name, stats, result);
    return result;
  }

  /** stat(2) of the file the host path names (links followed, inside the root). Never throws. */
  async stat(hostPath: string): Promise<StatResult> {
    const root = await this.root();
    if (typeof root !== "string") return root;
    if (root === "/") return pool.stat(path.resolve("/", hostPath)).then((stats) => ({ ok: true, stats }), failed);
    const opened = await this.openCheckedFile(root, hostPath);
    if (!opened.ok) return opened;
    pool.close(opened.fd);
    return { ok: true, stats: opened.stats };
  }

  /** The entries of a directory, with their types, and when it last changed. Never throws. */
  async list(hostPath: string): Promise<RootListResult> {
    const root = await this.root();
    if (typeof root !== "string") return root;
    if (root === "/") return this.listUnchecked(path.resolve("/", hostPath));
    const opened = await this.openChecked(root, hostPath, CHECKED_OPEN | fs.constants.O_DIRECTORY);
    if (!opened.ok) return opened;
    try {
      return await listDirectory(fdPath(opened.fd));
    } finally {
      pool.close(opened.fd);
    }
  }

  /** Under --path.rootfs=/: the last listing while the directory's stat is unchanged, else a listing. */
  private async listUnchecked(dir: string): Promise<RootListResult> {
    let stats: fs.BigIntStats;
    try {
      stats = await pool.statExact(dir);
    } catch (error) {
      this.listings.forget(dir);
      return failed(error);
    }
    const kept = this.listings.get(dir, stats);
    if (kept !== undefined) return kept;
    // Kept under the stat taken before listing: a change during the listing shows as another stat next time.
    const result = await listDirectory(dir);
    if (result.ok) this.listings.keep(dir, stats, result);
    else this.listings.forget(dir);
    return result;
  }

  private lookup(candidate: string): Promise<string | undefined> {
    let found = this.lookups.get(candidate);
    if (found === undefined) {
      found = lookup(candidate);
      this.lookups.set(candidate, found);
    }
    return found;
  }

  /** realpath(--path.rootfs), once it could be found: the prefix every opened file must have. */
  private async root(): Promise<string | Failed> {
    this.real ??= pool.realpath(this.rootfs);
    try {
      return await this.real;
    } catch (error) {
      this.real = undefined; // not mounted yet: try again next time
      return failed(error);
    }
  }

  /**
   * Opens the file `hostPath` names under `root` with `flags` (which hold
   * O_NOFOLLOW), and keeps the descriptor only if /proc/self/fd/N names the
   * resolved path: the file opened is the file resolved, inside the root. A
   * symlink in its place (swapped in since the resolution) is refused: by
   * O_NOFOLLOW (ELOOP) for a read, by O_DIRECTORY (ENOTDIR) for a listing, by
   * openCheckedFile's fstat for an O_PATH descriptor (which opens the link itself).
   */
  private async openChecked(root: string, hostPath: string, flags: number): Promise<Opened> {
    const resolved = await resolveUnderRoot(root, hostPath, (candidate) => this.lookup(candidate));
    if (!resolved.ok) return resolved;
    let fd: number;
    try {
      fd = await pool.open(resolved.path, flags);
    } catch (error) {
      // O_NOFOLLOW met a link where the resolution saw none: it was swapped in since. Not followed.
      return errorCode(error) === "ELOOP" ? CHANGED : failed(error);
    }
    let opened: string;
    try {
      opened = fs.readlinkSync(fdPath(fd));
    } catch (error) {
      pool.close(fd);
      // Without /proc/self the check cannot be made: refuse, never read unchecked.
      return { ok: false, failure: "io_error", code: `proc_self_fd_${failed(error).code}` };
    }
    if (opened === resolved.path) return { ok: true, fd };
    pool.close(fd);
    // Inside the root but elsewhere: the path changed while it was opened (a rename), a normal race.
    const inside = opened === root || opened.startsWith(`${root}/`);
    return inside ? CHANGED : { ok: false, failure: "outside_rootfs", code: "EXDEV" };
  }

  /** openChecked, with the file's fstat; a symlink is refused (O_PATH|O_NOFOLLOW opened the link itself). */
  private async openCheckedFile(root: string, hostPath: string): Promise<OpenedFile> {
    const opened = await this.openChecked(root, hostPath, CHECKED_OPEN);
    if (!opened.ok) return opened;
    try {
      const stats = await pool.fstat(opened.fd);
      if (!stats.isSymbolicLink()) return { ok: true, fd: opened.fd, stats };
      pool.close(opened.fd);
      // The resolution saw no link there: it was swapped in since. Not followed.
      return CHANGED;
    } catch (error) {
      pool.close(opened.fd);
      return failed(error);
    }
  }
}

function fdPath(fd: number): string {
  return `/proc/self/fd/${fd}`;
}

/** A directory's stat and entries, through the pool. Never throws. */
async function listDirectory(dir: string): Promise<RootListResult> {
  try {
    const stats = await pool.stat(dir);
    if (!stats.isDirectory()) return NOT_A_DIRECTORY;
    return { ok: true, entries: await pool.readdir(dir), mtimeMs: stats.mtimeMs };
  } catch (error) {
    return failed(error);
  }
}

/**
 * The whole of an open file, up to `capBytes`, with the stat it had before it was read (for UnchangedMemory:
 * undefined when nothing was read); closes it. Never throws.
 */
async function readOpened(fd: number, capBytes: number): Promise<{ result: ReadResult; stats?: fs.BigIntStats }> {
  try {
    const stats = await pool.fstatExact(fd);
    if (!stats.isFile()) return { result: NOT_REGULAR };
    // A regular file: one read of its size (and a byte more, to see it did not grow past the cap) is the whole.
    const size = Math.min(Number(stats.size), capBytes) + 1;
    const capped = new CappedBuffer(Buffer.allocUnsafe(size), capBytes, true, size);
    for (;;) {
      const wanted = capped.wanted();
      const step = capped.advance(await pool.read(fd, capped.buffer, capped.total, wanted), wanted);
      if (step === "too_large") return { result: { ok: false, failure: "too_large", code: "EFBIG" }, stats };
      if (step === "done")
        return { result: { ok: true, text: capped.buffer.toString("utf8", 0, capped.total) }, stats };
    }
  } catch (error) {
    return { result: failed(error) };
  } finally {
    pool.close(fd);
  }
}
