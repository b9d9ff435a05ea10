// The functions collector's metrics: one info series per patched function.
import type { FunctionsFacts } from "../../collectors/functions.js";
import { symposLabel } from "../../collectors/patched-functions.js";
import { bool, defineView, spec } from "../view.js";

const METRICS = {
  livepatch_function_info: spec(
    ["patch", "object", "function", "sympos"],
    'Patched functions, one series each (value 1): the patch, the object (vmlinux or a module) and the function it replaces, and the function\'s sympos (its position among local symbols of the same name; "" on kernels before 4.5). Opt-in: --collector.functions; at most --collector.functions.limit.',
    "/sys/kernel/livepatch/<patch>/<object>/<function,sympos>/",
    "no live patch is loaded, or beyond --collector.functions.limit",
  ),
  livepatch_function_info_truncated: spec(
    [],
    "Whether livepatch_function_info stopped at --collector.functions.limit (1) or lists every patched function (0).",
    "/sys/kernel/livepatch",
    "the patch tree could not be read",
  ),
} as const;

export const functionsView = defineView(METRICS, (sink, facts: FunctionsFacts) => {
  for (const fn of facts.functions) {
    sink.emit(
      "livepatch_function_info",
      { patch: fn.patch, object: fn.object, function: fn.function, sympos: symposLabel(fn.sympos) },
      1,
    );
  }
  sink.emit("livepatch_function_info_truncated", {}, bool(facts.truncated));
});
