// The Fleet dashboard: how many hosts are live-patched, not ready, stuck,
// tainted, due a reboot; which kernels run where and how that moves; and the
// hosts that need someone, each a click away from its Host dashboard.
// Counts come from the recording rules (deploy/prometheus/rules/livepatch-recording.yml),
// which are per job: they follow the job variable, not the instance one.
import { AnnotationQueryBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE, FLEET_UID, HOST_LINK_URL, HOST_UID, byJob, dashboardLink, sel, variables } from "./conventions.js";
import { fleetKernelLogRow } from "./kernel-log.js";
import { finish, newDashboard, type Dashboard } from "./model.js";
import {
  barsPanel,
  colored,
  current,
  goodBad,
  links,
  mappings,
  rows,
  series,
  statPanel,
  tablePanel,
  timeSeriesPanel,
  unit,
  type Step,
} from "./panels.js";

const HOSTS = "job:livepatch_hosts:count";

/**
 * A per-job count from the recording rules, summed over the selected jobs.
 * `count` of nothing is no series, so when the jobs have hosts and none is
 * counted this says 0; with no hosts at all it stays empty (unknown).
 */
function fleetCount(rule: string): string {
  return `sum(${byJob(rule)}) or 0 * sum(${byJob(HOSTS)})`;
}

const NO_HOSTS = "No host reports for the selected jobs";
const ZERO_GOOD: readonly Step[] = [
  [null, "green"],
  [1, "orange"],
];

function countStat(title: string, description: string, expr: string, colors: readonly Step[]) {
  return statPanel({
    title,
    description,
    unit: "none",
    w: 4,
    h: 4,
    targets: [current(expr, title)],
    thresholds: colors,
    noValue: NO_HOSTS,
  });
}

