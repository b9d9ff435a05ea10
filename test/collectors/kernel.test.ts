import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { factsOf, snapshotOf, snapshotSource } from "../helpers/collect.js";

describe("kernel collector", () => {
  it("real capture + Debian 12 root: release, build, boot time, config from /boot, os-release through a symlink", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("basic-enabled")), "kernel");
    assert.equal(facts.release, "6.1.0-56-amd64");
    assert.deepEqual(facts.version, { state: "ok", value: "#1 SMP PREEMPT_DYNAMIC Debian 6.1.192-2 (2026-11-16)" });
    // 6.1 has no /proc/sys/kernel/arch: uname(2) of the shared kernel answers.
    assert.equal(facts.machine, os.machine());
    assert.equal(facts.bootTimeSeconds.state, "ok");
    assert.ok(facts.config.state === "ok");
    assert.equal(facts.config.value.source, "boot");
    assert.equal(facts.config.value.path, "/boot/config-6.1.0-56-amd64");
    assert.equal(facts.config.value.options.CONFIG_LIVEPATCH, "y");
    assert.equal(facts.config.value.options.CONFIG_MODULE_SIG, "y");
    assert.equal(facts.config.value.options.CONFIG_MODULE_SIG_FORCE, "n");
    assert.ok(facts.osRelease.state === "ok");
    assert.equal(facts.osRelease.value.get("ID"), "debian");
    assert.equal(facts.osRelease.value.get("VERSION_ID"), "12");
  });

  it("/proc/config.gz wins, and CONFIG_HAVE_LIVEPATCH=y does not mean CONFIG_LIVEPATCH", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("no-modules")), "kernel");
    assert.ok(facts.config.state === "ok");
    assert.equal(facts.config.value.source, "proc_config_gz");
    assert.equal(facts.config.value.options.CONFIG_HAVE_LIVEPATCH, "y");
    assert.equal(facts.config.value.options.CONFIG_LIVEPATCH, "n");
    assert.equal(facts.config.value.options.CONFIG_MODULES, "n");
  });

  it("falls back to /lib/modules/<release>/config", async () => {
    const root = realKernelTree("clean");
    fs.renameSync(path.join(root, "boot/config-6.1.0-56-amd64"), path.join(root, "lib/modules/6.1.0-56-amd64/config"));
    const facts = factsOf(await snapshotOf(root), "kernel");
    assert.equal(facts.config.state === "ok" && facts.config.value.source, "lib_modules");
  });

  it("no config anywhere: unknown (not_found), not 'not set'", async () => {
    const facts = factsOf(await snapshotOf(realKernelTree("clean", { rootfs: false })), "kernel");
    assert.deepEqual(facts.config, { state: "unknown", reason: "not_found" });
    assert.deepEqual(facts.osRelease, { state: "absent" });
  });

  it("reads os-release under rootfs, never the exporter's own /etc", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("kernel-6.14")), "kernel");
    assert.equal(facts.osRelease.state === "ok" && facts.osRelease.value.get("VERSION_ID"), "24.04");
  });

  it("an absolute os-release symlink resolves inside rootfs", async () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "etc/os-release"));
    fs.symlinkSync("/usr/lib/os-release", path.join(root, "etc/os-release"));
    fs.writeFileSync(path.join(root, "usr/lib/os-release"), "ID=inside\n");
    const facts = factsOf(await snapshotOf(root), "kernel");
    assert.equal(facts.osRelease.state === "ok" && facts.osRelease.value.get("ID"), "inside");
  });

  it("reads boot facts once, os-release on every scrape", async (t) => {
    const root = realKernelTree("basic-enabled");
    const source = snapshotSource(root, { enabled: ["kernel"] });
    await source.snapshot();
    const openSync = t.mock.method(fs, "openSync");
    const open = t.mock.method(fs, "open");
    fs.writeFileSync(path.join(root, "usr/lib/os-release"), "ID=upgraded\n");
    const second = factsOf(await source.snapshot(), "kernel");
    assert.equal(openSync.mock.callCount(), 0, "nothing of procfs");
    // os-release under the root, through the thread pool (opened once, checked, read).
    const opened = open.mock.calls.map((c) => path.relative(root, String(c.arguments[0])));
    assert.deepEqual(opened, ["usr/lib/os-release"]);
    assert.equal(second.osRelease.state === "ok" && second.osRelease.value.get("ID"), "upgraded");
    assert.equal(second.release, "6.1.0-56-amd64");
  });

  it("unreadable osrelease fails the collector", async () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "proc/sys/kernel/osrelease"));
    const run = (await snapshotOf(root)).runs.find((r) => r.name === "kernel");
    assert.equal(run?.success, false);
  });
});
