// What a file or directory of the host's root filesystem held when it was last
// read, kept while its stat(2) says it has not changed since: one thread-pool
// trip (the stat) instead of four (open, fstat, read, close) for an
// os-release or a reboot-required.pkgs that changes once in months, and one
// instead of two for a listing of /boot or /lib/modules. Every scrape still
// asks the file system: a change is seen on the next scrape.
//
// "Unchanged" is the same device, inode, size, mtime and ctime, to the
// nanosecond. Any write or rename moves ctime, which userspace cannot set.
// But the kernel stamps those times from a coarse clock (a jiffy, up to
// 10 ms), so two writes of the same size within one tick look alike: as git
// does with its index, what was read from a file changed within the last
// RACY_NS is not kept, and the next scrape reads it again.
import type fs from "node:fs";

/** Changes closer than this to the read may share their timestamps with a later change. */
const RACY_NS = 2_000_000_000n;
/** The files a scrape reads are a fixed handful; a bound in case a collector ever reads many. */
const MAX_ENTRIES = 64;

/** The identity of a file's content as stat(2) tells it. */
export function statKey(stats: fs.BigIntStats): string {
  return `${stats.dev}:${stats.ino}:${stats.size}:${stats.mtimeNs}:${stats.ctimeNs}`;
}

export class UnchangedMemory<T> {
  private readonly entries = new Map<string, { readonly key: string; readonly value: T }>();

  /** What was kept for `name`, if the file still has the stat it had when read. */
  get(name: string, now: fs.BigIntStats): T | undefined {
    const entry = this.entries.get(name);
    return entry?.key === statKey(now) ? entry.value : undefined;
  }

  /**
   * Keeps `value`, read from a file whose stat was `read` (taken before reading it; for a file, on the
   * descriptor read), unless the file changed too recently to tell a later change from this one.
   */
  keep(name: string, read: fs.BigIntStats, value: T): void {
    const changed = read.ctimeNs > read.mtimeNs ? read.ctimeNs : read.mtimeNs;
    if (BigInt(Date.now()) * 1_000_000n - changed < RACY_NS) {
      this.entries.delete(name);
      return;
    }
    this.entries.delete(name); // re-inserted last: the oldest goes first when full
    if (this.entries.size >= MAX_ENTRIES) {
      const oldest = this.entries.keys().next();
      if (oldest.done !== true) this.entries.delete(oldest.value);
    }
    this.entries.set(name, { key: statKey(read), value });
  }

  forget(name: string): void {
    this.entries.delete(name);
  }
}
