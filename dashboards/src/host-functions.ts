// The Host dashboard's row for the opt-in collectors of patched functions
// (functions, redirection, probes) and the blocking threads' stacks: which
// functions the patches replace, whether ftrace redirects each one, probes on
// them, and where a blocking thread sleeps. Collapsed: hosts without the
// collectors have nothing to show there. Placed by host.ts.
import { sel } from "./conventions.js";
import { describe } from "./help.js";
import type { Row } from "./model.js";
import { colored, current, goodBad, mappings, rows, statPanel, tablePanel } from "./panels.js";

const FN = "job, instance, patch, object, function, sympos";
const NOT_COLLECTED = "Not collected: --collector.functions, --collector.redirection, --collector.probes";

/** Host: the collapsed "Patched functions" row, after the Exporter row. */
export function patchedFunctionsRow(): Row {
  return {
    title: "Patched functions",
    collapsed: true,
    panels: [
      tablePanel({
        title: "Patched functions",
        description: describe(
          "Each function a patch replaces (--collector.functions), whether ftrace redirects it to the live patch handler (--collector.redirection; empty when its object is not patched), and the probes on it (--collector.probes): kprobes at its entry still fire, kprobes in its body never fire once every task runs the replacement; other ftrace users are tracers, ftrace-based kprobes or BPF programs sharing its call site.",
          [
            "livepatch_function_info",
            "livepatch_function_redirected",
            "livepatch_function_kprobes",
            "livepatch_function_ftrace_users",
          ],
        ),
        unit: "none",
        w: 24,
        h: 8,
        targets: [
          rows(`max by (${FN}) (${sel("livepatch_function_info")})`),
          rows(`max by (${FN}) (${sel("livepatch_function_redirected")})`),
          rows(`sum by (${FN}) (${sel("livepatch_function_kprobes", 'position="entry"')})`),
          rows(`sum by (${FN}) (${sel("livepatch_function_kprobes", 'position="body"')})`),
          rows(`max by (${FN}) (${sel("livepatch_function_ftrace_users")})`),
        ],
        columns: [
          "instance",
          "patch",
          "object",
          "function",
          "sympos",
          "Redirected",
          "Kprobes at entry",
          "Kprobes in body",
          "Other ftrace users",
        ],
        rename: {
          "Value #B": "Redirected",
          "Value #C": "Kprobes at entry",
          "Value #D": "Kprobes in body",
          "Value #E": "Other ftrace users",
        },
        columnProperties: { Redirected: [mappings(goodBad("yes", "NO")), colored()] },
        sortBy: "instance",
        noValue: `No live patch is loaded, or ${NOT_COLLECTED}`,
      }),
      statPanel({
        title: "Functions not redirected",
        description: describe(
          "The kernel runs the old code of these functions. Should be 0; see the LivepatchFunctionNotRedirected runbook. Empty when tracefs could not be read (root only).",
          ["livepatch_functions_not_redirected"],
        ),
        unit: "none",
        w: 6,
        h: 6,
        targets: [current(sel("livepatch_functions_not_redirected"), "{{instance}}")],
        thresholds: [
          [null, "green"],
          [1, "red"],
        ],
        noValue: "Not checked (--collector.redirection, root)",
      }),
      statPanel({
        title: "IPMODIFY conflicts",
        description: describe("The live patch cannot hook these functions. Should be 0.", [
          "livepatch_functions_ipmodify_conflict",
        ]),
        unit: "none",
        w: 6,
        h: 6,
        targets: [current(sel("livepatch_functions_ipmodify_conflict"), "{{instance}}")],
        thresholds: [
          [null, "green"],
          [1, "red"],
        ],
        noValue: "Not checked (--collector.probes, root)",
      }),
      tablePanel({
        title: "Where blocking threads sleep",
        description: describe(
          "The reason the kernel cannot switch each blocking thread. Needs --collector.transition.blocking-threads and root.",
          ["livepatch_transition_blocking_thread_function_info"],
        ),
        unit: "none",
        w: 12,
        h: 6,
        targets: [
          rows(
            `max by (job, instance, patch, pid, tid, object, function) (${sel("livepatch_transition_blocking_thread_function_info")})`,
          ),
        ],
        columns: ["instance", "patch", "pid", "tid", "object", "function"],
        noValue: "No blocking thread inside a patched function, or not collected",
      }),
    ],
  };
}
