// The `check` report as terminal text: every section with its findings, then
// the problems most severe first with their runbooks, what is fine, and the
// verdict last, where the eye lands when the command returns.
import type { Finding, Level, Report } from "./report.js";

const MARK: Readonly<Record<Level, string>> = { ok: "[ ok ]", info: "[info]", warn: "[WARN]", fail: "[FAIL]" };
const INDENT = "         ";

export function reportText(report: Report): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    lines.push(section.title);
    for (const f of section.findings) lines.push(...findingLines(f, false));
    lines.push("");
  }
  if (report.problems.length > 0) {
    lines.push("Needs attention, most severe first");
    for (const f of report.problems) lines.push(...findingLines(f, true));
    lines.push("");
  }
  if (report.fine.length > 0) lines.push(`Fine: ${report.fine.join("; ")}.`);
  lines.push(`Verdict: ${report.verdict} (exit ${report.exitCode}). ${report.headline}`);
  return `${lines.join("\n")}\n`;
}

function findingLines(f: Finding, withRunbook: boolean): string[] {
  const lines = [`  ${MARK[f.level]} ${f.text}`, ...f.details.map((d) => `${INDENT}${d}`)];
  if (withRunbook && f.runbook !== undefined) lines.push(`${INDENT}runbook: ${f.runbook}`);
  return lines;
}
