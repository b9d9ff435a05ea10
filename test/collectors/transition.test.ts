import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { realKernelTree } from "../helpers/fixtures.js";
import { factsOf, snapshotOf } from "../helpers/collect.js";

describe("transition collector", () => {
  it("busy-stuck: patching lp_busy, exactly one blocking thread out of 54", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("busy-stuck")), "transition");
    const active = facts.active;
    assert.ok(active);
    assert.equal(active.patch, "lp_busy");
    assert.equal(active.direction, "patching");
    assert.deepEqual(active.threads, { patched: 53, unpatched: 1, idle: 0, unreadable: 0 });
    assert.equal(active.truncated, false);
    assert.deepEqual(active.blocking, { state: "ok", value: 1 });
    assert.deepEqual(active.blockers, []);
  });

  it("names the blocking thread when asked, and only then", async () => {
    const facts = factsOf(
      await snapshotOf(realKernelTree("busy-stuck"), { transition: { blockingThreads: true } }),
      "transition",
    );
    // The capture has no stack files (see functions.test.ts for the kthread's stack).
    assert.deepEqual(facts.active?.blockers, [
      { pid: 110, tid: 110, comm: "lp_busy_kthread", inside: { state: "absent" } },
    ]);
  });

  it("caps the per-thread detail", async () => {
    const root = realKernelTree("busy-stuck");
    // Put three more threads on the unpatched side.
    for (const pid of ["1", "2", "3"])
      fs.writeFileSync(path.join(root, "proc", pid, "task", pid, "patch_state"), "0\n");
    const facts = factsOf(
      await snapshotOf(root, { transition: { blockingThreads: true, blockingThreadsLimit: 2 } }),
      "transition",
    );
    assert.deepEqual(facts.active?.blocking, { state: "ok", value: 4 });
    assert.equal(facts.active.blockers.length, 2);
  });

  it("disabled-during: unpatching with nothing blocking (every thread already at 0)", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("disabled-during")), "transition");
    assert.equal(facts.active?.direction, "unpatching");
    assert.deepEqual(facts.active.blocking, { state: "ok", value: 0 });
    assert.equal(facts.active.threads.patched, 0);
    assert.ok(facts.active.threads.unpatched > 0);
  });

  it("no transition: no walk at all", async (t) => {
    const root = realKernelTree("basic-enabled");
    const readdir = t.mock.method(fs, "readdirSync");
    const facts = factsOf(await snapshotOf(root, { enabled: ["transition"] }), "transition");
    assert.equal(facts.active, undefined);
    const proc = path.join(root, "proc");
    const walked = readdir.mock.calls
      .map((c) => String(c.arguments[0]))
      .filter((dir) => dir === proc || /\/proc\/\d+(\/|$)/.test(dir));
    assert.deepEqual(walked, []);
  });

  it("stops at the thread limit and then says the count is unknown", async () => {
    const facts = factsOf(
      await snapshotOf(realKernelTree("busy-stuck"), { transition: { maxThreads: 10 } }),
      "transition",
    );
    assert.equal(facts.active?.truncated, true);
    assert.deepEqual(facts.active.blocking, { state: "unknown", reason: "too_large" });
    assert.equal(
      Object.values(facts.active.threads).reduce((a, b) => a + b, 0),
      10,
    );
  });

  it("an unreadable or garbage patch_state makes the blocking count unknown, not 0", async () => {
    const root = realKernelTree("disabled-during");
    fs.writeFileSync(path.join(root, "proc/1/task/1/patch_state"), "garbage\n");
    const facts = factsOf(await snapshotOf(root), "transition");
    assert.equal(facts.active?.threads.unreadable, 1);
    assert.deepEqual(facts.active.blocking, { state: "unknown", reason: "unreadable" });
  });

  it("threads that exit during the walk are skipped", async () => {
    const root = realKernelTree("busy-stuck");
    fs.rmSync(path.join(root, "proc/1/task/1/patch_state"));
    fs.rmSync(path.join(root, "proc/2/task"), { recursive: true });
    const facts = factsOf(await snapshotOf(root), "transition");
    assert.deepEqual(facts.active?.threads, { patched: 51, unpatched: 1, idle: 0, unreadable: 0 });
    assert.deepEqual(facts.active.blocking, { state: "ok", value: 1 });
  });
});
