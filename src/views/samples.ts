// Snapshot -> metric samples. Pure: no prom-client, no I/O. Only enabled
// collectors are rendered; a fact that is unknown produces no series (and a
// livepatch_fact_unavailable series that says why), never a 0.
import type { Fact } from "../fact.js";
import { CLIENT_NAMES, type ClientName } from "../clients/names.js";
import type { ClientFacts } from "../collectors/client.js";
import { PATCH_STATUSES, type LivepatchFacts } from "../collectors/livepatch.js";
import type { ModulesFacts } from "../collectors/modules.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { RebootFacts } from "../collectors/reboot.js";
import { READINESS_CHECKS, type ReadinessFacts } from "../collectors/readiness.js";
import type { TaintFacts } from "../collectors/taint.js";
import { THREAD_STATES, type TransitionFacts } from "../collectors/transition.js";
import { LOCKDOWN_MODES } from "../parse/lockdown.js";
import { enabledFacts, type Snapshot } from "../snapshot/snapshot.js";
import type { RejectionReason } from "../web/gate.js";
import type { WebConfigStatus } from "../web/reload.js";
import type { LabelsOf, MetricName } from "./catalog.js";

export interface Sample {
  readonly name: MetricName;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

export class SampleSink {
  readonly samples: Sample[] = [];

  emit<N extends MetricName>(name: N, labels: Readonly<Record<LabelsOf<N>, string>>, value: number): void {
    this.samples.push({ name, labels, value });
  }

  /** Emits the fact's value when known; records why when it is not. */
  fact<T, N extends MetricName>(
    name: N,
    labels: Readonly<Record<LabelsOf<N>, string>>,
    fact: Fact<T>,
    toNumber: (value: T) => number,
    unavailableAs?: string,
  ): void {
    if (fact.state === "ok") this.emit(name, labels, toNumber(fact.value));
    else if (fact.state === "unknown" && unavailableAs !== undefined) this.unavailable(unavailableAs, fact.reason);
  }

