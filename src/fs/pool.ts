// File system calls through libuv's thread pool, for files that may sit on a
// disk or a network mount that hangs (the host's root filesystem): a hung
// call occupies a pool thread, never the event loop.
//
// At most MAX_IN_FLIGHT of these calls run at once, so hung ones cannot take
// every pool thread from the rest of the process (TLS, zlib, DNS); the others
// wait in line. A hung call never returns, and it also keeps the process from
// exiting normally (Node.js joins the pool's threads at exit): main.ts asks
// poolCallsInFlight() before it exits.
//
// Calls go through the callback API looked up at call time (fs.open, not a
// bound copy), so tests can inject faults into node:fs.
import fs from "node:fs";

/** libuv's pool has 4 threads by default: leave at least two to everything else. */
const MAX_IN_FLIGHT = 2;
let running = 0;
const waiting: (() => void)[] = [];

type Callback<T> = (error: NodeJS.ErrnoException | null, value: T) => void;

/** Runs one callback-style fs call in the pool, within the in-flight limit. */
function call<T>(start: (callback: Callback<T>) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    const run = (): void => {
      running += 1;
      let done = false;
      const settle = (error: Error | null, value?: T): void => {
        if (done) return;
        done = true;
        running -= 1;
        waiting.shift()?.();
        if (error === null) resolve(value as T);
        else reject(error);
      };
      try {
        start(settle);
      } catch (error) {
        // An invalid argument, thrown before the call reached the pool.
        settle(error instanceof Error ? error : new Error("invalid file system call"));
      }
    };
    if (running < MAX_IN_FLIGHT) run();
    else waiting.push(run);
  });
}

export const pool = {
  open: (path: string, flags: number): Promise<number> => call((cb) => fs.open(path, flags, cb)),
  fstat: (fd: number): Promise<fs.Stats> => call((cb) => fs.fstat(fd, cb)),
  lstat: (path: string): Promise<fs.Stats> => call((cb) => fs.lstat(path, cb)),
  stat: (path: string): Promise<fs.Stats> => call((cb) => fs.stat(path, cb)),
  /** stat(2) with nanosecond times: tells whether a file changed since it was read (unchanged.ts). */
  statExact: (path: string): Promise<fs.BigIntStats> => call((cb) => fs.stat(path, { bigint: true }, cb)),
  fstatExact: (fd: number): Promise<fs.BigIntStats> => call((cb) => fs.fstat(fd, { bigint: true }, cb)),
  readlink: (path: string): Promise<string> => call((cb) => fs.readlink(path, cb)),
  realpath: (path: string): Promise<string> => call((cb) => fs.realpath(path, cb)),
  readdir: (path: string): Promise<fs.Dirent[]> => call((cb) => fs.readdir(path, { withFileTypes: true }, cb)),
  read: (fd: number, buffer: Buffer, offset: number, length: number): Promise<number> =>
    call((cb) => fs.read(fd, buffer, offset, length, null, cb)),
  /** Not awaited by callers: nothing is lost if closing a read-only file fails or takes long. */
  close: (fd: number): void => {
    call<undefined>((cb) => fs.close(fd, (error) => cb(error, undefined))).catch(() => undefined);
  },
};

/** Calls running in the pool now; one that does not come back is hung on its file system. */
export function poolCallsInFlight(): number {
  return running;
}
