// The live-patch transition in progress, if any, and the threads that block it.
//
// The patch in transition comes from the same reading of /sys/kernel/livepatch
// as the livepatch collector's (ctx.shared: each file is read once per scrape,
// whichever of the two runs, or both). Only one patch can be in transition at a time. A thread blocks it while its
// /proc/<pid>/task/<tid>/patch_state differs from the target state (1 when
// patching, 0 when unpatching). The walk is O(threads), so it runs only while a
// transition is active and stops at --collector.transition.max-threads; it
// pauses every few milliseconds (ctx.pacing), so 50,000 threads never hold the
// event loop, and it ends at the next pause once --collector.timeout is over.
// patch_state is mode 0400: without CAP_DAC_READ_SEARCH other users' threads are
// unreadable, and then the number of blocking threads is unknown, not 0.
import { known, type Fact, unknown } from "../fact.js";
import { procPath } from "../fs/host-paths.js";
import { parsePatchState } from "../parse/patch-state.js";
import { trimValue } from "../parse/values.js";
import { withBlockingStacks, type BlockedInside } from "./blocking-stacks.js";
import { readLivepatchTree, type PatchFacts } from "./livepatch.js";
import type { TransitionOptions } from "./options.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

export type TransitionDirection = "patching" | "unpatching";
export const THREAD_STATES = ["patched", "unpatched", "idle", "unreadable"] as const;
export type ThreadState = (typeof THREAD_STATES)[number];

export interface BlockingThread {
  readonly pid: number;
  readonly tid: number;
  /** Empty when the thread exited before its name could be read. */
  readonly comm: string;
  /** The patched function its kernel stack is inside (null: none); unknown when the stack is unreadable. */
  readonly inside?: Fact<BlockedInside | null>;
}

export interface ActiveTransition {
  readonly patch: string;
  readonly direction: TransitionDirection;
  /** Threads seen, by patch_state (idle = -1, unreadable = EACCES/garbage). */
  readonly threads: Readonly<Record<ThreadState, number>>;
  /** Whether the walk stopped at the thread limit. */
  readonly truncated: boolean;
  /** Threads on the wrong side of the target; unknown when any thread was unreadable or the walk was truncated. */
  readonly blocking: Fact<number>;
  /** Whether blocking threads are named (--collector.transition.blocking-threads). */
  readonly listed: boolean;
  /** Per-thread detail, only when listed, at most --collector.transition.blocking-threads-limit. */
  readonly blockers: readonly BlockingThread[];
}

export interface TransitionFacts {
  /** undefined: no patch is in transition. */
  readonly active: ActiveTransition | undefined;
}

export const transition: Collector<TransitionFacts> = {
  help: "the transition in progress and the threads blocking it",
  create: ({ options }) => {
    const warnings = new WarnOnce();
    return async (ctx) => collect(ctx, options.transition, warnings);
  },
};

/** Warns once per condition of a transition, then logs at debug while it lasts. */
class WarnOnce {
  private readonly warned = new Set<string>();
  level(key: string): "warn" | "debug" {
    if (this.warned.has(key)) return "debug";
    this.warned.add(key);
    return "warn";
  }
  /** No transition any more: the next one warns again. */
  reset(): void {
    this.warned.clear();
  }
}

async function collect(
  ctx: CollectorContext,
  options: TransitionOptions,
  warnings: WarnOnce,
): Promise<TransitionFacts> {
  const livepatch = await ctx.shared(readLivepatchTree);
  const inTransition = livepatch.patches.filter(isInTransition);
  const patch = inTransition[0];
  if (patch === undefined) {
    // "No transition" only when every patch is known not to be in one.
    const undecided = [
      ...livepatch.patches.filter((p) => p.status.state !== "ok" && !knownSettled(p)).map((p) => p.name),
      ...livepatch.undecodable,
    ];
    if (undecided.length > 0) {
      throw new CollectorError(`cannot tell whether ${undecided.join(", ")} is in transition: its state is unknown`);
    }
    warnings.reset();
    return { active: undefined };
  }
  if (inTransition.length > 1) {
    // The kernel allows one; two means we read across a change. Report the first.
    ctx.log.debug({ patches: inTransition.map((p) => p.name).join(",") }, "several patches read as in transition");
  }
  const direction: TransitionDirection =
    patch.status.state === "ok" && patch.status.value === "patching" ? "patching" : "unpatching";
  const active = await walkThreads(ctx, options, patch.name, direction, warnings);
  // Why each named thread blocks: its kernel stack (blocking-stacks.ts).
  return { active: { ...active, blockers: await withBlockingStacks(ctx, active.blockers, patch.name, livepatch) } };
}

