// `livepatch_exporter check --json` expectations: exit code, verdict and
// readiness, and the exact list of problems (every warn and fail finding), by
// their stable keys: "level id" or "level id subject" (docs/check-json.md).
// Wording is checked only where it is the point (`texts`).
import assert from "node:assert/strict";
import type { FindingJson, ReportJson } from "../../../src/views/check-json.js";

export interface CheckExpectation {
  readonly exitCode: 0 | 1 | 2;
  readonly ready: boolean;
  /** Every warn and fail finding, as "level id[ subject]", exactly (order free). */
  readonly problems: readonly string[];
  /** Other findings that must be there, as "level id[ subject]". */
  readonly includes?: readonly string[];
  /** Findings that must be there with exactly this text, as "level: text". */
  readonly texts?: readonly string[];
  /** Lines of a finding's details that must be there, as "id: line". */
  readonly details?: readonly string[];
}

export interface CheckResult {
  readonly rc: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

const VERDICT = { 0: "healthy", 1: "problems", 2: "unreadable" } as const;

export function parseReport(result: CheckResult): ReportJson {
  try {
    return JSON.parse(result.stdout) as ReportJson;
  } catch {
    throw new Error(`check --json printed no JSON (rc ${result.rc ?? "?"}):\n${result.stdout}${result.stderr}`);
  }
}

/** "fail no_transition_in_progress lp_busy" */
export function findingKey(f: FindingJson): string {
  return f.subject === null ? `${f.level} ${f.id}` : `${f.level} ${f.id} ${f.subject}`;
}

export function assertCheck(result: CheckResult, expected: CheckExpectation): void {
  const report = parseReport(result);
  const keys = report.findings.map(findingKey);
  const texts = report.findings.map((f) => `${f.level}: ${f.text}`);
  const context = `\nheadline: ${report.headline}\nfindings:\n  ${report.findings.map((f) => `${findingKey(f)} | ${f.text}`).join("\n  ")}\nstderr: ${result.stderr}`;
  assert.equal(report.schemaVersion, 1, `schemaVersion${context}`);
  assert.equal(result.rc, expected.exitCode, `exit code${context}`);
  assert.equal(report.exitCode, expected.exitCode, `report exitCode${context}`);
  assert.equal(report.verdict, VERDICT[expected.exitCode], `verdict${context}`);
  assert.equal(report.ready, expected.ready, `ready${context}`);
  const problems = report.findings.filter((f) => f.level === "warn" || f.level === "fail").map(findingKey);
  assert.deepEqual([...problems].sort(), [...expected.problems].sort(), `problems${context}`);
  for (const wanted of expected.includes ?? [])
    assert.ok(keys.includes(wanted), `missing finding "${wanted}"${context}`);
  for (const wanted of expected.texts ?? []) assert.ok(texts.includes(wanted), `missing text "${wanted}"${context}`);
  const details = report.findings.flatMap((f) => f.details.map((d) => `${f.id}: ${d}`));
  for (const wanted of expected.details ?? [])
    assert.ok(details.includes(wanted), `missing detail "${wanted}"${context}\ndetails:\n  ${details.join("\n  ")}`);
}
