// What ftrace's records say about one patched function: is the live patch's
// handler hooked on it, and who else is.
//
// A live patch registers one ftrace_ops per patched function, shared by every
// patch of that function, with the IPMODIFY flag and klp_ftrace_handler as its
// callback (kernel/livepatch/patch.c). ftrace allows one IPMODIFY ops per
// function, so:
// - the handler named as a callback ("tramp: ... (klp_ftrace_handler+...)"):
//   redirected;
// - no callback named (several ops share the call site, or the architecture
//   has no per-ops trampolines) but the I flag: redirected, by the only ops
//   allowed to modify the IP, the live patch's;
// - another callback named and the I flag: another IPMODIFY user holds the
//   function (an IPMODIFY conflict), the live patch is not hooked;
// - no record, or no I flag: not redirected.
import type { FtraceRecord } from "../parse/enabled-functions.js";
import { objectModule, symbolKey, type PatchedFunction } from "./patched-functions.js";

export const LIVEPATCH_HANDLER = "klp_ftrace_handler";

export type Hook =
  | { readonly redirected: true; readonly evidence: "handler" | "ipmodify" }
  | { readonly redirected: false; readonly evidence: "not_traced" | "no_ipmodify" | "other_ipmodify_user" };

/** The records of enabled_functions by function (a name can appear twice: sympos > 1). */
export function recordsByFunction(records: readonly FtraceRecord[]): ReadonlyMap<string, readonly FtraceRecord[]> {
  const index = new Map<string, FtraceRecord[]>();
  for (const record of records) {
    const key = symbolKey(record.module, record.symbol);
    const list = index.get(key);
    if (list === undefined) index.set(key, [record]);
    else list.push(record);
  }
  return index;
}

export function recordsOf(
  index: ReadonlyMap<string, readonly FtraceRecord[]>,
  fn: PatchedFunction,
): readonly FtraceRecord[] {
  return index.get(symbolKey(objectModule(fn.object), fn.function)) ?? [];
}

/** Whether the live patch's handler is hooked on a function, from its records. */
export function liveHook(records: readonly FtraceRecord[]): Hook {
  if (records.length === 0) return { redirected: false, evidence: "not_traced" };
  if (records.some((r) => r.callbacks.includes(LIVEPATCH_HANDLER))) return { redirected: true, evidence: "handler" };
  const modifying = records.filter((r) => r.ipmodify);
  if (modifying.length === 0) return { redirected: false, evidence: "no_ipmodify" };
  if (modifying.some((r) => r.callbacks.length === 0)) return { redirected: true, evidence: "ipmodify" };
  return { redirected: false, evidence: "other_ipmodify_user" };
}

/** ftrace users of the function besides the live patch: its ops minus the live patch's own. */
export function otherFtraceUsers(records: readonly FtraceRecord[], hook: Hook): number {
  const ops = records.reduce((n, r) => Math.max(n, r.ops), 0);
  return Math.max(0, ops - (hook.redirected ? 1 : 0));
}
