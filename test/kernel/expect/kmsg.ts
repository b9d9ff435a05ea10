// Kernel log expectations (the kmsg collector): what the kernel logged since
// boot, as a model — events per patch, module events, refused loads, forced
// patches, timed transitions, the transition in progress — turned into the
// exact livepatch_kmsg_* series. Every livepatch_kmsg_* family is compared
// exactly in a state that has this expectation: a series the model does not
// have is a failure, so is one it has and /metrics lacks.
import assert from "node:assert/strict";
import type { RefusalReason } from "../../../src/parse/kmsg-messages.js";
import { key, type Expected, type Series } from "./metrics.js";

export interface KmsgModel {
  /** Patch -> event -> count (livepatch_kmsg_events_total); a test where the count grows with time. */
  readonly events: Readonly<Record<string, Readonly<Record<string, Expected>>>>;
  /** Module ("" when the line names none) -> event -> count. */
  readonly moduleEvents: Readonly<Record<string, Readonly<Record<string, number>>>>;
  readonly refused?: Readonly<Partial<Record<RefusalReason, number>>>;
  /** Every patch the log names -> whether a transition of it was forced. */
  readonly forced: Readonly<Record<string, boolean>>;
  /** Patch -> direction of its last complete transition (its duration only has to be positive). */
  readonly lastTransition: Readonly<Record<string, "patching" | "unpatching">>;
  /** The transition in progress and its start, seconds since the epoch. */
  readonly start?: { readonly patch: string; readonly direction: string; readonly seconds: number };
}

const PREFIX = "livepatch_kmsg_";

const positive: Expected = { describe: "> 0", test: (v) => v > 0 };
const thisHour: Expected = {
  describe: "a time within the last hour",
  test: (v) => v <= Date.now() / 1000 + 5 && v > Date.now() / 1000 - 3600,
};
const near = (seconds: number): Expected => ({
  describe: `${seconds} (btime + the record's usec)`,
  test: (v) => Math.abs(v - seconds) < 1e-5,
});

export function kmsgSeries(model: KmsgModel): Series {
  const series: Series = {};
  const set = (name: string, labels: Record<string, string>, value: Expected): void => {
    series[key(`${PREFIX}${name}`, labels)] = value;
  };
  set("readable", {}, 1);
  set("wrapped", {}, 0);
  set("lost_records_total", {}, 0);
  set("malformed_records_total", {}, 0);
  set("records_total", {}, positive);
  for (const [patch, events] of Object.entries(model.events)) {
    for (const [event, count] of Object.entries(events)) set("events_total", { event, patch }, count);
  }
  for (const [module, events] of Object.entries(model.moduleEvents)) {
    for (const [event, count] of Object.entries(events)) set("module_events_total", { event, module }, count);
  }
  // Only the reasons refused this boot have series; the exact time is checked against captures
  // (test/collectors/kmsg.test.ts), here it is a time of this test's boot.
  for (const [reason, count] of Object.entries(model.refused ?? {})) {
    set("refused_module_loads_total", { reason }, count);
    set("last_refused_module_load_timestamp_seconds", { reason }, thisHour);
  }
  for (const [patch, forced] of Object.entries(model.forced)) set("patch_forced", { patch }, forced ? 1 : 0);
  for (const [patch, direction] of Object.entries(model.lastTransition)) {
    set("transition_duration_seconds", { patch, direction }, positive);
  }
  if (model.start !== undefined) {
    const { patch, direction, seconds } = model.start;
    set("transition_start_timestamp_seconds", { patch, direction }, near(seconds));
  }
  return series;
}

/** Every livepatch_kmsg_* series of /metrics against the model, exactly. */
export function assertKmsg(actual: ReadonlyMap<string, number>, model: KmsgModel): void {
  const expected = kmsgSeries(model);
  const problems: string[] = [];
  for (const [k, want] of Object.entries(expected)) {
    const got = actual.get(k);
    if (got === undefined) problems.push(`missing    ${k}`);
    else if (typeof want === "number" ? got !== want : !want.test(got))
      problems.push(`wrong      ${k} = ${got} (want ${typeof want === "number" ? want : want.describe})`);
  }
  for (const [k, got] of actual) {
    if (k.startsWith(PREFIX) && !(k in expected)) problems.push(`unexpected ${k} = ${got}`);
  }
  assert.deepEqual(problems.sort(), [], `the kernel log's series differ:\n  ${problems.sort().join("\n  ")}`);
}

/** The guest's boot time and the usec of the first /dev/kmsg record whose message contains `text`. */
export function logTime(bootAndRecords: string, text: string): { btime: number; usec: number; seconds: number } {
  const btime = Number(/^btime (\d+)$/m.exec(bootAndRecords)?.[1]);
  const line = bootAndRecords.split("\n").find((l) => l.includes(text));
  const usec = Number(/^\d+,\d+,(\d+),/.exec(line ?? "")?.[1]);
  assert.ok(Number.isSafeInteger(btime) && Number.isSafeInteger(usec), `no btime or no record "${text}"`);
  return { btime, usec, seconds: btime + usec / 1e6 };
}

/** The shell command whose output logTime reads: /proc/stat's btime, then the log's records. */
export const LOG_TIMES = "grep '^btime ' /proc/stat; timeout 1 cat /dev/kmsg || true";

/** The time the report prints for a moment of the log (src/views/report/transition-start.ts, isoTime). */
export const reportTime = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();
