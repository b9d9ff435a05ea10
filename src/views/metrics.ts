// Renders a scrape: the exporter's own samples (exposition.ts: families with
// no sample are not rendered at all, where a prom-client Gauge that was never
// set would print a 0, which would be a lie here), then the process_* and
// nodejs_* families of prom-client's default metrics (process-metrics.ts),
// dropped by --web.disable-exporter-metrics.
//
// Both used to go through prom-client (a Registry and Gauges built per scrape,
// and collectDefaultMetrics); they are now written directly, byte for byte
// the same format, because that was most of the CPU of a scrape (bench/,
// README "Performance"). prom-client stays the reference the tests compare
// the output with.
import type { Sample } from "./samples.js";
import { renderExposition } from "./exposition.js";
import { ProcessMetrics } from "./process-metrics.js";

/** Prometheus text exposition format 0.0.4, as prom-client's Registry.PROMETHEUS_CONTENT_TYPE. */
export const PROMETHEUS_CONTENT_TYPE = "text/plain; version=0.0.4; charset=utf-8";

export class MetricsRenderer {
  private readonly process: ProcessMetrics | undefined;

  constructor(options: { readonly exporterMetrics: boolean }) {
    if (options.exporterMetrics) this.process = new ProcessMetrics();
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return PROMETHEUS_CONTENT_TYPE;
  }

  render(samples: readonly Sample[]): Promise<string> {
    const own = renderExposition(samples);
    return Promise.resolve(this.process === undefined ? own : `${own}${this.process.render()}\n`);
  }
}
