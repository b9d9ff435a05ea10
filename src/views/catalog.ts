// Every metric this exporter can expose: the exporter's own, then each
// collector's (declared by its view), in the order they are documented and
// rendered. docs/metrics.md is generated from this (npm run docs:metrics) and
// a test keeps the two in step.
import { isClientName } from "../clients/names.js";
import { COLLECTOR_NAMES, COLLECTORS } from "../registry.js";
import { EXPORTER_METRICS } from "./exporter.js";
import type { MetricSpec, MetricSpecs } from "./view.js";

export interface MetricGroup {
  /** "exporter", a collector's name, or "clients": the one view every vendor client collector shares. */
  readonly collector: string;
  readonly metrics: MetricSpecs;
}

function groups(): MetricGroup[] {
  const result: MetricGroup[] = [{ collector: "exporter", metrics: EXPORTER_METRICS }];
  const seen = new Set<MetricSpecs>();
  for (const name of COLLECTOR_NAMES) {
    const metrics = COLLECTORS[name].view.metrics;
    if (seen.has(metrics)) continue;
    seen.add(metrics);
    result.push({ collector: isClientName(name) ? "clients" : name, metrics });
  }
  return result;
}

export const METRIC_GROUPS: readonly MetricGroup[] = groups();

/** Every metric by name. */
export const METRICS: Readonly<Record<string, MetricSpec>> = Object.assign(
  {},
  ...METRIC_GROUPS.map((group) => group.metrics),
) as Record<string, MetricSpec>;
