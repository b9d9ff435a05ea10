// The kernel log in the `check` report (and so on the landing page): how long
// the transition in progress has run (on the readiness check), forced
// patches, refused loads, failed patches, and a log that cannot be read.
import assert from "node:assert/strict";
import path from "node:path";
import { describe, it } from "node:test";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { buildReport, type Finding } from "../../src/views/report.js";
import { formatAge } from "../../src/views/report/transition-start.js";
import { snapshotOf } from "../helpers/collect.js";
import { injectFaults } from "../helpers/fault-fs.js";
import { handmadeTree, KMSG_IN_TREE, realKernelTree } from "../helpers/fixtures.js";

/** busy-stuck: btime 1795910684, "'lp_busy': starting patching transition" at 3.634676 s. */
const BUSY_START_MS = (1795910684 + 3.634676) * 1000;

function section(snapshot: Snapshot, id: string): Finding[] {
  return [...(buildReport(snapshot).sections.find((s) => s.id === id)?.findings ?? [])];
}
const lines = (findings: readonly Finding[]): string[] => findings.map((f) => `${f.level} ${f.id}: ${f.text}`);
const transitionCheck = (snapshot: Snapshot): Finding | undefined =>
  section(snapshot, "readiness").find((f) => f.id === "no_transition_in_progress");

describe("report: the kernel log", () => {
  it("formats ages", () => {
    assert.deepEqual([42, 73, 3900, 2 * 86400 + 3 * 3600 + 59].map(formatAge), ["42s", "1m 13s", "1h 5m", "2d 3h"]);
  });

  it("how long the transition in progress has run, from the kernel log, on the readiness check", async () => {
    const snapshot = await snapshotOf(realKernelTree("busy-stuck"));
    const at = (ms: number): Snapshot => ({ ...snapshot, takenAtMs: ms });
    const check = transitionCheck(at(BUSY_START_MS + 73_000));
    assert.equal(check?.level, "fail");
    assert.equal(check.details[0], "running for 1m 13s, since 2026-11-29T00:04:47.635Z (kernel log)");
    assert.equal(check.facts["started_at"], "2026-11-29T00:04:47.635Z");
    assert.equal(check.facts["running_seconds"], 73);
    assert.equal(
      transitionCheck(at(BUSY_START_MS + 2 * 3600_000))?.details[0],
      "running for 2h 0m, since 2026-11-29T00:04:47.635Z (kernel log)",
    );
    assert.deepEqual(lines(section(snapshot, "kernel_log")), [
      `ok kmsg_read: read 379 record(s) of this boot from ${path.join(snapshot.facts.kmsg?.path ?? "")} (a saved copy)`,
    ]);
    assert.ok(
      buildReport(snapshot).fine.includes("the kernel log shows no forced transition and no refused module load"),
    );
  });

  it("a forced patch, a refused module, a patch that failed to apply, a wrapped log", async () => {
    const snapshot = await snapshotOf(handmadeTree("kernel-6.14"));
    const findings = section(snapshot, "kernel_log");
    assert.deepEqual(lines(findings).slice(1), [
      "info kmsg_records_lost: 811 record(s) of this boot were overwritten before they could be read: earlier events are unknown",
      // btime 1795910673 (basic-enabled's) + 905 s
      "warn transition_forced: lkp_Ubuntu_6_14_0_15_generic_2: a transition was forced at 2026-11-29T00:19:38.000Z",
      "warn module_load_refused: the kernel refused 1 module load(s) since boot: a loaded live patch could not be applied to the module (patch_apply_failed)",
      "info transition_duration: lkp_Ubuntu_6_14_0_15_generic_2: last transition (patching) took 902.270 s",
      "info transition_duration: lp_basic: last transition (patching) took 1.000 s",
    ]);
    const refused = findings.find((f) => f.id === "module_load_refused");
    assert.equal(refused?.subject, "patch_apply_failed");
    assert.deepEqual(refused.details, [
      "lkp_Ubuntu_6_14_0_15_generic_2 failed to apply to a module loading after it (1x)",
    ]);
    assert.deepEqual(refused.facts, {
      reason: "patch_apply_failed",
      count: 1,
      patches: ["lkp_Ubuntu_6_14_0_15_generic_2"],
    });
    assert.match(refused.runbook ?? "", /#livepatchmoduleloadrefused$/);
    const forced = findings.find((f) => f.id === "transition_forced");
    assert.equal(forced?.subject, "lkp_Ubuntu_6_14_0_15_generic_2");
    assert.match(forced.runbook ?? "", /#livepatchtransitionforced$/);
    const report = buildReport(snapshot);
    assert.equal(report.verdict, "problems");
    assert.ok(report.problems.some((f) => f.id === "transition_forced"));
    assert.ok(!report.fine.some((f) => f.includes("kernel log")));
  });

  it("refusals under lockdown (the real capture)", async () => {
    const snapshot = await snapshotOf(realKernelTree("lockdown-integrity"));
    assert.ok(
      lines(section(snapshot, "kernel_log")).includes(
        "warn module_load_refused: the kernel refused 2 module load(s) since boot: unsigned module under lockdown (lockdown)",
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
    const findings = section(snapshot, "kernel_log");
    assert.deepEqual(lines(findings), [`info kmsg_unreadable: cannot read the kernel log at ${kmsg}: unreadable`]);
    assert.match(findings[0]?.details[0] ?? "", /kernel\.dmesg_restrict=1 reading it needs CAP_SYSLOG/);
    assert.equal(findings[0]?.runbook, undefined, "info carries no runbook");
    const check = transitionCheck(snapshot);
    assert.equal(check?.details[0], "started: unknown (the kernel log cannot tell: unreadable)");
    assert.equal(check.facts["started_at"], null);
  });

  it("no section, and no start on the readiness check, when the collector is disabled", async () => {
    const snapshot = await snapshotOf(realKernelTree("busy-stuck"), {
      enabled: ["livepatch", "transition", "kernel", "modules", "readiness"],
    });
    assert.equal(
      buildReport(snapshot).sections.some((s) => s.id === "kernel_log"),
      false,
    );
    const check = transitionCheck(snapshot);
    assert.ok(check !== undefined);
    assert.ok(!check.details.some((d) => d.includes("kernel log")));
    assert.equal(check.facts["started_at"], null, "every fact of the id is there, null when not known");
  });
});
