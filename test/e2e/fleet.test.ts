// The whole chain: twelve exporters over different hosts' trees (and one dead
// target), scraped by a real Prometheus that evaluates the project's rules.
// Asserts through Prometheus' HTTP API which values each host reports and
// exactly which alerts are pending or firing where.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { startFleet, type Fleet } from "../helpers/fleet.js";
import { alerts, query, waitFor, type ActiveAlert } from "../helpers/prometheus.js";

/** An alert as asserted: name, state and the labels that identify it. */
function describeAlert(alert: ActiveAlert): string {
  const { alertname, severity, instance, ...rest } = alert.labels;
  const where =
    instance ??
    Object.entries(rest)
      .filter(([k]) => k === "id" || k === "version_id")
      .map(([, v]) => v)
      .join(" ");
  const detail = Object.entries(rest)
    .filter(([k]) => !["job", "id", "version_id"].includes(k))
    .map(([k, v]) => `${k}=${v}`)
    .sort()
    .join(",");
  return `${alert.state} ${alertname ?? "?"} ${severity ?? "?"} @${where} ${detail}`.trim();
}

const EXPECTED_ALERTS = [
  "firing LivepatchClientFailing warning @client-broken client=canonical_livepatch",
  "firing LivepatchCollectorFailing warning @sysfs-vanishes collector=livepatch",
  "firing LivepatchCollectorFailing warning @sysfs-vanishes collector=transition",
  "firing LivepatchCoverageEnding warning @livepatch-covered client=canonical_livepatch",
  "firing LivepatchExporterDown warning @dead",
  "firing LivepatchModuleWithoutPatch warning @orphan-module module=lp_old,state=live",
  "firing LivepatchNewKernelTaint warning @tainted bit=7,flag=D,name=DIE",
  "firing LivepatchNewKernelTaint warning @tainted bit=9,flag=W,name=WARN",
  "firing LivepatchNotReady warning @modules-disabled check=modules_not_disabled",
  "firing LivepatchPatchDisabled warning @ubuntu-1804 patch=kpatch_old,state=disabled",
  "firing LivepatchRebootRequired warning @reboot-required reason=newer_kernel_installed",
  "firing LivepatchRebootRequired warning @reboot-required reason=reboot_required_file",
  "firing LivepatchTransitionNotCompleting warning @stuck direction=patching,patch=lp_busy",
  "pending LivepatchKernelVersionDrift warning @debian 12",
  "pending LivepatchRebootDeferred info @livepatch-covered client=canonical_livepatch",
  "pending LivepatchTransitionNotCompleting critical @stuck direction=patching,patch=lp_busy",
].sort();

