// The only module that imports prom-client: samples in, Prometheus text out.
//
// prom-client as it is designed to be used: one Registry for the life of the
// process, each family created once (on its first sample), and its values set
// in its collect() from the scrape being rendered, after a reset() so that a
// series which vanished from the host vanishes from /metrics. A family with no
// sample in this scrape is not rendered at all (after reset() an unlabeled
// Gauge would print 0: a lie here), so the families are rendered one by one
// with registry.getSingleMetricAsString(), in catalog order.
//
// process_* and nodejs_*: the groups of prom-client's default metrics that
// earn their cost are registered in the same registry (RUNTIME_GROUPS below;
// what each costs is measured by `npm run bench`, docs/performance.md);
// --web.exporter-metrics.extended adds the others, --web.disable-exporter-metrics
// drops them all. One group, process CPU, is this module's own, with
// prom-client's names (processCpuTotal below).
// The classes from their modules, not prom-client's index (src/views/prom-client-classes.d.ts).
import Counter from "prom-client/lib/counter.js";
import Gauge from "prom-client/lib/gauge.js";
import eventLoopLag from "prom-client/lib/metrics/eventLoopLag.js";
import gc from "prom-client/lib/metrics/gc.js";
import heapSizeAndUsed from "prom-client/lib/metrics/heapSizeAndUsed.js";
import heapSpacesSizeAndUsed from "prom-client/lib/metrics/heapSpacesSizeAndUsed.js";
import osMemoryHeap from "prom-client/lib/metrics/osMemoryHeap.js";
import processHandles from "prom-client/lib/metrics/processHandles.js";
import processMaxFileDescriptors from "prom-client/lib/metrics/processMaxFileDescriptors.js";
import processOpenFileDescriptors from "prom-client/lib/metrics/processOpenFileDescriptors.js";
import processRequests from "prom-client/lib/metrics/processRequests.js";
import processResources from "prom-client/lib/metrics/processResources.js";
import processStartTime from "prom-client/lib/metrics/processStartTime.js";
import version from "prom-client/lib/metrics/version.js";
import Registry from "prom-client/lib/registry.js";
import { METRICS } from "./catalog.js";
import type { Sample } from "./view.js";

interface RuntimeGroup {
  readonly register: (registry: Registry) => void;
  /** Served with default flags; the others only with --web.exporter-metrics.extended. */
  readonly byDefault: boolean;
}

/**
 * process_cpu_user_seconds_total, process_cpu_system_seconds_total and
 * process_cpu_seconds_total: the three counters of prom-client's
 * processCpuTotal module, same names, help and order, set the same way. That
 * module also loads @opentelemetry/api, for exemplars this exporter never
 * serves: 51 modules and 0.6 MB of V8 heap (docs/performance.md, "Memory").
 * test/unit/metrics-renderer.test.ts renders both and compares.
 */
function processCpuTotal(registry: Registry): void {
  let last = process.cpuUsage();
  const registers = [registry];
  // This one's collect() sets all three: it is registered, hence rendered, first.
  new Counter({
    name: "process_cpu_user_seconds_total",
    help: "Total user CPU time spent in seconds.",
    registers,
    collect(this: Counter) {
      const now = process.cpuUsage();
      const user = (now.user - last.user) / 1e6;
      const kernel = (now.system - last.system) / 1e6;
      last = now;
      this.inc(user);
      system.inc(kernel);
      total.inc(user + kernel);
    },
  });
  const system = new Counter({
    name: "process_cpu_system_seconds_total",
    help: "Total system CPU time spent in seconds.",
    registers,
  });
  const total = new Counter({
    name: "process_cpu_seconds_total",
    help: "Total user and system CPU time spent in seconds.",
    registers,
  });
}

/**
 * prom-client's default metric groups, in collectDefaultMetrics' order. Kept
 * by default: the process collector every Prometheus client library has
 * (CPU, memory, file descriptors, start time) and the V8 heap's size, each a
 * system call or a V8 call per scrape. Left to --web.exporter-metrics.extended:
 * the event-loop delay (0.5-0.9 ms per scrape for its percentiles, more than
 * everything else together, and a libuv timer every 10 ms, scraped or not),
 * GC durations (an observer on every GC, up to 36 series), heap
 * spaces (27 series), active handles, requests and resources (a walk over
 * every handle per scrape), and nodejs_version_info (livepatch_exporter_build_info
 * carries the version).
 */
export const RUNTIME_GROUPS = {
  processCpuTotal: { register: processCpuTotal, byDefault: true },
  processStartTime: { register: processStartTime, byDefault: true },
  osMemoryHeap: { register: osMemoryHeap, byDefault: true },
  processOpenFileDescriptors: { register: processOpenFileDescriptors, byDefault: true },
  processMaxFileDescriptors: { register: processMaxFileDescriptors, byDefault: true },
  eventLoopLag: { register: eventLoopLag, byDefault: false },
  processResources: { register: processResources, byDefault: false },
  processHandles: { register: processHandles, byDefault: false },
  processRequests: { register: processRequests, byDefault: false },
  heapSizeAndUsed: { register: heapSizeAndUsed, byDefault: true },
  heapSpacesSizeAndUsed: { register: heapSpacesSizeAndUsed, byDefault: false },
  version: { register: version, byDefault: false },
  gc: { register: gc, byDefault: false },
} as const satisfies Record<string, RuntimeGroup>;

