// The redirection collector's metrics: whether ftrace sends each patched
// function to its replacement, and whether that could be checked at all.
import type { RedirectionFacts } from "../../collectors/redirection.js";
import { symposLabel } from "../../collectors/patched-functions.js";
import { bool, defineView, spec } from "../view.js";

const ENABLED_FUNCTIONS = "/sys/kernel/tracing/enabled_functions (or /sys/kernel/debug/tracing/)";
const UNREADABLE =
  'tracefs is not mounted or not readable (root only), see livepatch_fact_unavailable{name="tracefs_enabled_functions"}';

const METRICS = {
  livepatch_tracefs_readable: spec(
    [],
    "Whether ftrace's enabled_functions could be read (1) or not (0: tracefs not mounted, or not root; livepatch_fact_unavailable says why), so that patched functions can be checked. Opt-in: --collector.redirection.",
    ENABLED_FUNCTIONS,
    "never, while the collector is enabled and the patch tree is readable",
  ),
  livepatch_functions_checked: spec(
    [],
    "Patched functions checked against ftrace: every function of an enabled patch's patched object (6.1+: the object's patched attribute is 1; before, vmlinux and loaded modules).",
    `/sys/kernel/livepatch, ${ENABLED_FUNCTIONS}`,
    UNREADABLE,
  ),
  livepatch_functions_not_redirected: spec(
    [],
    "Checked patched functions whose ftrace call site is not hooked by the live patch handler (klp_ftrace_handler): the kernel still runs the old code. Should be 0.",
    `/sys/kernel/livepatch, ${ENABLED_FUNCTIONS}`,
    UNREADABLE,
  ),
  livepatch_function_redirected: spec(
    ["patch", "object", "function", "sympos"],
    "Each checked patched function: 1 when ftrace redirects it to the live patch handler, 0 when not. Not redirected ones first, at most --collector.functions.limit.",
    `/sys/kernel/livepatch, ${ENABLED_FUNCTIONS}`,
    `${UNREADABLE}; or the function's object is not patched (a patch being disabled, a module not loaded)`,
  ),
  livepatch_function_redirected_truncated: spec(
    [],
    "Whether livepatch_function_redirected stopped at --collector.functions.limit (1) or lists every checked function (0).",
    ENABLED_FUNCTIONS,
    UNREADABLE,
  ),
} as const;

export const redirectionView = defineView(METRICS, (sink, facts: RedirectionFacts) => {
  sink.emit("livepatch_tracefs_readable", {}, bool(facts.source.state === "ok"));
  if (facts.source.state === "unknown") sink.unavailable("tracefs_enabled_functions", facts.source.reason);
  sink.fact("livepatch_functions_checked", {}, facts.checked, (n) => n);
  sink.fact("livepatch_functions_not_redirected", {}, facts.notRedirected, (n) => n);
  if (facts.source.state !== "ok") return;
  for (const fn of facts.functions) {
    sink.emit(
      "livepatch_function_redirected",
      { patch: fn.patch, object: fn.object, function: fn.function, sympos: symposLabel(fn.sympos) },
      bool(fn.hook.redirected),
    );
  }
  sink.emit("livepatch_function_redirected_truncated", {}, bool(facts.truncated));
});
