// The only module that imports prom-client: samples in, Prometheus text out.
//
// A fresh Registry per scrape, with one Gauge (or Counter) per family that has
// samples: a family with no sample is not rendered at all, where a Gauge kept
// from an earlier scrape would print a stale value, and an unlabeled Gauge never
// set would print 0 — a lie here. process_* and nodejs_* come from
// prom-client's default metrics in their own registry, dropped by
// --web.disable-exporter-metrics.
//
// What this costs is measured by bench/ (docs/performance.md): about 1.5 µs
// per series for our families and ~0.5 ms per scrape for the default metrics
// (their event-loop histogram summary), the price of rendering through the
// library every Prometheus user knows.
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { METRICS } from "./catalog.js";
import type { Sample } from "./view.js";

/** Gauges named like counters, which `promtool check metrics` rejects. */
const MISNAMED_DEFAULT_METRICS = [
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
];

export class MetricsRenderer {
  private readonly processRegistry: Registry | undefined;

  constructor(options: { readonly exporterMetrics: boolean }) {
    if (options.exporterMetrics) {
      this.processRegistry = new Registry();
      collectDefaultMetrics({ register: this.processRegistry });
      for (const name of MISNAMED_DEFAULT_METRICS) this.processRegistry.removeSingleMetric(name);
    }
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  async render(samples: readonly Sample[]): Promise<string> {
    const registry = new Registry();
    const families = new Map<string, Gauge | Counter>();
    for (const sample of samples) {
      let family = families.get(sample.name);
      if (family === undefined) {
        const spec = METRICS[sample.name];
        // Views emit only the names they declare (SampleSink's types): this is a bug, not input.
        if (spec === undefined) throw new Error(`undeclared metric ${sample.name}`);
        const config = { name: sample.name, help: spec.help, labelNames: spec.labels, registers: [registry] };
        // A counter's sample is its running total, kept by its owner; inc() from 0 sets it.
        family = spec.type === "counter" ? new Counter(config) : new Gauge(config);
        families.set(sample.name, family);
      }
      if (family instanceof Counter) family.inc(sample.labels, sample.value);
      else family.set(sample.labels, sample.value);
    }
    const own = await registry.metrics();
    if (this.processRegistry === undefined) return own;
    const process = await this.processRegistry.metrics();
    return own === "\n" ? process : `${own}\n${process}`;
  }
}
