// The patched functions of the patch tree, one by one, as the functions,
// redirection and probes collectors list them; and how a function's object is
// named in the kernel's other views (kallsyms: "[module]", nothing for vmlinux).
import type { LivepatchFacts, ObjectFacts, PatchFacts } from "./livepatch.js";

export interface PatchedFunction {
  readonly patch: string;
  /** "vmlinux" or the patched module. */
  readonly object: string;
  readonly function: string;
  /** The symbol's position among equal names (1 = the first or only); undefined on kernels before ~4.5. */
  readonly sympos: number | undefined;
}

export const VMLINUX = "vmlinux";

/** Every patched function, in patch, object and function order. */
export function patchedFunctions(tree: LivepatchFacts): PatchedFunction[] {
  return tree.patches.flatMap((patch) => patch.objects.flatMap((object) => objectFunctions(patch, object)));
}

export function objectFunctions(patch: PatchFacts, object: ObjectFacts): PatchedFunction[] {
  return object.functionDirs.map((dir) => ({
    patch: patch.name,
    object: object.name,
    function: dir.name,
    sympos: dir.sympos,
  }));
}

/** The module kallsyms names for an object: undefined for vmlinux. */
export function objectModule(object: string): string | undefined {
  return object === VMLINUX ? undefined : object;
}

/** The label of a sympos: "" when the kernel does not say. */
export function symposLabel(sympos: number | undefined): string {
  return sympos === undefined ? "" : String(sympos);
}

/** Functions listed one by one, at most --collector.functions.limit of them. */
export interface Listed<T> {
  readonly functions: readonly T[];
  /** Some were left out at the limit. */
  readonly truncated: boolean;
}

/** At most `limit` of them, and whether some were left out. */
export function bounded<T>(functions: readonly T[], limit: number): Listed<T> {
  return functions.length > limit
    ? { functions: functions.slice(0, limit), truncated: true }
    : { functions, truncated: false };
}

/** A key of a function in an object, for lookups: "module\0name" ("" for vmlinux). */
export function symbolKey(module: string | undefined, symbol: string): string {
  return `${module ?? ""}\0${symbol}`;
}
