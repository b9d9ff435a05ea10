// Snapshot -> metric samples: the exporter's own, then each enabled
// collector's view, in registry order. Pure: no prom-client, no I/O. A
// collector that failed shows only its success 0; a fact that is unknown
// produces no series (and a livepatch_fact_unavailable series that says why),
// never a 0.
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName, type FactsByCollector } from "../registry.js";
import { isEnabled, type Snapshot } from "../snapshot/snapshot.js";
import { runSamples, type BuildInfo } from "./exporter.js";
import { SampleSink, type Sample } from "./view.js";

export function snapshotSamples(snapshot: Snapshot, build: BuildInfo): Sample[] {
  const out: Sample[] = [];
  runSamples(out, snapshot.runs, build);
  for (const name of COLLECTOR_NAMES) viewSamples(out, snapshot, name, snapshot.facts[name]);
  return out;
}

/** A collector's samples, when it is enabled and produced its facts. */
function viewSamples<N extends CollectorName>(
  out: Sample[],
  snapshot: Snapshot,
  name: N,
  facts: FactsByCollector[N] | undefined,
): void {
  if (!isEnabled(snapshot, name) || facts === undefined) return;
  const { view } = COLLECTORS[name];
  view.samples(new SampleSink(out), facts, snapshot.derived);
}
