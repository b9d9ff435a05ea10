import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { snapshotSamples } from "../../src/views/samples.js";
import { REAL_CAPTURES, type RealCapture } from "../../support/trees.js";
import { HANDMADE, type HandmadeName } from "../fixtures/handmade.js";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { snapshotOf } from "../helpers/collect.js";
import { syntheticTree } from "../../support/synthetic-tree.js";

const REAL: readonly RealCapture[] = REAL_CAPTURES;

const TREES: [string, () => string][] = [
  ...REAL.map((name): [string, () => string] => [name, () => realKernelTree(name)]),
  ...(Object.keys(HANDMADE) as HandmadeName[]).map((name): [string, () => string] => [name, () => handmadeTree(name)]),
  ["synthetic 20 patches in transition", () => syntheticTree({ patches: 20, transitionThreads: 50 })],
];

describe("samples", () => {
  // prom-client keeps the last value of a label set set twice: a duplicate would hide a bug.
  it("no fixture emits the same series twice", async () => {
    for (const [name, tree] of TREES) {
      const snapshot = await snapshotOf(tree(), { transition: { blockingThreads: true } });
      const seen = new Set<string>();
      for (const sample of snapshotSamples(snapshot, { version: "0", revision: "0" })) {
        const key = JSON.stringify([sample.name, Object.entries(sample.labels).sort()]);
        assert.ok(!seen.has(key), `${name}: ${key} emitted twice`);
        seen.add(key);
      }
    }
  });

  it("control characters from the host never reach a label value raw: escaped as \\xHH", async () => {
    const snapshot = await snapshotOf(handmadeTree("hostile-names"), { transition: { blockingThreads: true } });
    const samples = snapshotSamples(snapshot, { version: "0", revision: "0" });
    for (const sample of samples) {
      for (const value of Object.values(sample.labels)) {
        // eslint-disable-next-line no-control-regex
        assert.doesNotMatch(value, /[\u0000-\u001f\u007f-\u009f]/, `${sample.name} ${JSON.stringify(sample.labels)}`);
      }
    }
    const patches = samples.filter((s) => s.name === "livepatch_patch_enabled").map((s) => s.labels["patch"]);
    assert.deepEqual(patches.sort(), ["lp_\\x1b[31mred", "lp_busy"]);
    const thread = samples.find((s) => s.name === "livepatch_transition_blocking_thread_info");
    assert.equal(thread?.labels["comm"], "\\x1b[2Jevil\\x07");
  });
});
