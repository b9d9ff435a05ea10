import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { derivedOf, snapshotOf } from "../helpers/collect.js";
import type { ReadinessFacts } from "../../src/derive/readiness.js";

function verdicts(facts: ReadinessFacts): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(facts.checks).map(([check, fact]) => [check, fact.state === "ok" ? fact.value : fact.state]),
  );
}

const ALL_PASS = {
  livepatch_built: true,
  sysfs_present: true,
  modules_supported: true,
  modules_not_disabled: true,
  ftrace_enabled: true,
  no_transition_in_progress: true,
};

describe("readiness collector", () => {
  it("clean 6.1 host: ready, unsigned patches allowed", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("clean")), "readiness");
    assert.deepEqual(verdicts(facts), ALL_PASS);
    assert.deepEqual(facts.ready, { state: "ok", value: true });
    assert.deepEqual(facts.signedPatchesOnly, { state: "ok", value: false });
  });

  it("busy-stuck: a transition in progress makes the host not ready (the kernel answers EBUSY)", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("busy-stuck")), "readiness");
    assert.deepEqual(verdicts(facts), { ...ALL_PASS, no_transition_in_progress: false });
    assert.deepEqual(facts.ready, { state: "ok", value: false });
  });

  it("disabled-during: an unpatching transition blocks new patches too", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("disabled-during")), "readiness");
    assert.equal(verdicts(facts)["no_transition_in_progress"], false);
    assert.deepEqual(facts.ready, { state: "ok", value: false });
  });

  it("a transition attribute that cannot be read leaves the check unknown, not passed", async () => {
    const root = realKernelTree("basic-enabled");
    const { writeFileSync } = await import("node:fs");
    writeFileSync(`${root}/sys/kernel/livepatch/lp_basic/transition`, "garbage\n");
    const facts = derivedOf(await snapshotOf(root), "readiness");
    assert.equal(verdicts(facts)["no_transition_in_progress"], "unknown");
    assert.deepEqual(facts.ready, { state: "unknown", reason: "dependency_failed" });
  });

  it("modules-disabled: not ready because of that one check", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("modules-disabled")), "readiness");
    assert.equal(verdicts(facts)["modules_not_disabled"], false);
    assert.deepEqual(facts.ready, { state: "ok", value: false });
  });

  it("lockdown integrity: ready, but only for signed patches", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("lockdown-integrity")), "readiness");
    assert.deepEqual(facts.ready, { state: "ok", value: true });
    assert.deepEqual(facts.signedPatchesOnly, { state: "ok", value: true });
  });

  it("no CONFIG_MODULES, CONFIG_HAVE_LIVEPATCH=y: not built, no sysfs, no modules; modules_not_disabled does not apply", async () => {
    const facts = derivedOf(await snapshotOf(handmadeTree("no-modules")), "readiness");
    assert.deepEqual(verdicts(facts), {
      livepatch_built: false,
      sysfs_present: false,
      modules_supported: false,
      modules_not_disabled: "absent",
      ftrace_enabled: true,
      no_transition_in_progress: "absent",
    });
    assert.deepEqual(facts.ready, { state: "ok", value: false });
    // No module signing and securityfs not mounted: whether only signed modules would load is unknown.
    assert.deepEqual(facts.signedPatchesOnly, { state: "unknown", reason: "not_mounted" });
  });

  it("no sysfs directory and no config: built is unknown, not 0", async () => {
    const root = realKernelTree("clean", { rootfs: false });
    const { rmSync } = await import("node:fs");
    rmSync(`${root}/sys/kernel/livepatch`, { recursive: true });
    const facts = derivedOf(await snapshotOf(root), "readiness");
    assert.equal(verdicts(facts)["livepatch_built"], "unknown");
    assert.deepEqual(facts.ready, { state: "ok", value: false });
  });

  it("a failed kernel collector does not hide what sysfs proves", async () => {
    const root = realKernelTree("clean");
    const { rmSync } = await import("node:fs");
    rmSync(`${root}/proc/sys/kernel/osrelease`);
    const snapshot = await snapshotOf(root);
    const facts = derivedOf(snapshot, "readiness");
    // The kernel collector failed; sysfs still proves the core is built.
    assert.equal(verdicts(facts)["livepatch_built"], true);
    assert.deepEqual(facts.ready, { state: "ok", value: true });
  });

  it("a failed modules collector leaves its checks unknown and the verdict unknown", async () => {
    const root = realKernelTree("clean");
    const { rmSync } = await import("node:fs");
    rmSync(`${root}/proc/sys`, { recursive: true });
    const facts = derivedOf(await snapshotOf(root), "readiness");
    assert.deepEqual(verdicts(facts), {
      livepatch_built: true,
      sysfs_present: true,
      modules_supported: "unknown",
      modules_not_disabled: "unknown",
      ftrace_enabled: "unknown",
      no_transition_in_progress: true,
    });
    assert.deepEqual(facts.ready, { state: "unknown", reason: "dependency_failed" });
  });
});
