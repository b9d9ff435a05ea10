// The Host dashboard: everything livepatch_exporter knows about one host
// (several can be selected; every panel names the instance). Reads top-down
// as an SRE asks: can it take a patch, what is applied, is a transition stuck,
// why is it tainted, can modules load at all, what kernel, must it reboot,
// what do the vendor clients say, and is the exporter itself healthy.
import { AnnotationQueryBuilder, RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { BigValueTextMode } from "@grafana/grafana-foundation-sdk/common";
import { DATASOURCE, FLEET_UID, HOST_UID, dashboardLink, sel, variables } from "./conventions.js";
import { patchedFunctionsRow } from "./host-functions.js";
import { hostKernelLogRow } from "./kernel-log.js";
import { finish, newDashboard, type Dashboard } from "./model.js";
import {
  badGood,
  barsPanel,
  collapsedRow,
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

export function hostDashboard(): Dashboard {
  const builder = newDashboard(
    "Livepatch / Host",
    HOST_UID,
    "Kernel live patching on one host, from livepatch_exporter: readiness, patches, transitions, taint, module loading, kernel, reboot, vendor clients and the exporter itself.",
  )
    .variables(variables())
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

  // Verdict.
  builder
    .withRow(new RowBuilder("Verdict"))
    .withPanel(
      statPanel({
        title: "Ready for a live patch",
        description:
          "Whether a new live patch could be loaded on this host now (livepatch_ready). Unknown when some check could not be read and none failed.",
        unit: "none",
        w: 4,
        h: 5,
        targets: [current(sel("livepatch_ready"), "{{instance}}")],
        mappings: goodBad("Ready", "Not ready"),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      tablePanel({
        title: "Readiness checks",
        description:
          "Each check behind the verdict (livepatch_ready_check). A check that does not apply (modules_not_disabled without module support) or whose input is unknown has no row.",
        unit: "none",
        w: 8,
        h: 5,
        targets: [rows(`max by (job, instance, check) (${sel("livepatch_ready_check")})`)],
        columns: ["instance", "check", "Result"],
        rename: { Value: "Result" },
        columnProperties: { Result: [mappings(goodBad("pass", "FAIL")), colored()] },
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "Reboot required",
        description:
          "Whether any reboot reason is present (livepatch_reboot_required); the reasons are in the Reboot row. Unknown when no reason could be checked.",
        unit: "none",
        w: 4,
        h: 5,
        targets: [current(`max by (job, instance) (${sel("livepatch_reboot_required")})`, "{{instance}}")],
        mappings: badGood("Reboot required", "No reboot needed"),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "Live patches applied",
        description:
          "Patches in /sys/kernel/livepatch whose state is applied (enabled, no transition). Vendor clients that bypass sysfs are in the Vendor clients row.",
        unit: "none",
        w: 4,
        h: 5,
        targets: [
          current(`sum by (job, instance) (${sel("livepatch_patch_state", 'state="applied"')})`, "{{instance}}"),
        ],
        thresholds: [[null, "blue"]],
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
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
    );

  // Live patches.
  builder
    .withRow(new RowBuilder("Live patches"))
    .withPanel(
      tablePanel({
        title: "Patches",
        description:
          "Every patch in /sys/kernel/livepatch. State: applied, patching or unpatching (a transition in that direction), disabled (listed but off, kernels up to 5.0). Replace (6.11+) and stack order (6.14+, a higher one was applied later and wins) are empty on kernels without those attributes.",
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
    )
    .withPanel(
      tablePanel({
        title: "Patched objects",
        description:
          "Each object a patch changes (vmlinux or a module) with the number of functions it replaces; patched says whether the redirection is installed (empty before 6.1; 0 for a module that is not loaded).",
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
    )
    .withPanel(
      tablePanel({
        title: "Live patch modules without a patch",
        description:
          "Loaded modules tainted K (live patch) that have no patch in /sys/kernel/livepatch: a patch disabled but kept loaded (5.1+), or one that failed to enable. Its fixes are not active.",
        unit: "none",
        w: 12,
        h: 6,
        targets: [rows(`max by (job, instance, module, state) (${sel("livepatch_module_without_patch")} == 1)`)],
        columns: ["instance", "module", "state"],
        noValue: "None: every live patch module has its patch",
      }),
    );

  // Transition.
  builder
    .withRow(new RowBuilder("Transition"))
    .withPanel(
      statPanel({
        title: "Transition in progress",
        description:
          "Whether a patch is switching threads to or from its new code (livepatch_transition_in_progress). Until it completes, no other patch can be loaded or removed.",
        unit: "none",
        w: 4,
        h: 6,
        targets: [current(sel("livepatch_transition_in_progress"), "{{instance}}")],
        mappings: badGood("In transition", "No transition"),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      tablePanel({
        title: "Patch in transition",
        description:
          "The patch in transition, its direction, and how many threads still run the old code. Blocking threads are empty when some threads were unreadable or the walk was truncated.",
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
    )
    .withPanel(
      timeSeriesPanel({
        title: "Threads during the transition",
        description:
          "Threads seen during a transition by patch_state (patched, unpatched, idle, unreadable), and those blocking it. A flat non-zero blocking line is a stuck transition: see the LivepatchTransitionNotCompleting runbook.",
        unit: "short",
        w: 12,
        h: 6,
        targets: [
          series(sel("livepatch_transition_threads"), "{{instance}} {{state}}"),
          series(sel("livepatch_transition_blocking_threads"), "{{instance}} blocking {{patch}}"),
        ],
        noValue: "No transition in this time range",
      }),
    )
    .withPanel(
      tablePanel({
        title: "Blocking threads",
        description:
          "The threads that block the transition, with pid, tid and command. Only collected with --collector.transition.blocking-threads (at most --collector.transition.blocking-threads-limit of them).",
        unit: "none",
        w: 16,
        h: 6,
        targets: [
          rows(`max by (job, instance, patch, pid, tid, comm) (${sel("livepatch_transition_blocking_thread_info")})`),
        ],
        columns: ["instance", "patch", "pid", "tid", "comm"],
        noValue: "None, or not collected (--collector.transition.blocking-threads)",
      }),
    )
    .withPanel(
      statPanel({
        title: "Thread walk",
        description:
          "Whether the walk over /proc/*/task stopped at --collector.transition.max-threads during the transition; then the blocking thread count is unknown.",
        unit: "none",
        w: 8,
        h: 6,
        targets: [current(sel("livepatch_transition_scan_truncated"), "{{instance}}")],
        mappings: badGood("Truncated", "Complete"),
        noValue: "No transition in progress",
      }),
    );

  // Kernel log: the transition's age, forced patches, refused loads (dashboards/src/kernel-log.ts).
  hostKernelLogRow(builder);

  // Taint.
  builder
    .withRow(new RowBuilder("Taint"))
    .withPanel(
      tablePanel({
        title: "Taint flags set",
        description:
          "Taint flags set since boot, by name. K (LIVEPATCH), O and E are expected once a third-party live patch was loaded; D, M, B, L and W mean the kernel reported an error. Bits the upstream table does not name (RHEL and SUSE use 27-31) are listed as distribution-specific.",
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
    )
    .withPanel(
      stateTimelinePanel({
        title: "Taint value over time",
        description:
          "The raw taint bitmask (livepatch_kernel_tainted); each band is one value, so a new band is the moment a flag was set. Taint only clears on reboot. The Kernel taint changed annotation marks the same moments on every graph.",
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
    );

  // Module loading.
  builder
    .withRow(new RowBuilder("Module loading"))
    .withPanel(
      statPanel({
        title: "Module support",
        description: "Whether the kernel can load modules at all (CONFIG_MODULES); a live patch is a module.",
        unit: "none",
        w: 4,
        h: 4,
        targets: [current(sel("livepatch_modules_supported"), "{{instance}}")],
        mappings: goodBad("Supported", "No module support"),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "modules_disabled",
        description:
          "The kernel.modules_disabled sysctl: once 1, no module (and so no live patch) can be loaded until reboot.",
        unit: "none",
        w: 4,
        h: 4,
        targets: [current(sel("livepatch_modules_disabled"), "{{instance}}")],
        mappings: valueText({ "1": ["Loading disabled", "red"], "0": ["Loading allowed", "green"] }),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "Signature enforcement",
        description:
          "Module signature enforcement (sig_enforce): when on, only signed modules load. Unknown without CONFIG_MODULE_SIG.",
        unit: "none",
        w: 4,
        h: 4,
        targets: [current(sel("livepatch_module_sig_enforce"), "{{instance}}")],
        mappings: valueText({ "1": ["Enforced", "blue"], "0": ["Not enforced", "text"] }),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "Lockdown",
        description:
          "Kernel lockdown mode (none, integrity, confidentiality); integrity and above reject unsigned modules. Unknown when securityfs is not mounted or the lockdown LSM is not built.",
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
    )
    .withPanel(
      statPanel({
        title: "ftrace",
        description:
          "The kernel.ftrace_enabled sysctl. Live patches ride on ftrace; before 5.5, 0 silently voids applied patches.",
        unit: "none",
        w: 4,
        h: 4,
        targets: [current(sel("livepatch_ftrace_enabled"), "{{instance}}")],
        mappings: goodBad("Enabled", "Disabled"),
        noValue: UNKNOWN,
      }),
    )
    .withPanel(
      statPanel({
        title: "Signed patches only",
        description:
          "Whether only signed patch modules can be loaded (sig_enforce or lockdown integrity/confidentiality).",
        unit: "none",
        w: 4,
        h: 4,
        targets: [current(sel("livepatch_ready_signed_patches_only"), "{{instance}}")],
        mappings: valueText({ "1": ["Signed only", "blue"], "0": ["Unsigned allowed", "text"] }),
        noValue: UNKNOWN,
      }),
    );

  // Kernel and OS.
  builder.withRow(new RowBuilder("Kernel and OS")).withPanel(
    tablePanel({
      title: "Kernel",
      description:
        "The running kernel's release and build, the OS (os-release), when the host booted, the newest installed kernel of the same flavour (a different one means a reboot would change the kernel), and where the build configuration was read.",
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
      columns: ["instance", "OS", "Kernel release", "Build", "machine", "Booted", "Newest installed", "Configuration"],
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
  );

  // Reboot.
  builder
    .withRow(new RowBuilder("Reboot"))
    .withPanel(
      tablePanel({
        title: "Reboot reasons",
        description:
          "Each reason a reboot may be required, and how long it has been present (from the sentinel file's or the new kernel's modification time). A reason that could not be checked has no row. LivepatchRebootRequired fires after 3 days unless a vendor client vouches for the kernel.",
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
    )
    .withPanel(
      statPanel({
        title: "Packages asking for a reboot",
        description: "Number of packages listed in /run/reboot-required.pkgs (Debian and Ubuntu).",
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
    );

  // Exporter.
  builder
    .withRow(new RowBuilder("Exporter"))
    .withPanel(
      stateTimelinePanel({
        title: "Collector success",
        description:
          "Whether each collector produced its facts in each scrape. A failing collector's metrics are missing; the rest of the scrape is served.",
        unit: "none",
        w: 12,
        h: 7,
        targets: [series(sel("livepatch_scrape_collector_success"), "{{instance}} {{collector}}")],
        mappings: goodBad("ok", "failed"),
        noValue: "Not scraped",
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Collector duration",
        description: "Time each collector took per scrape (timeout: --collector.timeout).",
        unit: "s",
        w: 12,
        h: 7,
        targets: [series(sel("livepatch_scrape_collector_duration_seconds"), "{{instance}} {{collector}}")],
        noValue: "Not scraped",
      }),
    )
    .withPanel(
      tablePanel({
        title: "What the exporter could not read",
        description:
          "Host facts the exporter could not determine (their series are absent, not 0) and the files each collector could not use, with the reason. Count is 1 for a fact and the number of files for a collector.",
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
    )
    .withPanel(
      timeSeriesPanel({
        title: "Scrape duration",
        description: "How long Prometheus' scrape of the exporter took (scrape_duration_seconds).",
        unit: "s",
        w: 6,
        h: 6,
        targets: [series(sel("scrape_duration_seconds"), "{{instance}}")],
        noValue: "Not scraped",
      }),
    )
    .withPanel(
      timeSeriesPanel({
        title: "Exporter CPU",
        description:
          "CPU used by the exporter process, as a share of one core (empty with --web.disable-exporter-metrics).",
        unit: "percentunit",
        w: 6,
        h: 6,
        targets: [series(`rate(${sel("process_cpu_seconds_total")}[$__rate_interval])`, "{{instance}}")],
        noValue: "No process metrics (--web.disable-exporter-metrics)",
      }),
    );

  // The opt-in collectors of patched functions (dashboards/src/host-functions.ts).
  builder.withRow(patchedFunctionsRow());

  // Vendor clients: Canonical Livepatch, kpatch, Ksplice, KernelCare report
  // through their own tools, not /sys/kernel/livepatch alone.
  builder.withRow(vendorClientsRow());

  return finish(builder.build());
}

const NO_CLIENT = "No vendor client reports on this host";

function vendorClientsRow(): RowBuilder {
  return collapsedRow("Vendor clients", [
    tablePanel({
      title: "Vendor clients",
      description:
        "What each live patch vendor client (canonical-livepatch, kcarectl, uptrack, kpatch) reports: whether its last run succeeded, its state, when it last ran and how long it took, its fixes, the kernel it says is effectively running, when its coverage of the running kernel ends, and whether it says the pending reboot can wait.",
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
      description:
        "Why a vendor client's last run failed (livepatch_client_error): see the LivepatchClientFailing runbook.",
      unit: "none",
      w: 8,
      h: 6,
      targets: [rows(`max by (job, instance, client, reason) (${sel("livepatch_client_error")} == 1)`)],
      columns: ["instance", "client", "reason"],
      noValue: "No client errors",
    }),
    barsPanel({
      title: "Client patches by state",
      description: "Patches each vendor client reports, by its own state names (applied, ...).",
      unit: "none",
      w: 8,
      h: 6,
      targets: [
        current(
          `max by (job, instance, client, state) (${sel("livepatch_client_patches")})`,
          "{{instance}} {{client}} {{state}}",
        ),
      ],
      noValue: NO_CLIENT,
    }),
    timeSeriesPanel({
      title: "Client runs",
      description: "Vendor client runs per minute, by result (from the livepatch_client_runs_total counter).",
      unit: "opm",
      w: 8,
      h: 6,
      targets: [
        series(
          `sum by (job, instance, client, result) (rate(${sel("livepatch_client_runs_total")}[$__rate_interval])) * 60`,
          "{{instance}} {{client}} {{result}}",
        ),
      ],
      noValue: NO_CLIENT,
    }),
  ]);
}
