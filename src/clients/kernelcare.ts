// TuxCare KernelCare: `kcarectl --info` and `kcarectl --patch-info`. Loads
// its own kcare module, so its patches are not in /sys/kernel/livepatch.
import { KERNELCARE_STATES, parseKcarectlInfo, parseKcarectlPatchInfo } from "../parse/clients/kernelcare.js";
import type { ClientDefinition } from "./definition.js";
import { uniqueFixes, type ClientFix, type PatchState } from "./view.js";

export const kernelcare: ClientDefinition = {
  name: "kernelcare",
  title: "TuxCare KernelCare",
  usualPaths: ["/usr/bin/kcarectl", "/usr/sbin/kcarectl", "/bin/kcarectl"],
  commands: [["--info"], ["--patch-info"]],
  // Not in the collected samples: an unregistered server's message is assumed to say so.
  failureTexts: [[/\bnot registered\b/i, "not_enabled"]],
  interpret([infoOutput = "", patchInfoOutput = ""]) {
    const info = parseKcarectlInfo(infoOutput);
    const patches = parseKcarectlPatchInfo(patchInfoOutput);
    if (info === undefined || patches === undefined) return undefined;
    const applied = info.state === "applied";
    const known = info.state === "applied" || info.state === "unpatched";
    const fixes: ClientFix[] = patches.flatMap((p) => p.cves.map((name) => ({ name, patched: true })));
    return {
      patches: known ? new Map<PatchState, number>([["applied", applied ? patches.length : 0]]) : undefined,
      fixes: applied ? uniqueFixes(fixes) : info.state === "unpatched" ? [] : undefined,
      state: info.state === undefined ? undefined : { current: info.state, known: KERNELCARE_STATES },
      supportState: undefined,
      effectiveKernel: info.effectiveKernel,
      coverageEndSeconds: undefined,
      coveredAndPatched: false,
      problems: [
        info.state === "unpatched" ? `no KernelCare patch is applied (${info.stateText ?? ""})` : undefined,
        info.state === "unknown" ? `kpatch-state not understood: ${info.stateText ?? ""}` : undefined,
      ].filter((p) => p !== undefined),
      details: [
        info.patchLevel === undefined ? undefined : `patch level ${info.patchLevel}`,
        info.effectiveKernel === undefined ? undefined : `effective kernel ${info.effectiveKernel}`,
        `${patches.length} patch(es) listed`,
      ].filter((d) => d !== undefined),
    };
  },
};
