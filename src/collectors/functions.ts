// The patched functions one by one: patch, object, function and sympos, from
// the "<function>,<sympos>" directories of /sys/kernel/livepatch (the same
// reading as the livepatch collector's, ctx.shared). Opt-in: one series per
// function, and a cumulative patch can replace hundreds.
import { readLivepatchTree } from "./livepatch.js";
import { bounded, patchedFunctions, type Listed, type PatchedFunction } from "./patched-functions.js";
import type { Collector } from "./types.js";

/** Every patched function, in patch, object and function order. */
export interface FunctionsFacts extends Listed<PatchedFunction> {
  /** All of them, listed or not. */
  readonly total: number;
}

export const functions: Collector<FunctionsFacts> = {
  help: "each patched function: patch, object, function, sympos (/sys/kernel/livepatch)",
  optIn: true,
  create:
    ({ options }) =>
    async (ctx) => {
      const all = patchedFunctions(await ctx.shared(readLivepatchTree));
      return { ...bounded(all, options.functions.limit), total: all.length };
    },
};
