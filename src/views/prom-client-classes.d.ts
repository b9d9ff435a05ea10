// prom-client's classes from their own modules rather than its index: the
// index also loads the Pushgateway (node:https and node:tls), Histogram,
// Summary (with tdigest), the cluster aggregator and collectDefaultMetrics,
// none of which this exporter uses: ~0.2 MB of heap at rest
// (docs/performance.md, "Memory"). Each module's export is the class the
// index exports; prom-client is pinned exactly (package.json), and
// test/unit/metrics-renderer.test.ts renders through these.
declare module "prom-client/lib/registry.js" {
  import { Registry } from "prom-client";
  export default Registry;
}

declare module "prom-client/lib/counter.js" {
  import { Counter } from "prom-client";
  export default Counter;
}

declare module "prom-client/lib/gauge.js" {
  import { Gauge } from "prom-client";
  export default Gauge;
}
