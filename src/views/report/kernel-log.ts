// Kernel log: what the kmsg collector read since boot that sysfs cannot show —
// transitions that were forced, module loads the kernel refused and why
// (patches that failed to apply or enable among them), how long each patch's
// last transition took — and whether the log could be read whole. An
// unreadable log is info: a permission of the exporter, not a problem of the
// host. How long the transition in progress has run is on the readiness check
// no_transition_in_progress (transition-start.ts).
import type { KernelFacts } from "../../collectors/kernel.js";
import type { KmsgFacts } from "../../collectors/kmsg.js";
import type { KmsgLog } from "../../collectors/kmsg-history.js";
import type { RefusalReason } from "../../parse/kmsg-messages.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Finding } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";
import { isoTime } from "./transition-start.js";

const REFUSAL_TEXT: Readonly<Record<RefusalReason, string>> = {
  unsigned: "unsigned module, signatures enforced",
  unavailable_key: "signed with a key the kernel does not trust",
  unsupported_crypto: "signed with crypto the kernel cannot check",
  lockdown: "unsigned module under lockdown",
  livepatch_unsupported: "a live patch on a kernel without live patching",
  patch_apply_failed: "a loaded live patch could not be applied to the module",
  patch_enable_failed: "a live patch failed to enable",
};

/** The live patching events that name the patches behind a refusal reason. */
const PATCH_FAILURES: Partial<Record<RefusalReason, { event: string; says: string }>> = {
  patch_apply_failed: { event: "apply_failed", says: "failed to apply to a module loading after it" },
  patch_enable_failed: { event: "enable_failed", says: "failed to enable; its transition was cancelled" },
};

export function kernelLogSection(snapshot: Snapshot): SectionResult {
  if (!snapshot.runs.some((run) => run.name === "kmsg" && run.success)) return EMPTY;
  const kmsg = snapshot.facts.kmsg;
  if (kmsg === undefined) return EMPTY;
  const findings: Finding[] = [];
  if (kmsg.readable.state === "unknown") findings.push(unreadable(kmsg, kmsg.readable.reason));
  const log = kmsg.log;
  if (log === undefined) return { findings, fine: [] };
  if (kmsg.readable.state === "ok") {
    findings.push(
      finding(
        "kmsg_read",
        "ok",
        `read ${log.records} record(s) of this boot from ${kmsg.path}${kmsg.kind === "file" ? " (a saved copy)" : ""}`,
        { facts: { path: kmsg.path, kind: kmsg.kind ?? null, records: log.records, malformed: log.malformed } },
      ),
    );
  }
  if (log.lost > 0) {
    findings.push(
      finding(
        "kmsg_records_lost",
        "info",
        `${log.lost} record(s) of this boot were overwritten before they could be read: earlier events are unknown`,
        {
          details: ["a forced transition or a refusal among them cannot be seen; a larger log_buf_len keeps more"],
          facts: { lost: log.lost },
        },
      ),
    );
  }
  const forced = forcedFindings(log, snapshot.facts.kernel);
  const refused = refusalFindings(log);
  findings.push(...forced, ...refused, ...durationFindings(log));
  const fine =
    kmsg.readable.state === "ok" && forced.length === 0 && refused.length === 0
      ? ["the kernel log shows no forced transition and no refused module load"]
      : [];
  return { findings, fine };
}

function unreadable(kmsg: KmsgFacts, reason: string): Finding {
  const hint =
    reason === "unreadable"
      ? "with kernel.dmesg_restrict=1 reading it needs CAP_SYSLOG (deploy/systemd/drop-ins/kernel-log.conf)"
      : reason === "not_found"
        ? "in a container, map the host's /dev/kmsg in and point --path.kmsg at it"
        : "see the exporter's log";
  return finding("kmsg_unreadable", "info", `cannot read the kernel log at ${kmsg.path}: ${reasonText(reason)}`, {
    details: [hint, "forced transitions and refused loads go unseen, and transitions are not timed from their start"],
    facts: { path: kmsg.path, reason },
  });
}

function forcedFindings(log: KmsgLog, kernel: KernelFacts | undefined): Finding[] {
  const boot = kernel?.bootTimeSeconds.state === "ok" ? kernel.bootTimeSeconds.value : undefined;
  return log.patches
    .filter((patch) => patch.name !== "" && patch.forced.state === "ok" && patch.forced.value)
    .map((patch) => {
      const at =
        boot !== undefined && patch.forcedAtUsec !== undefined ? isoTime(boot + patch.forcedAtUsec / 1e6) : null;
      return finding(
        "transition_forced",
        "warn",
        `${patch.name}: a transition was forced${at === null ? "" : ` at ${at}`}`,
        {
          subject: patch.name,
          details: [
            "the tasks that blocked it were switched without the consistency model's checks: they may run old and new code mixed",
            "the modules of patches it removed can never be unloaded; reboot when you can",
          ],
          facts: { patch: patch.name, forced_at: at },
        },
      );
    });
}

function refusalFindings(log: KmsgLog): Finding[] {
  const findings: Finding[] = [];
  for (const [reason, { count }] of log.refusals) {
    const failure = PATCH_FAILURES[reason];
    const patches = failure === undefined ? [] : log.events.filter((e) => e.event === failure.event);
    findings.push(
      finding(
        "module_load_refused",
        "warn",
        `the kernel refused ${count} module load(s) since boot: ${REFUSAL_TEXT[reason]} (${reason})`,
        {
          subject: reason,
          details: patches.map((e) => `${e.name === "" ? "a patch" : e.name} ${failure?.says ?? ""} (${e.count}x)`),
          facts: { reason, count, patches: patches.map((e) => e.name) },
        },
      ),
    );
  }
  return findings;
}

function durationFindings(log: KmsgLog): Finding[] {
  return log.patches.flatMap((patch) => {
    const last = patch.lastCompleted;
    if (last === undefined || patch.name === "") return [];
    return [
      finding(
        "transition_duration",
        "info",
        `${patch.name}: last transition (${last.direction}) took ${last.seconds.toFixed(3)} s`,
        {
          subject: patch.name,
          facts: { patch: patch.name, direction: last.direction, seconds: last.seconds },
        },
      ),
    ];
  });
}
