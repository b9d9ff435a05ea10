// The answer to "is live patching working on this machine, and can it take a
// patch?", built from one Snapshot: findings by section (src/views/report/),
// the problems ranked, what is fine, and one verdict that says both. Rendered
// as text and JSON by the `check` command (check-text.ts, check-json.ts) and
// as HTML by the landing page (landing.ts).
import type { Snapshot } from "../snapshot/snapshot.js";
import { escapeControl } from "./escape.js";
import { clientsSection } from "./report/clients.js";
import { exporterSection } from "./report/exporter.js";
import {
  compareSeverity,
  isProblem,
  SECTIONS,
  SEVERITY,
  type Finding,
  type Level,
  type SectionId,
} from "./report/finding.js";
import { functionsSection } from "./report/functions.js";
import { kernelSection } from "./report/kernel.js";
import { kernelLogSection } from "./report/kernel-log.js";
import { patchesSection } from "./report/patches.js";
import { readinessSection } from "./report/readiness.js";
import { rebootSection } from "./report/reboot.js";
import type { SectionBuilder } from "./report/section.js";
import { taintSection } from "./report/taint.js";

export type { Finding, Level, SectionId } from "./report/finding.js";

export interface Section {
  readonly id: SectionId;
  readonly title: string;
  readonly findings: readonly Finding[];
}

export type Verdict = "healthy" | "problems" | "unreadable";

export interface Report {
  readonly verdict: Verdict;
  /** 0 healthy, 1 a problem was found, 2 the host could not be read. */
  readonly exitCode: 0 | 1 | 2;
  /** Could a new live patch be loaded now; null when that is unknown or was not checked. */
  readonly ready: boolean | null;
  /** One sentence: ready or not, and the worst problem's cause when there is one. */
  readonly headline: string;
  /** The level of the worst finding (the colour of the headline). */
  readonly worst: Level;
  /** Every warn and fail finding, most severe first. */
  readonly problems: readonly Finding[];
  /** What is as it should be, in short phrases. */
  readonly fine: readonly string[];
  /** Every finding by section, in section order; sections without findings are left out. */
  readonly sections: readonly Section[];
}

const BUILDERS: Readonly<Record<SectionId, SectionBuilder>> = {
  kernel: kernelSection,
  readiness: readinessSection,
  patches: patchesSection,
  functions: functionsSection,
  kernel_log: kernelLogSection,
  taint: taintSection,
  reboot: rebootSection,
  clients: clientsSection,
  exporter: exporterSection,
};

/** Without these the report cannot say anything trustworthy about the host. */
const ESSENTIAL: readonly string[] = ["kernel", "livepatch", "modules", "taint"];

export function buildReport(snapshot: Snapshot): Report {
  const sections: Section[] = [];
  const fine: string[] = [];
  for (const [id, title] of Object.entries(SECTIONS) as [SectionId, string][]) {
    const result = BUILDERS[id](snapshot);
    if (result.findings.length > 0) sections.push({ id, title, findings: result.findings });
    fine.push(...result.fine.map(escapeControl));
  }
  const all = sections.flatMap((s) => s.findings);
  const problems = all.filter((f) => isProblem(f.level)).sort(compareSeverity);
  const readiness = snapshot.derived.readiness;
  const ready = readiness?.ready.state === "ok" ? readiness.ready.value : null;
  const unreadable = snapshot.runs.some((run) => !run.success && ESSENTIAL.includes(run.name));
  const verdict: Verdict = unreadable ? "unreadable" : problems.length > 0 ? "problems" : "healthy";
  const worst = all.reduce<Level>((w, f) => (SEVERITY[f.level] > SEVERITY[w] ? f.level : w), "ok");
  return {
    verdict,
    exitCode: verdict === "healthy" ? 0 : verdict === "problems" ? 1 : 2,
    ready,
    headline: headline(verdict, ready, problems, all, readiness !== undefined),
    worst: unreadable ? "fail" : worst,
    problems,
    fine,
    sections,
  };
}

/**
 * Says whether a live patch can be loaded, and why not; then how many
 * problems there are. Never "ready" next to a failed readiness check: the
 * derived readiness fails as soon as one check does.
 */
function headline(
  verdict: Verdict,
  ready: boolean | null,
  problems: readonly Finding[],
  all: readonly Finding[],
  readinessChecked: boolean,
): string {
  const count = (n: number): string => `${n} problem${n === 1 ? "" : "s"}`;
  if (verdict === "unreadable") {
    return `The host could not be read completely: ${problems[0]?.text ?? "a collector failed"}.`;
  }
  if (ready === false) {
    const cause = problems.find((p) => p.level === "fail" && p.section === "readiness") ?? problems[0];
    const others = problems.length - 1;
    const more =
      others === 0
        ? ""
        : others === 1
          ? " 1 other problem needs attention too."
          : ` ${others} other problems need attention too.`;
    return `Not ready for a new live patch: ${cause?.text ?? "a readiness check failed"}.${more}`;
  }
  let state: string;
  if (ready === true) state = "Ready for a new live patch";
  else if (!readinessChecked) state = "Readiness not checked (the readiness collector is off)";
  else {
    const unknownCheck = all.find((f) => f.section === "readiness" && f.facts["passed"] === null);
    state = `Readiness unknown${unknownCheck === undefined ? "" : `: ${unknownCheck.text}`}`;
  }
  if (problems.length === 0) return `${state}; nothing needs attention.`;
  const need = problems.length === 1 ? "needs" : "need";
  return `${state}; ${count(problems.length)} ${need} attention, the worst: ${problems[0]?.text ?? ""}.`;
}
