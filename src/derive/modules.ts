// What the loaded module list (modules collector) says about live patches and
// taint, together with the patch tree (livepatch collector).
import { known, mapFact, type Fact, unknown } from "../fact.js";
import type { LivepatchFacts } from "../collectors/livepatch.js";
import type { ModulesFacts } from "../collectors/modules.js";
import { MODULE_TAINT_LETTERS } from "../parse/taint.js";
import type { ModuleState } from "../parse/proc-modules.js";

export interface ModuleWithoutPatch {
  readonly module: string;
  readonly state: ModuleState;
}

/** Loaded modules tainted K with no patch directory (disabled on 5.1+, or failing). */
export function modulesWithoutPatch(
  livepatch: LivepatchFacts | undefined,
  modules: ModulesFacts | undefined,
): Fact<readonly ModuleWithoutPatch[]> {
  if (livepatch === undefined || modules === undefined) return unknown("dependency_failed");
  const loaded = modules.loaded;
  if (loaded.state !== "ok") return loaded;
  // /proc/modules decodes a module name the way the sysfs listing does, so an undecodable patch matches too.
  const patchNames = new Set([...livepatch.patches.map((p) => p.name), ...livepatch.undecodable]);
  return known(
    loaded.value
      .filter((m) => m.taint.includes("K") && !patchNames.has(m.name))
      .map((m) => ({ module: m.name, state: m.state })),
  );
}

/** Loaded modules per taint letter (every per-module letter, plus any unknown letter seen). */
export function moduleTaintLetters(modules: ModulesFacts | undefined): Fact<ReadonlyMap<string, number>> {
  const loaded = modules?.loaded ?? unknown("dependency_failed");
  // No module support: no module carries any letter.
  const list = loaded.state === "absent" ? known([]) : loaded;
  return mapFact(list, (all) => {
    const counts = new Map<string, number>(MODULE_TAINT_LETTERS.map((letter) => [letter, 0]));
    for (const module of all) {
      for (const letter of new Set(module.taint)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    return counts;
  });
}
