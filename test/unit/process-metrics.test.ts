// The process_* and nodejs_* families against the prom-client default
// metrics they replace: same families in the same order, same help, types
// and label names; values that cannot differ between the two are equal.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { collectDefaultMetrics, Histogram, Registry } from "prom-client";
import { EventLoopDelayMonitor } from "../../src/event-loop-delay.js";
import { GcDurations } from "../../src/views/gc-durations.js";
import { MetricsRenderer, PROMETHEUS_CONTENT_TYPE } from "../../src/views/metrics.js";

interface ParsedFamily {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  /** Label names of each sample, sorted and joined. */
  readonly labelSets: Set<string>;
  /** Sample lines without the family name: `{labels} value`. */
  readonly samples: Map<string, number>;
}

function parse(text: string): ParsedFamily[] {
  const families: ParsedFamily[] = [];
  for (const line of text.split("\n")) {
    const help = /^# HELP (\S+) (.*)$/.exec(line);
    if (help) {
      families.push({ name: help[1] ?? "", help: help[2] ?? "", type: "", labelSets: new Set(), samples: new Map() });
      continue;
    }
    const current = families[families.length - 1];
    const type = /^# TYPE (\S+) (\S+)$/.exec(line);
    if (type && current) {
      Object.assign(current, { type: type[2] });
      continue;
    }
    const sample = /^([a-zA-Z_:][\w:]*)(\{.*\})? (\S+)$/.exec(line);
    if (sample && current) {
      const labels = [...(sample[2] ?? "").matchAll(/(\w+)="/g)].map((m) => m[1]).sort();
      current.labelSets.add(`${sample[1] ?? ""}:${labels.join(",")}`);
      current.samples.set(`${sample[1] ?? ""}${sample[2] ?? ""}`, Number(sample[3]));
    }
  }
  return families;
}

async function promClientDefaults(): Promise<ParsedFamily[]> {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry });
  const misnamed = ["nodejs_active_handles_total", "nodejs_active_requests_total", "nodejs_active_resources_total"];
  for (const name of misnamed) registry.removeSingleMetric(name);
  await new Promise((resolve) => setTimeout(resolve, 50));
  return parse(await registry.metrics());
}

describe("process metrics", () => {
  it("are prom-client's default families: same order, help, types and label names", async () => {
    const ours = parse(await new MetricsRenderer({ exporterMetrics: true }).render([]));
    const theirs = await promClientDefaults();
    assert.deepEqual(
      ours.map((f) => [f.name, f.help, f.type]),
      theirs.map((f) => [f.name, f.help, f.type]),
    );
    for (const [index, family] of ours.entries()) {
      const reference = theirs[index];
      // Families whose series depend on what is alive at the moment (handles, GC kinds) may differ in number.
      if (reference === undefined || family.labelSets.size === 0 || reference.labelSets.size === 0) continue;
      assert.deepEqual(family.labelSets, reference.labelSets, family.name);
    }
  });

  it("report the values prom-client reports where they cannot differ", async () => {
    const ours = parse(await new MetricsRenderer({ exporterMetrics: true }).render([]));
    const theirs = await promClientDefaults();
    const value = (families: ParsedFamily[], series: string): number | undefined =>
      families.find((f) => series.startsWith(f.name))?.samples.get(series);
    const version = process.version.slice(1).split(".");
    const versionSeries = `nodejs_version_info{version="${process.version}",major="${version[0] ?? ""}",minor="${version[1] ?? ""}",patch="${version[2] ?? ""}"}`;
    assert.equal(value(ours, versionSeries), 1);
    assert.equal(value(theirs, versionSeries), 1);
    assert.equal(value(ours, "process_max_fds"), value(theirs, "process_max_fds"));
    const start = value(ours, "process_start_time_seconds") ?? NaN;
    assert.ok(Math.abs(start - (value(theirs, "process_start_time_seconds") ?? NaN)) <= 1);
    for (const name of ["process_resident_memory_bytes", "process_virtual_memory_bytes", "process_heap_bytes"]) {
      const ourValue = value(ours, name) ?? NaN;
      assert.ok(Number.isFinite(ourValue) && ourValue > 0 && ourValue % 1024 === 0, `${name} ${ourValue}`);
    }
    const rss = value(ours, "process_resident_memory_bytes") ?? NaN;
    assert.ok(Math.abs(rss - (value(theirs, "process_resident_memory_bytes") ?? NaN)) < rss * 0.5);
    const fds = value(ours, "process_open_fds") ?? NaN;
    assert.ok(Math.abs(fds - (value(theirs, "process_open_fds") ?? NaN)) <= 2, "open fds");
    assert.ok((value(ours, "nodejs_heap_size_used_bytes") ?? 0) <= (value(ours, "nodejs_heap_size_total_bytes") ?? 0));
  });

  it("event loop delay: the time between 10 ms ticks, a new window on each reading", async () => {
    const monitor = new EventLoopDelayMonitor();
    try {
      await new Promise((resolve) => setTimeout(resolve, 150));
      const stats = monitor.take();
      assert.ok(stats.min >= 0.009 && stats.min <= stats.p50, `min ${stats.min}`);
      assert.ok(stats.p50 <= stats.p90 && stats.p90 <= stats.p99 && stats.p99 <= stats.max * 1.01);
      assert.ok(stats.mean >= stats.min && stats.mean <= stats.max);
      assert.ok(stats.stddev >= 0 && stats.stddev < stats.max);
      const empty = monitor.take();
      assert.ok(Number.isNaN(empty.mean) && Number.isNaN(empty.stddev), "no tick since the last reading");
      assert.equal(empty.max, 0);
      assert.equal(empty.min, 2 ** 63 / 1e9);
    } finally {
      monitor.stop();
    }
  });

  it("the GC histogram renders observations exactly as a prom-client Histogram does", async () => {
    const ours = new GcDurations();
    ours.stop(); // only the observations below
    const registry = new Registry();
    const reference = new Histogram({
      name: "nodejs_gc_duration_seconds",
      help: "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
      labelNames: ["kind"],
      buckets: [0.001, 0.01, 0.1, 1, 2, 5],
      registers: [registry],
    });
    const observations: [string, number][] = [
      ["minor", 0.0004],
      ["major", 0.012],
      ["minor", 0.001],
      ["incremental", 7.5],
      ["minor", 0.0021],
      ["major", 2],
    ];
    assert.equal(ours.appendTo(""), (await registry.metrics()).trimEnd(), "no observation yet");
    for (const [kind, seconds] of observations) {
      ours.observe(kind, seconds);
      reference.observe({ kind }, seconds);
    }
    assert.equal(`${ours.appendTo("")}\n`, await registry.metrics());
  });

  it("are served with prom-client's content type", () => {
    assert.equal(PROMETHEUS_CONTENT_TYPE, Registry.PROMETHEUS_CONTENT_TYPE);
  });
});
