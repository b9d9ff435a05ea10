// Where a problem's runbook is: a section of docs/runbooks.md, at the same
// address the alert rules' runbook_url annotations use (one base for both; a
// test checks they agree and that every anchor exists). The landing page and
// `check` link there, so the link works from any browser, whatever machine
// the exporter runs on; a fork that publishes its docs elsewhere changes this
// one constant together with the rules.
export const RUNBOOKS_URL = "https://github.com/livepatch-exporter/livepatch_exporter/blob/main/docs/runbooks.md";

/** Sections of docs/runbooks.md ("## <Name>"), one per alert. */
export type RunbookAnchor =
  | "LivepatchTransitionNotCompleting"
  | "LivepatchTransitionForced"
  | "LivepatchModuleLoadRefused"
  | "LivepatchKernelLogUnreadable"
  | "LivepatchNotReady"
  | "LivepatchPatchDisabled"
  | "LivepatchModuleWithoutPatch"
  | "LivepatchFtraceDisabled"
  | "LivepatchFunctionNotRedirected"
  | "LivepatchNewKernelTaint"
  | "LivepatchRebootRequired"
  | "LivepatchCollectorFailing"
  | "LivepatchClientFailing";

/** GitHub's anchor for a "## Name" heading is the name in lower case. */
export function runbookUrl(anchor: RunbookAnchor): string {
  return `${RUNBOOKS_URL}#${anchor.toLowerCase()}`;
}
