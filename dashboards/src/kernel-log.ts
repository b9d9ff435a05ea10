// The kernel log's panels (the kmsg collector, docs/kernel-log.md): how long
// the transition in progress has run, forced patches, refused module loads,
// the live patching events over time, and whether the log could be read
// whole. One row on each dashboard, placed by host.ts and fleet.ts.
import type * as stat from "@grafana/grafana-foundation-sdk/stat";
import { HOST_LINK_URL, byJob, sel } from "./conventions.js";
import { describe } from "./help.js";
import type { Row } from "./model.js";
import {
  badGood,
  barsPanel,
  current,
  goodBad,
  links,
  rows,
  series,
  statPanel,
  tablePanel,
  timeSeriesPanel,
  unit,
  type Step,
} from "./panels.js";

const START = "livepatch_kmsg_transition_start_timestamp_seconds";
/** Rows of a fleet table: none lists every host. */
const TOP = 20;
const OFF = "The kmsg collector is off, or the kernel log cannot be read (see Kernel log)";
/** LivepatchTransitionNotCompleting's thresholds: warning after 30 minutes, critical after 2 hours. */
const AGE_STEPS: readonly Step[] = [
  [null, "green"],
  [30 * 60, "orange"],
  [2 * 3600, "red"],
];

/** Host: the "Kernel log" row, after the Transition row. */
export function hostKernelLogRow(): Row {
  return {
    title: "Kernel log",
    panels: [
      statPanel({
        title: "Transition running for",
        description: describe(
          'Time since the transition in progress started, from the kernel log\'s "starting <direction> transition" line (time() - livepatch_kmsg_transition_start_timestamp_seconds): it survives restarts of the exporter and of Prometheus. Orange after 30 minutes, red after 2 hours, as the alerts.',
          [START],
        ),
        unit: "dtdurations",
        w: 6,
        h: 5,
        targets: [current(`time() - max by (job, instance, patch) (${sel(START)})`, "{{instance}} {{patch}}")],
        thresholds: AGE_STEPS,
        noValue: "No transition in progress (or the kernel log does not hold its start)",
      }),
      statPanel({
        title: "Forced since boot",
        description: describe(
          "Whether a transition was forced (echo 1 > force) since the host booted (livepatch_kmsg_patch_forced): the blocking tasks were switched without the consistency model's checks. Lasts until the reboot.",
          ["livepatch_kmsg_patch_forced"],
        ),
        unit: "none",
        w: 6,
        h: 5,
        targets: [current(`max by (job, instance) (${sel("livepatch_kmsg_patch_forced")})`, "{{instance}}")],
        mappings: badGood("Forced", "Never forced"),
        noValue: "No patch in the kernel log, or its history was overwritten",
      }),
      statPanel({
        title: "Kernel log",
        description: describe(
          'Whether the exporter read the kernel log to its end in the last scrape (livepatch_kmsg_readable); livepatch_fact_unavailable{name="kmsg"} says why not (CAP_SYSLOG, the device not mapped).',
          ["livepatch_kmsg_readable"],
        ),
        unit: "none",
        w: 6,
        h: 5,
        targets: [current(`min by (job, instance) (${sel("livepatch_kmsg_readable")})`, "{{instance}}")],
        mappings: goodBad("Readable", "Unreadable"),
        noValue: "The kmsg collector is off",
      }),
      statPanel({
        title: "Records lost",
        description: describe(
          "Kernel log records of this boot overwritten before the exporter read them (livepatch_kmsg_lost_records_total): events older than a gap may be missing, and forced states of patches from before it unknown.",
          ["livepatch_kmsg_lost_records_total"],
        ),
        unit: "none",
        w: 6,
        h: 5,
        targets: [current(`max by (job, instance) (${sel("livepatch_kmsg_lost_records_total")})`, "{{instance}}")],
        thresholds: [
          [null, "green"],
          [1, "orange"],
        ],
        noValue: OFF,
      }),
      timeSeriesPanel({
        title: "Live patching events",
        description: describe(
          "Live patching lines the kernel logged, by event (livepatch_kmsg_events_total): enabling, transitions started and completed, signaling and forcing the remaining tasks, reversals, failures.",
          ["livepatch_kmsg_events_total"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [
          series(
            `sum by (job, instance, event) (increase(${sel("livepatch_kmsg_events_total")}[$__rate_interval]))`,
            "{{instance}} {{event}}",
          ),
        ],
        noValue: OFF,
      }),
      tablePanel({
        title: "Refused module loads since boot",
        description: describe(
          "Module loads the kernel refused, by the reason its log gives (livepatch_kmsg_refused_module_loads_total): signature enforcement, lockdown, a patch that could not be applied to the module or failed to enable. modules_disabled=1 refuses without a log line.",
          ["livepatch_kmsg_refused_module_loads_total"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [rows(`max by (job, instance, reason) (${sel("livepatch_kmsg_refused_module_loads_total")}) > 0`)],
        columns: ["instance", "reason", "Refused"],
        rename: { Value: "Refused" },
        sortBy: "instance",
        noValue: "None refused (or the kernel log cannot be read)",
      }),
      tablePanel({
        title: "Live patching events since boot",
        description: describe(
          "Every live patching event the kernel logged since boot, by patch (livepatch_kmsg_events_total). signaling and forcing name no patch in the log: they are the transition then in progress's.",
          ["livepatch_kmsg_events_total"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [rows(`max by (job, instance, patch, event) (${sel("livepatch_kmsg_events_total")})`)],
        columns: ["instance", "patch", "event", "Count"],
        rename: { Value: "Count" },
        sortBy: "patch",
        noValue: OFF,
      }),
      tablePanel({
        title: "Transitions in the kernel log",
        description: describe(
          "Per patch: whether a transition was forced since boot (livepatch_kmsg_patch_forced), and how long its last complete transition took (livepatch_kmsg_transition_duration_seconds).",
          ["livepatch_kmsg_patch_forced", "livepatch_kmsg_transition_duration_seconds"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [
          rows(`max by (job, instance, patch) (${sel("livepatch_kmsg_patch_forced")})`),
          rows(`max by (job, instance, patch) (${sel("livepatch_kmsg_transition_duration_seconds")})`),
        ],
        columns: ["instance", "patch", "Forced", "Last transition"],
        rename: { "Value #A": "Forced", "Value #B": "Last transition" },
        columnProperties: { Forced: [unit("bool_yes_no")], "Last transition": [unit("s")] },
        sortBy: "patch",
        noValue: OFF,
      }),
    ],
  };
}

/** Fleet: the "Kernel log" row; `count` makes a count stat over the selected jobs (fleet.ts's). */
export function fleetKernelLogRow(
  count: (title: string, description: string, expr: string) => stat.PanelBuilder,
  hosts: string,
): Row {
  const orZero = (expr: string): string => `${expr} or 0 * sum(${hosts})`;
  return {
    title: "Kernel log",
    panels: [
      count(
        "Hosts with a forced transition",
        describe(
          "Hosts where a live patch transition was forced since boot (livepatch_kmsg_patch_forced == 1): plan their reboot.",
          ["livepatch_kmsg_patch_forced"],
        ),
        orZero(`count(max by (job, instance) (${byJob("livepatch_kmsg_patch_forced")}) == 1)`),
      ),
      count(
        "Hosts whose kernel log is unreadable",
        describe(
          "Hosts whose exporter cannot read the kernel log (livepatch_kmsg_readable == 0): no CAP_SYSLOG, or the device not mapped into the container. Their transitions are timed only while Prometheus watches.",
          ["livepatch_kmsg_readable"],
        ),
        orZero(`count(${byJob("livepatch_kmsg_readable")} == 0)`),
      ),
      // Now, not over time: over 6 hours at 10,000 hosts this was 2 M samples and 5 s.
      barsPanel({
        title: "Hosts that refused a module load within the hour",
        description: describe(
          "Hosts whose kernel refused a module load within the last hour, by reason (from the refusal's time in the log, as LivepatchModuleLoadRefused).",
          ["livepatch_kmsg_last_refused_module_load_timestamp_seconds"],
        ),
        unit: "none",
        w: 16,
        h: 4,
        targets: [
          current(
            `count by (reason) (time() - ${byJob("livepatch_kmsg_last_refused_module_load_timestamp_seconds")} < 3600)`,
            "{{reason}}",
          ),
        ],
        noValue: "None refused within the hour (or no host reports its kernel log)",
      }),
      tablePanel({
        title: "Running transitions, longest first",
        description: describe(
          `The ${TOP} longest transitions in progress with their age from the kernel log (time() - livepatch_kmsg_transition_start_timestamp_seconds). Click an instance for its Host dashboard.`,
          ["livepatch_kmsg_transition_start_timestamp_seconds"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [rows(`topk(${TOP}, time() - max by (job, instance, patch, direction) (${sel(START)}))`)],
        columns: ["instance", "patch", "direction", "Running for"],
        rename: { Value: "Running for" },
        columnProperties: {
          instance: [links("Host dashboard for ${__data.fields.instance}", HOST_LINK_URL)],
          "Running for": [unit("dtdurations")],
        },
        sortBy: "Running for",
        sortDescending: true,
        noValue: "No transition in progress (as far as the kernel logs tell)",
      }),
      tablePanel({
        title: "Forced transitions and refused loads",
        description: describe(
          `Hosts with a forced transition since boot (per patch), and module loads refused since boot (per reason), at most ${TOP} rows. Click an instance for its Host dashboard.`,
          ["livepatch_kmsg_patch_forced", "livepatch_kmsg_refused_module_loads_total"],
        ),
        unit: "none",
        w: 12,
        h: 7,
        targets: [
          rows(
            `topk(${TOP}, max by (job, instance, what) (label_replace(max by (job, instance, patch) (${sel("livepatch_kmsg_patch_forced")}) == 1, "what", "forced: $1", "patch", "(.*)"))` +
              ` or max by (job, instance, what) (label_replace(max by (job, instance, reason) (${sel("livepatch_kmsg_refused_module_loads_total")}) > 0, "what", "refused: $1", "reason", "(.*)")))`,
          ),
        ],
        columns: ["instance", "what", "Count"],
        rename: { Value: "Count" },
        columnProperties: { instance: [links("Host dashboard for ${__data.fields.instance}", HOST_LINK_URL)] },
        sortBy: "instance",
        noValue: "None",
      }),
    ],
  };
}
