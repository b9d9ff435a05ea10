// The renderer uses one long-lived prom-client Registry: series that vanish
// from a scrape vanish from /metrics, families without samples are not
// rendered (no HELP/TYPE, no 0), output follows the catalog whatever order the
// samples come in, concurrent scrapes do not mix, and the runtime metric
// groups are those documented (docs/metrics.md, docs/performance.md).
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import registerTheirCpu from "prom-client/lib/metrics/processCpuTotal.js";
import Registry from "prom-client/lib/registry.js";
import { METRICS } from "../../src/views/catalog.js";
import {
  MetricsRenderer,
  RUNTIME_GROUP_NAMES,
  RUNTIME_GROUPS,
  runtimeGroupsFor,
  type RuntimeGroupName,
} from "../../src/views/metrics.js";
import type { Sample } from "../../src/views/view.js";

const enabled = (patch: string, value: number): Sample => ({
  name: "livepatch_patch_enabled",
  labels: { patch },
  value,
});
const present: Sample = { name: "livepatch_sysfs_present", labels: {}, value: 1 };
const success = (collector: string): Sample => ({
  name: "livepatch_scrape_collector_success",
  labels: { collector },
  value: 1,
});

function families(text: string): string[] {
  return text
    .split("\n")
    .filter((line) => line.startsWith("# TYPE "))
    .map((line) => line.split(" ")[2] ?? "");
}

const noRuntime = (): MetricsRenderer => new MetricsRenderer({ exporterMetrics: false });

