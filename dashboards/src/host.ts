// The Host dashboard: everything livepatch_exporter knows about one host.
// Reads top-down as an SRE asks, one function per row: can it take a patch,
// what is applied, is a transition stuck, why is it tainted, can modules load
// at all, what kernel, must it reboot, is the exporter itself healthy, and
// what do the vendor clients say. Descriptions quote the metric catalog.
import { AnnotationQueryBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { BigValueTextMode } from "@grafana/grafana-foundation-sdk/common";
import { DATASOURCE, FLEET_UID, HOST_UID, dashboardLink, sel, variables } from "./conventions.js";
import { describe, type MetricName } from "./help.js";
import { patchedFunctionsRow } from "./host-functions.js";
import { hostKernelLogRow } from "./kernel-log.js";
import { finish, newDashboard, withRows, type Dashboard, type Row } from "./model.js";
import {
  badGood,
  barsPanel,
  colored,
  current,
  goodBad,
  mappings,
  rows,
  series,
  stateTimelinePanel,
  statPanel,
  tablePanel,
  timeSeriesPanel,
  unit,
  valueText,
} from "./panels.js";

const UNKNOWN = "Unknown (see What the exporter could not read)";
const NO_CLIENT = "No vendor client reports on this host";

export function hostDashboard(): Dashboard {
  const builder = newDashboard(
    "Livepatch / Host",
    HOST_UID,
    "Kernel live patching on one host, from livepatch_exporter: readiness, patches, transitions, taint, module loading, kernel, reboot, vendor clients and the exporter itself.",
  )
    .variables(variables("one"))
    .link(dashboardLink("Fleet", FLEET_UID, "Livepatch / Fleet: every host at once"))
    .annotation(
      new AnnotationQueryBuilder()
        .name("Kernel taint changed")
        .datasource(DATASOURCE)
        .enable(true)
        .iconColor("orange")
        .expr(`changes(${sel("livepatch_kernel_tainted")}[2m]) > 0`)
        .step("1m")
        .titleFormat("Kernel taint changed")
        .textFormat("{{instance}}: a taint flag was set (taint only clears on reboot)"),
    );
  return finish(
    withRows(builder, [
      verdict(),
      livePatches(),
      transition(),
      hostKernelLogRow(),
      taint(),
      moduleLoading(),
      kernelAndOs(),
      reboot(),
      exporter(),
      // The opt-in collectors of patched functions (host-functions.ts).
      patchedFunctionsRow(),
      vendorClients(),
    ]).build(),
  );
}

function verdict(): Row {
  return {
    title: "Verdict",
    panels: [
      statPanel({
        title: "Ready for a live patch",
        description: describe("Unknown when some check could not be read and none failed.", ["livepatch_ready"]),
        unit: "none",
        w: 4,
        h: 5,
        targets: [current(sel("livepatch_ready"), "{{instance}}")],
        mappings: goodBad("Ready", "Not ready"),
        noValue: UNKNOWN,
      }),
      tablePanel({
        title: "Readiness checks",
        description: describe(
          "Each check behind the verdict. A check that does not apply (modules_not_disabled without module support) or whose input is unknown has no row.",
          ["livepatch_ready_check"],
        ),
        unit: "none",
        w: 8,
        h: 5,
        targets: [rows(`max by (job, instance, check) (${sel("livepatch_ready_check")})`)],
        columns: ["instance", "check", "Result"],
        rename: { Value: "Result" },
        columnProperties: { Result: [mappings(goodBad("pass", "FAIL")), colored()] },
        noValue: UNKNOWN,
      }),
      statPanel({
        title: "Reboot required",
        description: describe(
          "Whether any reboot reason is present; the reasons are in the Reboot row. Unknown when no reason could be checked.",
          ["livepatch_reboot_required"],
        ),
        unit: "none",
        w: 4,
        h: 5,
        targets: [current(`max by (job, instance) (${sel("livepatch_reboot_required")})`, "{{instance}}")],
        mappings: badGood("Reboot required", "No reboot needed"),
        noValue: UNKNOWN,
      }),
      statPanel({
        title: "Live patches applied",
        description: describe(
          "Patches in /sys/kernel/livepatch whose state is applied. Vendor clients that bypass sysfs are in the Vendor clients row.",
          ["livepatch_patch_state"],
        ),
        unit: "none",
        w: 4,
        h: 5,
        targets: [
          current(`sum by (job, instance) (${sel("livepatch_patch_state", 'state="applied"')})`, "{{instance}}"),
        ],
        thresholds: [[null, "blue"]],
        noValue: UNKNOWN,
      }),
      statPanel({
        title: "Exporter",
        description:
          "Whether Prometheus could scrape livepatch_exporter on this host (up). When it is down, every other panel is stale or empty.",
        unit: "none",
        w: 4,
        h: 5,
        targets: [current(sel("up"), "{{instance}}")],
        mappings: goodBad("Up", "Down"),
        noValue: "Not scraped by the selected job",
      }),
    ],
  };
}

function livePatches(): Row {
  return {
    title: "Live patches",
    panels: [
      tablePanel({
        title: "Patches",
        description: describe(
          "Every patch in /sys/kernel/livepatch. Replace (6.11+) and stack order (6.14+) are empty on kernels without those attributes.",
          [
            "livepatch_patch_state",
            "livepatch_patch_enabled",
            "livepatch_patch_transition",
            "livepatch_patch_replace",
            "livepatch_patch_stack_order",
            "livepatch_object_functions",
          ],
        ),
        unit: "none",
        w: 24,
        h: 6,
        targets: [
          rows(`max by (job, instance, patch, state) (${sel("livepatch_patch_state")} == 1)`),
          rows(`max by (job, instance, patch) (${sel("livepatch_patch_enabled")})`),
          rows(`max by (job, instance, patch) (${sel("livepatch_patch_transition")})`),
          rows(`max by (job, instance, patch) (${sel("livepatch_patch_replace")})`),
          rows(`max by (job, instance, patch) (${sel("livepatch_patch_stack_order")})`),
          rows(`count by (job, instance, patch) (${sel("livepatch_object_functions")})`),
          rows(`sum by (job, instance, patch) (${sel("livepatch_object_functions")})`),
        ],
        columns: [
          "instance",
          "patch",
          "State",
          "Enabled",
          "Transition",
          "Replace",
          "Stack order",
          "Objects",
          "Functions",
        ],
        rename: {
          state: "State",
          "Value #B": "Enabled",
          "Value #C": "Transition",
          "Value #D": "Replace",
          "Value #E": "Stack order",
          "Value #F": "Objects",
          "Value #G": "Functions",
        },
        columnProperties: {
          State: [
            mappings(
              valueText({
                applied: ["applied", "green"],
                patching: ["patching", "orange"],
                unpatching: ["unpatching", "orange"],
                disabled: ["disabled", "red"],
              }),
            ),
            colored(),
          ],
          Enabled: [unit("bool_yes_no")],
          Transition: [unit("bool_yes_no")],
          Replace: [unit("bool_yes_no")],
        },
        sortBy: "instance",
        noValue: "No live patch is loaded, or /sys/kernel/livepatch is unreadable",
      }),
      tablePanel({
        title: "Patched objects",
        description: describe(
          "Each object a patch changes (vmlinux or a module). Patched is empty before 6.1, and 0 for a module that is not loaded.",
          ["livepatch_object_functions", "livepatch_object_patched"],
        ),
        unit: "none",
        w: 12,
        h: 6,
        targets: [
          rows(`max by (job, instance, patch, object) (${sel("livepatch_object_functions")})`),
          rows(`max by (job, instance, patch, object) (${sel("livepatch_object_patched")})`),
        ],
        columns: ["instance", "patch", "object", "Functions", "Patched"],
        rename: { "Value #A": "Functions", "Value #B": "Patched" },
        columnProperties: { Patched: [unit("bool_yes_no")] },
        noValue: "No live patch is loaded",
      }),
      tablePanel({
        title: "Live patch modules without a patch",
        description: describe("Their fixes are not active: see the LivepatchModuleWithoutPatch runbook.", [
          "livepatch_module_without_patch",
        ]),
        unit: "none",
        w: 12,
        h: 6,
        targets: [rows(`max by (job, instance, module, state) (${sel("livepatch_module_without_patch")} == 1)`)],
        columns: ["instance", "module", "state"],
        noValue: "None: every live patch module has its patch",
      }),
    ],
  };
}

function transition(): Row {
  return {
    title: "Transition",
    panels: [
      statPanel({
        title: "Transition in progress",
        description: describe("Until it completes, no other patch can be loaded or removed.", [
          "livepatch_transition_in_progress",
        ]),
        unit: "none",
        w: 4,
        h: 6,
        targets: [current(sel("livepatch_transition_in_progress"), "{{instance}}")],
        mappings: badGood("In transition", "No transition"),
        noValue: UNKNOWN,
      }),
      tablePanel({
        title: "Patch in transition",
        description: describe(
          "Blocking threads are empty when some threads were unreadable or the walk was truncated.",
          ["livepatch_transition_info", "livepatch_transition_blocking_threads"],
        ),
        unit: "none",
        w: 8,
        h: 6,
        targets: [
          rows(`max by (job, instance, patch, direction) (${sel("livepatch_transition_info")} == 1)`),
          rows(`max by (job, instance, patch) (${sel("livepatch_transition_blocking_threads")})`),
        ],
        columns: ["instance", "patch", "direction", "Blocking threads"],
        rename: { "Value #B": "Blocking threads" },
        noValue: "No transition in progress",
      }),
      timeSeriesPanel({
        title: "Threads during the transition",
        description: describe(
          "A flat non-zero blocking line is a stuck transition: see the LivepatchTransitionNotCompleting runbook.",
          ["livepatch_transition_threads", "livepatch_transition_blocking_threads"],
        ),
        unit: "short",
        w: 12,
        h: 6,
        targets: [
          series(sel("livepatch_transition_threads"), "{{instance}} {{state}}"),
          series(sel("livepatch_transition_blocking_threads"), "{{instance}} blocking {{patch}}"),
        ],
        noValue: "No transition in this time range",
      }),
      tablePanel({
        title: "Blocking threads",
        description: describe("The threads that block the transition, with pid, tid and command.", [
          "livepatch_transition_blocking_thread_info",
        ]),
        unit: "none",
        w: 16,
        h: 6,
        targets: [
          rows(`max by (job, instance, patch, pid, tid, comm) (${sel("livepatch_transition_blocking_thread_info")})`),
        ],
        columns: ["instance", "patch", "pid", "tid", "comm"],
        noValue: "None, or not collected (--collector.transition.blocking-threads)",
      }),
      statPanel({
        title: "Thread walk",
        description: describe("When truncated, the blocking thread count is unknown.", [
          "livepatch_transition_scan_truncated",
        ]),
        unit: "none",
        w: 8,
        h: 6,
        targets: [current(sel("livepatch_transition_scan_truncated"), "{{instance}}")],
        mappings: badGood("Truncated", "Complete"),
        noValue: "No transition in progress",
      }),
    ],
  };
}

function taint(): Row {
  return {
    title: "Taint",
    panels: [
      tablePanel({
        title: "Taint flags set",
        description: describe(
          "Taint flags set since boot, by name. K (LIVEPATCH), O and E are expected once a third-party live patch was loaded; D, M, B, L and W mean the kernel reported an error. Bits the upstream table does not name are listed as distribution-specific.",
          ["livepatch_kernel_taint_flag", "livepatch_kernel_taint_unknown_bit"],
        ),
        unit: "none",
        w: 10,
        h: 8,
        targets: [
          rows(
            `max by (job, instance, bit, flag, name) (${sel("livepatch_kernel_taint_flag")} == 1)` +
              ` or label_replace(max by (job, instance, bit) (${sel("livepatch_kernel_taint_unknown_bit")} == 1), "name", "distribution-specific", "bit", ".*")`,
          ),
        ],
        columns: ["instance", "flag", "name", "bit"],
        noValue: "Not tainted",
      }),
      stateTimelinePanel({
        title: "Taint value over time",
        description: describe(
          "Each band is one value, so a new band is the moment a flag was set. Taint only clears on reboot. The Kernel taint changed annotation marks the same moments on every graph.",
          ["livepatch_kernel_tainted"],
        ),
        unit: "none",
        w: 14,
        h: 8,
        targets: [series(sel("livepatch_kernel_tainted"), "{{instance}}")],
        thresholds: [
          [null, "green"],
          [1, "yellow"],
        ],
        noValue: UNKNOWN,
      }),
    ],
  };
}

function moduleLoading(): Row {
  const stat = (title: string, metric: MetricName, note: string, map: ReturnType<typeof valueText>) =>
    statPanel({
      title,
      description: describe(note, [metric]),
      unit: "none",
      w: 4,
      h: 4,
      targets: [current(sel(metric), "{{instance}}")],
      mappings: map,
      noValue: UNKNOWN,
    });
  return {
    title: "Module loading",
    panels: [
      stat(
        "Module support",
        "livepatch_modules_supported",
        "A live patch is a module.",
        goodBad("Supported", "No module support"),
      ),
      stat(
        "modules_disabled",
        "livepatch_modules_disabled",
        "Once 1, no live patch can be loaded until reboot.",
        valueText({ "1": ["Loading disabled", "red"], "0": ["Loading allowed", "green"] }),
      ),
      stat(
        "Signature enforcement",
        "livepatch_module_sig_enforce",
        "Unknown without CONFIG_MODULE_SIG.",
        valueText({ "1": ["Enforced", "blue"], "0": ["Not enforced", "text"] }),
      ),
      statPanel({
        title: "Lockdown",
        description: describe("Unknown when securityfs is not mounted or the lockdown LSM is not built.", [
          "livepatch_lockdown_mode",
        ]),
        unit: "none",
        w: 4,
        h: 4,
        targets: [
          current(`max by (job, instance, mode) (${sel("livepatch_lockdown_mode")} == 1)`, "{{mode}} ({{instance}})"),
        ],
        textMode: BigValueTextMode.Name,
        thresholds: [[null, "blue"]],
        noValue: UNKNOWN,
      }),
      stat("ftrace", "livepatch_ftrace_enabled", "", goodBad("Enabled", "Disabled")),
      stat(
        "Signed patches only",
        "livepatch_ready_signed_patches_only",
        "",
        valueText({ "1": ["Signed only", "blue"], "0": ["Unsigned allowed", "text"] }),
      ),
    ],
  };
}

function kernelAndOs(): Row {
  return {
    title: "Kernel and OS",
    panels: [
      tablePanel({
        title: "Kernel",
        description: describe(
          "The running kernel, the OS, when the host booted, the newest installed kernel of the same flavour (a different one means a reboot would change the kernel), and where the build configuration was read.",
          [
            "livepatch_kernel_info",
            "livepatch_os_info",
            "livepatch_boot_time_seconds",
            "livepatch_kernel_newest_installed_info",
            "livepatch_kernel_config_info",
          ],
        ),
        unit: "none",
        w: 24,
        h: 5,
        targets: [
          rows(`max by (job, instance, release, version, machine) (${sel("livepatch_kernel_info")})`),
          rows(`max by (job, instance, pretty_name) (${sel("livepatch_os_info")})`),
          rows(`max by (job, instance) (${sel("livepatch_boot_time_seconds")}) * 1000`),
          rows(
            `max by (job, instance, newest) (label_replace(${sel("livepatch_kernel_newest_installed_info")}, "newest", "$1", "release", "(.*)"))`,
          ),
          rows(`max by (job, instance, path) (${sel("livepatch_kernel_config_info")})`),
        ],
        columns: [
          "instance",
          "OS",
          "Kernel release",
          "Build",
          "machine",
          "Booted",
          "Newest installed",
          "Configuration",
        ],
        rename: {
          pretty_name: "OS",
          release: "Kernel release",
          version: "Build",
          "Value #C": "Booted",
          newest: "Newest installed",
          path: "Configuration",
        },
        columnProperties: { Booted: [unit("dateTimeAsIso")] },
        noValue: UNKNOWN,
      }),
    ],
  };
}

function reboot(): Row {
  return {
    title: "Reboot",
    panels: [
      tablePanel({
        title: "Reboot reasons",
        description: describe(
          "Each reason a reboot may be required, and how long it has been present. A reason that could not be checked has no row. LivepatchRebootRequired fires after 3 days unless a vendor client vouches for the kernel.",
          ["livepatch_reboot_required", "livepatch_reboot_required_timestamp_seconds"],
        ),
        unit: "none",
        w: 16,
        h: 6,
        targets: [
          rows(`max by (job, instance, reason) (${sel("livepatch_reboot_required")})`),
          rows(`max by (job, instance, reason) (time() - ${sel("livepatch_reboot_required_timestamp_seconds")})`),
        ],
        columns: ["instance", "reason", "Required", "For"],
        rename: { "Value #A": "Required", "Value #B": "For" },
        columnProperties: {
          Required: [mappings(badGood("yes", "no")), colored()],
          For: [unit("s")],
        },
        noValue: UNKNOWN,
      }),
      statPanel({
        title: "Packages asking for a reboot",
        description: describe("Debian and Ubuntu.", ["livepatch_reboot_required_packages"]),
        unit: "none",
        w: 8,
        h: 6,
        targets: [current(sel("livepatch_reboot_required_packages"), "{{instance}}")],
        thresholds: [
          [null, "green"],
          [1, "orange"],
        ],
        noValue: "None listed",
      }),
    ],
  };
}

function exporter(): Row {
  return {
    title: "Exporter",
    panels: [
      stateTimelinePanel({
        title: "Collector success",
        description: describe("A failing collector's metrics are missing; the rest of the scrape is served.", [
          "livepatch_scrape_collector_success",
        ]),
        unit: "none",
        w: 12,
        h: 7,
        targets: [series(sel("livepatch_scrape_collector_success"), "{{collector}}")],
        mappings: goodBad("ok", "failed"),
        noValue: "Not scraped",
      }),
      timeSeriesPanel({
        title: "Collector duration",
        description: describe("Each collector's limit is --collector.timeout.", [
          "livepatch_scrape_collector_duration_seconds",
        ]),
        unit: "s",
        w: 12,
        h: 7,
        targets: [series(sel("livepatch_scrape_collector_duration_seconds"), "{{collector}}")],
        noValue: "Not scraped",
      }),
      tablePanel({
        title: "What the exporter could not read",
        description: describe(
          "Host facts the exporter could not determine (their series are absent, not 0) and the files each collector could not use. Count is 1 for a fact and the number of files for a collector.",
          ["livepatch_fact_unavailable", "livepatch_scrape_collector_file_errors"],
        ),
        unit: "none",
        w: 12,
        h: 6,
        targets: [
          rows(
            `max by (job, instance, item, reason) (` +
              `label_replace(${sel("livepatch_fact_unavailable")} == 1, "item", "fact $1", "name", "(.*)")` +
              ` or label_replace(${sel("livepatch_scrape_collector_file_errors")} > 0, "item", "files of collector $1", "collector", "(.*)")` +
              `)`,
          ),
        ],
        columns: ["instance", "item", "reason", "Count"],
        rename: { Value: "Count" },
        noValue: "Nothing: every fact and file was read",
      }),
      timeSeriesPanel({
        title: "Scrape duration",
        description: "How long Prometheus' scrape of the exporter took (scrape_duration_seconds).",
        unit: "s",
        w: 6,
        h: 6,
        targets: [series(sel("scrape_duration_seconds"), "{{instance}}")],
        noValue: "Not scraped",
      }),
      timeSeriesPanel({
        title: "Exporter CPU",
        description:
          "CPU used by the exporter process, as a share of one core (process_cpu_seconds_total; empty with --web.disable-exporter-metrics).",
        unit: "percentunit",
        w: 6,
        h: 6,
        targets: [series(`rate(${sel("process_cpu_seconds_total")}[$__rate_interval])`, "{{instance}}")],
        noValue: "No process metrics (--web.disable-exporter-metrics)",
      }),
    ],
  };
}

// Canonical Livepatch, kpatch, Ksplice and KernelCare report through their own
// tools, not /sys/kernel/livepatch alone.
function vendorClients(): Row {
  return {
    title: "Vendor clients",
    collapsed: true,
    panels: [
      tablePanel({
        title: "Vendor clients",
        description: describe(
          "What each live patch vendor client (canonical-livepatch, kcarectl, uptrack, kpatch) reports.",
          [
            "livepatch_client_up",
            "livepatch_client_state",
            "livepatch_client_last_run_timestamp_seconds",
            "livepatch_client_last_run_duration_seconds",
            "livepatch_client_fixes",
            "livepatch_client_effective_kernel_info",
            "livepatch_client_coverage_end_timestamp_seconds",
            "livepatch_reboot_can_wait",
          ],
        ),
        unit: "none",
        w: 24,
        h: 6,
        targets: [
          rows(`max by (job, instance, client) (${sel("livepatch_client_up")})`),
          rows(`max by (job, instance, client, state) (${sel("livepatch_client_state")} == 1)`),
          rows(`max by (job, instance, client) (time() - ${sel("livepatch_client_last_run_timestamp_seconds")})`),
          rows(`max by (job, instance, client) (${sel("livepatch_client_last_run_duration_seconds")})`),
          rows(`max by (job, instance, client) (${sel("livepatch_client_fixes")})`),
          rows(`max by (job, instance, client, release) (${sel("livepatch_client_effective_kernel_info")})`),
          rows(`max by (job, instance, client) (${sel("livepatch_client_coverage_end_timestamp_seconds")}) * 1000`),
          rows(`max by (job, instance, client) (${sel("livepatch_reboot_can_wait")})`),
        ],
        columns: [
          "instance",
          "client",
          "Last run",
          "State",
          "Ran",
          "Took",
          "Fixes",
          "Effective kernel",
          "Coverage ends",
          "Reboot can wait",
        ],
        rename: {
          "Value #A": "Last run",
          state: "State",
          "Value #C": "Ran",
          "Value #D": "Took",
          "Value #E": "Fixes",
          release: "Effective kernel",
          "Value #G": "Coverage ends",
          "Value #H": "Reboot can wait",
        },
        columnProperties: {
          "Last run": [mappings(goodBad("ok", "failed")), colored()],
          Ran: [unit("s")],
          Took: [unit("s")],
          "Coverage ends": [unit("dateTimeAsIso")],
          "Reboot can wait": [unit("bool_yes_no")],
        },
        noValue: NO_CLIENT,
      }),
      tablePanel({
        title: "Client errors",
        description: describe("See the LivepatchClientFailing runbook.", ["livepatch_client_error"]),
        unit: "none",
        w: 8,
        h: 6,
        targets: [rows(`max by (job, instance, client, reason) (${sel("livepatch_client_error")} == 1)`)],
        columns: ["instance", "client", "reason"],
        noValue: "No client errors",
      }),
      barsPanel({
        title: "Client patches by state",
        description: describe("", ["livepatch_client_patches"]),
        unit: "none",
        w: 8,
        h: 6,
        targets: [
          current(`max by (job, instance, client, state) (${sel("livepatch_client_patches")})`, "{{client}} {{state}}"),
        ],
        noValue: NO_CLIENT,
      }),
      timeSeriesPanel({
        title: "Client runs",
        description: describe("Runs per minute, by result.", ["livepatch_client_runs_total"]),
        unit: "opm",
        w: 8,
        h: 6,
        targets: [
          series(
            `sum by (job, instance, client, result) (rate(${sel("livepatch_client_runs_total")}[$__rate_interval])) * 60`,
            "{{client}} {{result}}",
          ),
        ],
        noValue: NO_CLIENT,
      }),
    ],
  };
}
