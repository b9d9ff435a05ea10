// The exposition writer against the reference it replaced: a fresh prom-client
// Registry with one Gauge (or Counter) per family, exactly as
// src/views/metrics.ts built it before. Every fixture, plus label values that need escaping, must render
// byte for byte the same.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Counter, Gauge, Registry } from "prom-client";
import { METRICS, type MetricName } from "../../src/views/catalog.js";
import { renderExposition } from "../../src/views/exposition.js";
import { snapshotSamples, type Sample } from "../../src/views/samples.js";
import { HANDMADE, type HandmadeName, type RealCapture } from "../fixtures/handmade.js";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { snapshotOf } from "../helpers/collect.js";
import { syntheticTree } from "../helpers/synthetic-tree.js";

async function promClientText(samples: readonly Sample[]): Promise<string> {
  const registry = new Registry();
  const families = new Map<MetricName, Gauge | Counter>();
  for (const sample of samples) {
    let family = families.get(sample.name);
    if (family === undefined) {
      const spec = METRICS[sample.name];
      const config = { name: sample.name, help: spec.help, labelNames: spec.labels, registers: [registry] };
      // Counter values are totals kept elsewhere: inc() from 0 sets them.
      family = spec.type === "counter" ? new Counter(config) : new Gauge(config);
      families.set(sample.name, family);
    }
    if (family instanceof Counter) family.inc(sample.labels, sample.value);
    else family.set(sample.labels, sample.value);
  }
  return registry.metrics();
}

const REAL: RealCapture[] = [
  "clean",
  "basic-enabled",
  "busy-stuck",
  "stacked",
  "disabled-during",
  "modules-disabled",
  "lockdown-integrity",
];

const TREES: [string, () => string][] = [
  ...REAL.map((name): [string, () => string] => [name, () => realKernelTree(name)]),
  ...(Object.keys(HANDMADE) as HandmadeName[]).map((name): [string, () => string] => [name, () => handmadeTree(name)]),
  ["synthetic 20 patches in transition", () => syntheticTree({ patches: 20, transitionThreads: 50 })],
];

const BUILD = { version: "1.2.3", revision: "abc" };

describe("exposition writer", () => {
  for (const [name, tree] of TREES) {
    it(`renders ${name} exactly as prom-client did`, async () => {
      const snapshot = await snapshotOf(tree(), { transition: { blockingThreads: true } });
      const samples = snapshotSamples(snapshot, BUILD);
      assert.equal(renderExposition(samples), await promClientText(samples));
    });
  }

  it("escapes label values and help as prom-client did, and spells special values its way", async () => {
    const samples: Sample[] = [
      { name: "livepatch_os_info", labels: osInfo('quote " backslash \\ newline \n end'), value: 1 },
      { name: "livepatch_transition_blocking_thread_info", labels: thread("a\\nb"), value: 1 },
      { name: "livepatch_boot_time_seconds", labels: {}, value: NaN },
      { name: "livepatch_kernel_tainted", labels: {}, value: Infinity },
      { name: "livepatch_patches", labels: {}, value: -Infinity },
      { name: "livepatch_modules_loaded", labels: {}, value: 1e21 },
      { name: "livepatch_scrape_collector_duration_seconds", labels: { collector: "x" }, value: 1.5e-7 },
    ];
    assert.equal(renderExposition(samples), await promClientText(samples));
  });

  it("an empty scrape is one newline, as an empty registry was", async () => {
    assert.equal(renderExposition([]), await promClientText([]));
  });

  it("no fixture emits the same series twice (the writer does not merge them)", async () => {
    for (const [name, tree] of TREES) {
      const snapshot = await snapshotOf(tree(), { transition: { blockingThreads: true } });
      const seen = new Set<string>();
      for (const sample of snapshotSamples(snapshot, BUILD)) {
        const key = JSON.stringify([sample.name, Object.entries(sample.labels).sort()]);
        assert.ok(!seen.has(key), `${name}: ${key} emitted twice`);
        seen.add(key);
      }
    }
  });
});

function osInfo(name: string): Sample["labels"] {
  return { id: "x", id_like: "", name, pretty_name: "", version: "", version_id: "", version_codename: "" };
}

function thread(comm: string): Sample["labels"] {
  return { patch: "p", pid: "1", tid: "2", comm };
}
