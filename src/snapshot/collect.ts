// Runs the enabled collectors (and the ones their derived facts need) and
// assembles one Snapshot: the facts each collector read, then what they say
// together (src/derive).
//
// - Collectors are independent: each reads only its own files. A reading
//   two of them need is shared through ctx.shared, once per scrape.
// - A collector that throws or times out reports success 0; the others are
//   still served.
// - Concurrent callers share the collection in flight.
// - A collector whose previous run is still pending (timed out on a hung
//   file) is not started again: it reports failure until that run returns,
//   so hung reads cannot pile up.
// - A long walk pauses every few milliseconds (ctx.pacing), so the event loop
//   keeps serving probes while it runs; a timed-out walk ends at its next
//   pause. close() ends every run at once (shutdown must not wait for them).
// - A collector that fails on every scrape is logged at warn once, then at
//   debug while its error stays the same, and "recovered" once.
import { derive, INPUTS } from "../derive/index.js";
import { FailureMemory, FileAccess } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { Logger } from "../log.js";
import { poolCallsInFlight } from "../fs/pool.js";
import { RootFiles } from "../fs/root-files.js";
import type { CollectorContext, Pacing, Read } from "../collectors/types.js";
import { COLLECTOR_NAMES, type CollectorName, type FactsByCollector } from "../registry.js";
import type { CollectorRun, Snapshot } from "./snapshot.js";

/** Each collector's reader, made by its Collector.create. */
export type Readers = { readonly [N in CollectorName]: Read<FactsByCollector[N]> };

export interface SnapshotSourceOptions {
  readonly paths: HostPaths;
  readonly readers: Readers;
  readonly enabled: ReadonlySet<CollectorName>;
  readonly timeoutMs: number;
  readonly log: Logger;
  readonly now?: () => number;
}

/** How long a walk may hold the event loop before it pauses (ctx.pacing). */
const SLICE_MS = 4;
/**
 * The same while reads of the host's root filesystem are in the thread pool:
 * each of their steps waits for the event loop's next turn, so a walk taking
 * 4 ms turns would make twenty steps take 80 ms, and --collector.timeout.
 */
const SLICE_MS_POOL_BUSY = 0.5;

export class SnapshotSource {
  private inFlight: Promise<Snapshot> | undefined;
  private readonly pending = new Set<CollectorName>();
  private readonly memory = new FailureMemory();
  private readonly root: RootFiles;
  private readonly toRun: readonly CollectorName[];
  /** One child logger per collector for the life of the source, not one per scrape. */
  private readonly logs = new Map<CollectorName, Logger>();
  /** The error each failing collector last logged at warn. */
  private readonly failing = new Map<CollectorName, string>();
  /** Asynchronous runs in progress, to end them on close(). */
  private readonly running = new Set<RunPacing>();
  private closed: string | undefined;

  constructor(private readonly options: SnapshotSourceOptions) {
    this.toRun = withInputs(options.enabled);
    this.root = new RootFiles(options.paths.rootfs);
    for (const name of this.toRun) this.logs.set(name, options.log.child({ collector: name }));
  }

  /**
   * Ends the collections in progress now (their collectors report failure and
   * the scrapes waiting for them are answered), and fails every later one: the
   * process is stopping. A read hung in the thread pool stays hung (main.ts).
   */
  close(reason = "the exporter is stopping"): void {
    this.closed = reason;
    for (const pacing of this.running) pacing.stop(reason);
  }

  /** A fresh snapshot, or the one being collected right now. */
  snapshot(): Promise<Snapshot> {
    this.inFlight ??= this.collect().finally(() => {
      this.inFlight = undefined;
    });
    return this.inFlight;
  }

  private async collect(): Promise<Snapshot> {
    const now = this.options.now ?? Date.now;
    const takenAtMs = now();
    this.root.newScrape();
    const facts: Partial<FactsByCollector> = {};
    const shared = new SharedReadings();
    // Synchronous collectors finish inside run(), in documentation order.
    const runs = await Promise.all(this.toRun.map((name) => this.run(name, this.options.readers[name], facts, shared)));
    return {
      takenAtMs,
      paths: this.options.paths,
      facts,
      derived: derive(facts, new Set(this.toRun), takenAtMs),
      runs,
    };
  }

