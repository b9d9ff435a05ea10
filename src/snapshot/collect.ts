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
import { derive, INPUTS } from "../derive/index.js";
import { FailureMemory, FileAccess } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { Logger } from "../log.js";
import type { CollectorContext, Read } from "../collectors/types.js";
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

export class SnapshotSource {
  private inFlight: Promise<Snapshot> | undefined;
  private readonly pending = new Set<CollectorName>();
  private readonly memory = new FailureMemory();
  private readonly toRun: readonly CollectorName[];
  /** One child logger per collector for the life of the source, not one per scrape. */
  private readonly logs = new Map<CollectorName, Logger>();

  constructor(private readonly options: SnapshotSourceOptions) {
    this.toRun = withInputs(options.enabled);
    for (const name of this.toRun) this.logs.set(name, options.log.child({ collector: name }));
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
    const files = new FileAccess(log, this.memory);
    const enabled = this.options.enabled.has(name);
    const started = process.hrtime.bigint();
    const finish = (error: string | undefined): CollectorRun => {
      const durationSeconds = Number(process.hrtime.bigint() - started) / 1e9;
      if (error !== undefined) log.warn({ err: error }, "collector failed");
      return { name, enabled, success: error === undefined, durationSeconds, error, fileErrors: files.errors() };
    };
    if (this.pending.has(name)) return finish("previous collection has not returned yet");

    const ctx: CollectorContext = {
      paths: this.options.paths,
      files,
      log,
      shared: (reading) => shared.get(reading, ctx),
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
    let timer: NodeJS.Timeout | undefined;
    const timeout = new Promise<"timeout">((resolve) => {
      // Not unref'd: `check` must wait for the verdict even when nothing else keeps the process alive.
      timer = setTimeout(() => resolve("timeout"), this.options.timeoutMs);
    });
    this.pending.add(name);
    const work = result.finally(() => this.pending.delete(name));
    try {
      const value = await Promise.race([work, timeout]);
      if (value === "timeout") {
        work.catch(() => undefined); // it may still fail later; already reported
        return finish(`timed out after ${this.options.timeoutMs} ms`);
      }
      facts[name] = value;
      return finish(undefined);
    } catch (error) {
      return finish(errorMessage(error));
    } finally {
      clearTimeout(timer);
    }
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
