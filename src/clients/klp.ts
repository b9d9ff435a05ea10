// SUSE kernel-livepatch-tools: `klp status` and `klp -v patches`. CVE ids per
// patch, no coverage statement.
import { KLP_STATES, parseKlpPatches, parseKlpStatus } from "../parse/clients/klp.js";
import type { ClientDefinition } from "./definition.js";
import { countByState, uniqueFixes, type PatchState } from "./view.js";

export const klp: ClientDefinition = {
  name: "klp",
  title: "SUSE klp",
  usualPaths: ["/usr/bin/klp", "/usr/sbin/klp", "/bin/klp"],
  commands: [["status"], ["-v", "patches"]],
  failureTexts: [],
  interpret([statusOutput = "", patchesOutput = ""]) {
    const state = parseKlpStatus(statusOutput);
    const patches = parseKlpPatches(patchesOutput);
    if (state === undefined || patches === undefined) return undefined;
    // A patch whose "active" line is missing leaves the counts unknown, not 0.
    const known = patches.every((p) => p.active !== undefined);
    const inactive = patches.filter((p) => p.active === false).map((p) => p.name);
    return {
      patches: known
        ? countByState<(typeof patches)[number]>(patches, ["applied", "disabled"], (p): PatchState =>
            p.active === true ? "applied" : "disabled",
          )
        : undefined,
      fixes: uniqueFixes(patches.flatMap((p) => p.cves.map((name) => ({ name, patched: p.active === true })))),
      state: { current: state, known: KLP_STATES },
      supportState: undefined,
      effectiveKernel: undefined,
      coverageEndSeconds: undefined,
      coveredAndPatched: false,
      problems: [
        state === "in_progress" ? "a live patch transition is in progress" : undefined,
        inactive.length > 0 ? `not active: ${inactive.join(", ")}` : undefined,
      ].filter((p) => p !== undefined),
      details: patches.map((p) => `${p.name}${p.rpm === undefined ? "" : ` (${p.rpm})`}`),
    };
  },
};
