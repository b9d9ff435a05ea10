// Reboot: each reason a reboot is required, the reasons that could not be
// checked, and whether a vendor client says the reboot can wait.
import { CLIENT_NAMES } from "../../clients/names.js";
import { REBOOT_REASONS, type RebootReason } from "../../derive/reboot.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Finding } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";

const REBOOT_TEXT: Readonly<Record<RebootReason, string>> = {
  reboot_required_file: "/run/reboot-required exists",
  reboot_needed_file: "/run/reboot-needed exists",
  newer_kernel_installed: "a newer kernel is installed",
  running_kernel_modules_missing: "the running kernel's /lib/modules directory is gone",
};

export function rebootSection(snapshot: Snapshot): SectionResult {
  const reboot = snapshot.derived.reboot;
  if (reboot === undefined) return EMPTY;
  const findings: Finding[] = [];
  for (const reason of REBOOT_REASONS) {
    const fact = reboot.reasons[reason];
    if (fact.state === "ok" && fact.value.required) {
      const newest =
        reason === "newer_kernel_installed" && reboot.newestKernel.state === "ok" ? reboot.newestKernel.value : null;
      const packages =
        reason === "reboot_required_file" && reboot.packages.state === "ok" && reboot.packages.value.length > 0
          ? reboot.packages.value
          : null;
      const shown = newest ?? packages?.join(", ");
      const text = `reboot required: ${REBOOT_TEXT[reason]}${shown === undefined ? "" : ` (${shown})`}`;
      const facts = {
        required: true,
        reason,
        since: fact.value.sinceSeconds === undefined ? null : new Date(fact.value.sinceSeconds * 1000).toISOString(),
        packages,
        newest_kernel: newest,
      };
      findings.push(finding("reboot_required", "warn", text, { subject: reason, facts }));
    } else if (fact.state === "unknown") {
      findings.push(
        finding(
          "reboot_reason_unknown",
          "info",
          `cannot tell whether ${REBOOT_TEXT[reason]}: ${reasonText(fact.reason)}`,
          {
            subject: reason,
            facts: { reason, unknown: fact.reason },
          },
        ),
      );
    }
  }
  const required = findings.some((f) => f.id === "reboot_required");
  if (!required)
    findings.unshift(finding("reboot_required", "ok", "no reboot required", { facts: { required: false } }));
  for (const name of CLIENT_NAMES) {
    const wait = snapshot.derived.rebootCanWait[name];
    if (wait?.state !== "ok") continue;
    findings.push(
      finding(
        "reboot_can_wait",
        "info",
        wait.value
          ? `the reboot can wait: ${name} says the running kernel is covered and its patches are applied`
          : `${name} does not vouch for postponing the reboot`,
        { subject: name, facts: { client: name, can_wait: wait.value } },
      ),
    );
  }
  return { findings, fine: required ? [] : ["no reboot required"] };
}
