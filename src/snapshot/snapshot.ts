// One typed snapshot per scrape: the facts of every collector that ran, what
// they say together (derived), and how each run went. Every view (metrics,
// check report, landing page) renders a Snapshot and reads nothing itself.
import type { Derived } from "../derive/index.js";
import type { FileErrorReason } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { CollectorName, FactsByCollector } from "../registry.js";

export interface CollectorRun {
  readonly name: CollectorName;
  /** Enabled by flags (rendered); a disabled collector may still run as another's input. */
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
  /** Where the host was read (--path.*): what the human views say they describe. */
  readonly paths: HostPaths;
  /** Facts of each collector that succeeded. */
  readonly facts: Partial<FactsByCollector>;
  /** What the facts say together (src/derive). */
  readonly derived: Derived;
  /** Every collector that ran, enabled or read as another's input. */
  readonly runs: readonly CollectorRun[];
}

export function isEnabled(snapshot: Snapshot, name: CollectorName): boolean {
  return snapshot.runs.some((run) => run.name === name && run.enabled);
}
