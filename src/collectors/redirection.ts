// Does the kernel really run the replacement of each patched function? A live
// patch works by ftrace: the old function's call site calls the live patch
// handler, which sends the call to the new function. Every function of an
// enabled patch's patched object must therefore be in ftrace's
// enabled_functions, hooked by that handler (ftrace-hooks.ts). One that is not
// is a patch the kernel claims and does not apply: ftrace_enabled=0 on kernels
// before 5.5, a failed ftrace update, another IPMODIFY user.
//
// Checked objects: the patch is enabled and the object's "patched" attribute is
// 1 (6.1+); before 6.1, vmlinux, or a module that is loaded. A function found
// not redirected is confirmed by reading enabled and patched again, so a patch
// disabled between the two readings is not reported; during a transition only
// hooked functions count (the kernel removes hooks at its end, first).
import { known, type Fact } from "../fact.js";
import { sysPath } from "../fs/host-paths.js";
import { parseBool01 } from "../parse/values.js";
import { liveHook, recordsByFunction, recordsOf, type Hook } from "./ftrace-hooks.js";
import { readEnabledFunctions } from "./ftrace-files.js";
import { readLivepatchTree, type ObjectFacts, type PatchFacts } from "./livepatch.js";
import type { FunctionsOptions } from "./options.js";
import { bounded, objectFunctions, VMLINUX, type Listed, type PatchedFunction } from "./patched-functions.js";
import { readFact } from "./read-fact.js";
import type { Collector, CollectorContext } from "./types.js";

export interface FunctionRedirection extends PatchedFunction {
  readonly hook: Hook;
}

/** Each checked function, not redirected ones first. */
export interface RedirectionFacts extends Listed<FunctionRedirection> {
  /** Where enabled_functions was read, or why it could not be. */
  readonly source: Fact<string>;
  /** Functions of enabled, patched objects, checked; unknown when enabled_functions was not read. */
  readonly checked: Fact<number>;
  /** Of those, the ones the live patch handler is not hooked on (should be 0). */
  readonly notRedirected: Fact<number>;
}

export const redirection: Collector<RedirectionFacts> = {
  help: "whether ftrace redirects every patched function to its replacement (tracefs enabled_functions; root)",
  optIn: true,
  create: ({ options }) => {
    const warned = { functions: "" };
    return async (ctx) => collect(ctx, options.functions, warned);
  },
};

async function collect(
  ctx: CollectorContext,
  options: FunctionsOptions,
  warned: { functions: string },
): Promise<RedirectionFacts> {
  const tree = await ctx.shared(readLivepatchTree);
  const file = await ctx.shared(readEnabledFunctions);
  if (file.state !== "ok") return { source: file, checked: file, notRedirected: file, functions: [], truncated: false };

  const index = recordsByFunction(file.value.records);
  const results: FunctionRedirection[] = [];
  for (const patch of tree.patches) {
    if (!(patch.enabled.state === "ok" && patch.enabled.value)) continue;
    // Module initstate and re-reads per object: pause between patches like the tree's walk (ctx.pacing).
    if (ctx.pacing.sliceOver()) await ctx.pacing.pause();
    for (const object of patch.objects) {
      if (!isHooked(ctx, object)) continue;
      let hooks = objectFunctions(patch, object).map((fn) => ({ ...fn, hook: liveHook(recordsOf(index, fn)) }));
      if (inTransition(patch)) {
        // A transition ends by removing hooks while sysfs still lists their functions (a cumulative patch
        // discards the "nop" functions it added for the patches it replaces): a missing hook then is the
        // kernel finishing, not a defect. Hooks are installed before a transition starts, so a hooked
        // function is still redirected.
        hooks = hooks.filter((f) => f.hook.redirected);
      }
      if (hooks.some((f) => !f.hook.redirected) && !stillPatched(ctx, patch, object)) {
        ctx.log.debug({ patch: patch.name, object: object.name }, "patch changed while being checked; skipped");
        continue;
      }
      results.push(...hooks);
    }
  }
  const missing = results.filter((f) => !f.hook.redirected);
  const names = missing.map((f) => `${f.patch}/${f.object}/${f.function}`).join(",");
  if (missing.length > 0) {
    // Once when the set changes, not every scrape.
    ctx.log[names === warned.functions ? "debug" : "warn"](
      { functions: names },
      "patched functions not redirected by ftrace: the kernel does not run their replacement",
    );
  }
  warned.functions = names;
  return {
    source: known(file.value.path),
    checked: known(results.length),
    notRedirected: known(missing.length),
    ...bounded([...missing, ...results.filter((f) => f.hook.redirected)], options.limit),
  };
}

function inTransition(patch: PatchFacts): boolean {
  return patch.transition.state === "ok" && patch.transition.value;
}

/** Whether the live patch's ftrace hooks should be installed for this object now. */
function isHooked(ctx: CollectorContext, object: ObjectFacts): boolean {
  if (object.patched.state === "ok") return object.patched.value;
  if (object.patched.state === "unknown") return false;
  // Before 6.1 there is no "patched": vmlinux always is, a module when it is loaded.
  if (object.name === VMLINUX) return true;
  return ctx.files.readText(sysPath(ctx.paths, "module", object.name, "initstate"), { singleRead: true }).ok;
}

/** Reads enabled and patched again: still enabled and patched. */
function stillPatched(ctx: CollectorContext, patch: PatchFacts, object: ObjectFacts): boolean {
  const dir = sysPath(ctx.paths, "kernel", "livepatch", patch.name);
  const enabled = readFact(ctx.files, `${dir}/enabled`, parseBool01);
  if (!(enabled.state === "ok" && enabled.value)) return false;
  if (object.patched.state !== "ok") return true;
  const patched = readFact(ctx.files, `${dir}/${object.name}/patched`, parseBool01);
  return patched.state === "ok" && patched.value;
}
