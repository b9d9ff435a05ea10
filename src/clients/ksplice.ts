// Oracle Ksplice: `uptrack-show`. Ksplice patches are not visible in
// /sys/kernel/livepatch; the effective kernel version is the fact to export.
// Known-exploit detection updates are installed updates, but their CVEs are
// detected, not fixed: they are counted apart (exploitDetections).
import { parseUptrackShow, type KspliceUpdate } from "../parse/clients/ksplice.js";
import type { ClientDefinition } from "./definition.js";
import { clientView, uniqueFixes, type ClientFix, type PatchState } from "./view.js";

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
    const detections = installed === undefined ? undefined : detectedCves(installed);
    return clientView({
      patches,
      fixes:
        installed === undefined
          ? undefined
          : uniqueFixes([...fixesOf(installed, true), ...fixesOf(available ?? [], false)]),
      exploitDetections: detections,
      effectiveKernel: status.effectiveKernel,
      problems:
        available !== undefined && available.length > 0
          ? [`${available.length} update(s) available but not installed`]
          : [],
      details: [
        installed === undefined ? "no list of installed updates" : `${installed.length} update(s) installed`,
        detections === undefined || detections.length === 0
          ? undefined
          : `known-exploit detection (not a fix) for ${detections.join(", ")}`,
        status.effectiveKernel === undefined
          ? "no effective kernel version"
          : `effective kernel ${status.effectiveKernel}`,
      ].filter((d) => d !== undefined),
    });
  },
};

function fixesOf(updates: readonly KspliceUpdate[], patched: boolean): ClientFix[] {
  return updates.filter((u) => !u.exploitDetection).flatMap((u) => u.cves.map((name) => ({ name, patched })));
}

/** CVEs with an installed detector, each once, in order. */
function detectedCves(updates: readonly KspliceUpdate[]): string[] {
  return [...new Set(updates.filter((u) => u.exploitDetection).flatMap((u) => u.cves))];
}
