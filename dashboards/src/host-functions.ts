// The Host dashboard's row for the opt-in collectors of patched functions
// (functions, redirection, probes) and the blocking threads' stacks: which
// functions the patches replace, whether ftrace redirects each one, probes on
// them, and where a blocking thread sleeps. Collapsed: hosts without the
// collectors have nothing to show there.
import type { RowBuilder } from "@grafana/grafana-foundation-sdk/dashboard";
import { sel } from "./conventions.js";
import { collapsedRow, colored, current, goodBad, mappings, rows, statPanel, tablePanel } from "./panels.js";

const FN = "job, instance, patch, object, function, sympos";
const NOT_COLLECTED = "Not collected: --collector.functions, --collector.redirection, --collector.probes";

export function patchedFunctionsRow(): RowBuilder {
  return collapsedRow("Patched functions", [
    tablePanel({
      title: "Patched functions",
      description:
        "Each function a patch replaces (livepatch_function_info, --collector.functions), whether ftrace redirects it to the live patch handler (livepatch_function_redirected, --collector.redirection; empty when its object is not patched), and the probes on it (--collector.probes): kprobes at its entry still fire, kprobes in its body never fire once every task runs the replacement; other ftrace users are tracers, ftrace-based kprobes or BPF programs sharing its call site.",
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
      description:
        "Functions of enabled patches that ftrace does not send to the live patch handler (livepatch_functions_not_redirected): the kernel runs their old code. Should be 0; see the LivepatchFunctionNotRedirected runbook. Empty when tracefs could not be read (root only).",
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
      description:
        "Patched functions held by another ftrace user that modifies the instruction pointer (livepatch_functions_ipmodify_conflict), so the live patch cannot hook them. Should be 0.",
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
      description:
        "The patched function each blocking thread's kernel stack is inside (livepatch_transition_blocking_thread_function_info): the reason the kernel cannot switch it. Needs --collector.transition.blocking-threads and root.",
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
  ]);
}
