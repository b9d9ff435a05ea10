// bcrypt comparisons, off the event loop and on a budget.
//
// bcryptjs's "async" compare still computes on the event loop, in slices of up
// to 100 ms (a cost-10 hash is one ~75 ms slice): a flood of wrong passwords
// would stall every probe and scrape behind it. Comparisons run instead in
// one worker thread, started on the first comparison the caches cannot
// answer and stopped after a minute without any (it costs memory only while
// it is needed), one comparison at a time, with a short queue: beyond it a
// comparison is refused at once, and the caller answers 429. That is the
// budget of unauthenticated work: at most one core, a bounded wait.
//
// Where no worker can be started, comparisons fall back to bcryptjs on the
// event loop, still one at a time and bounded. Only then does this thread
// load bcryptjs (~0.1 MB of heap); src/web/front.ts loads it at start-up when
// basic_auth_users is set, so that a broken installation fails there.
import type * as Bcryptjs from "bcryptjs";
import { createRequire } from "node:module";
import { Worker } from "node:worker_threads";

export type Compare = (password: string, hash: string) => Promise<boolean>;

export interface BcryptBudget {
  /** Comparisons computed at once. */
  readonly running: number;
  /** Comparisons waiting for their turn; beyond, tryCompare refuses. */
  readonly waiting: number;
}

/**
 * One at a time: a second would take the other core of a small host. Eight
 * waiting at ~75 ms each: a request that gets a place is answered within a
 * second.
 */
export const DEFAULT_BCRYPT_BUDGET: BcryptBudget = { running: 1, waiting: 8 };

let bcryptjs: Promise<typeof Bcryptjs> | undefined;

/** bcryptjs in this thread, loaded once on first use. */
export function loadBcryptjs(): Promise<typeof Bcryptjs> {
  bcryptjs ??= import("bcryptjs");
  return bcryptjs;
}

/** A comparison on the event loop (bcryptjs's async compare, in slices). */
const compareOnLoop: Compare = async (password, hash) => (await loadBcryptjs()).compare(password, hash);

/** Comparisons under a budget of concurrency and queue length. */
export class BcryptQueue {
  private running = 0;
  private readonly waiting: (() => void)[] = [];

  constructor(
    private readonly compare: Compare,
    private readonly budget: BcryptBudget = DEFAULT_BCRYPT_BUDGET,
  ) {}

  /** The comparison's result, or undefined at once when the budget is spent. A failing comparison is false. */
  tryCompare(password: string, hash: string): Promise<boolean> | undefined {
    if (this.running >= this.budget.running && this.waiting.length >= this.budget.waiting) return undefined;
    return new Promise<boolean>((resolve) => {
      const start = (): void => {
        this.running += 1;
        void this.compare(password, hash)
          .catch(() => false)
          .then((matches) => {
            this.running -= 1;
            this.waiting.shift()?.();
            resolve(matches);
          });
      };
      if (this.running < this.budget.running) start();
      else this.waiting.push(start);
    });
  }
}

/** Stopped after this long without a comparison. */
const WORKER_IDLE_MS = 60_000;

/**
 * The worker's program, evaluated as CommonJS: it loads bcryptjs by the path
 * this module resolves, so it runs the same from the sources (tsx) and from
 * dist/, and needs no file of its own.
 */
const WORKER_SOURCE = `
const { parentPort, workerData } = require("node:worker_threads");
const { compareSync } = require(workerData.bcryptjs);
parentPort.on("message", ({ id, password, hash }) => {
  let matches = false;
  try { matches = compareSync(password, hash); } catch {}
  parentPort.postMessage({ id, matches });
});
`;

interface Reply {
  readonly id: number;
  readonly matches: boolean;
}

/** bcrypt in a worker thread, started when needed and stopped when idle. */
export class BcryptWorker {
  private worker: Worker | undefined;
  private unavailable = false;
  private nextId = 0;
  private readonly pending = new Map<number, { resolve: (matches: boolean) => void; password: string; hash: string }>();
  private idle: NodeJS.Timeout | undefined;

  readonly compare: Compare = (password, hash) => {
    const worker = this.start();
    if (worker === undefined) return compareOnLoop(password, hash);
    clearTimeout(this.idle);
    const id = (this.nextId += 1);
    return new Promise<boolean>((resolve) => {
      this.pending.set(id, { resolve, password, hash });
      worker.postMessage({ id, password, hash });
    });
  };

  /** Stops the worker now (tests; the process exits without it: the worker is unref'd). */
  async stop(): Promise<void> {
    clearTimeout(this.idle);
    const worker = this.worker;
    this.worker = undefined;
    await worker?.terminate();
  }

  private start(): Worker | undefined {
    if (this.worker !== undefined || this.unavailable) return this.worker;
    let worker: Worker;
    try {
      const bcryptjs = createRequire(import.meta.url).resolve("bcryptjs");
      worker = new Worker(WORKER_SOURCE, { eval: true, workerData: { bcryptjs } });
    } catch {
      this.unavailable = true; // a bundle without node_modules: compare on the event loop
      return undefined;
    }
    worker.unref();
    worker.on("message", (reply: Reply) => {
      const waiting = this.pending.get(reply.id);
      this.pending.delete(reply.id);
      waiting?.resolve(reply.matches);
      if (this.pending.size === 0) this.scheduleStop(worker);
    });
    // A worker that dies (an error, out of memory) takes nothing with it: what it had is compared on the loop.
    const lost = (): void => {
      if (this.worker !== worker) return;
      this.worker = undefined;
      const orphans = [...this.pending.values()];
      this.pending.clear();
      for (const { resolve, password, hash } of orphans)
        void compareOnLoop(password, hash).then(resolve, () => resolve(false));
    };
    worker.on("error", lost);
    worker.on("exit", lost);
    this.worker = worker;
    return worker;
  }

  private scheduleStop(worker: Worker): void {
    clearTimeout(this.idle);
    this.idle = setTimeout(() => {
      if (this.worker !== worker || this.pending.size > 0) return;
      this.worker = undefined;
      void worker.terminate();
    }, WORKER_IDLE_MS);
    this.idle.unref();
  }
}

let shared: BcryptQueue | undefined;

/** The process's one budget of bcrypt work, shared by every web configuration (reloads included). */
export function sharedBcryptQueue(): BcryptQueue {
  shared ??= new BcryptQueue(new BcryptWorker().compare);
  return shared;
}
