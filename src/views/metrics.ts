// The only module that imports prom-client. Renders a scrape: the exporter's
// own samples (written by exposition.ts: families with no sample are not
// rendered at all, where a prom-client Gauge that was never set would print a
// 0, which would be a lie here), then the process_* and nodejs_* families of
// prom-client's default metrics, dropped by --web.disable-exporter-metrics.
//
// The nodejs_eventloop_lag_* families keep prom-client's names and help but
// take their values from EventLoopDelayMonitor: prom-client's own summary of
// its event loop histogram cost ~0.4 ms per scrape (see event-loop-delay.ts).
import { collectDefaultMetrics, Gauge, Registry, type Metric } from "prom-client";
import { EventLoopDelayMonitor, type EventLoopDelayStats } from "../event-loop-delay.js";
import { renderExposition } from "./exposition.js";
import type { Sample } from "./samples.js";

const MISNAMED_DEFAULT_METRICS = new Set([
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
]);

export class MetricsRenderer {
  private readonly processRegistry: Registry | undefined;

  constructor(options: { readonly exporterMetrics: boolean }) {
    if (options.exporterMetrics) this.processRegistry = processRegistry();
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  async render(samples: readonly Sample[]): Promise<string> {
    const own = renderExposition(samples);
    if (this.processRegistry === undefined) return own;
    const process = await this.processRegistry.metrics();
    return `${own}${process}`;
  }
}

/** prom-client's default metrics in their usual order, with the event loop families replaced. */
function processRegistry(): Registry {
  const defaults = new Registry();
  collectDefaultMetrics({ register: defaults });
  const eventLoop = eventLoopGauges(new EventLoopDelayMonitor());
  const registry = new Registry();
  // getMetricsAsArray() is typed as plain objects but returns the metrics themselves.
  for (const metric of defaults.getMetricsAsArray()) {
    // Gauges named like counters, which `promtool check metrics` rejects.
    if (MISNAMED_DEFAULT_METRICS.has(metric.name)) continue;
    registry.registerMetric(eventLoop.get(metric.name) ?? (metric as unknown as Metric));
  }
  return registry;
}

/** The families of prom-client's eventLoopLag module, same names and help. */
function eventLoopGauges(monitor: EventLoopDelayMonitor): Map<string, Gauge> {
  const gauges = new Map<string, Gauge>();
  const add = (name: string, help: string, collect?: () => void): Gauge => {
    const gauge = new Gauge({ name, help, registers: [], ...(collect && { collect }) });
    gauges.set(name, gauge);
    return gauge;
  };
  const stats: [keyof EventLoopDelayStats, Gauge][] = [];
  const stat = (key: keyof EventLoopDelayStats, name: string, help: string): void => {
    stats.push([key, add(name, help)]);
  };
  // As prom-client does: the lag is the delay of a setImmediate started by
  // this scrape, so each scrape reports the one measured after the previous.
  const lag = add("nodejs_eventloop_lag_seconds", "Lag of event loop in seconds.", () => {
    const start = process.hrtime.bigint();
    setImmediate(() => lag.set(Number(process.hrtime.bigint() - start) / 1e9));
    const taken = monitor.take();
    for (const [key, gauge] of stats) gauge.set(taken[key]);
  });
  stat("min", "nodejs_eventloop_lag_min_seconds", "The minimum recorded event loop delay.");
  stat("max", "nodejs_eventloop_lag_max_seconds", "The maximum recorded event loop delay.");
  stat("mean", "nodejs_eventloop_lag_mean_seconds", "The mean of the recorded event loop delays.");
  stat("stddev", "nodejs_eventloop_lag_stddev_seconds", "The standard deviation of the recorded event loop delays.");
  stat("p50", "nodejs_eventloop_lag_p50_seconds", "The 50th percentile of the recorded event loop delays.");
  stat("p90", "nodejs_eventloop_lag_p90_seconds", "The 90th percentile of the recorded event loop delays.");
  stat("p99", "nodejs_eventloop_lag_p99_seconds", "The 99th percentile of the recorded event loop delays.");
  return gauges;
}
