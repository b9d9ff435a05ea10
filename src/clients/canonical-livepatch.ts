// Canonical Livepatch (Ubuntu): `canonical-livepatch status --format json`
// (YAML or the human format when the client ignores --format json). The only
// vendor that says whether the running kernel is still covered (Supported)
// and until when (UpgradeRequiredDate).
import {
  loadYamlParser,
  needsYamlParser,
  parseCanonicalStatus,
  parseNotEligible,
  type CanonicalKernel,
} from "../parse/clients/canonical-livepatch.js";
import type { ClientDefinition } from "./definition.js";
import { clientView, uniqueFixes, type ClientFix, type PatchState } from "./view.js";

const PATCH_STATES: readonly PatchState[] = ["applied", "not_loaded", "failed"];

/** Livepatch.State values that say how many patches are in which state; other states say nothing. */
const PATCHES_BY_STATE: Readonly<Record<string, PatchState | "none">> = {
  applied: "applied",
  "applied-with-bug": "applied",
  unapplied: "not_loaded",
  "apply-failed": "failed",
  "nothing-to-apply": "none",
};

/**
 * States in which the patch module the status lists is loaded: a dead branch
 * (kernel-upgrade-required) keeps its last patch, it only gets no new one.
 */
const MODULE_LOADED = new Set(["applied", "applied-with-bug", "kernel-upgrade-required"]);

/** Ubuntu Pro's reboot_required: the reboot can wait when the state is one of these and the kernel is supported. */
const WORKING_STATES = new Set(["applied", "nothing-to-apply"]);

const BAD_STATES = new Set(["apply-failed", "check-failed", "applied-with-bug", "kernel-upgrade-required"]);
const BAD_SUPPORT = new Set(["kernel-upgrade-required", "kernel-end-of-life", "unsupported"]);

/** Coverage that ends within this many days is a problem, as LivepatchCoverageEnding warns. */
const COVERAGE_WARNING_DAYS = 14;
const DAY_MS = 86_400_000;

export const canonicalLivepatch: ClientDefinition = {
  name: "canonical_livepatch",
  title: "Canonical Livepatch",
  usualPaths: ["/snap/bin/canonical-livepatch", "/usr/bin/canonical-livepatch", "/usr/local/bin/canonical-livepatch"],
  commands: [["status", "--format", "json"]],
  failureTexts: [
    [/connection to the daemon failed|livepatchd\.sock|cannot connect to (the )?daemon/i, "daemon_unreachable"],
    [/machine is not enabled/i, "not_enabled"],
  ],
  answer(text) {
    const refused = parseNotEligible(text);
    if (refused === undefined) return undefined;
    return clientView({
      // The client refuses this kernel: no patch can be applied, no CVE is fixed.
      patches: new Map<PatchState, number>(PATCH_STATES.map((s) => [s, 0])),
      fixes: [],
      supportState: "unsupported",
      problems: [`the running kernel ${refused.kernel} is not eligible for Livepatch updates`],
      details: [`kernel ${refused.kernel}`],
    });
  },
  // `--format json` is what clients print; only a client that ignores it needs the YAML parser.
  loadParser: async ([output = ""]) => {
    if (needsYamlParser(output)) await loadYamlParser();
  },
  interpret([output = ""], context) {
    const status = parseCanonicalStatus(output);
    if (status === undefined) return undefined;
    const kernel = status.running;
    const details = [
      `${status.format} status`,
      kernel?.kernel === undefined ? undefined : `kernel ${kernel.kernel}`,
      kernel?.version === undefined ? undefined : `patch version ${kernel.version}`,
      status.clientVersion === undefined ? undefined : `client ${status.clientVersion}`,
      status.tier === undefined ? undefined : `tier ${status.tier}`,
      kernel?.upgradeRequiredDate === undefined ? undefined : `upgrade required by ${kernel.upgradeRequiredDate}`,
    ].filter((d) => d !== undefined);
    if (kernel === undefined) {
      return clientView({ problems: ["the status lists no entry for the running kernel"], details });
    }
    const coverageEnd = dateSeconds(kernel.upgradeRequiredDate);
    return clientView({
      patches: patchesOf(kernel),
      fixes: fixesOf(kernel),
      state: kernel.state,
      supportState: kernel.supported,
      coverageEndSeconds: coverageEnd,
      coveredAndPatched:
        kernel.supported === "supported" && kernel.state !== undefined && WORKING_STATES.has(kernel.state),
      problems: [
        kernel.state !== undefined && BAD_STATES.has(kernel.state) ? `livepatch state ${kernel.state}` : undefined,
        kernel.supported !== undefined && BAD_SUPPORT.has(kernel.supported)
          ? `kernel support ${kernel.supported}`
          : undefined,
        kernel.checkState === "check-failed" && kernel.state !== "check-failed"
          ? "the last check-in with the Livepatch server failed"
          : undefined,
        coverageProblem(coverageEnd, context.nowMs ?? Date.now()),
      ].filter((p) => p !== undefined),
      details,
    });
  },
};

