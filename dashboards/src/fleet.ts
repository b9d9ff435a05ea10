// The Fleet dashboard: how many hosts are live-patched, not ready, stuck,
// tainted, due a reboot; which kernels run where and how that moves; and the
// hosts that need someone, each a click away from its Host dashboard. Built
// for fleets of thousands: counts come from the recording rules
// (deploy/prometheus/rules/livepatch-recording.yml, per job: they follow the
// job variable, not the instance one), and no table lists every host — they
// list the alerts' problems, or the top few hosts by what matters.
import { AnnotationQueryBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { DATASOURCE, FLEET_UID, HOST_LINK_URL, HOST_UID, byJob, dashboardLink, sel, variables } from "./conventions.js";
import { describe } from "./help.js";
import { fleetKernelLogRow } from "./kernel-log.js";
import { finish, newDashboard, withRows, type Dashboard, type Row } from "./model.js";
import {
  barsPanel,
  colored,
  current,
  links,
  mappings,
  rows,
  series,
  statPanel,
  tablePanel,
  timeSeriesPanel,
  unit,
  valueText,
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
/** How many hosts a fleet table lists at most: the rest is one variable change away. */
const TOP = 20;
const PROBLEM_ROWS = 100;
const HOST_LINK = links("Host dashboard for ${__data.fields.instance}", HOST_LINK_URL);

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
    "Kernel live patching across the fleet, from livepatch_exporter and the project's recording and alert rules: live-patched, not ready, in transition, tainted, reboot required; kernel releases per OS; the hosts with problems.",
  )
    .variables(variables("many"))
    .link(dashboardLink("Host", HOST_UID, "Livepatch / Host: one host in detail"))
    .annotation(
      new AnnotationQueryBuilder()
        .name("Critical Livepatch alerts")
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor("red")
        .expr(`ALERTS{alertname=~"Livepatch.+",alertstate="firing",severity="critical",job=~"$job"}`)
        .step("1m")
        .titleFormat("{{alertname}}")
        .textFormat("{{instance}}"),
    );
  return finish(withRows(builder, [now(), problems(), overTime(), kernels(), kernelLog(), hosts()]).build());
}