export function fleetDashboard(): Dashboard {
  const builder = newDashboard(
    "Livepatch / Fleet",
    FLEET_UID,
    "Kernel live patching across the fleet, from livepatch_exporter and the project's recording rules: live-patched, not ready, in transition, tainted, reboot required; kernel releases per OS; hosts with problems.",
  )
    .variables(variables())
    .link(dashboardLink("Host", HOST_UID, "Livepatch / Host: one host in detail"))
    .annotation(
      new AnnotationQueryBuilder()
        .name("Livepatch alerts")
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor("red")
        .expr('ALERTS{alertname=~"Livepatch.*",alertstate="firing"}')
        .step("1m")
        .titleFormat("{{alertname}}")
        .textFormat("{{severity}} {{instance}}"),
    );

  // Now.
  builder
    .withRow(new RowBuilder("Now"))
    .withPanel(
      countStat(
        "Hosts",
        "Hosts whose exporter reports a kernel (job:livepatch_hosts:count) in the selected jobs.",
        `sum(${byJob(HOSTS)})`,
        [[null, "blue"]],
      ),
    )
    .withPanel(
      countStat(
        "Live-patched",
        "Hosts with at least one live patch applied, in /sys/kernel/livepatch or as reported by a vendor client (job:livepatch_hosts_live_patched:count).",
        fleetCount("job:livepatch_hosts_live_patched:count"),
        [[null, "blue"]],
      ),
    )
    .withPanel(
      countStat(
        "Not ready",
        "Hosts that could not load a new live patch now (livepatch_ready = 0; job:livepatch_hosts_not_ready:count). Hosts whose readiness is unknown are counted apart.",
        fleetCount("job:livepatch_hosts_not_ready:count"),
        ZERO_GOOD,
      ),
    )
    .withPanel(
      countStat(
        "In transition",
        "Hosts where a patch is switching threads (job:livepatch_hosts_in_transition:count); one that stays there is stuck.",
        fleetCount("job:livepatch_hosts_in_transition:count"),
        ZERO_GOOD,
      ),
    )
    .withPanel(
      countStat(
        "Reboot: must",
        "Hosts that require a reboot and whose running kernel no vendor client vouches for (job:livepatch_hosts_reboot_must:count).",
        fleetCount("job:livepatch_hosts_reboot_must:count"),
        ZERO_GOOD,
      ),
    )
    .withPanel(
      countStat(
        "Reboot: can wait",
        "Hosts that require a reboot but whose vendor client says live patches cover the running kernel (job:livepatch_hosts_reboot_can_wait:count); plan it before coverage ends.",
        fleetCount("job:livepatch_hosts_reboot_can_wait:count"),
        [
          [null, "green"],
          [1, "blue"],
        ],
      ),
    )
    .withPanel(
      statPanel({
        title: "Exporters down",
        description:
          "Targets of the selected jobs that Prometheus cannot scrape (up = 0): their hosts' state is unknown.",
        unit: "none",
        w: 4,
        h: 8,
        targets: [current(`count(up{job=~"$job"} == 0) or 0 * count(up{job=~"$job"})`, "Exporters down")],
        thresholds: ZERO_GOOD,
        noValue: "No targets in the selected jobs",
      }),
    )
    .withPanel(
      statPanel({
        title: "Readiness unknown",
        description:
          "Hosts that report a kernel but no readiness verdict: some check's input could not be read (see the Host dashboard's What the exporter could not read).",
        unit: "none",
        w: 4,
        h: 8,
        targets: [
          current(
            `count(${byJob("livepatch_kernel_info")} unless on (job, instance) livepatch_ready) or 0 * sum(${byJob(HOSTS)})`,
            "Readiness unknown",
          ),
        ],
        thresholds: ZERO_GOOD,
        noValue: NO_HOSTS,
      }),
    )
    .withPanel(
      barsPanel({
        title: "Hosts tainted, by flag",
        description:
          "Hosts with each kernel taint flag set (job_flag:livepatch_kernel_taint_flag:sum). K, O and E follow any third-party live patch; D, M, B, L and W mean the kernel reported an error. Taint only clears on reboot.",
        unit: "none",
        w: 16,
        h: 8,
        targets: [
          current(
            `sum by (flag, name) (${byJob("job_flag:livepatch_kernel_taint_flag:sum")}) > 0`,
            "{{flag}} {{name}}",
          ),
        ],
        thresholds: [[null, "blue"]],
        noValue: "No host is tainted",
      }),
    );

  // Over time.
  builder
    .withRow(new RowBuilder("Over time"))
    .withPanel(
      timeSeriesPanel({
        title: "Hosts by state",
        description: "The counts above over time, from the recording rules.",
        unit: "none",
        w: 12,
        h: 8,
        targets: [
          series(fleetCount("job:livepatch_hosts_live_patched:count"), "live-patched"),
          series(fleetCount("job:livepatch_hosts_not_ready:count"), "not ready"),
          series(fleetCount("job:livepatch_hosts_in_transition:count"), "in transition"),
          series(fleetCount("job:livepatch_hosts_reboot_must:count"), "reboot: must"),
          series(fleetCount("job:livepatch_hosts_reboot_can_wait:count"), "reboot: can wait"),
        ],
        noValue: NO_HOSTS,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Failing readiness checks",
        description: "Hosts failing each readiness check (job_check:livepatch_ready_check_failing:count).",
        unit: "none",
        w: 12,
        h: 8,
        targets: [series(`sum by (check) (${byJob("job_check:livepatch_ready_check_failing:count")})`, "{{check}}")],
        noValue: "No host failed a readiness check in this time range",
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Reboot reasons",
        description: "Hosts per reboot reason (job_reason:livepatch_reboot_required:sum); a host can have several.",
        unit: "none",
        w: 12,
        h: 8,
        targets: [series(`sum by (reason) (${byJob("job_reason:livepatch_reboot_required:sum")})`, "{{reason}}")],
        noValue: NO_HOSTS,
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Hosts tainted, by flag, over time",
        description:
          "Hosts with each taint flag set (job_flag:livepatch_kernel_taint_flag:sum); a step up is a host newly tainted.",
        unit: "none",
        w: 12,
        h: 8,
        targets: [
          series(`sum by (flag, name) (${byJob("job_flag:livepatch_kernel_taint_flag:sum")}) > 0`, "{{flag}} {{name}}"),
        ],
        noValue: "No host is tainted",
      }),
    );

  // Kernels.
  builder
    .withRow(new RowBuilder("Kernels"))
    .withPanel(
      tablePanel({
        title: "Kernel releases per OS",
        description:
          "Hosts per running kernel release, per OS (id and version_id from os-release), from job_id_version_id_release:livepatch_hosts:count.",
        unit: "none",
        w: 12,
        h: 8,
        targets: [
          rows(`sum by (id, version_id, release) (${byJob("job_id_version_id_release:livepatch_hosts:count")})`),
        ],
        columns: ["OS", "Version", "Kernel release", "Hosts"],
        rename: { id: "OS", version_id: "Version", release: "Kernel release", Value: "Hosts" },
        sortBy: "OS",
        noValue: "No host reports its kernel",
      }),
    )
    .withPanel(
      barsPanel({
        title: "Kernel releases per OS version",
        description:
          "How many different kernel releases hosts of one OS version run, per job (job_id_version_id:livepatch_kernel_releases:count). More than one for 3 days fires LivepatchKernelVersionDrift.",
        unit: "none",
        w: 12,
        h: 8,
        targets: [current(byJob("job_id_version_id:livepatch_kernel_releases:count"), "{{job}} {{id}} {{version_id}}")],
        thresholds: [
          [null, "green"],
          [2, "orange"],
        ],
        noValue: "No host reports its kernel",
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Hosts per kernel release over time",
        description:
          "Hosts per kernel release and OS over time (job_id_version_id_release:livepatch_hosts:count): a rollout moves hosts from one band to the next.",
        unit: "none",
        w: 24,
        h: 8,
        stacked: true,
        targets: [
          series(
            `sum by (id, version_id, release) (${byJob("job_id_version_id_release:livepatch_hosts:count")})`,
            "{{id}} {{version_id}} {{release}}",
          ),
        ],
        noValue: "No host reports its kernel",
      }),
    );

  // Kernel log: forced transitions, unreadable logs, refused loads (dashboards/src/kernel-log.ts).
  fleetKernelLogRow(builder, (title, description, expr) => countStat(title, description, expr, ZERO_GOOD), HOSTS);

  // Hosts.
  builder
    .withRow(new RowBuilder("Hosts"))
    .withPanel(
      tablePanel({
        title: "Hosts with problems",
        description:
          "One row per host and problem: exporter down, a failing or unknown readiness check, a transition, a disabled patch, a module without its patch, an error taint flag (D, M, B, L, W), a reboot reason, a failing collector or vendor client, vendor coverage ending within 14 days. Click an instance for its Host dashboard.",
        unit: "none",
        w: 24,
        h: 10,
        targets: [rows(problemsQuery())],
        columns: ["instance", "job", "problem"],
        columnProperties: { instance: [links("Host dashboard for ${__data.fields.instance}", HOST_LINK_URL)] },
        sortBy: "instance",
        noValue: "No problems",
      }),
    )
    .withPanel(
      tablePanel({
        title: "All hosts",
        description:
          "Every target of the selected jobs with its OS, kernel, readiness, applied patches, transition, reboot and taint. Empty cells are unknown. Click an instance for its Host dashboard.",
        unit: "none",
        w: 24,
        h: 10,
        targets: [
          rows(`max by (job, instance) (${sel("up")})`),
          rows(`max by (job, instance, pretty_name) (${sel("livepatch_os_info")})`),
          rows(`max by (job, instance, release) (${sel("livepatch_kernel_info")})`),
          rows(`max by (job, instance) (${sel("livepatch_ready")})`),
          rows(`sum by (job, instance) (${sel("livepatch_patch_state", 'state="applied"')})`),
          rows(`max by (job, instance) (${sel("livepatch_transition_in_progress")})`),
          rows(`max by (job, instance) (${sel("livepatch_reboot_required")})`),
          rows(`max by (job, instance) (${sel("livepatch_kernel_tainted")})`),
        ],
        columns: [
          "instance",
          "job",
          "Exporter",
          "OS",
          "Kernel release",
          "Ready",
          "Patches applied",
          "In transition",
          "Reboot required",
          "Taint",
        ],
        rename: {
          "Value #A": "Exporter",
          pretty_name: "OS",
          release: "Kernel release",
          "Value #D": "Ready",
          "Value #E": "Patches applied",
          "Value #F": "In transition",
          "Value #G": "Reboot required",
          "Value #H": "Taint",
        },
        columnProperties: {
          instance: [links("Host dashboard for ${__data.fields.instance}", HOST_LINK_URL)],
          Exporter: [mappings(goodBad("up", "down")), colored()],
          Ready: [mappings(goodBad("ready", "not ready")), colored()],
          "In transition": [unit("bool_yes_no")],
          "Reboot required": [unit("bool_yes_no")],
        },
        sortBy: "instance",
        noValue: "No targets in the selected jobs",
      }),
    )
    .withPanel(
      tablePanel({
        title: "Exporter versions",
        description: "How many exporters run each version and revision (livepatch_exporter_build_info).",
        unit: "none",
        w: 24,
        h: 5,
        targets: [rows(`count by (version, revision) (${sel("livepatch_exporter_build_info")})`)],
        columns: ["version", "revision", "Exporters"],
        rename: { Value: "Exporters" },
        noValue: "No exporter reports",
      }),
    );

  return finish(builder.build());
}