  unavailable(name: string, reason: string): void {
    this.emit("livepatch_fact_unavailable", { name, reason }, 1);
  }
}

const bool = (value: boolean): number => (value ? 1 : 0);

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

export function snapshotSamples(snapshot: Snapshot, build: BuildInfo): Sample[] {
  const sink = new SampleSink();
  sink.emit("livepatch_exporter_build_info", { ...build, nodejs_version: process.version }, 1);
  for (const run of snapshot.runs) {
    if (!run.enabled) continue;
    sink.emit("livepatch_scrape_collector_success", { collector: run.name }, bool(run.success));
    sink.emit("livepatch_scrape_collector_duration_seconds", { collector: run.name }, run.durationSeconds);
    for (const [reason, count] of run.fileErrors) {
      sink.emit("livepatch_scrape_collector_file_errors", { collector: run.name, reason }, count);
    }
  }
  const livepatch = enabledFacts(snapshot, "livepatch");
  if (livepatch) livepatchSamples(sink, livepatch);
  const transition = enabledFacts(snapshot, "transition");
  if (transition) transitionSamples(sink, transition);
  const taint = enabledFacts(snapshot, "taint");
  if (taint) taintSamples(sink, taint);
  const modules = enabledFacts(snapshot, "modules");
  if (modules) modulesSamples(sink, modules);
  const kernel = enabledFacts(snapshot, "kernel");
  if (kernel) kernelSamples(sink, kernel);
  const reboot = enabledFacts(snapshot, "reboot");
  if (reboot) rebootSamples(sink, reboot);
  const readiness = enabledFacts(snapshot, "readiness");
  if (readiness) readinessSamples(sink, readiness);
  for (const name of CLIENT_NAMES) {
    const client = enabledFacts(snapshot, name);
    if (client) clientSamples(sink, name, client);
  }
  return sink.samples;
}

/** The HTTP front's own state: the web config file and refused requests. */
export interface WebStatus {
  /** undefined without --web.config.file. */
  readonly configFile: WebConfigStatus | undefined;
  readonly rejected: ReadonlyMap<RejectionReason, number>;
}

export function webSamples(status: WebStatus): Sample[] {
  const sink = new SampleSink();
  if (status.configFile !== undefined) {
    sink.emit("livepatch_exporter_web_config_reload_success", {}, bool(status.configFile.lastReloadSuccess));
    sink.emit(
      "livepatch_exporter_web_config_last_reload_success_timestamp_seconds",
      {},
      status.configFile.lastSuccessAtMs / 1000,
    );
  }
  for (const [reason, count] of status.rejected) {
    sink.emit("livepatch_exporter_http_requests_rejected_total", { reason }, count);
  }
  return sink.samples;
}

function livepatchSamples(sink: SampleSink, facts: LivepatchFacts): void {
  sink.emit("livepatch_sysfs_present", {}, bool(facts.sysfsPresent));
  sink.emit("livepatch_patches", {}, facts.patches.length);
  for (const patch of facts.patches) {
    const labels = { patch: patch.name };
    sink.fact("livepatch_patch_enabled", labels, patch.enabled, bool);
    sink.fact("livepatch_patch_transition", labels, patch.transition, bool);
    sink.fact("livepatch_patch_replace", labels, patch.replace, bool);
    sink.fact("livepatch_patch_stack_order", labels, patch.stackOrder, (n) => n);
    if (patch.status.state === "ok") {
      const current = patch.status.value;
      for (const state of PATCH_STATUSES)
        sink.emit("livepatch_patch_state", { patch: patch.name, state }, bool(state === current));
    }
    for (const object of patch.objects) {
      const objectLabels = { patch: patch.name, object: object.name };
      sink.fact("livepatch_object_patched", objectLabels, object.patched, bool);
      sink.fact("livepatch_object_functions", objectLabels, object.functions, (n) => n);
    }
  }
  const orphans = facts.modulesWithoutPatch;
  sink.fact("livepatch_modules_without_patch", {}, orphans, (list) => list.length, "modules_without_patch");
  if (orphans.state === "ok") {
    for (const m of orphans.value) sink.emit("livepatch_module_without_patch", { module: m.module, state: m.state }, 1);
  }
}

function transitionSamples(sink: SampleSink, facts: TransitionFacts): void {
  const active = facts.active;
  sink.emit("livepatch_transition_in_progress", {}, bool(active !== undefined));
  if (active === undefined) return;
  sink.emit("livepatch_transition_info", { patch: active.patch, direction: active.direction }, 1);
  for (const state of THREAD_STATES) sink.emit("livepatch_transition_threads", { state }, active.threads[state]);
  sink.emit("livepatch_transition_scan_truncated", {}, bool(active.truncated));
  sink.fact(
    "livepatch_transition_blocking_threads",
    { patch: active.patch },
    active.blocking,
    (n) => n,
    "transition_blocking_threads",
  );
  for (const t of active.blockers) {
    sink.emit(
      "livepatch_transition_blocking_thread_info",
      { patch: active.patch, pid: String(t.pid), tid: String(t.tid), comm: t.comm },
      1,
    );
  }
}

function taintSamples(sink: SampleSink, facts: TaintFacts): void {
  sink.emit("livepatch_kernel_tainted", {}, Number(facts.value));
  for (const { flag, set } of facts.decoded.flags) {
    sink.emit("livepatch_kernel_taint_flag", { bit: String(flag.bit), flag: flag.letter, name: flag.name }, bool(set));
  }
  for (const bit of facts.decoded.unknownBits) sink.emit("livepatch_kernel_taint_unknown_bit", { bit: String(bit) }, 1);
  if (facts.moduleLetters.state === "ok") {
    for (const [flag, count] of facts.moduleLetters.value) sink.emit("livepatch_modules_tainted", { flag }, count);
  }
}

function modulesSamples(sink: SampleSink, facts: ModulesFacts): void {
  sink.fact("livepatch_modules_supported", {}, facts.supported, bool, "modules_supported");
  sink.fact("livepatch_modules_disabled", {}, facts.disabled, bool, "modules_disabled");
  sink.fact("livepatch_modules_loaded", {}, facts.loaded, (list) => list.length, "proc_modules");
  sink.fact("livepatch_module_sig_enforce", {}, facts.sigEnforce, bool, "module_sig_enforce");
  sink.fact("livepatch_ftrace_enabled", {}, facts.ftraceEnabled, bool, "ftrace_enabled");
  const lockdown = facts.lockdown;
  if (lockdown.state === "ok") {
    const modes = new Set<string>([...LOCKDOWN_MODES, ...lockdown.value.available]);
    for (const mode of modes) sink.emit("livepatch_lockdown_mode", { mode }, bool(mode === lockdown.value.active));
  } else if (lockdown.state === "unknown") {
    sink.unavailable("lockdown", lockdown.reason);
  }
}

function kernelSamples(sink: SampleSink, facts: KernelFacts): void {
  const version = facts.version.state === "ok" ? facts.version.value : "";
  if (facts.version.state === "unknown") sink.unavailable("kernel_version", facts.version.reason);
  sink.emit("livepatch_kernel_info", { release: facts.release, version, machine: facts.machine }, 1);
  sink.fact("livepatch_boot_time_seconds", {}, facts.bootTimeSeconds, (n) => n, "boot_time");
  if (facts.osRelease.state === "ok") {
    const os = facts.osRelease.value;
    const field = (key: string): string => os.get(key) ?? "";
    sink.emit(
      "livepatch_os_info",
      {
        id: field("ID"),
        id_like: field("ID_LIKE"),
        name: field("NAME"),
        pretty_name: field("PRETTY_NAME"),
        version: field("VERSION"),
        version_id: field("VERSION_ID"),
        version_codename: field("VERSION_CODENAME"),
      },
      1,
    );
  } else {
    sink.unavailable("os_release", facts.osRelease.state === "absent" ? "not_found" : facts.osRelease.reason);
  }
  if (facts.config.state === "ok") {
    const config = facts.config.value;
    sink.emit("livepatch_kernel_config_info", { source: config.source, path: config.path }, 1);
    for (const [option, value] of Object.entries(config.options)) {
      sink.emit("livepatch_kernel_config_option", { option }, bool(value === "y" || value === "m"));
    }
  } else {
    sink.unavailable("kernel_config", facts.config.state === "absent" ? "not_found" : facts.config.reason);
  }
}

function rebootSamples(sink: SampleSink, facts: RebootFacts): void {
  for (const [reason, signal] of Object.entries(facts.reasons)) {
    sink.fact("livepatch_reboot_required", { reason }, signal, (s) => bool(s.required), reason);
    if (signal.state === "ok" && signal.value.required && signal.value.sinceSeconds !== undefined) {
      sink.emit("livepatch_reboot_required_timestamp_seconds", { reason }, signal.value.sinceSeconds);
    }
  }
  sink.fact(
    "livepatch_reboot_required_packages",
    {},
    facts.packages,
    (list) => list.length,
    "reboot_required_packages",
  );
  if (facts.newestKernel.state === "ok") {
    sink.emit("livepatch_kernel_newest_installed_info", { release: facts.newestKernel.value }, 1);
  } else if (facts.installedKernels.state !== "ok") {
    sink.unavailable(
      "installed_kernels",
      facts.installedKernels.state === "absent" ? "not_found" : facts.installedKernels.reason,
    );
  }
}

function readinessSamples(sink: SampleSink, facts: ReadinessFacts): void {
  for (const check of READINESS_CHECKS) sink.fact("livepatch_ready_check", { check }, facts.checks[check], bool);
  sink.fact("livepatch_ready", {}, facts.ready, bool);
  sink.fact("livepatch_ready_signed_patches_only", {}, facts.signedPatchesOnly, bool, "signed_patches_only");
}

function clientSamples(sink: SampleSink, client: ClientName, facts: ClientFacts): void {
  sink.emit("livepatch_client_run_interval_seconds", { client }, facts.intervalSeconds);
  for (const [result, count] of facts.runs) sink.emit("livepatch_client_runs_total", { client, result }, count);
  const last = facts.last;
  if (last === undefined) return; // no run has finished yet: nothing is known
  sink.emit("livepatch_client_last_run_timestamp_seconds", { client }, last.finishedAtMs / 1000);
  sink.emit("livepatch_client_last_run_duration_seconds", { client }, last.durationSeconds);
  sink.emit("livepatch_client_up", { client }, bool(last.outcome.ok));
  if (!last.outcome.ok) {
    sink.emit("livepatch_client_error", { client, reason: last.outcome.reason }, 1);
    return;
  }
  const view = last.outcome.view;
  if (view.patches !== undefined) {
    for (const [state, count] of view.patches) sink.emit("livepatch_client_patches", { client, state }, count);
  }
  if (view.fixes !== undefined) {
    sink.emit("livepatch_client_fixes", { client }, view.fixes.filter((f) => f.patched).length);
  }
  if (view.exploitDetections !== undefined) {
    sink.emit("livepatch_client_exploit_detections", { client }, view.exploitDetections.length);
  }
  if (view.state !== undefined) {
    const { current, known } = view.state;
    for (const state of known) sink.emit("livepatch_client_state", { client, state }, bool(state === current));
  }
  if (view.supportState !== undefined) {
    const { current, known } = view.supportState;
    for (const state of known) sink.emit("livepatch_client_support_state", { client, state }, bool(state === current));
  }
  if (view.effectiveKernel !== undefined) {
    sink.emit("livepatch_client_effective_kernel_info", { client, release: view.effectiveKernel }, 1);
  }
  if (view.coverageEndSeconds !== undefined) {
    sink.emit("livepatch_client_coverage_end_timestamp_seconds", { client }, view.coverageEndSeconds);
  }
  for (const fix of facts.fixInfo ?? []) {
    sink.emit("livepatch_client_fix_info", { client, fix: fix.name, patched: String(fix.patched) }, 1);
  }
  sink.fact("livepatch_reboot_can_wait", { client }, facts.rebootCanWait, bool, `${client}_reboot_can_wait`);
}
