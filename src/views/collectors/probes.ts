// The probes collector's metrics: kprobes and other ftrace users on patched
// functions, and IPMODIFY conflicts.
import { symposLabel } from "../../collectors/patched-functions.js";
import { KPROBE_POSITIONS, type ProbesFacts } from "../../collectors/probes.js";
import { bool, defineView, spec } from "../view.js";

const KPROBES = "/sys/kernel/debug/kprobes/list";
const ENABLED_FUNCTIONS = "/sys/kernel/tracing/enabled_functions";
const KPROBES_UNREADABLE =
  'debugfs is not mounted or not readable (root only), see livepatch_fact_unavailable{name="kprobes_list"}; or the kernel has no kprobes';
const FTRACE_UNREADABLE =
  'tracefs is not mounted or not readable (root only), see livepatch_fact_unavailable{name="tracefs_enabled_functions"}';

const METRICS = {
  livepatch_functions_kprobed: spec(
    [],
    "Patched functions with at least one armed kprobe or kretprobe. Opt-in: --collector.probes.",
    `/sys/kernel/livepatch, ${KPROBES}`,
    KPROBES_UNREADABLE,
  ),
  livepatch_functions_ftrace_shared: spec(
    [],
    "Patched functions whose ftrace call site has other users besides the live patch: tracers, kprobes armed through ftrace, BPF trampolines.",
    `/sys/kernel/livepatch, ${ENABLED_FUNCTIONS}`,
    FTRACE_UNREADABLE,
  ),
  livepatch_functions_ipmodify_conflict: spec(
    [],
    "Patched functions held by another ftrace user that modifies the instruction pointer (IPMODIFY): only one may, so the live patch cannot hook them. Should be 0.",
    `/sys/kernel/livepatch, ${ENABLED_FUNCTIONS}`,
    FTRACE_UNREADABLE,
  ),
  livepatch_function_kprobes: spec(
    ["patch", "object", "function", "sympos", "position"],
    `Armed kprobes and kretprobes on a patched (old) function, by position: ${KPROBE_POSITIONS.join(", ")}. A probe at the entry still fires (the call enters the old function first); one in the body never fires once every task runs the replacement. At most --collector.functions.limit functions.`,
    KPROBES,
    `${KPROBES_UNREADABLE}; or no probe is on the function`,
  ),
  livepatch_function_ftrace_users: spec(
    ["patch", "object", "function", "sympos"],
    "ftrace users of a patched function besides the live patch (the record's ops count, less the live patch's own). At most --collector.functions.limit functions.",
    ENABLED_FUNCTIONS,
    `${FTRACE_UNREADABLE}; or nothing else uses the function`,
  ),
  livepatch_function_ipmodify_conflict: spec(
    ["patch", "object", "function", "sympos"],
    "1 for a patched function another IPMODIFY ftrace user holds, so the live patch cannot hook it.",
    ENABLED_FUNCTIONS,
    `${FTRACE_UNREADABLE}; or there is no conflict`,
  ),
  livepatch_function_probes_truncated: spec(
    [],
    "Whether the per-function probe series stopped at --collector.functions.limit (1) or list every probed function (0).",
    `${KPROBES}, ${ENABLED_FUNCTIONS}`,
    "never, while the collector is enabled and the patch tree is readable",
  ),
} as const;

export const probesView = defineView(METRICS, (sink, facts: ProbesFacts) => {
  sink.fact("livepatch_functions_kprobed", {}, facts.kprobedFunctions, (n) => n, "kprobes_list");
  sink.fact(
    "livepatch_functions_ftrace_shared",
    {},
    facts.ftraceSharedFunctions,
    (n) => n,
    "tracefs_enabled_functions",
  );
  sink.fact("livepatch_functions_ipmodify_conflict", {}, facts.ipmodifyConflicts, (n) => n);
  for (const fn of facts.functions) {
    const labels = { patch: fn.patch, object: fn.object, function: fn.function, sympos: symposLabel(fn.sympos) };
    for (const position of KPROBE_POSITIONS) {
      if (fn.kprobes[position] > 0)
        sink.emit("livepatch_function_kprobes", { ...labels, position }, fn.kprobes[position]);
    }
    if (fn.ftraceUsers > 0) sink.emit("livepatch_function_ftrace_users", labels, fn.ftraceUsers);
    if (fn.ipmodifyConflict) sink.emit("livepatch_function_ipmodify_conflict", labels, 1);
  }
  sink.emit("livepatch_function_probes_truncated", {}, bool(facts.truncated));
});
