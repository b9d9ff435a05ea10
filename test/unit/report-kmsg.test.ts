// The kernel log in the `check` report (and so on the landing page): how long
// the transition in progress has run, forced patches, refused loads, failed
// patches, and a log that cannot be read.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { buildReport } from "../../src/views/report.js";
import { formatAge } from "../../src/views/report-kmsg.js";
import { snapshotOf } from "../helpers/collect.js";
import { injectFaults } from "../helpers/fault-fs.js";
import { handmadeTree, KMSG_IN_TREE, realKernelTree } from "../helpers/fixtures.js";

/** busy-stuck: btime 1795910684, "'lp_busy': starting patching transition" at 3.634676 s. */
const BUSY_START_MS = (1795910684 + 3.634676) * 1000;

function findings(snapshot: Snapshot, title: string): string[] {
  const section = buildReport(snapshot).sections.find((s) => s.title === title);
  return (section?.findings ?? []).map((f) => `${f.level}: ${f.text}`);
}

describe("report: the kernel log", () => {
  it("formats ages", () => {
    assert.deepEqual([42, 73, 3900, 2 * 86400 + 3 * 3600 + 59].map(formatAge), ["42s", "1m 13s", "1h 5m", "2d 3h"]);
  });

  it("how long the transition in progress has run, from the kernel log; a problem after 30 minutes", async () => {
    const snapshot = await snapshotOf(realKernelTree("busy-stuck"));
    const at = (ms: number): Snapshot => ({ ...snapshot, takenAtMs: ms });
    const patches = findings(at(BUSY_START_MS + 73_000), "Live patches");
    const transition = patches.indexOf("warn: transition in progress: lp_busy patching, 1 thread(s) blocking");
    assert.ok(transition >= 0, patches.join("\n"));
    assert.equal(patches[transition + 1], "info:   running for 1m 13s, since 2026-11-29T00:04:47.635Z (kernel log)");
    assert.ok(
      findings(at(BUSY_START_MS + 2 * 3600_000), "Live patches").includes(
        "warn:   running for 2h 0m, since 2026-11-29T00:04:47.635Z (kernel log)",
      ),
    );
    assert.deepEqual(findings(at(BUSY_START_MS + 73_000), "Kernel log"), [
      "ok: read 379 record(s) of this boot from " + path.join(snapshot.facts.kmsg?.path ?? "") + " (a saved copy)",
    ]);
  });

  it("a forced patch, a refused module, a patch that failed to apply, a wrapped log", async () => {
    const snapshot = await snapshotOf(handmadeTree("kernel-6.14"));
    assert.deepEqual(findings(snapshot, "Kernel log").slice(1), [
      "info: 811 record(s) of this boot were overwritten before they could be read: earlier events are unknown",
      // btime 1795910673 (basic-enabled's) + 905 s
      "warn: lkp_Ubuntu_6_14_0_15_generic_2: a transition was forced at 2026-11-29T00:19:38.000Z: tasks were switched without the consistency model's checks; reboot when you can",
      "warn: the kernel refused 1 module load(s) since boot: patch_apply_failed 1 (a loaded live patch could not be applied to the module)",
      "warn: lkp_Ubuntu_6_14_0_15_generic_2 failed to apply to a module loading after it (1x)",
      "info: lkp_Ubuntu_6_14_0_15_generic_2: last transition (patching) took 902.270 s",
      "info: lp_basic: last transition (patching) took 1.000 s",
    ]);
    const report = buildReport(snapshot);
    assert.equal(report.verdict, "problems");
  });

  it("refusals under lockdown (the real capture)", async () => {
    const snapshot = await snapshotOf(realKernelTree("lockdown-integrity"));
    assert.ok(
      findings(snapshot, "Kernel log").includes(
        "warn: the kernel refused 2 module load(s) since boot: lockdown 2 (unsigned module under lockdown)",
      ),
    );
  });

  it("an unreadable log: said as such (not a problem of the host), and the transition's start unknown", async () => {
    const tree = realKernelTree("busy-stuck");
    const kmsg = path.join(tree, KMSG_IN_TREE);
    const restore = injectFaults({ denied: new Set([kmsg]), vanishing: new Set() });
    let snapshot: Snapshot;
    try {
      snapshot = await snapshotOf(tree);
    } finally {
      restore();
    }
    assert.deepEqual(findings(snapshot, "Kernel log"), [
      `info: cannot read the kernel log at ${kmsg}: unreadable: with kernel.dmesg_restrict=1 reading it needs CAP_SYSLOG`,
    ]);
    assert.ok(
      findings(snapshot, "Live patches").includes("info:   started: unknown (the kernel log cannot tell: unreadable)"),
    );
  });

  it("no section when the collector is disabled", async () => {
    const snapshot = await snapshotOf(realKernelTree("basic-enabled"), { enabled: ["livepatch", "kernel"] });
    assert.equal(
      buildReport(snapshot).sections.some((s) => s.title === "Kernel log"),
      false,
    );
  });
});