/** Its transition attribute reads 0: whatever else is unknown, it is not in transition. */
function knownSettled(patch: PatchFacts): boolean {
  return patch.transition.state === "ok" && !patch.transition.value;
}

function isInTransition(patch: PatchFacts): boolean {
  return patch.status.state === "ok" && (patch.status.value === "patching" || patch.status.value === "unpatching");
}

async function walkThreads(
  ctx: CollectorContext,
  options: TransitionOptions,
  patch: string,
  direction: TransitionDirection,
  warnings: WarnOnce,
): Promise<ActiveTransition> {
  const target = direction === "patching" ? 1 : 0;
  const threads: Record<ThreadState, number> = { patched: 0, unpatched: 0, idle: 0, unreadable: 0 };
  const blockers: BlockingThread[] = [];
  let seen = 0;
  let truncated = false;
  let blocking = 0;

  // Joined by hand below: path.join per thread was a tenth of the walk.
  const proc = procPath(ctx.paths);
  const processes = ctx.files.listNames(proc);
  if (!processes.ok) throw new Error(`cannot list ${ctx.paths.procfs}: ${processes.code}`);
  walk: for (const pid of processes.names) {
    if (!isPid(pid)) continue;
    // A process that exits between the two listings is normal: skip it.
    const tasks = ctx.files.listNames(`${proc}/${pid}/task`, { quiet: true });
    if (!tasks.ok) continue;
    for (const tid of tasks.names) {
      if (!isPid(tid)) continue;
      if (seen >= options.maxThreads) {
        truncated = true;
        break walk;
      }
      if (ctx.pacing.sliceOver()) await ctx.pacing.pause();
      const taskDir = `${proc}/${pid}/task/${tid}`;
      const read = ctx.files.readText(`${taskDir}/patch_state`, { quiet: true, singleRead: true });
      if (!read.ok && (read.failure === "absent" || read.failure === "vanished")) continue;
      seen += 1;
      const state = read.ok ? parsePatchState(read.text) : undefined;
      if (state === undefined) {
        threads.unreadable += 1;
        continue;
      }
      threads[state === 1 ? "patched" : state === 0 ? "unpatched" : "idle"] += 1;
      if (state === target) continue;
      blocking += 1;
      if (options.blockingThreads && blockers.length < options.blockingThreadsLimit) {
        const comm = ctx.files.readText(`${taskDir}/comm`, { quiet: true, singleRead: true });
        blockers.push({ pid: Number(pid), tid: Number(tid), comm: comm.ok ? trimValue(comm.text) : "" });
      }
    }
  }
  if (threads.unreadable > 0) {
    ctx.log[warnings.level(`${patch}:${direction}:unreadable`)](
      { patch, unreadable: threads.unreadable, seen },
      "cannot read patch_state of some threads (needs CAP_DAC_READ_SEARCH); blocking threads are unknown",
    );
  }
  if (truncated) {
    ctx.log[warnings.level(`${patch}:${direction}:truncated`)](
      { patch, maxThreads: options.maxThreads },
      "thread walk stopped at --collector.transition.max-threads; blocking threads are unknown",
    );
  }
  const complete = threads.unreadable === 0 && !truncated;
  return {
    patch,
    direction,
    threads,
    truncated,
    blocking: complete ? known(blocking) : unknown(truncated ? "too_large" : "unreadable"),
    listed: options.blockingThreads,
    blockers,
  };
}

function isPid(name: string): boolean {
  return /^\d+$/.test(name);
}
