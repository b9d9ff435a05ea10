// Why a thread blocks a transition: the kernel switches a sleeping task only
// when no function being patched is on its stack (klp_check_stack()), so the
// patched function a blocking thread's kernel stack is inside is the reason it
// blocks. Read from /proc/<pid>/task/<tid>/stack, which needs CAP_SYS_ADMIN
// and ptrace access to the thread (root), for the threads the transition
// collector names (--collector.transition.blocking-threads).
//
// A frame counts when it is one of the transition patch's old functions (the
// function in its object: "busy_wait_fn [lp_busy_target]"), or when it is in a
// live patch module: the thread runs a replacement (an unpatching transition
// waits for tasks to leave the new functions; a patching one over a stacked
// patch, for them to leave the older patch's).
//
// The stacks are read like every procfs file (O_NONBLOCK, regular files only:
// fs/read.ts), one thread at a time with the walk's pauses (ctx.pacing).
import { known, type Fact } from "../fact.js";
import { failureFact } from "../fs/file-access.js";
import { procPath } from "../fs/host-paths.js";
import { parseKernelStack } from "../parse/kernel-stack.js";
import type { LivepatchFacts } from "./livepatch.js";
import { objectModule, symbolKey } from "./patched-functions.js";
import type { CollectorContext } from "./types.js";

export interface BlockedInside {
  /** vmlinux, the patched module, or (replacement) the live patch module. */
  readonly object: string;
  readonly function: string;
  /** The frame as the kernel printed it: "busy_wait_fn+0x18/0x2a [lp_busy_target]". */
  readonly frame: string;
  /** The frame is in a live patch module: the thread runs a replacement function. */
  readonly replacement: boolean;
}

/** A thread of the transition walk: its position is read for it. */
export interface Thread {
  readonly pid: number;
  readonly tid: number;
}

/** Each thread with its position: inside which patched function of `patchName`'s transition (null: none). */
export async function withBlockingStacks<T extends Thread>(
  ctx: CollectorContext,
  threads: readonly T[],
  patchName: string,
  tree: LivepatchFacts,
): Promise<(T & { readonly inside: Fact<BlockedInside | null> })[]> {
  const patch = tree.patches.find((p) => p.name === patchName);
  const old = new Map<string, { object: string; function: string }>();
  for (const object of patch?.objects ?? []) {
    for (const dir of object.functionDirs) {
      old.set(symbolKey(objectModule(object.name), dir.name), { object: object.name, function: dir.name });
    }
  }
  const patchModules = new Set(tree.patches.map((p) => p.name));
  const inside = (thread: Thread): Fact<BlockedInside | null> => {
    const path = procPath(ctx.paths, String(thread.pid), "task", String(thread.tid), "stack");
    const read = ctx.files.readText(path);
    // A thread that exited is no longer anywhere.
    if (!read.ok) return read.failure === "vanished" ? known(null) : failureFact(read.failure);
    for (const frame of parseKernelStack(read.text)) {
      const match = old.get(symbolKey(frame.module, frame.symbol));
      if (match !== undefined) return known({ ...match, frame: frame.text, replacement: false });
      if (frame.module !== undefined && patchModules.has(frame.module)) {
        return known({ object: frame.module, function: frame.symbol, frame: frame.text, replacement: true });
      }
    }
    return known(null);
  };
  const positioned: (T & { readonly inside: Fact<BlockedInside | null> })[] = [];
  for (const thread of threads) {
    if (ctx.pacing.sliceOver()) await ctx.pacing.pause();
    positioned.push({ ...thread, inside: inside(thread) });
  }
  return positioned;
}
