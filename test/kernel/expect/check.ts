// `livepatch_exporter check --json` expectations: exit code, verdict and
// readiness, and the exact list of problems (every warn and fail finding).
import assert from "node:assert/strict";
import type { Report } from "../../../src/views/report.js";

export interface CheckExpectation {
  readonly exitCode: 0 | 1 | 2;
  readonly ready: boolean;
  /** Every warn and fail finding, as "level: text", exactly (order free). */
  readonly problems: readonly string[];
  /** Other findings that must be there ("level: text"). */
  readonly includes?: readonly string[];
}

export interface CheckResult {
  readonly rc: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const VERDICT = { 0: "healthy", 1: "problems", 2: "unreadable" } as const;

export function parseReport(result: CheckResult): Report {
  try {
    return JSON.parse(result.stdout) as Report;
  } catch {
    throw new Error(`check --json printed no JSON (rc ${result.rc ?? "?"}):\n${result.stdout}${result.stderr}`);
  }
}

export function findings(report: Report): string[] {
  return report.sections.flatMap((s) => s.findings.map((f) => `${f.level}: ${f.text}`));
}

export function assertCheck(result: CheckResult, expected: CheckExpectation): void {
  const report = parseReport(result);
  const all = findings(report);
  const context = `\nfindings:\n  ${all.join("\n  ")}\nstderr: ${result.stderr}`;
  assert.equal(result.rc, expected.exitCode, `exit code${context}`);
  assert.equal(report.exitCode, expected.exitCode, `report exitCode${context}`);
  assert.equal(report.verdict, VERDICT[expected.exitCode], `verdict${context}`);
  assert.equal(report.ready, expected.ready, `ready${context}`);
  const problems = all.filter((f) => f.startsWith("warn: ") || f.startsWith("fail: "));
  assert.deepEqual(problems.sort(), [...expected.problems].sort(), `problems${context}`);
  for (const wanted of expected.includes ?? [])
    assert.ok(all.includes(wanted), `missing finding "${wanted}"${context}`);
}
