// Exporter: collectors that failed (their facts are missing from the report)
// and host collectors that did not run because they are turned off (not a
// failure: their findings are simply not there). Opt-in collectors that were
// not asked for are not listed.
import { isClientName } from "../../clients/names.js";
import { COLLECTOR_NAMES, COLLECTORS } from "../../registry.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, type Finding } from "./finding.js";
import type { SectionResult } from "./section.js";

export function exporterSection(snapshot: Snapshot): SectionResult {
  const findings: Finding[] = snapshot.runs
    .filter((run) => !run.success)
    .map((run) =>
      finding("collector_failed", "fail", `collector ${run.name} failed: ${run.error ?? "unknown error"}`, {
        subject: run.name,
        facts: { collector: run.name, error: run.error ?? null },
      }),
    );
  // A collector read as another's input is not shown in /metrics, but its facts are here. Opt-in
  // collectors are off unless asked for: not being asked for is no news.
  const off = COLLECTOR_NAMES.filter(
    (name) =>
      !isClientName(name) &&
      COLLECTORS[name].collector.optIn !== true &&
      !snapshot.runs.some((run) => run.name === name),
  );
  if (off.length > 0) {
    findings.push(
      finding("collectors_disabled", "info", `not collected (collector turned off): ${off.join(", ")}`, {
        details: ["their findings are not in this report; the check command runs every host collector"],
        facts: { collectors: off },
      }),
    );
  }
  return { findings, fine: [] };
}
