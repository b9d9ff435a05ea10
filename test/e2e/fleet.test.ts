// The whole chain: fourteen exporters over different hosts' trees (and one dead
// target), scraped by a real Prometheus that evaluates the project's rules.
// Asserts through Prometheus' HTTP API which values each host reports and
// exactly which alerts are pending or firing where.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { isDeepStrictEqual } from "node:util";
import { after, before, describe, it } from "node:test";
import { describeOutcome, runDashboardQueries, type QueryOutcome } from "../helpers/dashboard-queries.js";
import { applyVariableRegex, interpolate, queryResultRows, variableQuery } from "../../dashboards/src/walk.js";
import { loadDashboard, panelsOf, substituteVariables } from "../helpers/dashboards.js";
import { KMSG_IN_TREE } from "../helpers/fixtures.js";
import { DEAD_HOST, startFleet, type Fleet } from "../helpers/fleet.js";
import { alerts, labelValues, query, type ActiveAlert } from "../helpers/prometheus.js";
import { waitFor } from "../helpers/wait.js";

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
  "firing LivepatchKernelLogUnreadable warning @older-kernel",
  "firing LivepatchModuleLoadRefused warning @patched reason=unsigned",
  "firing LivepatchModuleWithoutPatch warning @orphan-module module=lp_old,state=live",
  "firing LivepatchNewKernelTaint warning @tainted",
  "firing LivepatchNotReady warning @modules-disabled",
  "firing LivepatchPatchDisabled warning @ubuntu-1804 patch=kpatch_old,state=disabled",
  "firing LivepatchRebootRequired warning @reboot-required reason=newer_kernel_installed",
  "firing LivepatchRebootRequired warning @reboot-required reason=reboot_required_file",
  "firing LivepatchTransitionForced warning @ubuntu-2404 patch=lkp_Ubuntu_6_14_0_15_generic_2",
  // The kernel log dates the transition three hours back (the host's boot): critical at once.
  "firing LivepatchTransitionNotCompleting critical @stuck direction=patching,patch=lp_busy",
  "firing LivepatchTransitionNotCompleting warning @stuck direction=patching,patch=lp_busy",
  "pending LivepatchRebootDeferred info @livepatch-covered client=canonical_livepatch",
].sort();

/**
 * What `read` returns once it equals `expected`, or its last answer after `timeoutMs` (for the caller's
 * assertion to show the difference). Prometheus' answers are a live view of the fleet.
 */
async function settled<T>(read: () => Promise<T>, expected: T, timeoutMs = 15_000): Promise<T> {
  let last: T | undefined;
  try {
    await waitFor(
      "the expected answer",
      async () => {
        last = await read();
        return isDeepStrictEqual(last, expected);
      },
      timeoutMs,
      250,
    );
  } catch {
    // The caller's assertion shows the difference.
  }
  return last ?? (await read());
}

