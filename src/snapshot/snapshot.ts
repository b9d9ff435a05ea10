// One typed snapshot per scrape: the facts of every collector that ran, and
// how each run went. Every view (metrics, check report, landing page) renders
// a Snapshot and reads nothing itself.
import type { FileErrorReason } from "../fs/file-access.js";
import type { CollectorName, FactsByCollector } from "../collectors/types.js";

export interface CollectorRun {
  readonly name: CollectorName;
  /** Enabled by flags (rendered); a disabled collector may still run as a dependency. */
  readonly enabled: boolean;
  readonly success: boolean;
  readonly durationSeconds: number;
  /** Why it failed, for logs and the human views. */
  readonly error: string | undefined;
  readonly fileErrors: ReadonlyMap<FileErrorReason, number>;
}

export interface Snapshot {
  /** When collection started, in milliseconds since the epoch. */
  readonly takenAtMs: number;
  /** Facts of each collector that succeeded. */
  readonly facts: Partial<FactsByCollector>;
  /** Every collector that ran, enabled or needed as a dependency. */
  readonly runs: readonly CollectorRun[];
}

export function isEnabled(snapshot: Snapshot, name: CollectorName): boolean {
  return snapshot.runs.some((run) => run.name === name && run.enabled);
}

/** Facts of a collector only when it is enabled (views must not show disabled collectors). */
export function enabledFacts<N extends CollectorName>(snapshot: Snapshot, name: N): FactsByCollector[N] | undefined {
  return isEnabled(snapshot, name) ? snapshot.facts[name] : undefined;
}
