// Every metric this exporter can expose: name, type, labels, help, where the
// value comes from and when the series is absent. docs/metrics.md is
// generated from this table (npm run docs:metrics) and a test keeps the two in
// step; the samples view can only emit names and labels declared here.
import type { CollectorName } from "../collectors/types.js";

export interface MetricSpec {
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly labels: readonly string[];
  /** The collector that produces it, "exporter" for self metrics, "clients" for every vendor client collector. */
  readonly collector: CollectorName | "exporter" | "clients";
  readonly source: string;
  readonly absentWhen: string;
}

/** Said in the HELP of every value that comes from a client run. */
const BACKGROUND =
  "From the client's last background run (every --collector.clients.interval minutes, default 5), not from this scrape.";

const spec = <const L extends readonly string[]>(
  collector: MetricSpec["collector"],
  labels: L,
  help: string,
  source: string,
  absentWhen: string,
  type: MetricSpec["type"] = "gauge",
) => ({ type, help, labels, collector, source, absentWhen });

export const METRICS = {
  // Exporter self-observation.
  livepatch_exporter_build_info: spec(
    "exporter",
    ["version", "revision", "nodejs_version"],
    "A metric with a constant '1' value labeled by the exporter's version, git revision and Node.js version.",
    "package.json, build",
    "never",
  ),
  livepatch_exporter_web_config_reload_success: spec(
    "exporter",
    [],
    "Whether the last reading of --web.config.file (at start or after the file or a certificate it names changed) was valid and is in force (1), or was invalid and the previous configuration is still in force (0).",
    "--web.config.file",
    "--web.config.file is not set",
  ),
  livepatch_exporter_web_config_last_reload_success_timestamp_seconds: spec(
    "exporter",
    [],
    "When the web configuration in force was read, in seconds since the epoch.",
    "--web.config.file",
    "--web.config.file is not set",
  ),
  livepatch_exporter_http_requests_rejected_total: spec(
    "exporter",
    ["reason"],
    "HTTP requests refused before reaching an endpoint, by reason: max_requests (503, --web.max-requests), rate_limit (429, rate_limit of the web config), unauthorized (401, basic authentication), request_body (413).",
    "exporter",
    "never",
    "counter",
  ),
  livepatch_scrape_collector_success: spec(
    "exporter",
    ["collector"],
    "Whether the collector produced its facts in this scrape (1) or failed (0).",
    "exporter",
    "the collector is disabled",
  ),
  livepatch_scrape_collector_duration_seconds: spec(
    "exporter",
    ["collector"],
    "Time the collector took in this scrape, in seconds.",
    "exporter",
    "the collector is disabled",
  ),
  livepatch_scrape_collector_file_errors: spec(
    "exporter",
    ["collector", "reason"],
    "Files the collector could not use in this scrape, by reason (unreadable, too_large, io_error, invalid). Missing files the kernel does not provide are not errors.",
    "exporter",
    "no file failed for that reason",
  ),
  livepatch_fact_unavailable: spec(
    "exporter",
    ["name", "reason"],
    "1 for each host fact the exporter could not determine in this scrape, with the reason (unreadable, not_mounted, not_found, invalid, ...); its own series are then absent, not 0.",
    "exporter",
    "the fact is known",
  ),

  // livepatch collector
  livepatch_sysfs_present: spec(
    "livepatch",
    [],
    "Whether /sys/kernel/livepatch exists, i.e. the live patching core is built in and initialised (1) or not (0).",
    "/sys/kernel/livepatch",
    "sysfs is not available",
  ),
  livepatch_patches: spec(
    "livepatch",
    [],
    "Number of live patches listed in /sys/kernel/livepatch.",
    "/sys/kernel/livepatch/*",
    "sysfs is not available",
  ),
  livepatch_patch_enabled: spec(
    "livepatch",
    ["patch"],
    "The patch's enabled attribute: 1 is the target state 'applied' (set at the start of a patching transition), 0 disabled or being unpatched.",
    "/sys/kernel/livepatch/<patch>/enabled",
    "the attribute is unreadable",
  ),
  livepatch_patch_transition: spec(
    "livepatch",
    ["patch"],
    "The patch's transition attribute: 1 while this patch is the one in transition.",
    "/sys/kernel/livepatch/<patch>/transition",
    "the kernel has no transition attribute (before 4.12) or it is unreadable",
  ),
  livepatch_patch_replace: spec(
    "livepatch",
    ["patch"],
    "The patch's replace attribute: 1 for a cumulative atomic-replace patch.",
    "/sys/kernel/livepatch/<patch>/replace",
    "the kernel has no replace attribute (before 6.11) or it is unreadable",
  ),
  livepatch_patch_stack_order: spec(
    "livepatch",
    ["patch"],
    "The patch's position in the patch stack, 1-based; a higher value was applied later and wins.",
    "/sys/kernel/livepatch/<patch>/stack_order",
    "the kernel has no stack_order attribute (before 6.14) or it is unreadable",
  ),
  livepatch_patch_state: spec(
    "livepatch",
    ["patch", "state"],
    "The patch's state as a state set: applied (enabled, no transition), patching, unpatching, disabled (listed but off, kernels up to 5.0).",
    "enabled, transition, /sys/module/<patch>/initstate",
    "enabled or transition is unreadable",
  ),
  livepatch_object_patched: spec(
    "livepatch",
    ["patch", "object"],
    "The object's patched attribute: 1 when the patch's code redirection is installed for vmlinux or the module.",
    "/sys/kernel/livepatch/<patch>/<object>/patched",
    "the kernel has no patched attribute (before 6.1) or it is unreadable",
  ),
  livepatch_object_functions: spec(
    "livepatch",
    ["patch", "object"],
    "Number of functions the patch replaces in this object.",
    "/sys/kernel/livepatch/<patch>/<object>/<function,sympos>/",
    "the patch vanished while being read",
  ),
  livepatch_modules_without_patch: spec(
    "livepatch",
    [],
    "Number of loaded live patch modules (taint K) that have no patch in /sys/kernel/livepatch: disabled patches kept loaded (5.1+) or failed loads.",
    "/proc/modules, /sys/kernel/livepatch",
    "/proc/modules is unreadable or the kernel has no modules",
  ),
  livepatch_module_without_patch: spec(
    "livepatch",
    ["module", "state"],
    "1 for each loaded live patch module (taint K) without a patch in /sys/kernel/livepatch; state is the module's (live, loading, unloading).",
    "/proc/modules, /sys/kernel/livepatch",
    "there is no such module",
  ),

  // transition collector
  livepatch_transition_in_progress: spec(
    "transition",
    [],
    "Whether a live patch transition is in progress (1) or not (0).",
    "/sys/kernel/livepatch/*/transition",
    "the livepatch collector failed, or a patch's state is unknown so no answer would be true (the transition collector then fails)",
  ),
  livepatch_transition_info: spec(
    "transition",
    ["patch", "direction"],
    "1 for the patch in transition, with its direction (patching or unpatching).",
    "/sys/kernel/livepatch/<patch>/{enabled,transition}",
    "no transition is in progress",
  ),
  livepatch_transition_threads: spec(
    "transition",
    ["state"],
    "Threads seen during the transition, by patch_state: patched, unpatched, idle, unreadable.",
    "/proc/*/task/*/patch_state",
    "no transition is in progress",
  ),
  livepatch_transition_blocking_threads: spec(
    "transition",
    ["patch"],
    "Threads whose patch_state is not yet the transition's target, so the transition cannot complete.",
    "/proc/*/task/*/patch_state",
    "no transition is in progress, or some threads were unreadable, or the walk was truncated (see livepatch_fact_unavailable)",
  ),
  livepatch_transition_scan_truncated: spec(
    "transition",
    [],
    "Whether the thread walk stopped at --collector.transition.max-threads (1) or saw every thread (0).",
    "/proc/*/task/*",
    "no transition is in progress",
  ),
  livepatch_transition_blocking_thread_info: spec(
    "transition",
    ["patch", "pid", "tid", "comm"],
    "1 for each thread blocking the transition (opt-in: --collector.transition.blocking-threads; at most --collector.transition.blocking-threads-limit).",
    "/proc/<pid>/task/<tid>/{patch_state,comm}",
    "the flag is off, or no thread blocks",
  ),

  // taint collector
  livepatch_kernel_tainted: spec(
    "taint",
    [],
    "Raw value of the kernel taint bitmask.",
    "/proc/sys/kernel/tainted",
    "the file is unreadable",
  ),
  livepatch_kernel_taint_flag: spec(
    "taint",
    ["bit", "flag", "name"],
    "Whether each upstream taint bit (0-19) is set (1) or not (0). Taint is sticky: K means a live patch module was loaded since boot, not that one is active.",
    "/proc/sys/kernel/tainted",
    "the file is unreadable",
  ),
  livepatch_kernel_taint_unknown_bit: spec(
    "taint",
    ["bit"],
    "1 for each set taint bit that the upstream table does not name (RHEL and SUSE use bits 27-31).",
    "/proc/sys/kernel/tainted",
    "no such bit is set",
  ),
  livepatch_modules_tainted: spec(
    "taint",
    ["flag"],
    "Number of loaded modules whose own taint includes this letter.",
    "/proc/modules",
    "/proc/modules is unreadable",
  ),

  // modules collector
  livepatch_modules_supported: spec(
    "modules",
    [],
    "Whether the kernel supports loadable modules at all (CONFIG_MODULES).",
    "/proc/sys/kernel/modules_disabled, /proc/modules",
    "both files are unreadable",
  ),
  livepatch_modules_disabled: spec(
    "modules",
    [],
    "The modules_disabled sysctl: 1 means no module can be loaded or unloaded until reboot.",
    "/proc/sys/kernel/modules_disabled",
    "the kernel has no module support, or the file is unreadable",
  ),
  livepatch_modules_loaded: spec(
    "modules",
    [],
    "Number of loaded modules.",
    "/proc/modules",
    "the kernel has no module support, or the file is unreadable",
  ),
  livepatch_module_sig_enforce: spec(
    "modules",
    [],
    "Module signature enforcement (sig_enforce Y=1, N=0): only signed modules load when 1.",
    "/sys/module/module/parameters/sig_enforce",
    "the kernel has no module signing (CONFIG_MODULE_SIG), or the file is unreadable",
  ),
  livepatch_lockdown_mode: spec(
    "modules",
    ["mode"],
    "Kernel lockdown mode as a state set (none, integrity, confidentiality); integrity and above reject unsigned modules.",
    "/sys/kernel/security/lockdown",
    "securityfs is not mounted, the lockdown LSM is not built, or the file is unreadable (see livepatch_fact_unavailable)",
  ),
  livepatch_ftrace_enabled: spec(
    "modules",
    [],
    "The ftrace_enabled sysctl; live patches ride on ftrace (before 5.5, 0 silently voids applied patches).",
    "/proc/sys/kernel/ftrace_enabled",
    "the kernel has no function tracer, or the file is unreadable",
  ),

  // kernel collector
  livepatch_kernel_info: spec(
    "kernel",
    ["release", "version", "machine"],
    "A metric with a constant '1' value labeled by the running kernel's release, build version string and machine.",
    "/proc/sys/kernel/{osrelease,version,arch}",
    "osrelease is unreadable",
  ),
  livepatch_os_info: spec(
    "kernel",
    ["id", "id_like", "name", "pretty_name", "version", "version_id", "version_codename"],
    "A metric with a constant '1' value labeled by the host's os-release fields.",
    "<rootfs>/etc/os-release, <rootfs>/usr/lib/os-release",
    "neither file is readable",
  ),
  livepatch_boot_time_seconds: spec(
    "kernel",
    [],
    "Boot time of the host, in seconds since the epoch.",
    "/proc/stat (btime)",
    "/proc/stat is unreadable",
  ),
  livepatch_kernel_config_info: spec(
    "kernel",
    ["source", "path"],
    "A metric with a constant '1' value naming where the kernel build configuration was read (proc_config_gz, boot, lib_modules).",
    "/proc/config.gz, <rootfs>/boot/config-<release>, <rootfs>/lib/modules/<release>/config",
    "no configuration was found (see livepatch_fact_unavailable)",
  ),
  livepatch_kernel_config_option: spec(
    "kernel",
    ["option"],
    "Whether a kernel build option that matters for live patching is set (y or m: 1; not set: 0). CONFIG_HAVE_* options only say the architecture could.",
    "the kernel configuration",
    "no configuration was found",
  ),

  // reboot collector
  livepatch_reboot_required: spec(
    "reboot",
    ["reason"],
    "Whether a reboot is required, one series per reason: reboot_required_file, reboot_needed_file, newer_kernel_installed, running_kernel_modules_missing.",
    "<rootfs>/run/reboot-required, /run/reboot-needed, /lib/modules/*, /boot/vmlinuz-*",
    "the reason could not be checked (see livepatch_fact_unavailable)",
  ),
  livepatch_reboot_required_timestamp_seconds: spec(
    "reboot",
    ["reason"],
    "When the reboot reason appeared (modification time of the sentinel file, of the newer kernel's modules, or of /lib/modules when the running kernel's were removed), in seconds since the epoch.",
    "<rootfs>/run/reboot-required, /run/reboot-needed, /lib/modules/<newest>, /lib/modules",
    "the reason is not present or its time is unknown",
  ),
  livepatch_reboot_required_packages: spec(
    "reboot",
    [],
    "Number of packages listed in /run/reboot-required.pkgs.",
    "<rootfs>/run/reboot-required.pkgs",
    "the file does not exist",
  ),
  livepatch_kernel_newest_installed_info: spec(
    "reboot",
    ["release"],
    "A metric with a constant '1' value naming the newest installed kernel of the running flavour (in the distribution's version order).",
    "<rootfs>/lib/modules/*, <rootfs>/boot/vmlinuz-*",
    "no kernel list was found",
  ),

  // readiness collector
  livepatch_ready: spec(
    "readiness",
    [],
    "Whether a new live patch could be loaded on this host now (1) or not (0).",
    "livepatch, modules and kernel facts",
    "a check is unknown and none failed",
  ),
  livepatch_ready_check: spec(
    "readiness",
    ["check"],
    "Each readiness check: livepatch_built, sysfs_present, modules_supported, modules_not_disabled, ftrace_enabled.",
    "livepatch, modules and kernel facts",
    "the check's input is unknown, or the check does not apply (modules_not_disabled without module support)",
  ),
  livepatch_ready_signed_patches_only: spec(
    "readiness",
    [],
    "Whether only signed patch modules can be loaded (sig_enforce=Y or lockdown integrity/confidentiality).",
    "sig_enforce, lockdown",
    "sig_enforce or lockdown is unknown",
  ),

  // vendor client collectors: canonical_livepatch, kpatch, klp, kgr, ksplice, kernelcare
  livepatch_client_up: spec(
    "clients",
    ["client"],
    `Whether the client's last run succeeded and its output was understood (1) or not (0; see livepatch_client_error). ${BACKGROUND}`,
    "the client's commands",
    "no run has finished yet",
  ),
  livepatch_client_last_run_timestamp_seconds: spec(
    "clients",
    ["client"],
    `When the client's last run finished, in seconds since the epoch: the age of every livepatch_client_* value. ${BACKGROUND}`,
    "exporter",
    "no run has finished yet",
  ),
  livepatch_client_last_run_duration_seconds: spec(
    "clients",
    ["client"],
    `How long the client's last run took, in seconds. ${BACKGROUND}`,
    "exporter",
    "no run has finished yet",
  ),
  livepatch_client_run_interval_seconds: spec(
    "clients",
    ["client"],
    "Seconds between the client's background runs (--collector.clients.interval or --collector.<client>.interval); values older than this are stale.",
    "flags",
    "never, while the client is enabled",
  ),
  livepatch_client_error: spec(
    "clients",
    ["client", "reason"],
    `1 for the reason the client's last run failed: not_found, permission_denied, daemon_unreachable, not_enabled, exec_failed, exit_status, timeout, output_too_large, unparseable. ${BACKGROUND}`,
    "the client's exit status and output",
    "the last run succeeded, or no run has finished yet",
  ),
  livepatch_client_runs_total: spec(
    "clients",
    ["client", "result"],
    "Client runs since the exporter started, by result: success or the reason of the failure (as livepatch_client_error).",
    "exporter",
    "never, while the client is enabled",
    "counter",
  ),
  livepatch_client_patches: spec(
    "clients",
    ["client", "state"],
    `Patches the client reports, by state: applied, applying, removing, disabled, not_loaded (installed for the running kernel, not loaded), failed, available (offered, not installed); each client reports the states it can tell apart. ${BACKGROUND}`,
    "canonical-livepatch status, kpatch list, klp/kgr -v patches, uptrack-show, kcarectl --patch-info",
    "the last run failed, or the client's output does not say (Canonical needs-check, check-failed, unknown)",
  ),
  livepatch_client_fixes: spec(
    "clients",
    ["client"],
    `Number of fixes (CVEs) the client reports applied to the running kernel; Ksplice known-exploit detectors are not fixes (see livepatch_client_exploit_detections). ${BACKGROUND}`,
    "canonical-livepatch Fixes, klp/kgr CVE, uptrack-show, kcarectl kpatch-cve",
    "the last run failed, or the client has no CVE data (kpatch)",
  ),
  livepatch_client_state: spec(
    "clients",
    ["client", "state"],
    `The client's own state as a state set: Canonical Livepatch.State (applied, apply-failed, unapplied, needs-check, nothing-to-apply, unknown, check-failed, applied-with-bug, kernel-upgrade-required), klp, kgr and kpatch ready/in_progress, KernelCare applied/unpatched/unknown. ${BACKGROUND}`,
    "canonical-livepatch status, kpatch list, klp/kgr status, kcarectl --info",
    "the last run failed, the client has no state (Ksplice), or it did not print one",
  ),
  livepatch_client_support_state: spec(
    "clients",
    ["client", "state"],
    `Whether the vendor covers the running kernel, as a state set: Canonical's Supported (supported, kernel-upgrade-required, kernel-end-of-life, unsupported, unknown; unsupported also when the client answers that the kernel is not eligible), KernelCare supported (a patch built for the kernel is applied) or unsupported ("Unknown kernel, no patches available"). The client is up in every case: an unsupported kernel is a state, not a failure. ${BACKGROUND}`,
    "canonical-livepatch status (Supported), kcarectl --info",
    "the last run failed, the client has no such notion (kpatch, klp, kgr, Ksplice), or it did not say (KernelCare without an applied patch)",
  ),
  livepatch_client_exploit_detections: spec(
    "clients",
    ["client"],
    `Number of CVEs for which the client installed a known-exploit detector (Ksplice "Known exploit detection for CVE-…"): it reports exploitation attempts but does not fix the CVE, so these are not in livepatch_client_fixes. ${BACKGROUND}`,
    "uptrack-show",
    "the last run failed, or the client has no such updates (all but Ksplice)",
  ),
  livepatch_client_effective_kernel_info: spec(
    "clients",
    ["client", "release"],
    `A metric with a constant '1' value naming the kernel version the running kernel is patched up to (Ksplice, KernelCare). ${BACKGROUND}`,
    "uptrack-show, kcarectl --info (kpatch-description)",
    "the last run failed, or the client does not report one",
  ),
  livepatch_client_coverage_end_timestamp_seconds: spec(
    "clients",
    ["client"],
    `When the vendor's live patch coverage of the running kernel ends (Canonical UpgradeRequiredDate, 00:00 UTC), in seconds since the epoch. ${BACKGROUND}`,
    "canonical-livepatch status (UpgradeRequiredDate)",
    "the last run failed, or the client gives no date",
  ),
  livepatch_client_fix_info: spec(
    "clients",
    ["client", "fix", "patched"],
    `A metric with a constant '1' value for each fix (CVE) the client lists, patched true or false (opt-in: --collector.clients.fix-info; at most --collector.clients.fix-info-limit per client, by name). ${BACKGROUND}`,
    "canonical-livepatch Fixes, klp CVE, uptrack-show, kcarectl kpatch-cve",
    "the flag is off, the last run failed, or the client has no CVE data",
  ),
  livepatch_reboot_can_wait: spec(
    "clients",
    ["client"],
    `With a reboot required (livepatch_reboot_required): 1 when the reboot is only for the kernel (newer kernel, removed modules, or /run/reboot-required.pkgs listing only linux-image*/linux-base*) and this client says the running kernel is covered and every patch available for it is applied (Canonical, as Ubuntu Pro decides: Supported supported, State applied or nothing-to-apply, coverage not ended), so the reboot can wait; 0 otherwise (other clients make no coverage statement). ${BACKGROUND}`,
    "reboot facts and the client's last run",
    "no reboot is required, or the client's last run failed or has not finished",
  ),
} as const satisfies Record<string, MetricSpec>;

export type MetricName = keyof typeof METRICS;
export type LabelsOf<N extends MetricName> = (typeof METRICS)[N]["labels"][number];