describe("a simulated fleet scraped by a real Prometheus", () => {
  let fleet: Fleet | undefined;
  const active = (): Fleet => {
    if (fleet === undefined) throw new Error("the fleet did not start");
    return fleet;
  };

  before(async () => {
    fleet = await startFleet();
    const roots = fleet.roots;
    // Events while Prometheus watches: a new oops and warning, sysfs disappearing, a refused module.
    fs.writeFileSync(path.join(roots.get("tainted") ?? "", "proc/sys/kernel/tainted"), `${128 + 512}\n`);
    // The refusal happens now: its time in the log is now since the host's boot.
    const patched = roots.get("patched") ?? "";
    const btime = Number(/^btime (\d+)$/m.exec(fs.readFileSync(path.join(patched, "proc/stat"), "utf8"))?.[1]);
    const usecNow = Math.round((Date.now() / 1000 - btime) * 1e6);
    fs.appendFileSync(path.join(patched, KMSG_IN_TREE), `5,379,${usecNow},-;Loading of unsigned module is rejected\n`);
    fs.rmSync(path.join(roots.get("sysfs-vanishes") ?? "", "sys"), { recursive: true });
  });

  after(async () => {
    await fleet?.stop();
  });

  it("every exporter target is up; the dead one is down", async () => {
    const expected = {
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
      kernelcare: "1",
      "ubuntu-2404": "1",
      dead: "0",
    };
    // A live view: one scrape slowed past its timeout by a loaded CI machine is not what this asserts.
    const byHost = await settled(async () => {
      const up = await query(active().prometheus, "up");
      return Object.fromEntries(up.map((s) => [s.metric["instance"] ?? "", s.value[1]]));
    }, expected);
    assert.deepEqual(byHost, expected);
  });

  it("exactly the expected alerts are pending or firing, on the expected hosts", async () => {
    const seen = await settled(
      async () => (await alerts(active().prometheus)).map(describeAlert).sort(),
      EXPECTED_ALERTS,
      60_000,
    );
    assert.deepEqual(seen, EXPECTED_ALERTS);
  });

  it("alert annotations carry the values that matter", async () => {
    const all = await alerts(active().prometheus);
    const transition = all.find(
      (a) =>
        a.labels["alertname"] === "LivepatchTransitionNotCompleting" &&
        a.labels["severity"] === "warning" &&
        a.state === "firing",
    );
    // Its age from the kernel log's start record, whatever Prometheus saw.
    assert.match(
      transition?.annotations["description"] ?? "",
      /^stuck: patch lp_busy has been patching for 3h 0m \d+s; 1 thread\(s\) still block it\. Until it completes, the kernel refuses to enable or disable any other live patch\.$/,
    );
    const taint = all.find((a) => a.labels["alertname"] === "LivepatchNewKernelTaint");
    assert.equal(
      taint?.annotations["description"],
      "tainted: taint set within the last hour: D (DIE), W (WARN); taint is now 640.",
    );
    const notReady = all.find((a) => a.labels["alertname"] === "LivepatchNotReady");
    assert.equal(
      notReady?.annotations["description"],
      "modules-disabled could not load a new live patch for more than 1 hour: readiness check(s) modules_not_disabled fail.",
    );
    const reboot = all.find((a) => a.labels["reason"] === "reboot_required_file");
    assert.match(
      reboot?.annotations["description"] ?? "",
      /^reboot-required has needed a reboot \(reboot_required_file\) for 4d 0h \d+m \d+s and/,
    );
  });

  it("each host reports what its kernel says", async () => {
    const values = async (expr: string): Promise<Record<string, string>> =>
      Object.fromEntries((await query(active().prometheus, expr)).map((s) => [s.metric["instance"] ?? "", s.value[1]]));
    assert.deepEqual(await values("livepatch_ready"), {
      clean: "1",
      patched: "1",
      stuck: "0", // in transition: the kernel takes no other patch meanwhile
      "modules-disabled": "0",
      tainted: "1",
      "reboot-required": "1",
      "older-kernel": "1",
      "ubuntu-1804": "1",
      "orphan-module": "1",
      "livepatch-covered": "1",
      "client-broken": "1",
      kernelcare: "1",
      "ubuntu-2404": "1",
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
      kernelcare: "0",
      "ubuntu-2404": "2",
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
    assert.deepEqual(await values("livepatch_client_up"), {
      "livepatch-covered": "1",
      "client-broken": "0",
      kernelcare: "1",
    });
    assert.deepEqual(await values("livepatch_client_effective_kernel_info"), { kernelcare: "1" });
    assert.deepEqual(await values("livepatch_client_error == 1"), { "client-broken": "1" });
    assert.deepEqual(await values('livepatch_scrape_collector_success{collector="livepatch"} == 0'), {
      "sysfs-vanishes": "0",
    });
  });

  it("the recording rules count the fleet", async () => {
    const value = async (expr: string): Promise<string | undefined> =>
      (await query(active().prometheus, expr))[0]?.value[1];
    await waitFor(
      "recording rules",
      // modules-disabled, and stuck while its transition lasts.
      async () => (await value("job:livepatch_hosts_not_ready:count")) === "2",
      20_000,
      250,
    );
    assert.equal(await value("job:livepatch_hosts:count"), "14");
    // Applied: patched, modules-disabled, reboot-required, older-kernel, ubuntu-1804, ubuntu-2404,
    // livepatch-covered, and kernelcare by its vendor client (stuck is still patching).
    assert.equal(await value("job:livepatch_hosts_live_patched:count"), "8");
    assert.equal(await value("job:livepatch_hosts_in_transition:count"), "1");
    assert.equal(await value("job:livepatch_hosts_reboot_must:count"), "2");
    assert.equal(await value("job:livepatch_hosts_reboot_can_wait:count"), "1");
    assert.equal(await value('job_id_version_id:livepatch_kernel_releases:count{id="debian"}'), "2");
    // One Debian host of twelve on another release: drift, but under LivepatchKernelVersionDrift's 20%.
    assert.equal(await value('job_id_version_id:livepatch_kernel_release_drift:ratio{id="debian"}'), String(1 / 12));
    // K on every host that ever loaded a patch module: 10 (taint is read from /proc, so sysfs-vanishes counts).
    assert.equal(await value('job_flag:livepatch_kernel_taint_flag:sum{flag="K"}'), "10");
  });

  it("every dashboard query is valid PromQL and every panel shows data for the fleet", async () => {
    let outcomes: QueryOutcome[] = [];
    // Annotations run too (a rejected query throws), but may be empty: the Fleet one marks critical alerts,
    // and no alert of this fleet is critical yet.
    const empty = (): string[] =>
      outcomes.filter((o) => o.series === 0 && !o.where.includes("/annotation ")).map(describeOutcome);
    try {
      // Recording rules and rates need a few evaluations after the fleet starts.
      await waitFor(
        "every panel to show data",
        async () => {
          outcomes = await runDashboardQueries(active().prometheus);
          return empty().length === 0;
        },
        30_000,
        250,
      );
    } catch {
      // Show which ones are empty.
    }
    if (outcomes.length === 0) outcomes = await runDashboardQueries(active().prometheus); // shows the failing query
    const targets = ["host.json", "fleet.json"]
      .map(loadDashboard)
      .flatMap((d) => panelsOf(d).flatMap((p) => p.panel.targets ?? []));
    assert.ok(targets.length > 60 && outcomes.length > targets.length, `only ${outcomes.length} queries ran`);
    assert.deepEqual(empty(), []);

    // Each label column a table shows is a label its queries' series carry.
    for (const file of ["host.json", "fleet.json"]) {
      const dashboard = loadDashboard(file);
      for (const { panel } of panelsOf(dashboard).filter((p) => p.panel.type === "table")) {
        const where = `${dashboard.uid ?? ""}/${panel.title ?? ""}`;
        const labels = new Set(outcomes.filter((o) => o.where === where).flatMap((o) => o.labels));
        const filter = panel.transformations?.find((t) => t.id === "filterFieldsByName");
        const columns = (filter?.options as { include: { names: string[] } }).include.names;
        for (const column of columns.filter((c) => !c.startsWith("Value"))) {
          assert.ok(labels.has(column), `${where}: no query yields the ${column} column`);
        }
      }
    }
  });

  it("the dashboards' job and instance variables list the fleet, as Grafana runs them", async () => {
    const prometheus = active().prometheus;
    const fleetHosts = [...active().exporters.keys(), DEAD_HOST].sort();
    for (const file of ["host.json", "fleet.json"]) {
      const variables = loadDashboard(file).templating.list ?? [];
      const text = (name: string): string => {
        const query = variables.find((v) => v.name === name)?.query;
        assert.equal(typeof query, "string", `${file}: ${name}`);
        return query as string;
      };
      const job = variableQuery(text("job"));
      assert.equal(job.kind, "label values");
      assert.deepEqual(await labelValues(prometheus, job.label, job.selector ?? ""), ["livepatch"], file);
      // "All" jobs (.*), then the instances of those jobs' targets, dead ones included.
      const instance = variables.find((v) => v.name === "instance");
      const instances = variableQuery(interpolate(text("instance"), { job: ".*" }));
      assert.equal(instances.kind, "query result", file);
      const rows = queryResultRows(await query(prometheus, instances.expr));
      assert.deepEqual(applyVariableRegex(rows, instance?.regex).sort(), fleetHosts, file);
    }
  });

  it("the Fleet dashboard's hosts-with-problems table lists each host's alerts, most severe first", async () => {
    const fleetDashboard = loadDashboard("fleet.json");
    const table = panelsOf(fleetDashboard).find((p) => p.panel.title === "Hosts with problems")?.panel;
    const expr = (table?.targets?.[0] as { expr?: string } | undefined)?.expr ?? "";
    const all = substituteVariables(expr, { interval: "15s", rateInterval: "1m", range: "5m" });
    // Severity and state as one value: 6 critical, 4 warning, 2 info when firing; one less when pending.
    const expected = [
      "client-broken: LivepatchClientFailing canonical_livepatch 4",
      "dead: LivepatchExporterDown  4",
      "livepatch-covered: LivepatchCoverageEnding canonical_livepatch 4",
      "livepatch-covered: LivepatchRebootDeferred canonical_livepatch 1",
      "modules-disabled: LivepatchNotReady  4",
      "older-kernel: LivepatchKernelLogUnreadable  4",
      "orphan-module: LivepatchModuleWithoutPatch lp_old 4",
      "patched: LivepatchModuleLoadRefused unsigned 4",
      "reboot-required: LivepatchRebootRequired newer_kernel_installed 4",
      "reboot-required: LivepatchRebootRequired reboot_required_file 4",
      // Critical at once: the kernel log dates the transition to the host's boot.
      "stuck: LivepatchTransitionNotCompleting lp_busy 6",
      "sysfs-vanishes: LivepatchCollectorFailing livepatch 4",
      "sysfs-vanishes: LivepatchCollectorFailing transition 4",
      "tainted: LivepatchNewKernelTaint  4",
      "ubuntu-1804: LivepatchPatchDisabled kpatch_old 4",
      "ubuntu-2404: LivepatchTransitionForced lkp_Ubuntu_6_14_0_15_generic_2 4",
    ];
    // A live view, as the alerts are: a scrape that timed out on a loaded machine shows for a second.
    const problems = await settled(async () => {
      const rows = await query(active().prometheus, all);
      return rows
        .map((r) =>
          `${r.metric["instance"] ?? "?"}: ${r.metric["alertname"] ?? "?"} ${(r.metric["detail"] ?? "?").trim()} ${r.value[1]}`.trim(),
        )
        .sort();
    }, expected);
    assert.deepEqual(problems, expected);
  });
});
