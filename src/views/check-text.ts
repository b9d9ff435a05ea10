// The `check` report as terminal text and as JSON.
import type { Level, Report } from "./report.js";

const MARK: Readonly<Record<Level, string>> = { ok: "[ ok ]", info: "[info]", warn: "[WARN]", fail: "[FAIL]" };

export function reportText(report: Report): string {
  const lines: string[] = [];
  for (const section of report.sections) {
    if (section.findings.length === 0) continue;
    lines.push(section.title);
    for (const f of section.findings) lines.push(`  ${MARK[f.level]} ${f.text}`);
    lines.push("");
  }
  lines.push(`Verdict: ${report.verdict}. ${report.summary}`);
  return `${lines.join("\n")}\n`;
}

export function reportJson(report: Report): string {
  return `${JSON.stringify(report, null, 2)}\n`;
}
