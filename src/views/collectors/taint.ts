// The taint collector's metrics: the taint mask decoded bit by bit, and the
// loaded modules per taint letter (derived from the modules collector's list).
import type { TaintFacts } from "../../collectors/taint.js";
import { TAINT_FLAGS } from "../../parse/taint.js";
import { defineView, spec } from "../view.js";

const UPSTREAM_BITS = `${Math.min(...TAINT_FLAGS.map((f) => f.bit))}-${Math.max(...TAINT_FLAGS.map((f) => f.bit))}`;

const METRICS = {
  livepatch_kernel_tainted: spec(
    [],
    "Raw value of the kernel taint bitmask.",
    "/proc/sys/kernel/tainted",
    "the file is unreadable",
  ),
  livepatch_kernel_taint_flag: spec(
    ["bit", "flag", "name"],
    `1 for each upstream taint bit (${UPSTREAM_BITS}) that is set; a bit that is not set has no series (livepatch_kernel_tainted is the whole mask). Taint is sticky: K means a live patch module was loaded since boot, not that one is active.`,
    "/proc/sys/kernel/tainted",
    "the bit is not set, or the file is unreadable",
  ),
  livepatch_kernel_taint_unknown_bit: spec(
    ["bit"],
    "1 for each set taint bit that the upstream table does not name (RHEL and SUSE use bits 27-31).",
    "/proc/sys/kernel/tainted",
    "no such bit is set",
  ),
  livepatch_modules_tainted: spec(
    ["flag"],
    "Number of loaded modules whose own taint includes this letter; a letter no loaded module carries has no series.",
    "/proc/modules",
    "no loaded module carries the letter, or /proc/modules is unreadable",
  ),
} as const;

export const taintView = defineView(METRICS, (sink, facts: TaintFacts, derived) => {
  sink.emit("livepatch_kernel_tainted", {}, Number(facts.value));
  // Only the set bits: one series per host and set flag (most hosts have none, or K, O and E), not twenty.
  for (const { flag, set } of facts.decoded.flags) {
    if (set) sink.emit("livepatch_kernel_taint_flag", { bit: String(flag.bit), flag: flag.letter, name: flag.name }, 1);
  }
  for (const bit of facts.decoded.unknownBits) sink.emit("livepatch_kernel_taint_unknown_bit", { bit: String(bit) }, 1);
  const letters = derived.moduleTaintLetters;
  if (letters?.state === "ok") {
    // Only the letters some module carries (a live-patched host: K, O and E), as for the kernel's own flags.
    for (const [flag, count] of letters.value) if (count > 0) sink.emit("livepatch_modules_tainted", { flag }, count);
  }
});