function patchesOf(kernel: CanonicalKernel): Map<PatchState, number> | undefined {
  const state = kernel.state;
  // A dead branch still has its last patch loaded when the status names its version.
  const stateOfPatch =
    state === "kernel-upgrade-required"
      ? kernel.version === undefined
        ? undefined
        : "applied"
      : state === undefined
        ? undefined
        : PATCHES_BY_STATE[state];
  if (stateOfPatch === undefined) return undefined;
  const counts = new Map<PatchState, number>(PATCH_STATES.map((s) => [s, 0]));
  // Canonical ships one cumulative patch module per kernel.
  if (stateOfPatch !== "none") counts.set(stateOfPatch, 1);
  return counts;
}

function fixesOf(kernel: CanonicalKernel): ClientFix[] | undefined {
  const loaded = kernel.state !== undefined && MODULE_LOADED.has(kernel.state);
  if (kernel.fixes === undefined) return kernel.state === "nothing-to-apply" ? [] : undefined;
  // Older lists (a text block of "* cve-…" lines) have no per-fix Patched: they list the loaded patch's fixes.
  return uniqueFixes(kernel.fixes.map((f) => ({ name: f.name, patched: f.patched ?? loaded })));
}

/** A coverage end that has passed, or comes within COVERAGE_WARNING_DAYS. */
function coverageProblem(endSeconds: number | undefined, nowMs: number): string | undefined {
  if (endSeconds === undefined) return undefined;
  const date = new Date(endSeconds * 1000).toISOString().slice(0, 10);
  const days = Math.floor((endSeconds * 1000 - nowMs) / DAY_MS);
  if (endSeconds * 1000 <= nowMs) {
    return `Livepatch coverage of the running kernel ended on ${date}: no new live patches for it; install the kernel update and reboot`;
  }
  if (days < COVERAGE_WARNING_DAYS) {
    return `Livepatch coverage of the running kernel ends on ${date} (in ${days} day(s)): install the kernel update and reboot before then`;
  }
  return undefined;
}

/** "2025-03-07" (midnight UTC) or a full ISO 8601 time; undefined for anything else. */
export function dateSeconds(text: string | undefined): number | undefined {
  if (text === undefined) return undefined;
  const date = /^(\d{4})-(\d{2})-(\d{2})$/.exec(text.trim());
  if (date !== null) {
    const ms = Date.UTC(Number(date[1]), Number(date[2]) - 1, Number(date[3]));
    return Number.isNaN(ms) ? undefined : ms / 1000;
  }
  if (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}(:\d{2}(\.\d+)?)?(Z|[+-]\d{2}:?\d{2})$/.test(text.trim())) return undefined;
  const ms = Date.parse(text.trim());
  return Number.isNaN(ms) ? undefined : Math.floor(ms / 1000);
}
