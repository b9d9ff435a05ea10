// When the transition in progress started, in seconds since the epoch: the
// kernel log's "starting <direction> transition" record (microseconds since
// boot) plus the boot time (/proc/stat btime), so that its age is
// time() - start whatever happened to the exporter or Prometheus meanwhile.
//
// sysfs decides whether a transition is in progress, and which patch's; the
// log says since when. The log alone could lie: a "complete" line
// overwritten before it was read would leave a transition open forever.
// Conversely sysfs may still show the transition whose "complete" line this
// scrape already read (the two are read moments apart): the log's latest
// start of that patch is then still its start.
//
// The timestamp is as good as the two clocks: btime is whole seconds, and
// the log's clock does not count time spent suspended.
import { known, type Fact, unknown } from "../fact.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { KmsgFacts } from "../collectors/kmsg.js";
import type { TransitionEntry } from "../collectors/kmsg-history.js";
import type { LivepatchFacts } from "../collectors/livepatch.js";
import type { Direction, RefusalReason } from "../parse/kmsg-messages.js";

export interface TransitionStart {
  readonly patch: string;
  readonly direction: Direction;
  /** Seconds since the epoch. */
  readonly startSeconds: number;
}

export interface KmsgDerived {
  /** The transition in progress and its start; undefined when none is in progress. */
  readonly transitionStart: Fact<TransitionStart> | undefined;
  /**
   * When the last module load refused for each reason seen was logged, in
   * seconds since the epoch; unknown without the boot time.
   */
  readonly lastRefusals: Fact<ReadonlyMap<RefusalReason, number>>;
}

export function kmsgDerived(
  kmsg: KmsgFacts,
  livepatch: LivepatchFacts | undefined,
  kernel: KernelFacts | undefined,
): KmsgDerived {
  return { transitionStart: transitionStart(kmsg, livepatch, kernel), lastRefusals: lastRefusals(kmsg, kernel) };
}

function lastRefusals(kmsg: KmsgFacts, kernel: KernelFacts | undefined): Fact<ReadonlyMap<RefusalReason, number>> {
  const refusals = kmsg.log?.refusals;
  if (refusals === undefined || refusals.size === 0) return known(new Map());
  const boot = kernel?.bootTimeSeconds;
  if (boot?.state !== "ok") return unknown(boot?.state === "unknown" ? boot.reason : "dependency_failed");
  return known(new Map([...refusals].map(([reason, seen]) => [reason, boot.value + seen.lastUsec / 1e6])));
}

function transitionStart(
  kmsg: KmsgFacts,
  livepatch: LivepatchFacts | undefined,
  kernel: KernelFacts | undefined,
): Fact<TransitionStart> | undefined {
  const log = kmsg.log;
  let patch: string;
  let entry: TransitionEntry | undefined;
  if (livepatch !== undefined) {
    const inTransition = livepatch.patches.find(
      (p) => p.status.state === "ok" && (p.status.value === "patching" || p.status.value === "unpatching"),
    );
    if (inTransition === undefined) return undefined;
    patch = inTransition.name;
    if (log === undefined) return unknown(kmsg.readable.state === "unknown" ? kmsg.readable.reason : "not_found");
    entry = log.patches.find((p) => p.name === patch)?.latest;
    if (entry === undefined) return unknown(log.lost > 0 ? "overwritten" : "not_found");
    // A completed start is this transition's only if no later start can have been lost.
    if (entry.endUsec !== undefined && log.lastLossSeq !== undefined && log.lastLossSeq > entry.startSeq) {
      return unknown("overwritten");
    }
  } else {
    // sysfs could not be read: the log alone, which shows a transition open until its "complete".
    if (log?.open === undefined) return undefined;
    patch = log.open.patch;
    entry = log.open.entry;
  }
  const boot = kernel?.bootTimeSeconds;
  if (boot?.state !== "ok") return unknown(boot?.state === "unknown" ? boot.reason : "dependency_failed");
  return known({ patch, direction: entry.direction, startSeconds: boot.value + entry.startUsec / 1e6 });
}
