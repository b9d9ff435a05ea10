// /proc/modules: "name size refcnt deps state address [(taint)]", e.g.
//   lp_busy 16384 1 - Live 0xffffffffc03d1000 (OEK)
// The taint letters may carry "+" (coming) or "-" (going) while the module
// loads or unloads. Lines that do not have this shape are skipped and counted.

export type ModuleState = "live" | "loading" | "unloading" | "unknown";

export interface LoadedModule {
  readonly name: string;
  readonly state: ModuleState;
  /** Taint letters of this module ("" when untainted). */
  readonly taint: string;
}

export interface ProcModules {
  readonly modules: readonly LoadedModule[];
  readonly invalidLines: number;
}

const LINE = /^(\S+) (\d+) (-|\d+) (\S+) (\S+) (\S+)(?: \(([A-Z]*)[+-]?\))?\s*$/;

export function parseProcModules(text: string): ProcModules {
  const modules: LoadedModule[] = [];
  let invalidLines = 0;
  for (const line of text.split("\n")) {
    if (line.length === 0) continue;
    const match = LINE.exec(line);
    if (match?.[1] === undefined || match[5] === undefined) {
      invalidLines += 1;
      continue;
    }
    modules.push({ name: match[1], state: moduleState(match[5]), taint: match[7] ?? "" });
  }
  return { modules, invalidLines };
}

function moduleState(word: string): ModuleState {
  switch (word) {
    case "Live":
      return "live";
    case "Loading":
      return "loading";
    case "Unloading":
      return "unloading";
    default:
      return "unknown";
  }
}
