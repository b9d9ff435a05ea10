// Taint: the bitmask, each flag set (error flags are problems), and bits the
// upstream table does not name.
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, type Finding } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";

export function taintSection(snapshot: Snapshot): SectionResult {
  const taint = snapshot.facts.taint;
  if (taint === undefined) return EMPTY;
  const value = Number(taint.value);
  if (taint.value === 0n) {
    return {
      findings: [finding("tainted", "ok", "not tainted (0)", { facts: { value, flags: [] } })],
      fine: ["not tainted"],
    };
  }
  const set = taint.decoded.flags.filter((f) => f.set).map((f) => f.flag);
  const findings: Finding[] = [
    finding("tainted", "info", `tainted: ${taint.value}`, {
      facts: { value, flags: set.map((flag) => flag.letter) },
    }),
  ];
  for (const flag of set) {
    const note = flag.letter === "K" ? " (a live patch module was loaded since boot; not proof one is active)" : "";
    findings.push(
      finding(
        "taint_flag",
        flag.kind === "error" ? "warn" : "info",
        `${flag.letter} bit ${flag.bit} ${flag.name}: ${flag.description}${note}`,
        { subject: flag.letter, facts: { letter: flag.letter, bit: flag.bit, name: flag.name, kind: flag.kind } },
      ),
    );
  }
  for (const bit of taint.decoded.unknownBits) {
    findings.push(
      finding("taint_unknown_bit", "info", `bit ${bit}: not an upstream taint bit (distribution-specific)`, {
        subject: String(bit),
        facts: { bit },
      }),
    );
  }
  const errors = set.some((flag) => flag.kind === "error");
  return { findings, fine: errors ? [] : [`no error taint (${set.map((f) => f.letter).join("")} only)`] };
}
