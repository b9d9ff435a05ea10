// What a collector is: a reader of one area of the host that turns its files
// into typed facts. A collector only reads: it knows nothing of metrics, HTTP
// or the other collectors. What several collectors' facts say together is
// derived after collection (src/derive); what a collector's facts look like
// as metrics is its view (src/views/collectors); src/registry.ts pairs the two.
import type { FileAccess } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { Logger } from "../log.js";
import type { ClientSources, CollectorOptions } from "./options.js";

export interface CollectorContext {
  readonly paths: HostPaths;
  /** This collector's reads in this scrape: failures are counted and logged against it. */
  readonly files: FileAccess;
  readonly log: Logger;
  /**
   * The result of `read` in this scrape, made once by the first collector that asks: a reading two
   * collectors need (the patch tree: livepatch and transition) costs one read of each file.
   */
  shared<T>(read: (ctx: CollectorContext) => T): T;
  /** Slices of a long walk (thousands of patches or threads), so that it never holds the event loop for long. */
  readonly pacing: Pacing;
}

/**
 * A long walk checks `sliceOver()` between units of work (one patch, one
 * thread) and, when it says so, awaits `pause()`: the event loop then serves
 * what waits (health probes, other requests, signals, timers). `pause()`
 * rejects once the collector has timed out or the exporter is stopping, which
 * ends the walk: the collector reports failure, the scrape goes on without it.
 */
export interface Pacing {
  sliceOver(): boolean;
  pause(): Promise<void>;
}

/** What a collector is made from: the --collector.* options and the vendor clients this process runs. */
export interface CollectorSetup {
  readonly options: CollectorOptions;
  readonly clients: ClientSources;
  /** The --path.* flags, for a collector that starts reading before the first scrape (kmsg). */
  readonly paths: HostPaths;
  readonly log: Logger;
}

/** Reads the facts of one scrape; synchronous, or a promise the snapshot source bounds with --collector.timeout. */
export type Read<F> = (ctx: CollectorContext) => F | Promise<F>;

export interface Collector<F> {
  /** What it reads, in a few words: `--help` shows it beside --collector.<name>. */
  readonly help: string;
  /** Off unless --collector.<name> is given (cardinality or privileges); default: on. */
  readonly optIn?: boolean;
  /** Makes this exporter's reader, once; the reader may keep state between scrapes. */
  create(setup: CollectorSetup): Read<F>;
}

/** Facts of a collector that reads nothing itself (readiness: all derived). */
export type NoFacts = Readonly<Record<string, never>>;

/** Thrown by a collector that cannot produce its facts at all (its success becomes 0). */
export class CollectorError extends Error {
  override readonly name = "CollectorError";
}
