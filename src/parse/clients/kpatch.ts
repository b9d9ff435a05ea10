// `kpatch list` of every kpatch era (dynup/kpatch kpatch/kpatch):
// - 0.1.x (2014): loaded module names; "System installed" and "User installed"
//   patch modules (.ko files of the running kernel's directories);
// - 0.2.0 – 0.4.0: loaded module names (only enabled ones are listed);
//   "Installed patch modules:" as "name (kernel release)";
// - 0.5.0+ (2017): loaded modules with their state ("name [enabled]"), the
//   processes stalling a transition;
// - 0.9.10+ on kernels with stack_order (6.14+): the patched functions.
// No machine-readable format and no CVE data. Pure; undefined when no module
// section is present.
import { lines } from "./text.js";

export interface KpatchLoadedModule {
  readonly name: string;
  /**
   * Lower-cased, trailing dots dropped: enabled, disabled, enabling,
   * disabling, or what a newer kpatch prints; undefined when kpatch printed
   * no state (before 0.5.0, which listed only enabled modules).
   */
  readonly state: string | undefined;
}

export interface KpatchInstalledModule {
  readonly name: string;
  /** The kernel release it was built for, when printed. */
  readonly kernel: string | undefined;
  /** Listed from the running kernel's own directories (kpatch 0.1.x "System/User installed"). */
  readonly forRunningKernel: boolean;
}

export interface KpatchList {
  readonly loaded: readonly KpatchLoadedModule[];
  readonly installed: readonly KpatchInstalledModule[];
  /** Processes listed under "Stalled processes:" (0 without that section). */
  readonly stalledProcesses: number;
  /** Rows of "Currently livepatched functions:"; undefined when the kernel has no such table. */
  readonly functions: number | undefined;
  /** Of those, rows marked "(transition)". */
  readonly functionsInTransition: number;
}

type Section = "loaded" | "installed" | "installed_running" | "stalled" | "functions" | "other";

const HEADERS: readonly [RegExp, Section][] = [
  [/^loaded patch modules:$/i, "loaded"],
  [/^installed patch modules:$/i, "installed"],
  [/^(system|user) installed patch modules:$/i, "installed_running"],
  [/^stalled processes:$/i, "stalled"],
  [/^currently livepatched functions:$/i, "functions"],
];

export function parseKpatchList(text: string): KpatchList | undefined {
  const loaded: KpatchLoadedModule[] = [];
  const installed: KpatchInstalledModule[] = [];
  let section: Section | undefined;
  let seenModuleSection = false;
  let stalled = 0;
  let functions: number | undefined;
  let inTransition = 0;
  for (const raw of lines(text)) {
    const line = raw.trimEnd();
    if (line === "") continue;
    const header = HEADERS.find(([pattern]) => pattern.test(line.trim()));
    if (header !== undefined) {
      section = header[1];
      if (section === "loaded" || section === "installed" || section === "installed_running") seenModuleSection = true;
      if (section === "functions") functions ??= 0;
      continue;
    }
    // An unknown "Something:" header at column 0 starts a section we skip.
    if (/^[A-Z][^:[\]()]*:$/.test(line)) {
      section = "other";
      continue;
    }
    switch (section) {
      case "loaded": {
        // Indented by some wrappers; "name" alone before kpatch 0.5.0.
        const match = /^(\S+)(?:\s+\[([^\]]+)\])?$/.exec(line.trim());
        if (match?.[1] !== undefined) {
          loaded.push({ name: match[1], state: match[2]?.replace(/\.+$/, "").trim().toLowerCase() });
        }
        break;
      }
      case "installed":
      case "installed_running": {
        const match = /^(\S+)(?:\s+\(([^)]*)\))?$/.exec(line.trim());
        if (match?.[1] !== undefined) {
          const kernel = match[2]?.trim();
          installed.push({
            name: match[1],
            kernel: kernel === "" ? undefined : kernel,
            forRunningKernel: section === "installed_running",
          });
        }
        break;
      }
      case "stalled":
        if (/^\s*\d+\s+\S/.test(line)) stalled += 1;
        break;
      case "functions":
        if (/^\s*Module\s+Object\b/i.test(line)) break;
        if (line.trim().split(/\s+/).length >= 3) {
          functions = (functions ?? 0) + 1;
          if (line.endsWith("(transition)")) inTransition += 1;
        }
        break;
      default:
        break;
    }
  }
  if (!seenModuleSection) return undefined;
  return { loaded, installed, stalledProcesses: stalled, functions, functionsInTransition: inTransition };
}
