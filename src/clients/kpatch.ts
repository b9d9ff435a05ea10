// Red Hat kpatch: `kpatch list`. No CVE data and no coverage statement, so it
// never vouches for postponing a reboot.
import { parseKpatchList, type KpatchList } from "../parse/clients/kpatch.js";
import type { ClientDefinition } from "./definition.js";
import { clientView, type PatchState } from "./view.js";

const PATCH_STATES: readonly PatchState[] = ["applied", "applying", "removing", "disabled", "not_loaded"];

const LOADED_STATE: Readonly<Record<string, PatchState>> = {
  enabled: "applied",
  enabling: "applying",
  disabling: "removing",
  disabled: "disabled",
};

/** Module names: sysfs uses "_" where the file name may have "-". */
const moduleKey = (name: string): string => name.replace(/\.ko$/, "").replace(/-/g, "_");

export const kpatch: ClientDefinition = {
  name: "kpatch",
  title: "kpatch",
  usualPaths: ["/usr/sbin/kpatch", "/usr/bin/kpatch", "/usr/local/sbin/kpatch", "/usr/local/bin/kpatch"],
  commands: [["list"]],
  failureTexts: [],
  interpret([output = ""], { runningRelease }) {
    const list = parseKpatchList(output);
    if (list === undefined) return undefined;
    const counts = new Map<PatchState, number>(PATCH_STATES.map((s) => [s, 0]));
    const unknownStates: string[] = [];
    for (const module of list.loaded) {
      // Before kpatch 0.5.0 a loaded module had no state: only enabled ones were listed.
      const state = module.state === undefined ? "applied" : LOADED_STATE[module.state];
      if (state === undefined) unknownStates.push(`${module.name} [${module.state ?? ""}]`);
      else counts.set(state, (counts.get(state) ?? 0) + 1);
    }
    const notLoaded = notLoadedForRunningKernel(list, runningRelease);
    counts.set("not_loaded", notLoaded.length);
    const inProgress =
      list.loaded.some((m) => m.state === "enabling" || m.state === "disabling") ||
      list.stalledProcesses > 0 ||
      list.functionsInTransition > 0;
    const disabled = list.loaded.filter((m) => m.state === "disabled").map((m) => m.name);
    return clientView({
      patches: counts,
      state: inProgress ? "in_progress" : "ready",
      problems: [
        inProgress
          ? `a patch transition is in progress${list.stalledProcesses > 0 ? ` (${list.stalledProcesses} stalled process(es))` : ""}`
          : undefined,
        disabled.length > 0 ? `loaded but disabled: ${disabled.join(", ")}` : undefined,
        notLoaded.length > 0 ? `installed for ${runningRelease} but not loaded: ${notLoaded.join(", ")}` : undefined,
      ].filter((p) => p !== undefined),
      details: [
        `${list.loaded.length} loaded, ${list.installed.length} installed patch module(s)`,
        ...unknownStates.map((s) => `loaded module in a state kpatch did not document: ${s}`),
      ],
    });
  },
};

function notLoadedForRunningKernel(list: KpatchList, runningRelease: string): string[] {
  const loaded = new Set(list.loaded.map((m) => moduleKey(m.name)));
  return list.installed
    .filter(
      (m) =>
        (m.kernel === runningRelease || (m.kernel === undefined && m.forRunningKernel)) &&
        !loaded.has(moduleKey(m.name)),
    )
    .map((m) => m.name);
}
