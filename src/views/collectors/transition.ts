// The transition collector's metrics: the patch in transition, its direction,
// and the threads that block it.
import { THREAD_STATES, type TransitionFacts } from "../../collectors/transition.js";
import { bool, defineView, listed, spec } from "../view.js";

const METRICS = {
  livepatch_transition_in_progress: spec(
    [],
    "Whether a live patch transition is in progress (1) or not (0).",
    "/sys/kernel/livepatch/*/transition",
    "/sys/kernel/livepatch could not be read, or a patch's state is unknown so no answer would be true (the transition collector then fails)",
  ),
  livepatch_transition_info: spec(
    ["patch", "direction"],
    "1 for the patch in transition, with its direction (patching or unpatching).",
    "/sys/kernel/livepatch/<patch>/{enabled,transition}",
    "no transition is in progress",
  ),
  livepatch_transition_threads: spec(
    ["state"],
    `Threads seen during the transition, by patch_state: ${listed(THREAD_STATES)}.`,
    "/proc/*/task/*/patch_state",
    "no transition is in progress",
  ),
  livepatch_transition_blocking_threads: spec(
    ["patch"],
    "Threads whose patch_state is not yet the transition's target, so the transition cannot complete.",
    "/proc/*/task/*/patch_state",
    "no transition is in progress, or some threads were unreadable, or the walk was truncated (see livepatch_fact_unavailable)",
  ),
  livepatch_transition_scan_truncated: spec(
    [],
    "Whether the thread walk stopped at --collector.transition.max-threads (1) or saw every thread (0).",
    "/proc/*/task/*",
    "no transition is in progress",
  ),
  livepatch_transition_blocking_thread_info: spec(
    ["patch", "pid", "tid", "comm"],
    "1 for each thread blocking the transition (opt-in: --collector.transition.blocking-threads; at most --collector.transition.blocking-threads-limit).",
    "/proc/<pid>/task/<tid>/{patch_state,comm}",
    "the flag is off, or no thread blocks",
  ),
  livepatch_transition_blocking_thread_function_info: spec(
    ["patch", "pid", "tid", "object", "function"],
    "1 for each named blocking thread whose kernel stack is inside a patched function, the reason the kernel cannot switch it: the old function and its object, or a replacement and its live patch module. With --collector.transition.blocking-threads; the stack is readable by root only.",
    "/proc/<pid>/task/<tid>/stack",
    'the flag is off, no thread blocks, the thread\'s stack has no patched function (it is running, or its stack is unreliable), or the stack is unreadable (livepatch_fact_unavailable{name="transition_blocking_thread_stack"})',
  ),
} as const;

export const transitionView = defineView(METRICS, (sink, facts: TransitionFacts) => {
  const active = facts.active;
  sink.emit("livepatch_transition_in_progress", {}, bool(active !== undefined));
  if (active === undefined) return;
  sink.emit("livepatch_transition_info", { patch: active.patch, direction: active.direction }, 1);
  for (const state of THREAD_STATES) sink.emit("livepatch_transition_threads", { state }, active.threads[state]);
  sink.emit("livepatch_transition_scan_truncated", {}, bool(active.truncated));
  sink.fact(
    "livepatch_transition_blocking_threads",
    { patch: active.patch },
    active.blocking,
    (n) => n,
    "transition_blocking_threads",
  );
  for (const t of active.blockers) {
    const thread = { patch: active.patch, pid: String(t.pid), tid: String(t.tid) };
    sink.emit("livepatch_transition_blocking_thread_info", { ...thread, comm: t.comm }, 1);
    const inside = t.inside;
    if (inside?.state === "ok" && inside.value !== null) {
      const { object, function: fn } = inside.value;
      sink.emit("livepatch_transition_blocking_thread_function_info", { ...thread, object, function: fn }, 1);
    } else if (inside?.state === "unknown") {
      sink.unavailable("transition_blocking_thread_stack", inside.reason);
    }
  }
});
