// Since when the transition in progress runs, by the kernel log (the kmsg
// collector's derived start): a detail line and facts for the readiness
// check no_transition_in_progress. sysfs says a transition is in progress;
// only the log says since when, so the age survives exporter restarts.
import type { KmsgDerived } from "../../derive/kmsg.js";
import type { Facts } from "./finding.js";
import { reasonText } from "./finding.js";

/** "2d 3h", "1h 5m", "3m 12s", "42s". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

/** A moment of the kernel log as the report prints it (seconds since the epoch, to the millisecond). */
export const isoTime = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();

export interface TransitionAge {
  readonly details: readonly string[];
  readonly facts: Facts;
}

/**
 * The transition's start and age, when the kmsg collector ran; nothing when it
 * did not (the report then says only what sysfs says).
 */
export function transitionAge(kmsg: KmsgDerived | undefined, patch: string | undefined, nowMs: number): TransitionAge {
  const start = kmsg?.transitionStart;
  if (start === undefined) return { details: [], facts: {} };
  if (start.state !== "ok") {
    const why = start.state === "unknown" ? reasonText(start.reason) : "absent";
    return {
      details: [`started: unknown (the kernel log cannot tell: ${why})`],
      facts: { started_at: null, running_seconds: null },
    };
  }
  // sysfs and the log are read moments apart: the log's open transition may be another patch's.
  if (patch !== undefined && start.value.patch !== patch) return { details: [], facts: {} };
  const seconds = Math.max(0, nowMs / 1000 - start.value.startSeconds);
  return {
    details: [`running for ${formatAge(seconds)}, since ${isoTime(start.value.startSeconds)} (kernel log)`],
    facts: { started_at: isoTime(start.value.startSeconds), running_seconds: Math.floor(seconds) },
  };
}
