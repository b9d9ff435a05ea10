// Live patches: each patch and its state, directories that could not be read
// as a patch, and live patch modules loaded without one. A patch in
// transition is only "info" here: the readiness check
// no_transition_in_progress is the problem, with who blocks it.
import type { LivepatchFacts, PatchFacts } from "../../collectors/livepatch.js";
import type { Snapshot } from "../../snapshot/snapshot.js";
import { finding, reasonText, type Finding, type Level } from "./finding.js";
import { EMPTY, type SectionResult } from "./section.js";

export function patchesSection(snapshot: Snapshot): SectionResult {
  const livepatch = snapshot.facts.livepatch;
  if (livepatch === undefined) return EMPTY;
  const findings: Finding[] = [];
  if (!livepatch.sysfsPresent) {
    findings.push(
      finding("livepatch_sysfs", "info", "no /sys/kernel/livepatch: no upstream live patch can exist", {
        facts: { present: false },
      }),
    );
  } else if (livepatch.patches.length + livepatch.undecodable.length === 0) {
    findings.push(finding("no_patch_loaded", "info", "no live patch is loaded", { facts: { patches: 0 } }));
  }
  findings.push(...livepatch.patches.map(patchFinding));
  for (const name of livepatch.undecodable) {
    findings.push(
      finding(
        "patch_name_not_utf8",
        "warn",
        `a patch directory whose name is not valid UTF-8 (shown as ${name}): its state cannot be read`,
        {
          subject: name,
          details: ["its module name has bytes that are not UTF-8: ls -b /sys/kernel/livepatch shows them"],
          facts: { name },
        },
      ),
    );
  }
  const orphans = snapshot.derived.modulesWithoutPatch;
  if (orphans?.state === "ok") {
    for (const m of orphans.value) {
      findings.push(
        finding(
          "module_without_patch",
          "warn",
          `module ${m.module} (${m.state}) is a live patch module with no active patch`,
          {
            subject: m.module,
            facts: { module: m.module, state: m.state },
          },
        ),
      );
    }
  }
  return { findings, fine: fine(livepatch) };
}

function patchFinding(patch: PatchFacts): Finding {
  const status = patch.status.state === "ok" ? patch.status.value : undefined;
  const functions = patch.objects.reduce((n, o) => n + (o.functions.state === "ok" ? o.functions.value : 0), 0);
  const objects = patch.objects.map((o) =>
    o.patched.state === "ok" ? `${o.name}${o.patched.value ? "" : " (not patched)"}` : o.name,
  );
  const extras = [
    patch.replace.state === "ok" ? `replace=${patch.replace.value ? 1 : 0}` : undefined,
    patch.stackOrder.state === "ok" ? `stack_order=${patch.stackOrder.value}` : undefined,
  ].filter((x) => x !== undefined);
  const shown =
    status ??
    (patch.status.state === "unknown" ? `state unknown (${reasonText(patch.status.reason)})` : "state unknown");
  const level: Level = status === "applied" ? "ok" : status === "patching" || status === "unpatching" ? "info" : "warn";
  const details = status === "disabled" ? ["loaded but its fixes are not active"] : [];
  const suffix = extras.length > 0 ? `; ${extras.join(", ")}` : "";
  return finding(
    "patch",
    level,
    `${patch.name}: ${shown}; ${functions} function(s) in ${objects.join(", ") || "no object"}${suffix}`,
    {
      subject: patch.name,
      details,
      facts: {
        name: patch.name,
        status: status ?? null,
        enabled: patch.enabled.state === "ok" ? patch.enabled.value : null,
        transition: patch.transition.state === "ok" ? patch.transition.value : null,
        replace: patch.replace.state === "ok" ? patch.replace.value : null,
        stack_order: patch.stackOrder.state === "ok" ? patch.stackOrder.value : null,
        objects: patch.objects.map((o) => ({
          name: o.name,
          patched: o.patched.state === "ok" ? o.patched.value : null,
          functions: o.functions.state === "ok" ? o.functions.value : null,
        })),
      },
    },
  );
}

function fine(livepatch: LivepatchFacts): string[] {
  const applied = livepatch.patches.filter((p) => p.status.state === "ok" && p.status.value === "applied");
  const total = livepatch.patches.length + livepatch.undecodable.length;
  if (applied.length === 0) return [];
  const names = applied.map((p) => p.name).join(", ");
  return [applied.length === total ? `${names} applied` : `${names} applied (${applied.length} of ${total} patches)`];
}
