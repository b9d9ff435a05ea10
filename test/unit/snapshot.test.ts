import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { recordingLogger, snapshotSource } from "../helpers/collect.js";
import { realKernelTree } from "../helpers/fixtures.js";
import type { Read } from "../../src/collectors/types.js";
import type { RebootReading } from "../../src/collectors/reboot.js";
import type { TransitionFacts } from "../../src/collectors/transition.js";

/** A walk that never ends by itself: it pauses as a long walk does, and counts its slices. */
function endlessWalk(): { read: Read<TransitionFacts>; slices: () => number; ended: () => boolean } {
  let slices = 0;
  let ended = false;
  return {
    read: async (ctx) => {
      try {
        for (;;) {
          const start = performance.now();
          while (performance.now() - start < 1); // one unit of work
          if (ctx.pacing.sliceOver()) {
            slices += 1;
            await ctx.pacing.pause();
          }
        }
      } finally {
        ended = true;
      }
    },
    slices: () => slices,
    ended: () => ended,
  };
}

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

  it("a walk past --collector.timeout ends at its next pause; the event loop ran between its slices", async () => {
    const walk = endlessWalk();
    const source = snapshotSource(realKernelTree("basic-enabled"), {
      replace: { transition: walk.read },
      // Long enough for several slices even when this process gets little of a shared CPU.
      timeoutMs: 1000,
    });
    let ticks = 0;
    const ticker = setInterval(() => (ticks += 1), 1);
    const snapshot = await source.snapshot();
    clearInterval(ticker);
    const run = snapshot.runs.find((r) => r.name === "transition");
    assert.equal(run?.success, false);
    assert.equal(run.error, "timed out after 1000 ms");
    assert.equal(snapshot.runs.find((r) => r.name === "livepatch")?.success, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(walk.ended(), "the walk has ended");
    assert.ok(walk.slices() >= 5, `the walk paused (${walk.slices()} slices)`);
    assert.ok(ticks >= 5, `timers ran while it walked (${ticks})`);
    // Ended, not hung: the next scrape starts it again.
    const next = await source.snapshot();
    assert.equal(next.runs.find((r) => r.name === "transition")?.error, "timed out after 1000 ms");
  });

  it("close() ends the collections in progress at once, and every later one", async () => {
    const walk = endlessWalk();
    const hang = hangingReboot();
    const source = snapshotSource(realKernelTree("basic-enabled"), {
      replace: { transition: walk.read, reboot: hang.read },
      timeoutMs: 60_000,
    });
    const pending = source.snapshot();
    setTimeout(() => source.close(), 50);
    const snapshot = await pending;
    for (const name of ["transition", "reboot"]) {
      assert.equal(snapshot.runs.find((r) => r.name === name)?.error, "the exporter is stopping", name);
    }
    assert.equal(snapshot.runs.find((r) => r.name === "taint")?.success, true);
    await new Promise((resolve) => setImmediate(resolve));
    assert.ok(walk.ended());
    const later = await source.snapshot();
    assert.ok(later.runs.every((r) => r.error === "the exporter is stopping"));
    hang.release();
  });

  it("a collector failing on every scrape warns once, then logs at debug until its error changes", async () => {
    const root = realKernelTree("clean");
    const tainted = path.join(root, "proc/sys/kernel/tainted");
    const { log, lines } = recordingLogger();
    const source = snapshotSource(root, { enabled: ["taint"], log });
    const taintLines = (): string[] =>
      lines.filter((l) => l.fields["collector"] === "taint").map((l) => `${l.level} ${l.message}`);
    fs.renameSync(tainted, `${tainted}.saved`);
    for (let i = 0; i < 3; i++) await source.snapshot();
    assert.deepEqual(taintLines(), [
      "warn collector failed",
      "debug collector failed (still)",
      "debug collector failed (still)",
    ]);
    lines.length = 0;
    fs.writeFileSync(tainted, "garbage\n");
    for (let i = 0; i < 3; i++) await source.snapshot();
    assert.deepEqual(taintLines(), [
      // The file's content is invalid: said once for the file, once for the collector's new error.
      "warn cannot read file",
      "warn collector failed",
      "debug cannot read file (still)",
      "debug collector failed (still)",
      "debug cannot read file (still)",
      "debug collector failed (still)",
    ]);
    lines.length = 0;
    fs.renameSync(`${tainted}.saved`, tainted);
    for (let i = 0; i < 2; i++) await source.snapshot();
    assert.deepEqual(taintLines(), ["info file is readable again", "info collector recovered"]);
  });
});
