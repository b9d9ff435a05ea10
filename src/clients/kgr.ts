// SUSE kGraft on SLE 12 (up to SP3 kernels use kGraft, /sys/kernel/kgraft,
// not /sys/kernel/livepatch): `kgr status`, `kgr -v patches` and `kgr
// blocking`. The same output as klp, so the same metrics; kgr blocking names
// the processes a transition waits for, which sysfs-based collectors cannot
// see under kGraft. SLE 15 ships kgr as a wrapper of klp: when klp is
// installed too, only klp runs.
import { parseBlocking, parseKlpPatches, parseKlpStatus } from "../parse/clients/klp.js";
import type { ClientDefinition } from "./definition.js";
import { klpView } from "./klp.js";

export const kgr: ClientDefinition = {
  name: "kgr",
  title: "SUSE kGraft (kgr)",
  usualPaths: ["/usr/bin/kgr", "/usr/sbin/kgr", "/bin/kgr"],
  commands: [["status"], ["-v", "patches"], ["blocking"]],
  failureTexts: [],
  supersededBy: "klp",
  interpret([statusOutput = "", patchesOutput = "", blockingOutput = ""]) {
    const state = parseKlpStatus(statusOutput);
    const patches = parseKlpPatches(patchesOutput);
    if (state === undefined || patches === undefined) return undefined;
    const blocking = parseBlocking(blockingOutput);
    return klpView(
      state,
      patches,
      blocking !== undefined && blocking > 0
        ? [`${blocking} process(es) block the kGraft transition (kgr blocking)`]
        : [],
      blocking === undefined ? ["kgr blocking printed something this exporter does not know"] : [],
    );
  },
};
