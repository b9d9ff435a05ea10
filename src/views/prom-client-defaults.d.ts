// prom-client's default metrics, one module per group (prom-client/lib/metrics/*.js,
// what collectDefaultMetrics registers all at once). src/views/metrics.ts
// registers only the groups that earn their cost: collectDefaultMetrics would
// also start the event-loop-delay timer and the GC observer, which cost CPU
// even when their series are not rendered. prom-client is pinned exactly
// (package.json); test/unit/metrics-renderer.test.ts checks these modules
// still register the names this exporter expects.
declare module "prom-client/lib/metrics/*" {
  import type { Registry } from "prom-client";

  /** Registers the group's metrics in the registry (collect() reads the process on each scrape). */
  const register: (registry: Registry, config?: { readonly eventLoopMonitoringPrecision?: number }) => void;
  export default register;
}
