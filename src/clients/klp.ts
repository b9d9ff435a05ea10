// SUSE kernel-livepatch-tools: `klp status` and `klp -v patches`. CVE ids per
// patch, no coverage statement. The view is shared with kGraft's `kgr`.
import { parseKlpPatches, parseKlpStatus, type KlpPatch, type KlpState } from "../parse/clients/klp.js";
import type { ClientDefinition } from "./definition.js";
import { clientView, countByState, uniqueFixes, type ClientView, type PatchState } from "./view.js";

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
    return klpView(state, patches, []);
  },
};

/** klp's and kgr's status and patches as a view; `extra` are the caller's problems and details. */
export function klpView(
  state: KlpState,
  patches: readonly KlpPatch[],
  extraProblems: readonly string[],
  extraDetails: readonly string[] = [],
): ClientView {
  // A patch whose "active" line is missing leaves the counts unknown, not 0.
  const known = patches.every((p) => p.active !== undefined);
  const inactive = patches.filter((p) => p.active === false).map((p) => p.name);
  return clientView({
    patches: known
      ? countByState<KlpPatch>(patches, ["applied", "disabled"], (p): PatchState =>
          p.active === true ? "applied" : "disabled",
        )
      : undefined,
    fixes: uniqueFixes(patches.flatMap((p) => p.cves.map((name) => ({ name, patched: p.active === true })))),
    state,
    problems: [state === "in_progress" ? "a live patch transition is in progress" : undefined, ...extraProblems].filter(
      (p) => p !== undefined,
    ),
    details: [
      ...patches.map((p) => `${p.name}${p.rpm === undefined ? "" : ` (${p.rpm})`}`),
      // "active: 0" is a patch a newer cumulative one replaced: "can be unloaded" (klp(8), kgr(8)), not a fault.
      inactive.length > 0 ? `not in use (replaced, can be unloaded): ${inactive.join(", ")}` : undefined,
      ...extraDetails,
    ].filter((d) => d !== undefined),
  });
}
