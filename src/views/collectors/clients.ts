// The metrics of every vendor client collector (one view for all five):
// what the client's last background run said, in one vocabulary, and whether
// a required reboot can wait (derived with the reboot facts).
import type { ClientFacts } from "../../collectors/client.js";
import { CLIENT_ERROR_REASONS } from "../../clients/definition.js";
import { PATCH_STATES, type PatchState } from "../../clients/view.js";
import { CANONICAL_LIVEPATCH_STATES, CANONICAL_SUPPORT_STATES } from "../../parse/clients/canonical-livepatch.js";
import { KERNELCARE_STATES } from "../../parse/clients/kernelcare.js";
import { KLP_STATES } from "../../parse/clients/klp.js";
import { bool, defineView, listed, spec } from "../view.js";

/** Said in the HELP of every value that comes from a client run. */
const BACKGROUND =
  "From the client's last background run (every --collector.clients.interval minutes, default 5), not from this scrape.";

const PATCH_STATE_NOTES: Readonly<Partial<Record<PatchState, string>>> = {
  not_loaded: "installed for the running kernel, not loaded",
  available: "offered, not installed",
};

const METRICS = {
  livepatch_client_up: spec(
    ["client"],
    `Whether the client's last run succeeded and its output was understood (1) or not (0; see livepatch_client_error). ${BACKGROUND}`,
    "the client's commands",
    "no run has finished yet",
  ),
  livepatch_client_last_run_timestamp_seconds: spec(
    ["client"],
    `When the client's last run finished, in seconds since the epoch: the age of every livepatch_client_* value. ${BACKGROUND}`,
    "exporter",
    "no run has finished yet",
  ),
  livepatch_client_last_run_duration_seconds: spec(
    ["client"],
    `How long the client's last run took, in seconds. ${BACKGROUND}`,
    "exporter",
    "no run has finished yet",
  ),
  livepatch_client_run_interval_seconds: spec(
    ["client"],
    "Seconds between the client's background runs (--collector.clients.interval or --collector.<client>.interval); values older than this are stale.",
    "flags",
    "never, while the client is enabled",
  ),
  livepatch_client_error: spec(
    ["client", "reason"],
    `1 for the reason the client's last run failed: ${listed(CLIENT_ERROR_REASONS)}. ${BACKGROUND}`,
    "the client's exit status and output",
    "the last run succeeded, or no run has finished yet",
  ),
  livepatch_client_runs_total: spec(
    ["client", "result"],
    "Client runs since the exporter started, by result: success (from the start, at 0) or the reason of the failure (as livepatch_client_error), which has a series from the first run that failed for it.",
    "exporter",
    "never, while the client is enabled",
    "counter",
  ),
  livepatch_client_patches: spec(
    ["client", "state"],
    `Patches the client reports, by state: ${listed(PATCH_STATES, PATCH_STATE_NOTES)}; each client reports the states it can tell apart. ${BACKGROUND}`,
    "canonical-livepatch status, kpatch list, klp/kgr -v patches, uptrack-show, kcarectl --patch-info",
    "the last run failed, or the client's output does not say (Canonical needs-check, check-failed, unknown)",
  ),
  livepatch_client_fixes: spec(
    ["client"],
    `Number of fixes (CVEs) the client reports applied to the running kernel; Ksplice known-exploit detectors are not fixes (see livepatch_client_exploit_detections). ${BACKGROUND}`,
    "canonical-livepatch Fixes, klp/kgr CVE, uptrack-show, kcarectl kpatch-cve",
    "the last run failed, or the client has no CVE data (kpatch)",
  ),
  livepatch_client_state: spec(
    ["client", "state"],
    `The client's own state: the current state only, value 1 (one series per client; the vendor's other states are not served as 0). The state label's values include Canonical Livepatch.State (${listed(CANONICAL_LIVEPATCH_STATES)}; a value Canonical adds passes through, in lower case), klp, kgr and kpatch ${KLP_STATES.join("/")}, KernelCare ${KERNELCARE_STATES.join("/")}. ${BACKGROUND}`,
    "canonical-livepatch status, kpatch list, klp/kgr status, kcarectl --info",
    "the last run failed, the client has no state (Ksplice), or it did not print one",
  ),
  livepatch_client_support_state: spec(
    ["client", "state"],
    `Whether the vendor covers the running kernel: the current state only, value 1 (one series per client; the vendor's other states are not served as 0). The state label's values include Canonical's Supported (${listed(CANONICAL_SUPPORT_STATES)}; unsupported also when the client answers that the kernel is not eligible; a value Canonical adds passes through, in lower case), KernelCare supported (a patch built for the kernel is applied) or unsupported ("Unknown kernel, no patches available"). The client is up in every case: an unsupported kernel is a state, not a failure. ${BACKGROUND}`,
    "canonical-livepatch status (Supported), kcarectl --info",
    "the last run failed, the client has no such notion (kpatch, klp, kgr, Ksplice), or it did not say (KernelCare without an applied patch)",
  ),
  livepatch_client_exploit_detections: spec(
    ["client"],
    `Number of CVEs for which the client installed a known-exploit detector (Ksplice "Known exploit detection for CVE-…"): it reports exploitation attempts but does not fix the CVE, so these are not in livepatch_client_fixes. ${BACKGROUND}`,
    "uptrack-show",
    "the last run failed, or the client has no such updates (all but Ksplice)",
  ),
  livepatch_client_effective_kernel_info: spec(
    ["client", "release"],
    `A metric with a constant '1' value naming the kernel version the running kernel is patched up to (Ksplice, KernelCare). ${BACKGROUND}`,
    "uptrack-show, kcarectl --info (kpatch-description)",
    "the last run failed, or the client does not report one",
  ),
  livepatch_client_coverage_end_timestamp_seconds: spec(
    ["client"],
    `When the vendor's live patch coverage of the running kernel ends (Canonical UpgradeRequiredDate, 00:00 UTC), in seconds since the epoch. ${BACKGROUND}`,
    "canonical-livepatch status (UpgradeRequiredDate)",
    "the last run failed, or the client gives no date",
  ),
  livepatch_client_fix_info: spec(
    ["client", "fix", "patched"],
    `A metric with a constant '1' value for each fix (CVE) the client lists, patched true or false (opt-in: --collector.clients.fix-info; at most --collector.clients.fix-info-limit per client, by name). ${BACKGROUND}`,
    "canonical-livepatch Fixes, klp/kgr CVE, uptrack-show, kcarectl kpatch-cve",
    "the flag is off, the last run failed, or the client has no CVE data",
  ),
  livepatch_reboot_can_wait: spec(
    ["client"],
    `With a reboot required (livepatch_reboot_required): 1 when the reboot is only for the kernel (newer kernel, removed modules, or /run/reboot-required.pkgs listing only linux-image*/linux-base*) and this client says the running kernel is covered and every patch available for it is applied (Canonical, as Ubuntu Pro decides: Supported supported, State applied or nothing-to-apply, coverage not ended), so the reboot can wait; 0 otherwise (other clients make no coverage statement). ${BACKGROUND}`,
    "reboot facts and the client's last run",
    "no reboot is required, or the client's last run failed or has not finished",
  ),
} as const;

export const clientView = defineView(METRICS, (sink, facts: ClientFacts, derived) => {
  const client = facts.client;
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
  // Vendor enums, open-ended and the vendor's to extend: only the current state is served, not a 0 per other state.
  if (view.state !== undefined) sink.emit("livepatch_client_state", { client, state: view.state }, 1);
  if (view.supportState !== undefined) {
    sink.emit("livepatch_client_support_state", { client, state: view.supportState }, 1);
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
  const wait = derived.rebootCanWait[client];
  if (wait !== undefined) sink.fact("livepatch_reboot_can_wait", { client }, wait, bool, `${client}_reboot_can_wait`);
});
