// The only module that imports prom-client. Renders a scrape: the exporter's
// own samples (exposition.ts: families with no sample are not rendered at
// all, where a prom-client Gauge that was never set would print a 0, which
// would be a lie here), then the process_* and nodejs_* families of
// prom-client's default metrics, dropped by --web.disable-exporter-metrics.
// Those are computed by process-metrics.ts, all but the GC duration
// histogram, which prom-client keeps feeding from GC events.
import { PerformanceObserver, constants } from "node:perf_hooks";
import { Histogram, Registry } from "prom-client";
import { renderExposition } from "./exposition.js";
import { ProcessMetrics } from "./process-metrics.js";
import type { Sample } from "./samples.js";

export class MetricsRenderer {
  private readonly process: { readonly metrics: ProcessMetrics; readonly gc: Registry } | undefined;

  constructor(options: { readonly exporterMetrics: boolean }) {
    if (options.exporterMetrics) this.process = { metrics: new ProcessMetrics(), gc: gcRegistry() };
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  async render(samples: readonly Sample[]): Promise<string> {
    const own = renderExposition(samples);
    if (this.process === undefined) return own;
    return `${own}${this.process.metrics.render()}\n\n${await this.process.gc.metrics()}`;
  }
}

const GC_KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

/** nodejs_gc_duration_seconds exactly as prom-client's default metrics define and feed it. */
function gcRegistry(): Registry {
  const registry = new Registry();
  const histogram = new Histogram({
    name: "nodejs_gc_duration_seconds",
    help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
    labelNames: ["kind"],
    buckets: [0.001, 0.01, 0.1, 1, 2, 5],
    registers: [registry],
  });
  const observer = new PerformanceObserver((list) => {
    const entry = list.getEntries()[0];
    if (entry === undefined) return;
    const detail = (entry as { readonly detail?: { readonly kind?: number } }).detail;
    const kind = GC_KINDS[detail?.kind ?? -1];
    histogram.observe(kind === undefined ? {} : { kind }, entry.duration / 1000);
  });
  observer.observe({ entryTypes: ["gc"] });
  return registry;
}
