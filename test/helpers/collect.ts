// Runs the real collectors over a fixture tree and returns the snapshot.
import { createCollectors, type CollectorSet } from "../../src/collectors/index.js";
import { DEFAULT_TRANSITION_OPTIONS, type TransitionOptions } from "../../src/collectors/transition.js";
import { COLLECTOR_NAMES, type CollectorName } from "../../src/collectors/types.js";
import { silentLogger } from "../../src/log.js";
import { SnapshotSource } from "../../src/snapshot/collect.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { hostPaths } from "./fixtures.js";

export interface CollectOptions {
  readonly enabled?: readonly CollectorName[];
  readonly transition?: Partial<TransitionOptions>;
  /** Replace real collectors (to make one fail, hang...). */
  readonly replace?: Partial<CollectorSet>;
  readonly timeoutMs?: number;
}

export function snapshotSource(root: string, options: CollectOptions = {}): SnapshotSource {
  return new SnapshotSource({
    paths: hostPaths(root),
    collectors: {
      ...createCollectors({ transition: { ...DEFAULT_TRANSITION_OPTIONS, ...options.transition } }),
      ...options.replace,
    },
    enabled: new Set(options.enabled ?? COLLECTOR_NAMES),
    timeoutMs: options.timeoutMs ?? 5000,
    log: silentLogger,
  });
}

export function snapshotOf(root: string, options: CollectOptions = {}): Promise<Snapshot> {
  return snapshotSource(root, options).snapshot();
}

/** The facts of a collector, failing the test when it did not succeed. */
export function factsOf<N extends CollectorName>(snapshot: Snapshot, name: N): NonNullable<Snapshot["facts"][N]> {
  const facts = snapshot.facts[name];
  if (facts === undefined) {
    const run = snapshot.runs.find((r) => r.name === name);
    throw new Error(`collector ${name} has no facts: ${run?.error ?? "did not run"}`);
  }
  return facts;
}
