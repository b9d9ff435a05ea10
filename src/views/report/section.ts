// What each section of the report contributes: its findings, and in a few
// words what is fine in it (the verdict's "Fine:" line).
import type { Snapshot } from "../../snapshot/snapshot.js";
import type { Finding } from "./finding.js";

export interface SectionResult {
  readonly findings: readonly Finding[];
  /** Short phrases about what is as it should be ("no reboot required"). */
  readonly fine: readonly string[];
}

export type SectionBuilder = (snapshot: Snapshot) => SectionResult;

export const EMPTY: SectionResult = { findings: [], fine: [] };
