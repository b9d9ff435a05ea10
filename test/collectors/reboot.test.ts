import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { rebootFacts } from "../../src/derive/reboot.js";
import { derivedOf, factsOf, snapshotOf } from "../helpers/collect.js";

describe("reboot collector", () => {
  it("Debian 12 capture: nothing required; newest installed is the running kernel", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("basic-enabled")), "reboot");
    assert.deepEqual(facts.reasons.reboot_required_file, {
      state: "ok",
      value: { required: false, sinceSeconds: undefined },
    });
    assert.deepEqual(facts.reasons.reboot_needed_file, {
      state: "ok",
      value: { required: false, sinceSeconds: undefined },
    });
    assert.deepEqual(facts.reasons.newer_kernel_installed, {
      state: "ok",
      value: { required: false, sinceSeconds: undefined },
    });
    assert.deepEqual(facts.reasons.running_kernel_modules_missing, {
      state: "ok",
      value: { required: false, sinceSeconds: undefined },
    });
    assert.deepEqual(facts.newestKernel, { state: "ok", value: "6.1.0-56-amd64" });
    assert.deepEqual(facts.packages, { state: "absent" });
  });

  it("reboot-required: sentinel through /var/run -> /run inside rootfs, packages, newer kernel of the same flavour", async () => {
    const root = handmadeTree("reboot-required");
    const mtime = new Date("2026-11-20T10:00:00Z");
    fs.utimesSync(path.join(root, "run/reboot-required"), mtime, mtime);
    const facts = derivedOf(await snapshotOf(root), "reboot");
    assert.deepEqual(facts.reasons.reboot_required_file, {
      state: "ok",
      value: { required: true, sinceSeconds: mtime.getTime() / 1000 },
    });
    assert.deepEqual(facts.packages, { state: "ok", value: ["linux-image-6.1.0-57-amd64", "libc6"] });
    // 6.1.0-57 > 6.1.0-56 > 6.1.0-9 in dpkg order; -cloud-amd64 is another flavour.
    assert.deepEqual(facts.newestKernel, { state: "ok", value: "6.1.0-57-amd64" });
    assert.equal(
      facts.reasons.newer_kernel_installed.state === "ok" && facts.reasons.newer_kernel_installed.value.required,
      true,
    );
    assert.deepEqual(facts.installedKernels, {
      state: "ok",
      value: ["6.1.0-56-amd64", "6.1.0-57-amd64", "6.1.0-57-cloud-amd64", "6.1.0-9-amd64"],
    });
  });

  it("RHEL: rpm order across dist tags (el9_5 > el9_4 > el9_0)", async () => {
    const facts = derivedOf(await snapshotOf(handmadeTree("distro-taint")), "reboot");
    assert.deepEqual(facts.newestKernel, { state: "ok", value: "5.14.0-503.11.1.el9_5.x86_64" });
  });

  it("SUSE /run/reboot-needed", async () => {
    const root = realKernelTree("clean");
    fs.writeFileSync(path.join(root, "run/reboot-needed"), "");
    const facts = derivedOf(await snapshotOf(root), "reboot");
    assert.equal(
      facts.reasons.reboot_needed_file.state === "ok" && facts.reasons.reboot_needed_file.value.required,
      true,
    );
  });

  it("the running kernel's modules removed", async () => {
    const root = realKernelTree("clean");
    fs.renameSync(path.join(root, "lib/modules/6.1.0-56-amd64"), path.join(root, "lib/modules/6.1.0-58-amd64"));
    const facts = derivedOf(await snapshotOf(root), "reboot");
    assert.equal(
      facts.reasons.running_kernel_modules_missing.state === "ok" &&
        facts.reasons.running_kernel_modules_missing.value.required,
      true,
    );
  });

  it("a kernel without module support never had a /lib/modules directory: not a reason to reboot", async () => {
    // no-modules: a Debian root whose /lib/modules holds only 6.1.0-56-amd64, running 6.18.44-fc-v782.
    const root = handmadeTree("no-modules");
    const facts = derivedOf(await snapshotOf(root), "reboot");
    assert.deepEqual(facts.reasons.running_kernel_modules_missing, {
      state: "ok",
      value: { required: false, sinceSeconds: undefined },
    });
    // The reboot collector alone still knows it: its input, the modules collector, is read with it.
    const alone = derivedOf(await snapshotOf(root, { enabled: ["reboot"] }), "reboot");
    assert.deepEqual(alone.reasons.running_kernel_modules_missing, facts.reasons.running_kernel_modules_missing);
  });

  it("module support unknown while the running kernel's directory is gone: unknown, not required", async () => {
    const snapshot = await snapshotOf(realKernelTree("clean"));
    const kernel = factsOf(snapshot, "kernel");
    const modules = factsOf(snapshot, "modules");
    const reading = factsOf(snapshot, "reboot");
    const gone = {
      ...reading,
      modulesDir: { state: "ok" as const, value: { releases: ["6.1.0-58-amd64"], changedSeconds: 1 } },
    };
    const noConfig = { ...kernel, config: { state: "unknown" as const, reason: "not_found" as const } };
    const unreadable = { ...modules, supported: { state: "unknown" as const, reason: "unreadable" as const } };
    assert.deepEqual(rebootFacts(gone, noConfig, unreadable).reasons.running_kernel_modules_missing, {
      state: "unknown",
      reason: "unreadable",
    });
    // The build configuration answers when /proc cannot: CONFIG_MODULES=y here.
    assert.deepEqual(rebootFacts(gone, kernel, unreadable).reasons.running_kernel_modules_missing, {
      state: "ok",
      value: { required: true, sinceSeconds: 1 },
    });
  });

  it("a /var/run symlink never escapes rootfs to this machine's /run", async () => {
    const root = realKernelTree("clean");
    // Only the machine running the test would have this; the host tree has an empty run/.
    const outside = "/run/reboot-required";
    const existed = fs.existsSync(outside);
    if (!existed) fs.writeFileSync(outside, "");
    try {
      const facts = derivedOf(await snapshotOf(root), "reboot");
      assert.equal(
        facts.reasons.reboot_required_file.state === "ok" && facts.reasons.reboot_required_file.value.required,
        false,
      );
    } finally {
      if (!existed) fs.rmSync(outside);
    }
  });

  it("no host root files at all: kernel-based reasons unknown, never 'no reboot needed'", async () => {
    const facts = derivedOf(await snapshotOf(realKernelTree("clean", { rootfs: false })), "reboot");
    assert.deepEqual(facts.reasons.newer_kernel_installed, { state: "unknown", reason: "not_found" });
    assert.deepEqual(facts.reasons.running_kernel_modules_missing, { state: "unknown", reason: "not_found" });
    assert.deepEqual(facts.installedKernels, { state: "unknown", reason: "not_found" });
  });
});
