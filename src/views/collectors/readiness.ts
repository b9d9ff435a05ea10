// The readiness collector's metrics: whether a new live patch could be loaded
// now, check by check (all derived: src/derive/readiness.ts).
import type { NoFacts } from "../../collectors/types.js";
import { READINESS_CHECKS } from "../../derive/readiness.js";
import { bool, defineView, listed, spec } from "../view.js";

const METRICS = {
  livepatch_ready: spec(
    [],
    "Whether a new live patch could be loaded on this host now (1) or not (0).",
    "livepatch, modules and kernel facts",
    "a check is unknown and none failed",
  ),
  livepatch_ready_check: spec(
    ["check"],
    `Each readiness check: ${listed(READINESS_CHECKS)}.`,
    "livepatch, modules and kernel facts",
    "the check's input is unknown, or the check does not apply (modules_not_disabled without module support, no_transition_in_progress without /sys/kernel/livepatch)",
  ),
  livepatch_ready_signed_patches_only: spec(
    [],
    "Whether only signed patch modules can be loaded (sig_enforce=Y or lockdown integrity/confidentiality).",
    "sig_enforce, lockdown",
    "sig_enforce or lockdown is unknown",
  ),
} as const;

export const readinessView = defineView(METRICS, (sink, _facts: NoFacts, derived) => {
  const facts = derived.readiness;
  if (facts === undefined) return;
  for (const check of READINESS_CHECKS) sink.fact("livepatch_ready_check", { check }, facts.checks[check], bool);
  sink.fact("livepatch_ready", {}, facts.ready, bool);
  sink.fact("livepatch_ready_signed_patches_only", {}, facts.signedPatchesOnly, bool, "signed_patches_only");
});
