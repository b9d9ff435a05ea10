// Runs the enabled collectors (and the ones they depend on) concurrently and
// assembles one Snapshot.
//
// - A collector that throws or times out reports success 0; the others are
//   still served.
// - Concurrent callers share the collection in flight.
// - A collector whose previous run is still pending (timed out on a hung
//   file) is not started again: it reports failure until that run returns,
//   so hung reads cannot pile up.
import { FailureMemory, FileAccess } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { Logger } from "../log.js";
import type { CollectorSet } from "../collectors/index.js";
import { COLLECTOR_NAMES, type CollectorName, type FactsByCollector } from "../collectors/types.js";
import type { CollectorRun, Snapshot } from "./snapshot.js";

export interface SnapshotSourceOptions {
  readonly paths: HostPaths;
  readonly collectors: CollectorSet;
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
    this.toRun = withDependencies(options.collectors, options.enabled);
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
    const runs = new Map<CollectorName, Promise<CollectorRun>>();
    const runOne = (name: CollectorName): Promise<CollectorRun> => {
      let run = runs.get(name);
      if (run === undefined) {
        run = this.runCollector(name, facts, runOne);
        runs.set(name, run);
      }
      return run;
    };
    const results = await Promise.all(this.toRun.map(runOne));
    return { takenAtMs, facts, runs: results };
  }

  private async runCollector(
    name: CollectorName,
    facts: Partial<FactsByCollector>,
    runOne: (name: CollectorName) => Promise<CollectorRun>,
  ): Promise<CollectorRun> {
    const collector = this.options.collectors[name];
    await Promise.all(collector.dependsOn.map(runOne));
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

    const deps: Partial<FactsByCollector> = {};
    for (const dep of collector.dependsOn) if (facts[dep] !== undefined) Object.assign(deps, { [dep]: facts[dep] });
    let result: ReturnType<typeof collector.collect>;
    try {
      result = collector.collect({ paths: this.options.paths, files, log, deps });
    } catch (error) {
      return finish(errorMessage(error));
    }
    // A synchronous collector has finished: no timer could have fired before
    // it returned, so it needs none (one timer and four promises less per
    // collector and scrape).
    if (!(result instanceof Promise)) {
      Object.assign(facts, { [name]: result });
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
      Object.assign(facts, { [name]: value });
      return finish(undefined);
    } catch (error) {
      return finish(errorMessage(error));
    } finally {
      clearTimeout(timer);
    }
  }
}

function errorMessage(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** The enabled collectors plus everything they depend on, in documentation order. */
export function withDependencies(collectors: CollectorSet, enabled: ReadonlySet<CollectorName>): CollectorName[] {
  const needed = new Set<CollectorName>();
  const visit = (name: CollectorName): void => {
    if (needed.has(name)) return;
    needed.add(name);
    collectors[name].dependsOn.forEach(visit);
  };
  enabled.forEach(visit);
  return COLLECTOR_NAMES.filter((name) => needed.has(name));
}
