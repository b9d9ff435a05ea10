// Wires options into the parts the process and the check command share:
// the vendor clients' runners, the collectors, the snapshot source.
import { ClientFleet, type FleetDependencies } from "./clients/fleet.js";
import type { Logger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName } from "./registry.js";
import { SnapshotSource, type Readers } from "./snapshot/collect.js";
import type { CollectorSetup } from "./collectors/types.js";

export interface Exporter {
  readonly source: SnapshotSource;
  /** The vendor clients found or forced on; not started (start() or runOnce()). */
  readonly clients: ClientFleet;
  /** The collectors rendered: those enabled by flags plus the clients in the fleet. */
  readonly enabled: ReadonlySet<CollectorName>;
}

export function createExporter(options: ExporterOptions, log: Logger, deps: FleetDependencies = {}): Exporter {
  const clients = ClientFleet.create(options.clients, log, deps);
  const enabled = new Set<CollectorName>([...options.enabledCollectors, ...clients.names]);
  const source = new SnapshotSource({
    paths: options.paths,
    readers: createReaders({
      options: options.collectors,
      clients: Object.fromEntries(clients.runners),
      paths: options.paths,
      log,
    }),
    enabled,
    timeoutMs: options.collectorTimeoutMs,
    log,
  });
  return { source, clients, enabled };
}

/** Every collector's reader for one exporter. */
export function createReaders(setup: CollectorSetup): Readers {
  return Object.fromEntries(
    COLLECTOR_NAMES.map((name) => [name, COLLECTORS[name].collector.create(setup)]),
  ) as unknown as Readers;
}
