// The kmsg collector's metrics: what the kernel log said since boot about
// live patching and module loading, and whether it could be read whole.
import type { KmsgFacts } from "../../collectors/kmsg.js";
import { LIVEPATCH_EVENTS, MODULE_EVENTS, REFUSAL_REASONS } from "../../parse/kmsg-messages.js";
import { bool, defineView, listed, spec } from "../view.js";

const SOURCE = "/dev/kmsg (--path.kmsg)";
const UNREADABLE = "the kernel log has not been readable since the exporter started (see livepatch_kmsg_readable)";

const METRICS = {
  livepatch_kmsg_readable: spec(
    [],
    'Whether this scrape read the kernel log to its end (1) or could not read it (0; the reason is in livepatch_fact_unavailable{name="kmsg"}: with kernel.dmesg_restrict=1 reading it needs CAP_SYSLOG).',
    SOURCE,
    "the kmsg collector is disabled",
  ),
  livepatch_kmsg_wrapped: spec(
    [],
    "Whether records of this boot were overwritten before the exporter read them (1), so that earlier events may be missing, or the log holds everything since boot (0).",
    SOURCE,
    UNREADABLE,
  ),
  livepatch_kmsg_records_total: spec(
    [],
    "Kernel log records read since boot, each once.",
    SOURCE,
    UNREADABLE,
    "counter",
  ),
  livepatch_kmsg_lost_records_total: spec(
    [],
    "Kernel log records of this boot that were overwritten before the exporter could read them (gaps in the sequence numbers, those before it started included).",
    SOURCE,
    UNREADABLE,
    "counter",
  ),
  livepatch_kmsg_malformed_records_total: spec(
    [],
    "Texts read from the kernel log that are not records (prio,seq,usec,flags;message).",
    SOURCE,
    UNREADABLE,
    "counter",
  ),
  livepatch_kmsg_events_total: spec(
    ["event", "patch"],
    `Live patching events the kernel logged since boot, by event (${listed(LIVEPATCH_EVENTS, {
      signaling: "the transition in progress's",
      forcing: "the transition in progress's",
      reversing: "a start in the other direction while a transition runs",
      cancelling: "follows enable_failed",
      debug: "dynamic debug lines",
      other: "any other livepatch line",
    })}) and patch ("" when no patch can be told).`,
    `${SOURCE}: "livepatch: ..." lines`,
    UNREADABLE,
    "counter",
  ),
  livepatch_kmsg_module_events_total: spec(
    ["event", "module"],
    `Module loading events the kernel logged since boot, by event (${listed(MODULE_EVENTS)}) and module ("" when the line names none).`,
    `${SOURCE}: module loader and lockdown lines`,
    UNREADABLE,
    "counter",
  ),
  livepatch_kmsg_refused_module_loads_total: spec(
    ["reason"],
    `Module loads the kernel refused since boot, by the reason its log gives (${listed(REFUSAL_REASONS)}); a reason with no refusal this boot has no series (alert on livepatch_kmsg_last_refused_module_load_timestamp_seconds, which increase() cannot miss). modules_disabled=1 refuses without a log line (see livepatch_modules_disabled).`,
    SOURCE,
    `no module load was refused for the reason since boot, or ${UNREADABLE}`,
    "counter",
  ),
  livepatch_kmsg_last_refused_module_load_timestamp_seconds: spec(
    ["reason"],
    "When the kernel last refused a module load for this reason, in seconds since the epoch (the log's time since boot plus the boot time): time() minus this is how long ago.",
    `${SOURCE}, /proc/stat btime`,
    `no module load was refused for the reason since boot, the boot time is unknown (see livepatch_fact_unavailable{name="kmsg_refusal_time"}), or ${UNREADABLE}`,
  ),
  livepatch_kmsg_patch_forced: spec(
    ["patch"],
    "Whether a transition of this patch was forced since boot (1: tasks were switched without the consistency model's checks), or not (0), for every patch the kernel log names.",
    `${SOURCE}: "forcing remaining tasks to the patched state"`,
    'the patch\'s history is not all in the log (overwritten; see livepatch_fact_unavailable{name="kmsg_patch_forced"})',
  ),
  livepatch_kmsg_transition_start_timestamp_seconds: spec(
    ["patch", "direction"],
    "When the transition in progress started, in seconds since the epoch (the log's time since boot plus the boot time): its age is time() minus this.",
    `${SOURCE}: "'<patch>': starting <direction> transition", /proc/stat btime, /sys/kernel/livepatch`,
    'no transition is in progress, or the log no longer holds its start (see livepatch_fact_unavailable{name="kmsg_transition_start"})',
  ),
  livepatch_kmsg_transition_duration_seconds: spec(
    ["patch", "direction"],
    "How long the last completed transition of each patch took, from its start to its complete line, in seconds.",
    `${SOURCE}: "'<patch>': starting <direction> transition", "'<patch>': <direction> complete"`,
    "no transition of the patch was logged from start to end",
  ),
} as const;

export const kmsgView = defineView(METRICS, (sink, facts: KmsgFacts, derived) => {
  sink.emit("livepatch_kmsg_readable", {}, bool(facts.readable.state === "ok"));
  if (facts.readable.state === "unknown") sink.unavailable("kmsg", facts.readable.reason);
  const start = derived.kmsg?.transitionStart;
  if (start?.state === "ok") {
    const { patch, direction, startSeconds } = start.value;
    sink.emit("livepatch_kmsg_transition_start_timestamp_seconds", { patch, direction }, startSeconds);
  } else if (start?.state === "unknown") sink.unavailable("kmsg_transition_start", start.reason);
  const log = facts.log;
  if (log === undefined) return;
  sink.emit("livepatch_kmsg_wrapped", {}, bool(log.lost > 0));
  sink.emit("livepatch_kmsg_records_total", {}, log.records);
  sink.emit("livepatch_kmsg_lost_records_total", {}, log.lost);
  sink.emit("livepatch_kmsg_malformed_records_total", {}, log.malformed);
  for (const e of log.events) sink.emit("livepatch_kmsg_events_total", { event: e.event, patch: e.name }, e.count);
  for (const e of log.moduleEvents) {
    sink.emit("livepatch_kmsg_module_events_total", { event: e.event, module: e.name }, e.count);
  }
  // Only the reasons seen: seven zero counters on every host would be 70,000 series in a fleet of 10,000.
  for (const [reason, { count }] of log.refusals) {
    sink.emit("livepatch_kmsg_refused_module_loads_total", { reason }, count);
  }
  const lastRefusals = derived.kmsg?.lastRefusals;
  if (lastRefusals?.state === "ok") {
    for (const [reason, seconds] of lastRefusals.value) {
      sink.emit("livepatch_kmsg_last_refused_module_load_timestamp_seconds", { reason }, seconds);
    }
  } else if (lastRefusals?.state === "unknown") sink.unavailable("kmsg_refusal_time", lastRefusals.reason);
  let forcedUnknown = false;
  for (const patch of log.patches) {
    if (patch.name === "") continue;
    if (patch.forced.state === "ok")
      sink.emit("livepatch_kmsg_patch_forced", { patch: patch.name }, bool(patch.forced.value));
    else forcedUnknown = true;
    const last = patch.lastCompleted;
    if (last !== undefined) {
      sink.emit(
        "livepatch_kmsg_transition_duration_seconds",
        { patch: patch.name, direction: last.direction },
        last.seconds,
      );
    }
  }
  if (forcedUnknown) sink.unavailable("kmsg_patch_forced", "overwritten");
});