export type RuntimeGroupName = keyof typeof RUNTIME_GROUPS;

export const RUNTIME_GROUP_NAMES = Object.keys(RUNTIME_GROUPS) as RuntimeGroupName[];

/** Gauges named like counters, which `promtool check metrics` rejects. */
const MISNAMED_DEFAULT_METRICS = new Set([
  "nodejs_active_handles_total",
  "nodejs_active_requests_total",
  "nodejs_active_resources_total",
]);

export interface RendererOptions {
  /** process_* and nodejs_*: false with --web.disable-exporter-metrics. */
  readonly exporterMetrics: boolean;
  /** Every group of prom-client's default metrics (--web.exporter-metrics.extended). */
  readonly extendedExporterMetrics?: boolean;
  /** Exactly these groups, whatever the two above say (the benchmark's per-group costs). */
  readonly runtimeGroups?: readonly RuntimeGroupName[];
}

/** The runtime metric groups the options ask for. */
export function runtimeGroupsFor(options: RendererOptions): RuntimeGroupName[] {
  if (options.runtimeGroups !== undefined) return [...options.runtimeGroups];
  if (!options.exporterMetrics) return [];
  return RUNTIME_GROUP_NAMES.filter(
    (name) => options.extendedExporterMetrics === true || RUNTIME_GROUPS[name].byDefault,
  );
}

/** Catalog order: the order of docs/metrics.md and of /metrics. */
const CATALOG_ORDER = Object.keys(METRICS);

const NO_SAMPLES: ReadonlyMap<string, readonly Sample[]> = new Map();

export class MetricsRenderer {
  private readonly registry = new Registry();
  /** Our families, each created on its first sample and kept. */
  private readonly families = new Set<string>();
  /** The process_* and nodejs_* families, in registration order. */
  private readonly runtimeNames: readonly string[];
  /** The scrape being rendered, by family: what the families' collect() set. */
  private current = NO_SAMPLES;
  /** Renders run one after the other: collect() reads this.current. */
  private previous: Promise<unknown> = Promise.resolve();

  constructor(options: RendererOptions) {
    for (const name of runtimeGroupsFor(options)) RUNTIME_GROUPS[name].register(this.registry);
    for (const name of MISNAMED_DEFAULT_METRICS) this.registry.removeSingleMetric(name);
    this.runtimeNames = this.registry.getMetricsAsArray().map((metric) => metric.name);
  }

  /** The exact Content-Type of the exposition format this renders. */
  get contentType(): string {
    return Registry.PROMETHEUS_CONTENT_TYPE;
  }

  render(samples: readonly Sample[]): Promise<string> {
    const rendered = this.previous.then(() => this.renderNow(samples));
    this.previous = rendered.catch(() => undefined);
    return rendered;
  }

  private async renderNow(samples: readonly Sample[]): Promise<string> {
    const byName = new Map<string, Sample[]>();
    for (const sample of samples) {
      const list = byName.get(sample.name);
      if (list !== undefined) {
        list.push(sample);
        continue;
      }
      this.ensureFamily(sample.name);
      byName.set(sample.name, [sample]);
    }
    this.current = byName;
    try {
      const names = [...CATALOG_ORDER.filter((name) => byName.has(name)), ...this.runtimeNames];
      const texts = await Promise.all(names.map((name) => this.registry.getSingleMetricAsString(name)));
      return texts.length === 0 ? "\n" : `${texts.join("\n\n")}\n`;
    } finally {
      this.current = NO_SAMPLES;
    }
  }

  private ensureFamily(name: string): void {
    if (this.families.has(name)) return;
    const spec = METRICS[name];
    // Views emit only the names they declare (SampleSink's types): this is a bug, not input.
    if (spec === undefined) throw new Error(`undeclared metric ${name}`);
    // Inside collect(), `this` is the metric.
    const scraped = (): readonly Sample[] => this.current.get(name) ?? [];
    const config = { name, help: spec.help, labelNames: spec.labels, registers: [this.registry] };
    if (spec.type === "counter") {
      // A counter's sample is its running total, kept by its owner: inc() after reset() sets it.
      new Counter({
        ...config,
        collect(this: Counter) {
          this.reset();
          for (const sample of scraped()) this.inc(sample.labels, sample.value);
        },
      });
    } else {
      new Gauge({
        ...config,
        collect(this: Gauge) {
          this.reset();
          for (const sample of scraped()) this.set(sample.labels, sample.value);
        },
      });
    }
    this.families.add(name);
  }
}
