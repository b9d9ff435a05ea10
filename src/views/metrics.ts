// The only module that imports prom-client. Turns samples into the Prometheus
// text exposition format. A fresh registry per scrape: families with no sample
// are not rendered at all (prom-client would print an unlabeled gauge that was
// never set as 0, which would be a lie here). process_* and nodejs_* live in
// their own registry, dropped by --web.disable-exporter-metrics.
import { collectDefaultMetrics, Counter, Gauge, Registry } from "prom-client";
import { METRICS, type MetricName } from "./catalog.js";
import type { Sample } from "./samples.js";

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
      // Gauges named like counters, which `promtool check metrics` rejects.
      for (const name of MISNAMED_DEFAULT_METRICS) this.processRegistry.removeSingleMetric(name);
    }
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  async render(samples: readonly Sample[]): Promise<string> {
    const registry = new Registry();
    const families = new Map<MetricName, Gauge | Counter>();
    for (const sample of samples) {
      let family = families.get(sample.name);
      if (family === undefined) {
        const spec = METRICS[sample.name];
        const config = { name: sample.name, help: spec.help, labelNames: spec.labels, registers: [registry] };
        family = spec.type === "counter" ? new Counter(config) : new Gauge(config);
        families.set(sample.name, family);
      }
      // A counter's sample is its running total, which inc() from 0 reproduces.
      if (family instanceof Counter) family.inc(sample.labels, sample.value);
      else family.set(sample.labels, sample.value);
    }
    const own = await registry.metrics();
    if (this.processRegistry === undefined) return own;
    const process = await this.processRegistry.metrics();
    return own.length === 0 ? process : `${own.replace(/\n*$/, "\n")}${process}`;
  }
}
