// Wires options into the parts the process and the check command share:
// the vendor clients' runners, collectors, the snapshot source.
import { ClientFleet, type FleetDependencies } from "./clients/fleet.js";
import { createCollectors } from "./collectors/index.js";
import type { CollectorName } from "./collectors/types.js";
import type { Logger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { SnapshotSource } from "./snapshot/collect.js";

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
    collectors: createCollectors(options.collectors, Object.fromEntries(clients.runners)),
    enabled,
    timeoutMs: options.collectorTimeoutMs,
    log,
  });
  return { source, clients, enabled };
}
