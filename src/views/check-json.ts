// The `check --json` report: a versioned contract for scripts
// (docs/check-json.md, schema in docs/check-json.schema.json). Every finding
// carries its stable id, level, section, subject, text, details, facts and
// runbook; the problems come first, most severe first, then every other
// finding in section order. Adding a field or an id is compatible; renaming
// or removing one, or changing a meaning, raises CHECK_JSON_SCHEMA_VERSION.
import type { Finding, Report } from "./report.js";

export const CHECK_JSON_SCHEMA_VERSION = 1;

export interface FindingJson {
  readonly id: string;
  readonly level: Finding["level"];
  readonly section: string;
  readonly subject: string | null;
  readonly text: string;
  readonly details: readonly string[];
  readonly facts: Finding["facts"];
  readonly runbook: string | null;
}

export interface ReportJson {
  readonly schemaVersion: typeof CHECK_JSON_SCHEMA_VERSION;
  readonly verdict: Report["verdict"];
  readonly exitCode: Report["exitCode"];
  readonly ready: boolean | null;
  readonly headline: string;
  readonly worst: Report["worst"];
  readonly fine: readonly string[];
  readonly sections: readonly { readonly id: string; readonly title: string }[];
  readonly findings: readonly FindingJson[];
}

export function reportObject(report: Report): ReportJson {
  const problems = new Set(report.problems);
  const others = report.sections.flatMap((s) => s.findings).filter((f) => !problems.has(f));
  return {
    schemaVersion: CHECK_JSON_SCHEMA_VERSION,
    verdict: report.verdict,
    exitCode: report.exitCode,
    ready: report.ready,
    headline: report.headline,
    worst: report.worst,
    fine: report.fine,
    sections: report.sections.map(({ id, title }) => ({ id, title })),
    findings: [...report.problems, ...others].map(findingJson),
  };
}

export function reportJson(report: Report): string {
  return `${JSON.stringify(reportObject(report), null, 2)}\n`;
}

function findingJson(f: Finding): FindingJson {
  return {
    id: f.id,
    level: f.level,
    section: f.section,
    subject: f.subject ?? null,
    text: f.text,
    details: f.details,
    facts: f.facts,
    runbook: f.runbook ?? null,
  };
}
