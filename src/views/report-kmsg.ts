// The kernel log's part of the `check` report and the landing page (src/views/report.ts):
// how long the transition in progress has been running, which patches were
// forced, which module loads the kernel refused, and whether the log could be
// read whole. Kept apart so that the report's structure can change around it.
import type { KernelFacts } from "../collectors/kernel.js";
import type { KmsgFacts } from "../collectors/kmsg.js";
import type { KmsgDerived } from "../derive/kmsg.js";
import type { RefusalReason } from "../parse/kmsg-messages.js";

type Level = "ok" | "info" | "warn" | "fail";
interface Finding {
  readonly level: Level;
  readonly text: string;
}

/** Past this, a running transition is reported as a problem of its own (LivepatchTransitionNotCompleting's 30 min). */
export const TRANSITION_STUCK_SECONDS = 30 * 60;

const REFUSAL_TEXT: Readonly<Record<RefusalReason, string>> = {
  unsigned: "unsigned module, signatures enforced",
  unavailable_key: "signed with a key the kernel does not trust",
  unsupported_crypto: "signed with crypto the kernel cannot check",
  lockdown: "unsigned module under lockdown",
  livepatch_unsupported: "a live patch on a kernel without live patching",
  patch_apply_failed: "a loaded live patch could not be applied to the module",
  patch_enable_failed: "a live patch failed to enable",
};

const finding = (level: Level, text: string): Finding => ({ level, text });

/** "2d 3h", "1h 5m", "3m 12s", "42s". */
export function formatAge(seconds: number): string {
  const s = Math.max(0, Math.floor(seconds));
  const d = Math.floor(s / 86400);
  const h = Math.floor((s % 86400) / 3600);
  const m = Math.floor((s % 3600) / 60);
  if (d > 0) return `${d}d ${h}h`;
  if (h > 0) return `${h}h ${m}m`;
  if (m > 0) return `${m}m ${s % 60}s`;
  return `${s}s`;
}

const iso = (seconds: number): string => new Date(Math.round(seconds * 1000)).toISOString();

/** Under the "transition in progress" finding: since when, by the kernel log. */
export function transitionAgeFindings(derived: KmsgDerived | undefined, nowMs: number): Finding[] {
  const start = derived?.transitionStart;
  if (start === undefined) return [];
  if (start.state !== "ok") {
    const why = start.state === "unknown" ? start.reason.replace(/_/g, " ") : "absent";
    return [finding("info", `  started: unknown (the kernel log cannot tell: ${why})`)];
  }
  const age = nowMs / 1000 - start.value.startSeconds;
  const text = `  running for ${formatAge(age)}, since ${iso(start.value.startSeconds)} (kernel log)`;
  return [finding(age >= TRANSITION_STUCK_SECONDS ? "warn" : "info", text)];
}

/** The "Kernel log" section. */
export function kernelLogFindings(kmsg: KmsgFacts | undefined, kernel: KernelFacts | undefined): Finding[] {
  if (kmsg === undefined) return [finding("info", "the kernel log was not read (collector kmsg failed)")];
  const findings: Finding[] = [];
  if (kmsg.readable.state === "unknown") {
    const reason = kmsg.readable.reason;
    const hint =
      reason === "unreadable"
        ? ": with kernel.dmesg_restrict=1 reading it needs CAP_SYSLOG"
        : reason === "not_found"
          ? ": map the host's /dev/kmsg in and point --path.kmsg at it"
          : "";
    findings.push(finding("info", `cannot read the kernel log at ${kmsg.path}: ${reason.replace(/_/g, " ")}${hint}`));
  }
  const log = kmsg.log;
  if (log === undefined) return findings;
  if (kmsg.readable.state === "ok") {
    findings.push(
      finding(
        "ok",
        `read ${log.records} record(s) of this boot from ${kmsg.path}${kmsg.kind === "file" ? " (a saved copy)" : ""}`,
      ),
    );
  }
  if (log.lost > 0) {
    findings.push(
      finding(
        "info",
        `${log.lost} record(s) of this boot were overwritten before they could be read: earlier events are unknown`,
      ),
    );
  }
  const boot = kernel?.bootTimeSeconds.state === "ok" ? kernel.bootTimeSeconds.value : undefined;
  for (const patch of log.patches) {
    if (patch.forced.state !== "ok" || !patch.forced.value) continue;
    const when =
      boot !== undefined && patch.forcedAtUsec !== undefined ? ` at ${iso(boot + patch.forcedAtUsec / 1e6)}` : "";
    findings.push(
      finding(
        "warn",
        `${patch.name}: a transition was forced${when}: tasks were switched without the consistency model's checks; reboot when you can`,
      ),
    );
  }
  const refusals = [...log.refusals].filter(([, n]) => n > 0);
  if (refusals.length > 0) {
    const total = refusals.reduce((sum, [, n]) => sum + n, 0);
    const detail = refusals.map(([reason, n]) => `${reason} ${n} (${REFUSAL_TEXT[reason]})`).join(", ");
    findings.push(finding("warn", `the kernel refused ${total} module load(s) since boot: ${detail}`));
  }
  for (const e of log.events) {
    if (e.event === "enable_failed")
      findings.push(
        finding("warn", `${e.name || "a patch"} failed to enable (${e.count}x); its transition was cancelled`),
      );
    if (e.event === "apply_failed")
      findings.push(
        finding("warn", `${e.name || "a patch"} failed to apply to a module loading after it (${e.count}x)`),
      );
  }
  for (const patch of log.patches) {
    const last = patch.lastCompleted;
    if (last === undefined || patch.name === "") continue;
    findings.push(
      finding("info", `${patch.name}: last transition (${last.direction}) took ${last.seconds.toFixed(3)} s`),
    );
  }
  return findings;
}
