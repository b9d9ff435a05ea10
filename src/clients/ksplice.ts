// Oracle Ksplice: `uptrack-show`. Ksplice patches are not visible in
// /sys/kernel/livepatch; the effective kernel version is the fact to export.
import { parseUptrackShow } from "../parse/clients/ksplice.js";
import type { ClientDefinition } from "./definition.js";
import { uniqueFixes, type PatchState } from "./view.js";

export const ksplice: ClientDefinition = {
  name: "ksplice",
  title: "Oracle Ksplice",
  usualPaths: ["/usr/sbin/uptrack-show", "/usr/bin/uptrack-show"],
  commands: [[]],
  failureTexts: [],
  interpret([output = ""]) {
    const status = parseUptrackShow(output);
    if (status === undefined) return undefined;
    const installed = status.sections.get("installed");
    const available = status.sections.get("available");
    let patches: Map<PatchState, number> | undefined;
    if (installed !== undefined) {
      patches = new Map<PatchState, number>([["applied", installed.length]]);
      if (available !== undefined) patches.set("available", available.length);
    }
    return {
      patches,
      fixes:
        installed === undefined
          ? undefined
          : uniqueFixes([
              ...installed.flatMap((u) => u.cves.map((name) => ({ name, patched: true }))),
              ...(available ?? []).flatMap((u) => u.cves.map((name) => ({ name, patched: false }))),
            ]),
      state: undefined,
      supportState: undefined,
      effectiveKernel: status.effectiveKernel,
      coverageEndSeconds: undefined,
      coveredAndPatched: false,
      problems:
        available !== undefined && available.length > 0
          ? [`${available.length} update(s) available but not installed`]
          : [],
      details: [
        installed === undefined ? "no list of installed updates" : `${installed.length} update(s) installed`,
        status.effectiveKernel === undefined
          ? "no effective kernel version"
          : `effective kernel ${status.effectiveKernel}`,
      ],
    };
  },
};
