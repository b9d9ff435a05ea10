// Canonical Livepatch (Ubuntu): `canonical-livepatch status --format json`.
// The only vendor that says whether the running kernel is still covered
// (Supported) and until when (UpgradeRequiredDate).
import {
  CANONICAL_LIVEPATCH_STATES,
  CANONICAL_SUPPORT_STATES,
  parseCanonicalStatus,
  type CanonicalKernel,
} from "../parse/clients/canonical-livepatch.js";
import type { ClientDefinition } from "./definition.js";
import { stateSet, uniqueFixes, type ClientFix, type ClientView, type PatchState } from "./view.js";

const PATCH_STATES: readonly PatchState[] = ["applied", "not_loaded", "failed"];

/** Livepatch.State values that say how many patches are in which state; other states say nothing. */
const PATCHES_BY_STATE: Readonly<Record<string, PatchState | "none">> = {
  applied: "applied",
  "applied-with-bug": "applied",
  unapplied: "not_loaded",
  "apply-failed": "failed",
  "nothing-to-apply": "none",
};

const BAD_STATES = new Set(["apply-failed", "check-failed", "applied-with-bug", "kernel-upgrade-required"]);
const BAD_SUPPORT = new Set(["kernel-upgrade-required", "kernel-end-of-life", "unsupported"]);

export const canonicalLivepatch: ClientDefinition = {
  name: "canonical_livepatch",
  title: "Canonical Livepatch",
  usualPaths: ["/snap/bin/canonical-livepatch", "/usr/bin/canonical-livepatch", "/usr/local/bin/canonical-livepatch"],
  commands: [["status", "--format", "json"]],
  failureTexts: [
    [/connection to the daemon failed|livepatchd\.sock|cannot connect to (the )?daemon/i, "daemon_unreachable"],
    [/machine is not enabled/i, "not_enabled"],
  ],
  interpret([output = ""]) {
    const status = parseCanonicalStatus(output);
    if (status === undefined) return undefined;
    const kernel = status.running;
    const details = [
      kernel?.kernel === undefined ? undefined : `kernel ${kernel.kernel}`,
      kernel?.version === undefined ? undefined : `patch version ${kernel.version}`,
      status.clientVersion === undefined ? undefined : `client ${status.clientVersion}`,
      status.tier === undefined ? undefined : `tier ${status.tier}`,
      kernel?.upgradeRequiredDate === undefined ? undefined : `upgrade required by ${kernel.upgradeRequiredDate}`,
    ].filter((d) => d !== undefined);
    if (kernel === undefined) {
      return emptyView(["the status lists no entry for the running kernel"], details);
    }
    const coverageEnd = dateSeconds(kernel.upgradeRequiredDate);
    return {
      patches: patchesOf(kernel.state),
      fixes: fixesOf(kernel),
      state: kernel.state === undefined ? undefined : stateSet(kernel.state, CANONICAL_LIVEPATCH_STATES),
      supportState: kernel.supported === undefined ? undefined : stateSet(kernel.supported, CANONICAL_SUPPORT_STATES),
      effectiveKernel: undefined,
      coverageEndSeconds: coverageEnd,
      coveredAndPatched: kernel.supported === "supported" && kernel.state === "applied",
      problems: [
        kernel.state !== undefined && BAD_STATES.has(kernel.state) ? `livepatch state ${kernel.state}` : undefined,
        kernel.supported !== undefined && BAD_SUPPORT.has(kernel.supported)
          ? `kernel support ${kernel.supported}`
          : undefined,
        kernel.checkState === "check-failed" && kernel.state !== "check-failed"
          ? "the last check-in with the Livepatch server failed"
          : undefined,
      ].filter((p) => p !== undefined),
      details,
    };
  },
};

function patchesOf(state: string | undefined): Map<PatchState, number> | undefined {
  const stateOfPatch = state === undefined ? undefined : PATCHES_BY_STATE[state];
  if (stateOfPatch === undefined) return undefined;
  const counts = new Map<PatchState, number>(PATCH_STATES.map((s) => [s, 0]));
  // Canonical ships one cumulative patch module per kernel.
  if (stateOfPatch !== "none") counts.set(stateOfPatch, 1);
  return counts;
}

function fixesOf(kernel: CanonicalKernel): ClientFix[] | undefined {
  const applied = kernel.state === "applied" || kernel.state === "applied-with-bug";
  if (kernel.fixes === undefined) return kernel.state === "nothing-to-apply" ? [] : undefined;
  // Old text lists have no per-fix Patched: they list the applied patch's fixes.
  return uniqueFixes(kernel.fixes.map((f) => ({ name: f.name, patched: f.patched ?? applied })));
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

function emptyView(problems: string[], details: string[]): ClientView {
  return {
    patches: undefined,
    fixes: undefined,
    state: undefined,
    supportState: undefined,
    effectiveKernel: undefined,
    coverageEndSeconds: undefined,
    coveredAndPatched: false,
    problems,
    details,
  };
}