describe("a simulated fleet scraped by a real Prometheus", () => {
  let fleet: Fleet | undefined;
  const active = (): Fleet => {
    if (fleet === undefined) throw new Error("the fleet did not start");
    return fleet;
  };

  before(async () => {
    fleet = await startFleet();
    const roots = fleet.roots;
    // Events while Prometheus watches: a new oops and warning, and sysfs disappearing.
    fs.writeFileSync(path.join(roots.get("tainted") ?? "", "proc/sys/kernel/tainted"), `${128 + 512}\n`);
    fs.rmSync(path.join(roots.get("sysfs-vanishes") ?? "", "sys"), { recursive: true });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("every exporter target is up; the dead one is down", async () => {
    const up = await query(active().prometheus, "up");
    const byHost = Object.fromEntries(up.map((s) => [s.metric["instance"] ?? "", s.value[1]]));
    assert.deepEqual(byHost, {
      clean: "1",
      patched: "1",
      stuck: "1",
      "modules-disabled": "1",
      tainted: "1",
      "reboot-required": "1",
      "older-kernel": "1",
      "sysfs-vanishes": "1",
      "ubuntu-1804": "1",
      "orphan-module": "1",
      "livepatch-covered": "1",
      "client-broken": "1",
      dead: "0",
    });
  });

  it("exactly the expected alerts are pending or firing, on the expected hosts", async () => {
    let seen: string[] = [];
    try {
      await waitFor(
        async () => {
          seen = (await alerts(active().prometheus)).map(describeAlert).sort();
          return JSON.stringify(seen) === JSON.stringify(EXPECTED_ALERTS);
        },
        60_000,
        "the expected alerts",
      );
    } catch {
      // Show the difference.
    }
    assert.deepEqual(seen, EXPECTED_ALERTS);
  });

  it("alert annotations carry the values that matter", async () => {
    const all = await alerts(active().prometheus);
    const transition = all.find(
      (a) => a.labels["alertname"] === "LivepatchTransitionNotCompleting" && a.state === "firing",
    );
    assert.equal(
      transition?.annotations["description"],
      "stuck: patch lp_busy has been patching for more than 30 minutes; 1 thread(s) still block it.",
    );
    const taint = all.find((a) => a.labels["alertname"] === "LivepatchNewKernelTaint" && a.labels["flag"] === "D");
    assert.equal(
      taint?.annotations["description"],
      "tainted: taint flag D (DIE, bit 7) was set within the last hour; taint is now 640.",
    );
    const reboot = all.find((a) => a.labels["reason"] === "reboot_required_file");
    assert.match(
      reboot?.annotations["description"] ?? "",
      /^reboot-required has needed a reboot \(reboot_required_file\) for 4d 0h \d+m \d+s and/,
    );
    const drift = all.find((a) => a.labels["alertname"] === "LivepatchKernelVersionDrift");
    assert.equal(
      drift?.annotations["description"],
      "2 different kernel releases have been running on debian 12 hosts for more than 3 days: 6.1.0-55-amd64 on 1 host(s), 6.1.0-56-amd64 on 10 host(s).",
    );
  });

  it("each host reports what its kernel says", async () => {
    const values = async (expr: string): Promise<Record<string, string>> =>
      Object.fromEntries((await query(active().prometheus, expr)).map((s) => [s.metric["instance"] ?? "", s.value[1]]));
    assert.deepEqual(await values("livepatch_ready"), {
      clean: "1",
      patched: "1",
      stuck: "1",
      "modules-disabled": "0",
      tainted: "1",
      "reboot-required": "1",
      "older-kernel": "1",
      "ubuntu-1804": "1",
      "orphan-module": "1",
      "livepatch-covered": "1",
      "client-broken": "1",
    });
    assert.deepEqual(await values("livepatch_transition_blocking_threads"), { stuck: "1" });
    assert.deepEqual(await values("livepatch_patches"), {
      clean: "0",
      patched: "1",
      stuck: "1",
      "modules-disabled": "1",
      tainted: "0",
      "reboot-required": "1",
      "older-kernel": "1",
      "ubuntu-1804": "2",
      "orphan-module": "0",
      "livepatch-covered": "1",
      "client-broken": "0",
    });
    assert.deepEqual(await values('livepatch_kernel_tainted{instance=~"clean|tainted|patched|ubuntu-1804"}'), {
      clean: "0",
      tainted: "640",
      patched: "45056",
      "ubuntu-1804": "45056",
    });
    assert.deepEqual(await values("max by (instance) (livepatch_reboot_required) > 0"), {
      "reboot-required": "1",
      "older-kernel": "1",
      "livepatch-covered": "1",
    });
    assert.deepEqual(await values("livepatch_reboot_can_wait"), { "livepatch-covered": "1" });
    assert.deepEqual(await values("livepatch_client_up"), { "livepatch-covered": "1", "client-broken": "0" });
    assert.deepEqual(await values("livepatch_client_error == 1"), { "client-broken": "1" });
    assert.deepEqual(await values('livepatch_scrape_collector_success{collector="livepatch"} == 0'), {
      "sysfs-vanishes": "0",
    });
  });

  it("the recording rules count the fleet", async () => {
    const value = async (expr: string): Promise<string | undefined> =>
      (await query(active().prometheus, expr))[0]?.value[1];
    await waitFor(async () => (await value("job:livepatch_hosts_not_ready:count")) === "1", 20_000, "recording rules");
    assert.equal(await value("job:livepatch_hosts:count"), "12");
    // Applied: patched, modules-disabled, reboot-required, older-kernel, ubuntu-1804, livepatch-covered
    // (stuck is still patching).
    assert.equal(await value("job:livepatch_hosts_live_patched:count"), "6");
    assert.equal(await value("job:livepatch_hosts_in_transition:count"), "1");
    assert.equal(await value("job:livepatch_hosts_reboot_must:count"), "2");
    assert.equal(await value("job:livepatch_hosts_reboot_can_wait:count"), "1");
    assert.equal(await value('id_version_id:livepatch_kernel_releases:count{id="debian"}'), "2");
    // K on every host that ever loaded a patch module: 9 (taint is read from /proc, so sysfs-vanishes counts).
    assert.equal(await value('job_flag:livepatch_kernel_taint_flag:sum{flag="K"}'), "9");
  });
});
