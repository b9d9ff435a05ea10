// TuxCare KernelCare: `kcarectl --info` and `kcarectl --patch-info`. Loads
// its own kcare module, so its patches are not in /sys/kernel/livepatch. It
// says whether it supports the running kernel only by refusing it ("Unknown
// kernel …, no patches available"), or by applying a patch built for it.
import { parseKcarectlInfo, parseKcarectlPatchInfo, parseUnknownKernel } from "../parse/clients/kernelcare.js";
import type { ClientDefinition } from "./definition.js";
import { clientView, uniqueFixes, type ClientFix, type PatchState } from "./view.js";

export const kernelcare: ClientDefinition = {
  name: "kernelcare",
  title: "TuxCare KernelCare",
  usualPaths: ["/usr/bin/kcarectl", "/usr/sbin/kcarectl", "/bin/kcarectl"],
  commands: [["--info"], ["--patch-info"]],
  // Not in the collected samples: an unregistered server's message is assumed to say so.
  failureTexts: [[/\bnot registered\b/i, "not_enabled"]],
  answer(text) {
    const unknown = parseUnknownKernel(text);
    if (unknown === undefined) return undefined;
    return clientView({
      // No patches exist for this kernel: none is applied, no CVE is fixed.
      patches: new Map<PatchState, number>([["applied", 0]]),
      fixes: [],
      supportState: "unsupported",
      problems: [`KernelCare has no patches for this kernel (${unknown.kernel}): it is not live-patched`],
    });
  },
  interpret([infoOutput = "", patchInfoOutput = ""]) {
    const info = parseKcarectlInfo(infoOutput);
    const patches = parseKcarectlPatchInfo(patchInfoOutput);
    if (info === undefined || patches === undefined) return undefined;
    const applied = info.state === "applied";
    const known = info.state === "applied" || info.state === "unpatched";
    const fixes: ClientFix[] = patches.flatMap((p) => p.cves.map((name) => ({ name, patched: true })));
    return clientView({
      patches: known ? new Map<PatchState, number>([["applied", applied ? patches.length : 0]]) : undefined,
      fixes: applied ? uniqueFixes(fixes) : info.state === "unpatched" ? [] : undefined,
      state: info.state,
      // A patch built for this kernel is applied: KernelCare supports it.
      supportState: applied ? "supported" : undefined,
      effectiveKernel: info.effectiveKernel,
      problems: [
        info.state === "unpatched" ? `no KernelCare patch is applied (${info.stateText ?? ""})` : undefined,
        info.state === "unknown" ? `kpatch-state not understood: ${info.stateText ?? ""}` : undefined,
      ].filter((p) => p !== undefined),
      details: [
        info.patchLevel === undefined ? undefined : `patch level ${info.patchLevel}`,
        info.effectiveKernel === undefined ? undefined : `effective kernel ${info.effectiveKernel}`,
        `${patches.length} patch(es) listed`,
      ].filter((d) => d !== undefined),
    });
  },
};