describe("MetricsRenderer", () => {
  it("drops series and families that vanished since the previous scrape; never renders an empty family", async () => {
    const renderer = noRuntime();
    const first = await renderer.render([present, enabled("lp_a", 1), enabled("lp_b", 0)]);
    assert.match(first, /^livepatch_patch_enabled\{patch="lp_b"\} 0$/m);
    assert.match(first, /^livepatch_sysfs_present 1$/m);
    const second = await renderer.render([enabled("lp_a", 0)]);
    assert.doesNotMatch(second, /lp_b/);
    assert.match(second, /^livepatch_patch_enabled\{patch="lp_a"\} 0$/m);
    // The unlabeled family without a sample is absent, not 0, and has no HELP or TYPE either.
    assert.doesNotMatch(second, /livepatch_sysfs_present/);
    assert.deepEqual(families(second), ["livepatch_patch_enabled"]);
    assert.equal(await renderer.render([]), "\n");
  });

  it("renders in catalog order whatever the order of the samples", async () => {
    const samples = [enabled("lp_a", 1), present, success("livepatch")];
    const forward = await noRuntime().render(samples);
    const backward = await noRuntime().render([...samples].reverse());
    const order = Object.keys(METRICS);
    const rendered = families(forward);
    assert.deepEqual(
      rendered,
      [...rendered].sort((a, b) => order.indexOf(a) - order.indexOf(b)),
    );
    // Within a family, series keep the order they were emitted in.
    assert.deepEqual(families(backward), rendered);
  });

  it("a counter's sample is its running total", async () => {
    const renderer = noRuntime();
    const counter = (value: number): Sample => ({
      name: "livepatch_exporter_http_requests_rejected_total",
      labels: { reason: "max_requests" },
      value,
    });
    assert.match(
      await renderer.render([counter(3)]),
      /^# TYPE livepatch_exporter_http_requests_rejected_total counter$/m,
    );
    assert.match(
      await renderer.render([counter(5)]),
      /^livepatch_exporter_http_requests_rejected_total\{reason="max_requests"\} 5$/m,
    );
  });

  it("concurrent scrapes each render their own samples", async () => {
    const renderer = noRuntime();
    const scrapes = Array.from({ length: 20 }, (_, i) => [enabled(`lp_${i}`, i % 2), success(`c${i}`)]);
    const texts = await Promise.all(scrapes.map((samples) => renderer.render(samples)));
    texts.forEach((text, i) => {
      assert.match(text, new RegExp(`^livepatch_patch_enabled\\{patch="lp_${i}"\\} ${i % 2}$`, "m"));
      assert.equal(text.match(/^livepatch_patch_enabled\{/gm)?.length, 1, `scrape ${i} alone`);
      assert.match(text, new RegExp(`collector="c${i}"`));
    });
  });

  it("refuses a metric no view declares", async () => {
    await assert.rejects(noRuntime().render([{ name: "livepatch_nope", labels: {}, value: 1 }]), /undeclared/);
  });
});

describe("process_* and nodejs_* groups", () => {
  const DEFAULT_FAMILIES = [
    "process_cpu_user_seconds_total",
    "process_cpu_system_seconds_total",
    "process_cpu_seconds_total",
    "process_start_time_seconds",
    "process_resident_memory_bytes",
    "process_virtual_memory_bytes",
    "process_heap_bytes",
    "process_open_fds",
    "process_max_fds",
    "nodejs_heap_size_total_bytes",
    "nodejs_heap_size_used_bytes",
    "nodejs_external_memory_bytes",
  ];

  it("by default: the process collector and the heap size, 12 series after our own families", async () => {
    const text = await new MetricsRenderer({ exporterMetrics: true }).render([present]);
    assert.deepEqual(families(text), ["livepatch_sysfs_present", ...DEFAULT_FAMILIES]);
    assert.equal(text.split("\n").filter((line) => /^(process|nodejs)_/.test(line)).length, 12);
    assert.doesNotMatch(text, /nodejs_eventloop|nodejs_gc|nodejs_version_info|heap_space/);
  });

  it("--web.exporter-metrics.extended: every group, never the *_total gauges promtool rejects", async () => {
    const renderer = new MetricsRenderer({ exporterMetrics: true, extendedExporterMetrics: true });
    const text = await renderer.render([]);
    for (const name of [
      ...DEFAULT_FAMILIES,
      "nodejs_eventloop_lag_seconds",
      "nodejs_eventloop_lag_p99_seconds",
      "nodejs_gc_duration_seconds",
      "nodejs_heap_space_size_used_bytes",
      "nodejs_active_handles",
      "nodejs_active_requests",
      "nodejs_active_resources",
      "nodejs_version_info",
    ]) {
      assert.ok(families(text).includes(name), name);
    }
    assert.doesNotMatch(text, /nodejs_active_\w+_total/);
  });

  it("--web.disable-exporter-metrics: none, whatever else is asked", () => {
    assert.deepEqual(runtimeGroupsFor({ exporterMetrics: false, extendedExporterMetrics: true }), []);
    assert.deepEqual(
      runtimeGroupsFor({ exporterMetrics: true }),
      RUNTIME_GROUP_NAMES.filter((name) => RUNTIME_GROUPS[name].byDefault),
    );
  });

  it("process_cpu_*: what prom-client's processCpuTotal serves, from process.cpuUsage()", async () => {
    const theirs = new Registry();
    registerTheirCpu(theirs);
    const ours = await new MetricsRenderer({ exporterMetrics: false, runtimeGroups: ["processCpuTotal"] }).render([]);
    const shape = (text: string): string[] => text.split("\n").map((line) => line.replace(/ [\d.e+-]+$/, " N"));
    assert.deepEqual(shape(ours), shape(await theirs.metrics()));
    const value = (text: string, name: string): number => Number(new RegExp(`^${name} (\\S+)$`, "m").exec(text)?.[1]);
    const renderer = new MetricsRenderer({ exporterMetrics: false, runtimeGroups: ["processCpuTotal"] });
    const first = await renderer.render([]);
    const before = process.cpuUsage();
    // 30 ms of this process's own user time, however busy the machine is.
    while (process.cpuUsage(before).user < 30_000);
    const second = await renderer.render([]);
    const spent = process.cpuUsage(before);
    const user = value(second, "process_cpu_user_seconds_total") - value(first, "process_cpu_user_seconds_total");
    const system = value(second, "process_cpu_system_seconds_total") - value(first, "process_cpu_system_seconds_total");
    const total = value(second, "process_cpu_seconds_total") - value(first, "process_cpu_seconds_total");
    assert.ok(user >= 0.03 && user <= spent.user / 1e6 + 0.05, `user ${user} s for ${spent.user} µs`);
    assert.ok(system >= 0);
    assert.ok(Math.abs(total - (user + system)) < 1e-9, `${total} = ${user} + ${system}`);
  });

  it("each prom-client module registers what it did when this exporter was written (prom-client is pinned)", async () => {
    const expected: Readonly<Record<RuntimeGroupName, readonly string[]>> = {
      processCpuTotal: DEFAULT_FAMILIES.slice(0, 3),
      processStartTime: ["process_start_time_seconds"],
      osMemoryHeap: ["process_resident_memory_bytes", "process_virtual_memory_bytes", "process_heap_bytes"],
      processOpenFileDescriptors: ["process_open_fds"],
      processMaxFileDescriptors: ["process_max_fds"],
      eventLoopLag: ["min", "max", "mean", "stddev", "p50", "p90", "p99"].reduce(
        (names, stat) => [...names, `nodejs_eventloop_lag_${stat}_seconds`],
        ["nodejs_eventloop_lag_seconds"],
      ),
      processResources: ["nodejs_active_resources"],
      processHandles: ["nodejs_active_handles"],
      processRequests: ["nodejs_active_requests"],
      heapSizeAndUsed: DEFAULT_FAMILIES.slice(9),
      heapSpacesSizeAndUsed: [
        "nodejs_heap_space_size_total_bytes",
        "nodejs_heap_space_size_used_bytes",
        "nodejs_heap_space_size_available_bytes",
      ],
      version: ["nodejs_version_info"],
      gc: ["nodejs_gc_duration_seconds"],
    };
    for (const group of RUNTIME_GROUP_NAMES) {
      const text = await new MetricsRenderer({ exporterMetrics: false, runtimeGroups: [group] }).render([]);
      assert.deepEqual(families(text), expected[group], group);
    }
  });
});