/**
 * One series per (host, problem), the problem spelled out in a label. Each
 * part mirrors an alert of deploy/prometheus/rules/livepatch-alerts.yml,
 * without the alerts' `for:` so a problem shows as soon as it is scraped.
 */
function problemsQuery(): string {
  const problem = (expr: string, text: string, from = "", regex = ""): string =>
    `label_replace(${expr}, "problem", "${text}", "${from}", "${regex}")`;
  const parts = [
    problem(`up{job=~"$job",instance=~"$instance"} == 0`, "exporter down"),
    problem(`${sel("livepatch_ready_check")} == 0`, "not ready: $1 fails", "check", "(.*)"),
    problem(`${sel("livepatch_kernel_info")} unless on (job, instance) livepatch_ready`, "readiness unknown"),
    problem(
      `label_join(${sel("livepatch_transition_info")} == 1, "detail", " ", "direction", "patch")`,
      "in transition: $1",
      "detail",
      "(.*)",
    ),
    problem(`${sel("livepatch_patch_state", 'state="disabled"')} == 1`, "patch disabled: $1", "patch", "(.*)"),
    problem(`${sel("livepatch_module_without_patch")} == 1`, "module without patch: $1", "module", "(.*)"),
    problem(
      `label_join(${sel("livepatch_kernel_taint_flag", 'flag=~"D|M|B|L|W"')} == 1, "detail", " ", "flag", "name")`,
      "kernel tainted: $1",
      "detail",
      "(.*)",
    ),
    // A reboot a vendor client says can wait is not a problem (the "can wait" count shows it).
    problem(
      `(${sel("livepatch_reboot_required")} == 1) unless on (job, instance) (livepatch_reboot_can_wait == 1)`,
      "reboot required: $1",
      "reason",
      "(.*)",
    ),
    problem(`${sel("livepatch_scrape_collector_success")} == 0`, "collector failing: $1", "collector", "(.*)"),
    problem(`${sel("livepatch_client_up")} == 0`, "vendor client failing: $1", "client", "(.*)"),
    problem(
      `(${sel("livepatch_client_coverage_end_timestamp_seconds")} - time()) < 14 * 86400`,
      "vendor coverage ends within 14 days: $1",
      "client",
      "(.*)",
    ),
  ];
  return `max by (job, instance, problem) (\n  ${parts.join("\n  or\n  ")}\n)`;
}
