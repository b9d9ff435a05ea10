// Wires options into the parts the process and the check command share:
// collectors, the snapshot source, the renderer.
import { createCollectors } from "./collectors/index.js";
import type { Logger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { SnapshotSource } from "./snapshot/collect.js";

export function createSnapshotSource(options: ExporterOptions, log: Logger): SnapshotSource {
  return new SnapshotSource({
    paths: options.paths,
    collectors: createCollectors(options.collectors),
    enabled: options.enabledCollectors,
    timeoutMs: options.collectorTimeoutMs,
    log,
  });
}
