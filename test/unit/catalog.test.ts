import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { isClientName } from "../../src/clients/names.js";
import { CLIENTS } from "../../src/clients/registry.js";
import { RUN_RESULTS, type ClientStateSource, type LastRun } from "../../src/clients/runner.js";
import { COLLECTOR_NAMES } from "../../src/registry.js";
import { METRICS } from "../../src/views/catalog.js";
import { webSamples } from "../../src/views/exporter.js";
import { snapshotSamples } from "../../src/views/samples.js";
import type { Sample } from "../../src/views/view.js";
import { buildTree, handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { HANDMADE } from "../fixtures/handmade.js";
import { CANONICAL_JSON, KCARECTL_INFO, KCARECTL_PATCH_INFO, UPTRACK_SHOW } from "../fixtures/client-outputs.js";
import { snapshotOf } from "../helpers/collect.js";
import { checkGenerated } from "../helpers/generators.js";

describe("metric catalog", () => {
  it("docs/metrics.md is generated from it (npm run docs:metrics)", () => {
    const result = checkGenerated("gen-metrics-doc.ts");
    assert.equal(result.status, 0, result.stderr);
    const doc = fs.readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
    for (const name of Object.keys(METRICS)) assert.ok(doc.includes(`| \`${name}\` |`), name);
  });

  it("docs/metrics.md states the livepatch_* series each golden host costs", () => {
    const doc = fs.readFileSync(new URL("../../docs/metrics.md", import.meta.url), "utf8");
    const stated = Object.fromEntries(
      [...doc.matchAll(/^\| `([a-z0-9.-]+)` \([^)]*\) \| (\d+) \|$/gm)].map((m) => [m[1] ?? "", Number(m[2])]),
    );
    const goldenDir = new URL("../golden/", import.meta.url);
    const counted: Record<string, number> = {};
    for (const file of fs.readdirSync(goldenDir).filter((f) => f.endsWith(".prom"))) {
      const samples = fs
        .readFileSync(new URL(file, goldenDir), "utf8")
        .split("\n")
        .filter((line) => line.startsWith("livepatch_"));
      const count = (re: RegExp): number => samples.filter((line) => re.test(line)).length;
      // Left out of the golden files as they vary: the build info, one duration per collector, one date per reason.
      counted[file.replace(/\.prom$/, "")] =
        samples.length +
        1 +
        count(/^livepatch_scrape_collector_success\{/) +
        count(/^livepatch_reboot_required\{.*\} 1$/);
    }
    assert.deepEqual(stated, counted);
  });

  it("names follow the conventions: namespace, base units, _total only on counters, _info is 1", () => {
    for (const [name, spec] of Object.entries(METRICS)) {
      assert.match(name, /^livepatch_[a-z0-9_]+$/, name);
      assert.equal(name.endsWith("_total"), spec.type === "counter", `${name}: _total iff counter`);
      assert.doesNotMatch(name, /_(ms|milliseconds|minutes|hours|days|kb|mb|bytes_total)$/, name);
      for (const label of spec.labels) {
        assert.match(label, /^[a-z][a-z0-9_]*$/, `${name}: label ${label}`);
        assert.ok(!["instance", "job", "host", "hostname", "cluster"].includes(label), `${name}: no host labels`);
      }
    }
  });

  it("every metric is emitted by some fixture, with exactly its declared labels", async () => {
    const trees = [
      realKernelTree("busy-stuck"),
      realKernelTree("basic-enabled"),
      handmadeTree("kernel-6.14"),
      handmadeTree("distro-taint"),
      handmadeTree("reboot-required"),
      handmadeTree("module-without-patch"),
      handmadeTree("no-modules"),
      handmadeTree("garbage"),
    ];
    const seen = new Set<string>();
    const snapshots = await Promise.all(
      trees.map((tree) => snapshotOf(tree, { transition: { blockingThreads: true } })),
    );
    // The opt-in collectors of patched functions, with probes and an IPMODIFY conflict.
    const everyHostCollector = COLLECTOR_NAMES.filter((name) => !isClientName(name));
    for (const tree of [handmadeTree("probed"), handmadeTree("ipmodify-conflict")]) {
      snapshots.push(await snapshotOf(tree, { enabled: everyHostCollector, transition: { blockingThreads: true } }));
    }
    // Vendor clients, from their documented outputs (no process is run here).
    const kernelOnlyReboot = buildTree({
      ...HANDMADE["reboot-required"],
      files: { ...HANDMADE["reboot-required"].files, "run/reboot-required.pkgs": "linux-image-6.1.0-57-amd64\n" },
    });
    const context = { runningRelease: "6.1.0-9-amd64" };
    snapshots.push(
      await snapshotOf(kernelOnlyReboot, {
        clientOptions: { fixInfo: true },
        clients: {
          canonical_livepatch: clientSource({
            ok: true,
            view: interpret("canonical_livepatch", [CANONICAL_JSON], context),
          }),
          kernelcare: clientSource({
            ok: true,
            view: interpret("kernelcare", [KCARECTL_INFO, KCARECTL_PATCH_INFO], context),
          }),
          kpatch: clientSource({ ok: false, reason: "timeout", message: "kpatch list: no output" }),
          ksplice: clientSource({ ok: true, view: interpret("ksplice", [UPTRACK_SHOW], context) }),
        },
      }),
    );
    const outputs: Sample[][] = [
      ...snapshots.map((snapshot) => snapshotSamples(snapshot, { version: "0", revision: "0" })),
      webSamples({
        configFile: { lastReloadSuccess: false, lastSuccessAtMs: 1_700_000_000_000 },
        rejected: new Map([["unauthorized", 3]]),
      }),
    ];
    for (const samples of outputs) {
      for (const sample of samples) {
        seen.add(sample.name);
        assert.deepEqual(
          Object.keys(sample.labels).sort(),
          [...(METRICS[sample.name]?.labels ?? [])].sort(),
          sample.name,
        );
        assert.ok(Number.isFinite(sample.value), `${sample.name} is finite`);
        if (sample.name.endsWith("_info")) assert.equal(sample.value, 1, sample.name);
      }
    }
    assert.deepEqual(
      Object.keys(METRICS).filter((name) => !seen.has(name)),
      [],
      "catalog entries no fixture emits",
    );
  });
});

function interpret(
  name: keyof typeof CLIENTS,
  outputs: string[],
  context: { runningRelease: string },
): NonNullable<ReturnType<(typeof CLIENTS)[typeof name]["interpret"]>> {
  const view = CLIENTS[name].interpret(outputs, context);
  assert.ok(view);
  return view;
}

/** A client runner's state after one run with this outcome. */
function clientSource(outcome: LastRun["outcome"]): ClientStateSource {
  const runs = new Map(RUN_RESULTS.map((r) => [r, 0]));
  runs.set(outcome.ok ? "success" : outcome.reason, 1);
  return {
    state: () => ({
      binary: "/fake",
      intervalSeconds: 300,
      runs,
      last: { finishedAtMs: Date.now(), durationSeconds: 0.01, outcome },
    }),
  };
}
