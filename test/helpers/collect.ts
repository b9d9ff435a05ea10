// Runs the real collectors over a fixture tree and returns the snapshot.
import { DEFAULT_CLIENT_COLLECTOR_OPTIONS, type ClientCollectorOptions } from "../../src/collectors/client.js";
import { createCollectors, type ClientSources, type CollectorSet } from "../../src/collectors/index.js";
import { DEFAULT_TRANSITION_OPTIONS, type TransitionOptions } from "../../src/collectors/transition.js";
import { COLLECTOR_NAMES, type CollectorName } from "../../src/collectors/types.js";
import { isClientName } from "../../src/clients/names.js";
import { silentLogger } from "../../src/log.js";
import { SnapshotSource } from "../../src/snapshot/collect.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { hostPaths } from "./fixtures.js";

export interface CollectOptions {
  readonly enabled?: readonly CollectorName[];
  readonly transition?: Partial<TransitionOptions>;
  readonly clientOptions?: Partial<ClientCollectorOptions>;
  /** State sources (runners or fakes) of the clients to collect. */
  readonly clients?: ClientSources;
  /** Replace real collectors (to make one fail, hang...). */
  readonly replace?: Partial<CollectorSet>;
  readonly timeoutMs?: number;
}

export function snapshotSource(root: string, options: CollectOptions = {}): SnapshotSource {
  return new SnapshotSource({
    paths: hostPaths(root),
    collectors: {
      ...createCollectors(
        {
          transition: { ...DEFAULT_TRANSITION_OPTIONS, ...options.transition },
          clients: { ...DEFAULT_CLIENT_COLLECTOR_OPTIONS, ...options.clientOptions },
        },
        options.clients,
      ),
      ...options.replace,
    },
    enabled: new Set(
      options.enabled ?? COLLECTOR_NAMES.filter((name) => !isClientName(name) || options.clients?.[name]),
    ),
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
