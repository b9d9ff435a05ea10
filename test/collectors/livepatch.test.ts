import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { derivedOf, factsOf, snapshotOf } from "../helpers/collect.js";
import { snapshotSamples } from "../../src/views/samples.js";
import fs from "node:fs";
import path from "node:path";

describe("livepatch collector on real captures", () => {
  it("clean: sysfs present and empty", async () => {
    const snapshot = await snapshotOf(realKernelTree("clean"));
    const facts = factsOf(snapshot, "livepatch");
    assert.equal(facts.sysfsPresent, true);
    assert.deepEqual(facts.patches, []);
    assert.deepEqual(derivedOf(snapshot, "modulesWithoutPatch"), { state: "ok", value: [] });
  });

  it("basic-enabled: one applied patch with one vmlinux function; absent attributes stay absent", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("basic-enabled")), "livepatch");
    assert.equal(facts.patches.length, 1);
    const [patch] = facts.patches;
    assert.ok(patch);
    assert.equal(patch.name, "lp_basic");
    assert.deepEqual(patch.enabled, { state: "ok", value: true });
    assert.deepEqual(patch.transition, { state: "ok", value: false });
    assert.deepEqual(patch.replace, { state: "absent" });
    assert.deepEqual(patch.stackOrder, { state: "absent" });
    assert.deepEqual(patch.writeOnly, ["force"]);
    assert.deepEqual(patch.status, { state: "ok", value: "applied" });
    assert.deepEqual(patch.objects, [
      {
        name: "vmlinux",
        patched: { state: "ok", value: true },
        functions: { state: "ok", value: 1 },
        functionDirs: [{ name: "cmdline_proc_show", sympos: 1 }],
      },
    ]);
  });

  it("busy-stuck: patching, object is the target module", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("busy-stuck")), "livepatch");
    const [patch] = facts.patches;
    assert.equal(patch?.name, "lp_busy");
    assert.deepEqual(patch.status, { state: "ok", value: "patching" });
    assert.deepEqual(
      patch.objects.map((o) => [o.name, o.patched, o.functions]),
      [["lp_busy_target", { state: "ok", value: true }, { state: "ok", value: 1 }]],
    );
  });

  it("stacked: two applied patches, sorted by name", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("stacked")), "livepatch");
    assert.deepEqual(
      facts.patches.map((p) => [p.name, p.status]),
      [
        ["lp_basic", { state: "ok", value: "applied" }],
        ["lp_second", { state: "ok", value: "applied" }],
      ],
    );
  });

  it("disabled-during: enabled 0 + transition 1 is unpatching (module initstate is live)", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("disabled-during")), "livepatch");
    assert.deepEqual(facts.patches[0]?.status, { state: "ok", value: "unpatching" });
  });

  it("enabled 0 + transition 1 while the module is still coming is patching", async () => {
    const root = realKernelTree("disabled-during");
    fs.writeFileSync(path.join(root, "sys/module/lp_basic/initstate"), "coming\n");
    const facts = factsOf(await snapshotOf(root), "livepatch");
    assert.deepEqual(facts.patches[0]?.status, { state: "ok", value: "patching" });
  });

  it("never opens the write-only force attribute", async () => {
    const root = realKernelTree("basic-enabled");
    // Make force unreadable the way it is on a real kernel: a FIFO blocks any
    // open for reading forever, so a read attempt would hang this test.
    const force = path.join(root, "sys/kernel/livepatch/lp_basic/force");
    fs.rmSync(force);
    await import("node:child_process").then(({ execFileSync }) => execFileSync("mkfifo", [force]));
    const facts = factsOf(await snapshotOf(root, { enabled: ["livepatch"] }), "livepatch");
    assert.deepEqual(facts.patches[0]?.writeOnly, ["force"]);
  });
});