function now(): Row {
  return {
    title: "Now",
    panels: [
      countStat(
        "Hosts",
        describe("Hosts whose exporter reports a kernel (job:livepatch_hosts:count) in the selected jobs.", [
          "livepatch_kernel_info",
        ]),
        `sum(${byJob(HOSTS)})`,
        [[null, "blue"]],
      ),
      countStat(
        "Live-patched",
        describe(
          "Hosts with at least one live patch applied, in /sys/kernel/livepatch or as reported by a vendor client (job:livepatch_hosts_live_patched:count).",
          ["livepatch_patch_state", "livepatch_client_patches"],
        ),
        fleetCount("job:livepatch_hosts_live_patched:count"),
        [[null, "blue"]],
      ),
      countStat(
        "Not ready",
        describe(
          "Hosts that could not load a new live patch now (livepatch_ready = 0; job:livepatch_hosts_not_ready:count). Hosts whose readiness is unknown are counted apart.",
          ["livepatch_ready"],
        ),
        fleetCount("job:livepatch_hosts_not_ready:count"),
        ZERO_GOOD,
      ),
      countStat(
        "In transition",
        describe(
          "Hosts where a patch is switching threads (job:livepatch_hosts_in_transition:count); one that stays there is stuck.",
          ["livepatch_transition_in_progress"],
        ),
        fleetCount("job:livepatch_hosts_in_transition:count"),
        ZERO_GOOD,
      ),
      countStat(
        "Reboot: must",
        describe(
          "Hosts that require a reboot and whose running kernel no vendor client vouches for (job:livepatch_hosts_reboot_must:count).",
          ["livepatch_reboot_required"],
        ),
        fleetCount("job:livepatch_hosts_reboot_must:count"),
        ZERO_GOOD,
      ),
      countStat(
        "Reboot: can wait",
        describe(
          "Hosts that require a reboot but whose vendor client says live patches cover the running kernel (job:livepatch_hosts_reboot_can_wait:count); plan it before coverage ends.",
          ["livepatch_reboot_can_wait"],
        ),
        fleetCount("job:livepatch_hosts_reboot_can_wait:count"),
        [
          [null, "green"],
          [1, "blue"],
        ],
      ),
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
      statPanel({
        title: "Readiness unknown",
        description: describe(
          "Hosts that report a kernel but no readiness verdict: some check's input could not be read (see the Host dashboard's What the exporter could not read).",
          ["livepatch_kernel_info", "livepatch_ready"],
        ),
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
      barsPanel({
        title: "Hosts tainted, by flag",
        description: describe(
          "Hosts with each kernel taint flag set (job_flag:livepatch_kernel_taint_flag:sum). K, O and E follow any third-party live patch; D, M, B, L and W mean the kernel reported an error.",
          ["livepatch_kernel_taint_flag"],
        ),
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
    ],
  };
}

/** Severity and state of an alert as one number: critical firing 6 ... info pending 1. */
const SEVERITY_RANK = { critical: 3, warning: 2, info: 1 } as const;
const SEVERITY_TEXT = valueText({
  "6": ["critical", "red"],
  "5": ["critical (pending)", "text"],
  "4": ["warning", "orange"],
  "3": ["warning (pending)", "text"],
  "2": ["info", "blue"],
  "1": ["info (pending)", "text"],
});

/** The labels that say which check, patch, reason, collector, client or module an alert is about (the last present wins). */
const DETAIL_LABELS = ["patch", "module", "client", "collector", "reason", "check"];

/**
 * One series per host and problem: the Livepatch alerts (pending or firing),
 * so the table applies exactly the alerts' filters and thresholds, valued by
 * severity and state, most severe first, at most PROBLEM_ROWS rows.
 */
function problemsQuery(): string {
  const selector = (state: string) =>
    `ALERTS{alertname=~"Livepatch.+",alertstate="${state}",job=~"$job",instance=~"$instance"}`;
  const ranks = Object.entries(SEVERITY_RANK)
    .map(([severity, rank]) => `label_replace(vector(${rank}), "severity", "${severity}", "", "")`)
    .join(" or ");
  const ranked = (state: string, offset: number) =>
    `(${selector(state)} * on (severity) group_left () (2 * (${ranks})${offset === 0 ? "" : ` - ${offset}`}))`;
  // The OS of a kernel drift alert, then whichever one detail label the alert has.
  const withDetail = DETAIL_LABELS.reduce(
    (expr, label) => `label_replace(${expr}, "detail", "$1", "${label}", "(.+)")`,
    `label_join(${ranked("firing", 0)} or ${ranked("pending", 1)}, "detail", " ", "id", "version_id")`,
  );
  return `topk(${PROBLEM_ROWS}, max by (job, instance, alertname, detail) (${withDetail}))`;
}

function problems(): Row {
  return {
    title: "Problems",
    panels: [
      tablePanel({
        title: "Hosts with problems",
        description:
          `One row per host and problem: the Livepatch alerts that are firing or pending (ALERTS, from deploy/prometheus/rules/livepatch-alerts.yml), so the table and the alerts agree on what a problem is. The most severe first, at most ${PROBLEM_ROWS} rows: narrow the job and instance variables to see others. ` +
          "Detail is the check, patch, reason, collector, client or module the alert names. Click an instance for its Host dashboard.",
        unit: "none",
        w: 16,
        h: 10,
        targets: [rows(problemsQuery())],
        columns: ["instance", "job", "alertname", "detail", "Severity"],
        rename: { alertname: "Problem", Value: "Severity" },
        columnProperties: { instance: [HOST_LINK], Severity: [mappings(SEVERITY_TEXT), colored()] },
        sortBy: "Severity",
        sortDescending: true,
        noValue: "No problems: no Livepatch alert is pending or firing",
      }),
      tablePanel({
        title: "Problems by kind",
        description:
          "How many hosts each Livepatch alert concerns, firing and pending (ALERTS): the size of each problem across the selected hosts.",
        unit: "none",
        w: 8,
        h: 10,
        targets: [
          rows(
            `count by (alertname, severity) (ALERTS{alertname=~"Livepatch.+",alertstate="firing",job=~"$job",instance=~"$instance"})`,
          ),
          rows(
            `count by (alertname, severity) (ALERTS{alertname=~"Livepatch.+",alertstate="pending",job=~"$job",instance=~"$instance"})`,
          ),
        ],
        columns: ["alertname", "severity", "Firing", "Pending"],
        rename: { alertname: "Problem", "Value #A": "Firing", "Value #B": "Pending" },
        sortBy: "Firing",
        sortDescending: true,
        noValue: "No Livepatch alert is pending or firing",
      }),
    ],
  };
}

function overTime(): Row {
  return {
    title: "Over time",
    panels: [
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
      timeSeriesPanel({
        title: "Failing readiness checks",
        description: describe("Hosts failing each readiness check (job_check:livepatch_ready_check_failing:count).", [
          "livepatch_ready_check",
        ]),
        unit: "none",
        w: 12,
        h: 8,
        targets: [series(`sum by (check) (${byJob("job_check:livepatch_ready_check_failing:count")})`, "{{check}}")],
        noValue: "No host failed a readiness check in this time range",
      }),
      timeSeriesPanel({
        title: "Reboot reasons",
        description: describe(
          "Hosts per reboot reason (job_reason:livepatch_reboot_required:sum); a host can have several.",
          ["livepatch_reboot_required"],
        ),
        unit: "none",
        w: 12,
        h: 8,
        targets: [series(`sum by (reason) (${byJob("job_reason:livepatch_reboot_required:sum")})`, "{{reason}}")],
        noValue: NO_HOSTS,
      }),
      timeSeriesPanel({
        title: "Hosts tainted, by flag, over time",
        description: describe(
          "Hosts with each taint flag set (job_flag:livepatch_kernel_taint_flag:sum); a step up is a host newly tainted.",
          ["livepatch_kernel_taint_flag"],
        ),
        unit: "none",
        w: 12,
        h: 8,
        targets: [
          series(`sum by (flag, name) (${byJob("job_flag:livepatch_kernel_taint_flag:sum")}) > 0`, "{{flag}} {{name}}"),
        ],
        noValue: "No host is tainted",
      }),
    ],
  };
}

function kernels(): Row {
  return {
    title: "Kernels",
    panels: [
      tablePanel({
        title: "Kernel releases per OS",
        description: describe(
          "Hosts per running kernel release, per OS (id and version_id from os-release), from job_id_version_id_release:livepatch_hosts:count.",
          ["livepatch_kernel_info", "livepatch_os_info"],
        ),
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
      barsPanel({
        title: "Hosts off their OS's most common kernel",
        description:
          "The share of each OS version's hosts (per job) that run a kernel release other than the most common one (job_id_version_id:livepatch_kernel_release_drift:ratio). Over 20% for 3 days fires LivepatchKernelVersionDrift; a rolling update passes through briefly.",
        unit: "percentunit",
        w: 12,
        h: 8,
        targets: [
          current(byJob("job_id_version_id:livepatch_kernel_release_drift:ratio"), "{{job}} {{id}} {{version_id}}"),
        ],
        thresholds: [
          [null, "green"],
          [0.2, "orange"],
        ],
        noValue: "No host reports its kernel",
      }),
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
    ],
  };
}

/** Kernel log: forced transitions, unreadable logs, refused loads (dashboards/src/kernel-log.ts). */
function kernelLog(): Row {
  return fleetKernelLogRow((title, description, expr) => countStat(title, description, expr, ZERO_GOOD), HOSTS);
}

function hosts(): Row {
  const longestReboots = `topk(${TOP}, max by (job, instance, reason) (time() - ${sel("livepatch_reboot_required_timestamp_seconds")}))`;
  return {
    title: "Hosts",
    panels: [
      tablePanel({
        title: "Longest-pending reboots",
        description: describe(
          `The ${TOP} reboot reasons present the longest, with their host: where a reboot is most overdue. "Can wait" says a vendor client vouches for the running kernel. Click an instance for its Host dashboard.`,
          ["livepatch_reboot_required_timestamp_seconds", "livepatch_reboot_can_wait"],
        ),
        unit: "none",
        w: 12,
        h: 8,
        targets: [
          rows(longestReboots),
          // Only for the hosts listed: the table merges rows by host.
          rows(`max by (job, instance) (${sel("livepatch_reboot_can_wait")}) and on (job, instance) ${longestReboots}`),
        ],
        columns: ["instance", "job", "reason", "For", "Can wait"],
        rename: { "Value #A": "For", "Value #B": "Can wait" },
        columnProperties: { instance: [HOST_LINK], For: [unit("s")], "Can wait": [unit("bool_yes_no")] },
        sortBy: "For",
        sortDescending: true,
        noValue: "No reboot is pending",
      }),
      tablePanel({
        title: "Live patches in the fleet",
        description: describe(`Hosts that have each live patch applied, the ${TOP} most widespread.`, [
          "livepatch_patch_state",
        ]),
        unit: "none",
        w: 12,
        h: 8,
        targets: [rows(`topk(${TOP}, count by (patch) (${sel("livepatch_patch_state", 'state="applied"')} == 1))`)],
        columns: ["patch", "Hosts"],
        rename: { Value: "Hosts" },
        sortBy: "Hosts",
        sortDescending: true,
        noValue: "No live patch is applied on the selected hosts",
      }),
      tablePanel({
        title: "Exporter versions",
        description: describe("How many exporters run each version and revision.", ["livepatch_exporter_build_info"]),
        unit: "none",
        w: 24,
        h: 5,
        targets: [rows(`count by (version, revision) (${sel("livepatch_exporter_build_info")})`)],
        columns: ["version", "revision", "Exporters"],
        rename: { Value: "Exporters" },
        noValue: "No exporter reports",
      }),
    ],
  };
}