  private async run<N extends CollectorName>(
    name: N,
    read: Read<FactsByCollector[N]>,
    facts: Partial<FactsByCollector>,
    shared: SharedReadings,
  ): Promise<CollectorRun> {
    const log = this.logs.get(name) ?? this.options.log.child({ collector: name });
    const files = new FileAccess(log, this.memory, this.root);
    const enabled = this.options.enabled.has(name);
    const started = process.hrtime.bigint();
    const finish = (error: string | undefined): CollectorRun => {
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      files.finish();
      this.logOutcome(name, log, error);
      return { name, enabled, success: error === undefined, durationSeconds, error, fileErrors: files.errors() };
    };
    if (this.closed !== undefined) return finish(this.closed);
    if (this.pending.has(name)) return finish("previous collection has not returned yet");

    const pacing = new RunPacing();
    const ctx: CollectorContext = {
      paths: this.options.paths,
      files,
      log,
      shared: (reading) => shared.get(reading, ctx),
      pacing,
    };
    let result: ReturnType<typeof read>;
    try {
      result = read(ctx);
    } catch (error) {
      return finish(errorMessage(error));
    }
    // A synchronous collector has finished: no timer could have fired before
    // it returned, so it needs none (one timer and four promises less per
    // collector and scrape).
    if (!(result instanceof Promise)) {
      facts[name] = result;
      return finish(undefined);
    }
    this.pending.add(name);
    this.running.add(pacing);
    const work = result.finally(() => this.pending.delete(name));
    // Not unref'd: `check` must wait for the verdict even when nothing else keeps the process alive.
    const timer = setTimeout(() => pacing.stop(`timed out after ${this.options.timeoutMs} ms`), this.options.timeoutMs);
    try {
      const outcome = await Promise.race([
        work.then(
          (value) => ({ value }),
          (error: unknown) => ({ error: errorMessage(error) }),
        ),
        pacing.stopped,
      ]);
      if ("value" in outcome) {
        facts[name] = outcome.value;
        return finish(undefined);
      }
      // Timed out or stopping: a walk ends at its next pause; a hung read stays pending.
      pacing.stop(outcome.error);
      return finish(outcome.error);
    } finally {
      clearTimeout(timer);
      this.running.delete(pacing);
    }
  }

  /** Warn when a collector starts failing or its error changes, debug while it stays, info when it recovers. */
  private logOutcome(name: CollectorName, log: Logger, error: string | undefined): void {
    if (error === undefined) {
      if (this.failing.delete(name)) log.info({}, "collector recovered");
    } else if (this.failing.get(name) === error) {
      log.debug({ err: error }, "collector failed (still)");
    } else {
      this.failing.set(name, error);
      log.warn({ err: error }, "collector failed");
    }
  }
}

/** The pacing of one asynchronous collector run, which timeout or close() stop. */
class RunPacing implements Pacing {
  private sliceStart = performance.now();
  private reason: string | undefined;
  private resolveStopped: ((outcome: { error: string }) => void) | undefined;
  /** Settles when the run is stopped, with why. */
  readonly stopped = new Promise<{ error: string }>((resolve) => (this.resolveStopped = resolve));

  sliceOver(): boolean {
    const spent = performance.now() - this.sliceStart;
    return spent >= SLICE_MS || (spent >= SLICE_MS_POOL_BUSY && poolCallsInFlight() > 0);
  }

  async pause(): Promise<void> {
    if (this.reason === undefined) await new Promise((resolve) => setImmediate(resolve));
    if (this.reason !== undefined) throw new Error(this.reason);
    this.sliceStart = performance.now();
  }

  stop(reason: string): void {
    this.reason ??= reason;
    this.resolveStopped?.({ error: this.reason });
  }
}

/** The readings of one scrape that several collectors share: each made once, by the first to ask. */
class SharedReadings {
  private readonly done = new Map<unknown, { ok: true; value: unknown } | { ok: false; error: unknown }>();

  get<T>(read: (ctx: CollectorContext) => T, ctx: CollectorContext): T {
    let outcome = this.done.get(read);
    if (outcome === undefined) {
      try {
        outcome = { ok: true, value: read(ctx) };
      } catch (error) {
        outcome = { ok: false, error };
      }
      this.done.set(read, outcome);
    }
    if (!outcome.ok) throw outcome.error;
    return outcome.value as T;
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

const inputs: Readonly<Partial<Record<CollectorName, readonly CollectorName[]>>> = INPUTS;

/** The enabled collectors plus the inputs of their derived facts, in documentation order. */
function withInputs(enabled: ReadonlySet<CollectorName>): CollectorName[] {
  const needed = new Set<CollectorName>();
  const visit = (name: CollectorName): void => {
    if (needed.has(name)) return;
    needed.add(name);
    (inputs[name] ?? []).forEach(visit);
  };
  enabled.forEach(visit);
  return COLLECTOR_NAMES.filter((name) => needed.has(name));
}