describe("livepatch collector on hand-made trees", () => {
  it("4.15-5.0: signal and force present, no patched, disabled patch still listed", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("kernel-4.15")), "livepatch");
    assert.deepEqual(
      facts.patches.map((p) => [p.name, p.status, p.writeOnly]),
      [
        ["kpatch_fix", { state: "ok", value: "applied" }, ["force", "signal"]],
        ["kpatch_old", { state: "ok", value: "disabled" }, ["force", "signal"]],
      ],
    );
    const fix = facts.patches[0];
    assert.deepEqual(
      fix?.objects.map((o) => [o.name, o.patched.state, o.functions]),
      [
        ["vmlinux", "absent", { state: "ok", value: 2 }],
        ["xfs", "absent", { state: "ok", value: 1 }],
      ],
    );
  });

  it("4.0-4.11: no transition attribute; plain function names still count", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("kernel-4.4")), "livepatch");
    const [patch] = facts.patches;
    assert.deepEqual(patch?.transition, { state: "absent" });
    assert.deepEqual(patch.status, { state: "ok", value: "applied" });
    assert.deepEqual(patch.objects[0]?.functions, { state: "ok", value: 1 });
    assert.deepEqual(patch.writeOnly, []);
  });

  it("6.14: replace and stack_order; a module object that is not loaded reads patched 0", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("kernel-6.14")), "livepatch");
    const cumulative = facts.patches.find((p) => p.name === "lkp_Ubuntu_6_14_0_15_generic_2");
    assert.deepEqual(cumulative?.replace, { state: "ok", value: true });
    assert.deepEqual(cumulative.stackOrder, { state: "ok", value: 2 });
    assert.deepEqual(
      cumulative.objects.map((o) => [o.name, o.patched, o.functions]),
      [
        ["nfsd", { state: "ok", value: false }, { state: "ok", value: 1 }],
        ["vmlinux", { state: "ok", value: true }, { state: "ok", value: 2 }],
      ],
    );
    const basic = facts.patches.find((p) => p.name === "lp_basic");
    assert.deepEqual(basic?.replace, { state: "ok", value: false });
    assert.deepEqual(basic.stackOrder, { state: "ok", value: 1 });
  });

  it("no /sys/kernel/livepatch: sysfs absent, no patches", async () => {
    const snapshot = await snapshotOf(handmadeTree("no-modules"));
    const facts = factsOf(snapshot, "livepatch");
    assert.equal(facts.sysfsPresent, false);
    assert.deepEqual(facts.patches, []);
    // No module support at all: the list of loaded modules is absent, not empty.
    assert.deepEqual(derivedOf(snapshot, "modulesWithoutPatch"), { state: "absent" });
  });

  it("a K-tainted module without a patch directory is reported with its state", async () => {
    const snapshot = await snapshotOf(handmadeTree("module-without-patch"));
    assert.deepEqual(derivedOf(snapshot, "modulesWithoutPatch"), {
      state: "ok",
      value: [{ module: "lp_old", state: "live" }],
    });
  });

  it("garbage values are unknown (invalid), and the scrape goes on", async () => {
    const snapshot = await snapshotOf(handmadeTree("garbage"));
    const facts = factsOf(snapshot, "livepatch");
    const [patch] = facts.patches;
    assert.deepEqual(patch?.enabled, { state: "unknown", reason: "invalid" });
    assert.deepEqual(patch.status, { state: "unknown", reason: "invalid" });
    assert.deepEqual(patch.objects[0]?.patched, { state: "unknown", reason: "invalid" });
    const run = snapshot.runs.find((r) => r.name === "livepatch");
    assert.equal(run?.success, true);
    assert.equal(run.fileErrors.get("invalid"), 2);
  });

  for (const [what, victim] of [
    ["its directory", "lp_second"],
    ["its enabled file", "lp_second/enabled"],
    ["an object directory", "lp_second/vmlinux"],
  ] as const) {
    it(`a patch that vanishes after listing (${what}) is skipped, not an error`, async (t) => {
      const root = realKernelTree("stacked");
      const livepatchDir = path.join(root, "sys/kernel/livepatch");
      // Remove part of the patch right after the collector listed it, as
      // the kernel does when it frees a disabled patch (5.1+).
      const original = fs.readdirSync;
      t.mock.method(fs, "readdirSync", (...args: Parameters<typeof fs.readdirSync>) => {
        const result = original(...args);
        if (args[0] === path.join(livepatchDir, "lp_second") || (victim === "lp_second" && args[0] === livepatchDir)) {
          fs.rmSync(path.join(livepatchDir, victim), { recursive: true, force: true });
        }
        return result;
      });
      const snapshot = await snapshotOf(root, { enabled: ["livepatch"] });
      t.mock.restoreAll();
      const facts = factsOf(snapshot, "livepatch");
      assert.deepEqual(
        facts.patches.map((p) => p.name),
        ["lp_basic"],
      );
      const run = snapshot.runs.find((r) => r.name === "livepatch");
      assert.equal(run?.success, true);
      assert.equal(run.fileErrors.size, 0);
    });
  }

  it("without sysfs at all the collector fails instead of reporting 'not built'", async () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "sys"), { recursive: true });
    const snapshot = await snapshotOf(root);
    const run = snapshot.runs.find((r) => r.name === "livepatch");
    assert.equal(run?.success, false);
    assert.match(run.error ?? "", /sysfs is not available/);
    assert.equal(snapshot.facts.livepatch, undefined);
  });
});

describe("a patch directory whose name is not valid UTF-8", () => {
  it("is reported, not dropped: counted, its state unknown, nothing claimed about transitions", async () => {
    const snapshot = await snapshotOf(handmadeTree("undecodable-patch"));
    const facts = factsOf(snapshot, "livepatch");
    assert.deepEqual(
      facts.patches.map((p) => p.name),
      ["lp_basic"],
    );
    assert.deepEqual(facts.undecodable, ["lp_\uFFFD\uFFFD"]);
    const livepatchRun = snapshot.runs.find((r) => r.name === "livepatch");
    assert.equal(livepatchRun?.success, true);
    assert.equal(livepatchRun.fileErrors.get("invalid"), 1);
    const samples = snapshotSamples(snapshot, { version: "0", revision: "0" });
    const value = (name: string, labels: Record<string, string> = {}): number | undefined =>
      samples.find((s) => s.name === name && Object.entries(labels).every(([k, v]) => s.labels[k] === v))?.value;
    assert.equal(value("livepatch_patches"), 2);
    assert.equal(value("livepatch_fact_unavailable", { name: "patch_names", reason: "invalid" }), 1);
    assert.ok(!samples.some((s) => s.labels["patch"]?.includes("\uFFFD")), "no series for a name that opens nothing");
    // Whether it is in transition cannot be told: neither "no transition" nor ready.
    assert.equal(snapshot.runs.find((r) => r.name === "transition")?.success, false);
    assert.deepEqual(derivedOf(snapshot, "readiness").checks.no_transition_in_progress, {
      state: "unknown",
      reason: "invalid",
    });
  });
});
