import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import type { KmsgFacts } from "../../src/collectors/kmsg.js";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { snapshotSamples } from "../../src/views/samples.js";
import { factsOf, snapshotOf, snapshotSource } from "../helpers/collect.js";
import { injectFaults } from "../helpers/fault-fs.js";
import { handmadeTree, KMSG_IN_TREE, realKernelTree } from "../helpers/fixtures.js";

/** btime of the busy-stuck capture's /proc/stat. */
const BOOT = 1795910684;

const logOf = (facts: KmsgFacts): NonNullable<KmsgFacts["log"]> => {
  if (facts.log === undefined) throw new Error("the log was never read");
  return facts.log;
};

function samples(snapshot: Snapshot, prefix: string): Record<string, number> {
  return Object.fromEntries(
    snapshotSamples(snapshot, { version: "0", revision: "0" })
      .filter((s) => s.name.startsWith(prefix))
      .map((s) => [`${s.name}${JSON.stringify(s.labels)}`, s.value]),
  );
}

describe("kmsg collector", () => {
  it("busy-stuck: the stuck transition started when the log says, epoch seconds from btime", async () => {
    const snapshot = await snapshotOf(realKernelTree("busy-stuck"));
    const facts = factsOf(snapshot, "kmsg");
    assert.deepEqual(facts.readable, { state: "ok", value: true });
    assert.equal(facts.kind, "file");
    const log = logOf(facts);
    assert.equal(log.records, 379);
    assert.equal(log.lost, 0);
    assert.equal(log.open?.patch, "lp_busy");
    assert.deepEqual(snapshot.derived.kmsg?.transitionStart, {
      state: "ok",
      value: { patch: "lp_busy", direction: "patching", startSeconds: BOOT + 3.634676 },
    });
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_patch_forced"), {
      'livepatch_kmsg_patch_forced{"patch":"lp_busy"}': 0,
    });
  });

  it("disabled-during: sysfs still shows the transition the log already completed: its start stands", async () => {
    const snapshot = await snapshotOf(realKernelTree("disabled-during"));
    assert.deepEqual(snapshot.derived.kmsg?.transitionStart, {
      state: "ok",
      // This capture booted a minute after busy-stuck's.
      value: { patch: "lp_basic", direction: "unpatching", startSeconds: 1795910749 + 4.1904 },
    });
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_transition_duration"), {
      'livepatch_kmsg_transition_duration_seconds{"patch":"lp_basic","direction":"unpatching"}': 1.09289,
    });
  });

  it("stacked: no transition, each patch's last one timed, events per patch", async () => {
    const snapshot = await snapshotOf(realKernelTree("stacked"));
    assert.equal(snapshot.derived.kmsg?.transitionStart, undefined);
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_events_total"), {
      'livepatch_kmsg_events_total{"event":"enabling","patch":"lp_basic"}': 1,
      'livepatch_kmsg_events_total{"event":"patching_started","patch":"lp_basic"}': 1,
      'livepatch_kmsg_events_total{"event":"patching_complete","patch":"lp_basic"}': 1,
      'livepatch_kmsg_events_total{"event":"enabling","patch":"lp_second"}': 1,
      'livepatch_kmsg_events_total{"event":"patching_started","patch":"lp_second"}': 1,
      'livepatch_kmsg_events_total{"event":"patching_complete","patch":"lp_second"}': 1,
    });
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_module_events_total"), {
      'livepatch_kmsg_module_events_total{"event":"taint","module":"lp_basic"}': 2,
      'livepatch_kmsg_module_events_total{"event":"verification_failed","module":"lp_basic"}': 1,
    });
  });

  it("lockdown-integrity: two refused loads (finit_module, then init_module), not the boot's hibernation line", async () => {
    const snapshot = await snapshotOf(realKernelTree("lockdown-integrity"));
    const log = logOf(factsOf(snapshot, "kmsg"));
    const lockdown = log.refusals.get("lockdown");
    assert.equal(lockdown?.count, 2);
    assert.deepEqual([...log.refusals.keys()], ["lockdown"], "only the reasons seen");
    // The last refusal's time: the boot time plus the record's time since boot.
    const boot = factsOf(snapshot, "kernel").bootTimeSeconds;
    assert.equal(boot.state, "ok");
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_last_refused_module_load_timestamp_seconds"), {
      'livepatch_kmsg_last_refused_module_load_timestamp_seconds{"reason":"lockdown"}':
        boot.value + lockdown.lastUsec / 1e6,
    });
    assert.deepEqual(Object.keys(samples(snapshot, "livepatch_kmsg_refused_module_loads_total")), [
      'livepatch_kmsg_refused_module_loads_total{"reason":"lockdown"}',
    ]);
    assert.deepEqual(log.moduleEvents, [{ event: "lockdown_rejected", name: "", count: 2 }]);
  });

  it("4.15: the log wrapped before the exporter read it; older texts; a patch applied to a loading module", async () => {
    const snapshot = await snapshotOf(handmadeTree("kernel-4.15"));
    const log = logOf(factsOf(snapshot, "kmsg"));
    assert.equal(log.lost, 520);
    assert.equal(samples(snapshot, "livepatch_kmsg_wrapped")["livepatch_kmsg_wrapped{}"], 1);
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_transition_duration"), {
      'livepatch_kmsg_transition_duration_seconds{"patch":"kpatch_old","direction":"unpatching"}': 0.6,
      'livepatch_kmsg_transition_duration_seconds{"patch":"kpatch_fix","direction":"patching"}': 10.723056,
    });
    const events = samples(snapshot, "livepatch_kmsg_events_total");
    assert.equal(events['livepatch_kmsg_events_total{"event":"signaling","patch":"kpatch_fix"}'], 1);
    assert.equal(events['livepatch_kmsg_events_total{"event":"applying_to_module","patch":"kpatch_fix"}'], 1);
  });

  it("6.14: a forced transition, a module refused because a patch could not be applied to it", async () => {
    const snapshot = await snapshotOf(handmadeTree("kernel-6.14"));
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_patch_forced"), {
      'livepatch_kmsg_patch_forced{"patch":"lkp_Ubuntu_6_14_0_15_generic_2"}': 1,
      'livepatch_kmsg_patch_forced{"patch":"lp_basic"}': 0,
    });
    const log = logOf(factsOf(snapshot, "kmsg"));
    assert.equal(log.refusals.get("patch_apply_failed")?.count, 1);
    assert.equal(log.patches.find((p) => p.name === "lkp_Ubuntu_6_14_0_15_generic_2")?.forcedAtUsec, 905_000_000);
  });

  it("4.4: no transitions; the core's own taint line names no module", async () => {
    const snapshot = await snapshotOf(handmadeTree("kernel-4.4"));
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_module_events_total"), {
      'livepatch_kmsg_module_events_total{"event":"taint","module":""}': 1,
    });
    // Only "enabling" of its life is in the log, with nothing lost since: known not forced.
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_patch_forced"), {
      'livepatch_kmsg_patch_forced{"patch":"livepatch_fix"}': 0,
    });
  });

  it("garbage: texts that are not records are counted, a userspace record is not the kernel's", async () => {
    const snapshot = await snapshotOf(handmadeTree("garbage"));
    const log = logOf(factsOf(snapshot, "kmsg"));
    assert.equal(log.malformed, 2);
    assert.equal(log.records, 5);
    assert.deepEqual(
      log.patches.map((p) => [p.name, p.forced]),
      [["lp_basic", { state: "ok", value: false }]],
    );
    assert.deepEqual(
      log.events.map((e) => `${e.event} ${e.name} ${e.count}`),
      ["enabling lp_basic 1", "patching_started lp_basic 1", "other lp_basic 1"],
    );
  });

  it("unreadable (dmesg_restrict without CAP_SYSLOG): readable 0 with the reason, no counts", async () => {
    const tree = realKernelTree("busy-stuck");
    const restore = injectFaults({ denied: new Set([path.join(tree, KMSG_IN_TREE)]), vanishing: new Set() });
    try {
      const snapshot = await snapshotOf(tree);
      const facts = factsOf(snapshot, "kmsg");
      assert.deepEqual(facts.readable, { state: "unknown", reason: "unreadable" });
      assert.equal(facts.log, undefined);
      // The transition sysfs shows has no known start.
      assert.deepEqual(snapshot.derived.kmsg?.transitionStart, { state: "unknown", reason: "unreadable" });
      assert.deepEqual(samples(snapshot, "livepatch_kmsg"), { "livepatch_kmsg_readable{}": 0 });
      const unavailable = samples(snapshot, "livepatch_fact_unavailable");
      assert.equal(unavailable['livepatch_fact_unavailable{"name":"kmsg","reason":"unreadable"}'], 1);
      assert.equal(unavailable['livepatch_fact_unavailable{"name":"kmsg_transition_start","reason":"unreadable"}'], 1);
    } finally {
      restore();
    }
  });

  it("no kernel log at the path (a container without the device mapped): not found", async () => {
    const tree = realKernelTree("clean");
    fs.rmSync(path.join(tree, KMSG_IN_TREE));
    const facts = factsOf(await snapshotOf(tree), "kmsg");
    assert.deepEqual(facts.readable, { state: "unknown", reason: "not_found" });
  });

  it("is drained when the exporter starts: what it read then is kept when the log becomes unreadable", async () => {
    const tree = realKernelTree("stacked");
    const source = snapshotSource(tree);
    fs.rmSync(path.join(tree, KMSG_IN_TREE));
    const facts = factsOf(await source.snapshot(), "kmsg");
    assert.deepEqual(facts.readable, { state: "unknown", reason: "not_found" });
    assert.equal(logOf(facts).records, 383);
  });

  it("reads only what was logged since the last scrape, and counts nothing twice", async () => {
    const tree = realKernelTree("busy-stuck");
    const source = snapshotSource(tree);
    const before = logOf(factsOf(await source.snapshot(), "kmsg"));
    fs.appendFileSync(
      path.join(tree, KMSG_IN_TREE),
      "5,379,18634676,-;livepatch: signaling remaining tasks\n4,380,60000000,-;livepatch: forcing remaining tasks to the patched state\n5,381,60100000,-;livepatch: 'lp_busy': patching complete\n",
    );
    const snapshot = await source.snapshot();
    const after = logOf(factsOf(snapshot, "kmsg"));
    assert.equal(after.records, before.records + 3);
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_patch_forced"), {
      'livepatch_kmsg_patch_forced{"patch":"lp_busy"}': 1,
    });
    assert.deepEqual(samples(snapshot, "livepatch_kmsg_transition_duration"), {
      'livepatch_kmsg_transition_duration_seconds{"patch":"lp_busy","direction":"patching"}': 56.465324,
    });
    assert.equal(logOf(factsOf(await source.snapshot(), "kmsg")).records, after.records);
  });

  it("without a boot time the start cannot be placed in time", async () => {
    const tree = realKernelTree("busy-stuck");
    fs.writeFileSync(path.join(tree, "proc/stat"), "cpu 1 2 3\n");
    const snapshot = await snapshotOf(tree);
    assert.deepEqual(snapshot.derived.kmsg?.transitionStart, { state: "unknown", reason: "invalid" });
  });
});
