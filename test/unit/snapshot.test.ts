import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { snapshotSource } from "../helpers/collect.js";
import { realKernelTree } from "../helpers/fixtures.js";
import type { Read } from "../../src/collectors/types.js";
import type { RebootReading } from "../../src/collectors/reboot.js";

function hangingReboot(): { read: Read<RebootReading>; calls: () => number; release: () => void } {
  let calls = 0;
  let release: () => void = () => undefined;
  const gate = new Promise<void>((resolve) => {
    release = resolve;
  });
  return {
    read: async () => {
      calls += 1;
      await gate;
      throw new Error("released");
    },
    calls: () => calls,
    release: () => release(),
  };
}

describe("snapshot source", () => {
  it("a hung collector times out alone, and is not started again while it hangs", async () => {
    const hang = hangingReboot();
    const source = snapshotSource(realKernelTree("basic-enabled"), {
      replace: { reboot: hang.read },
      timeoutMs: 100,
    });
    const first = await source.snapshot();
    const run = (name: string) => first.runs.find((r) => r.name === name);
    assert.equal(run("reboot")?.success, false);
    assert.match(run("reboot")?.error ?? "", /timed out after 100 ms/);
    assert.equal(run("livepatch")?.success, true);
    assert.ok(first.facts.livepatch);

    const second = await source.snapshot();
    assert.match(second.runs.find((r) => r.name === "reboot")?.error ?? "", /previous collection has not returned yet/);
    assert.equal(hang.calls(), 1);
    hang.release();
  });

  it("concurrent callers share the collection in flight", async () => {
    const source = snapshotSource(realKernelTree("clean"));
    const [a, b] = await Promise.all([source.snapshot(), source.snapshot()]);
    assert.equal(a, b);
    const c = await source.snapshot();
    assert.notEqual(c, a);
  });

  it("a disabled collector whose facts an enabled one's derived facts need runs, but is not marked enabled", async () => {
    const snapshot = await snapshotSource(realKernelTree("clean"), { enabled: ["readiness"] }).snapshot();
    assert.deepEqual(
      snapshot.runs.map((r) => [r.name, r.enabled]),
      [
        ["livepatch", false],
        ["modules", false],
        ["kernel", false],
        ["readiness", true],
      ],
    );
  });
});
