import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { factsOf, snapshotOf } from "../helpers/collect.js";

describe("modules collector", () => {
  it("clean: modules supported and allowed, sig_enforce N, lockdown none, ftrace on", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("clean")), "modules");
    assert.deepEqual(facts.supported, { state: "ok", value: true });
    assert.deepEqual(facts.disabled, { state: "ok", value: false });
    assert.deepEqual(facts.sigEnforce, { state: "ok", value: false });
    assert.deepEqual(facts.lockdown, {
      state: "ok",
      value: { active: "none", available: ["none", "integrity", "confidentiality"] },
    });
    assert.deepEqual(facts.ftraceEnabled, { state: "ok", value: true });
    assert.deepEqual(facts.loaded, { state: "ok", value: [] });
  });

  it("modules-disabled: modules_disabled 1", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("modules-disabled")), "modules");
    assert.deepEqual(facts.disabled, { state: "ok", value: true });
    assert.deepEqual(facts.loaded, { state: "ok", value: [{ name: "lp_basic", state: "live", taint: "OEK" }] });
  });

  it("lockdown-integrity: integrity is the active mode", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("lockdown-integrity")), "modules");
    assert.equal(facts.lockdown.state === "ok" && facts.lockdown.value.active, "integrity");
  });

  it("no CONFIG_MODULES: unsupported; modules_disabled and sig_enforce absent, not 0", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("no-modules")), "modules");
    assert.deepEqual(facts.supported, { state: "ok", value: false });
    assert.deepEqual(facts.disabled, { state: "absent" });
    assert.deepEqual(facts.sigEnforce, { state: "absent" });
    assert.deepEqual(facts.loaded, { state: "absent" });
  });

  it("securityfs not mounted: lockdown unknown with reason not_mounted", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("no-securityfs")), "modules");
    assert.deepEqual(facts.lockdown, { state: "unknown", reason: "not_mounted" });
  });

  it("securityfs mounted without the lockdown LSM: lockdown absent", async () => {
    const root = handmadeTree("no-securityfs");
    fs.writeFileSync(path.join(root, "sys/kernel/security/lsm"), "capability,yama,apparmor\n");
    const facts = factsOf(await snapshotOf(root), "modules");
    assert.deepEqual(facts.lockdown, { state: "absent" });
  });

  it("garbage: every unparseable value is unknown (invalid)", async () => {
    const snapshot = await snapshotOf(handmadeTree("garbage"));
    const facts = factsOf(snapshot, "modules");
    assert.deepEqual(facts.disabled, { state: "unknown", reason: "invalid" });
    assert.deepEqual(facts.sigEnforce, { state: "unknown", reason: "invalid" });
    assert.deepEqual(facts.lockdown, { state: "unknown", reason: "invalid" });
    assert.deepEqual(facts.ftraceEnabled, { state: "unknown", reason: "invalid" });
    // The module list keeps the good line and counts the bad one.
    assert.equal(facts.loaded.state === "ok" && facts.loaded.value.length, 1);
    assert.deepEqual(facts.supported, { state: "ok", value: true });
    assert.equal(snapshot.runs.find((r) => r.name === "modules")?.fileErrors.get("invalid"), 5);
  });

  it("sysfs missing: signature enforcement is unknown, not 'not built'", async () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "sys"), { recursive: true });
    const facts = factsOf(await snapshotOf(root), "modules");
    assert.deepEqual(facts.sigEnforce, { state: "unknown", reason: "not_mounted" });
    assert.deepEqual(facts.lockdown, { state: "unknown", reason: "not_mounted" });
  });

  it("procfs missing: the collector fails rather than reporting 'no modules'", async () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "proc"), { recursive: true });
    const snapshot = await snapshotOf(root);
    const run = snapshot.runs.find((r) => r.name === "modules");
    assert.equal(run?.success, false);
    assert.match(run.error ?? "", /procfs is not available/);
  });
});
