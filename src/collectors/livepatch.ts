// /sys/kernel/livepatch: every patch, its attributes and objects.
//
// Attribute presence comes from the directory listing, so an attribute the
// running kernel lacks (transition before 4.12, replace before 6.11,
// stack_order before 6.14, patched before 6.1) is "absent", never 0, and
// write-only attributes (force, signal) are seen without ever being opened.
// The walk pauses between patches (ctx.pacing): a host may carry hundreds.
import type { Dirent } from "node:fs";
import { ABSENT, known, type Fact, unknown } from "../fact.js";
import type { FileAccess } from "../fs/file-access.js";
import { sysPath } from "../fs/host-paths.js";
import { parseFunctionDir, type FunctionDir } from "../parse/livepatch-names.js";
import { parseBool01, parsePositive, trimValue } from "../parse/values.js";
import { readFact } from "./read-fact.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

/** applied: enabled and settled; patching/unpatching: in transition; disabled: listed but off (kernels <= 5.0). */
export type PatchStatus = "applied" | "patching" | "unpatching" | "disabled";
export const PATCH_STATUSES: readonly PatchStatus[] = ["applied", "patching", "unpatching", "disabled"];

export interface ObjectFacts {
  /** "vmlinux" or the name of the patched module. */
  readonly name: string;
  readonly patched: Fact<boolean>;
  readonly functions: Fact<number>;
  /** The patched functions, from the "<function>,<sympos>" directories, in name order. */
  readonly functionDirs: readonly FunctionDir[];
}

export interface PatchFacts {
  readonly name: string;
  readonly enabled: Fact<boolean>;
  readonly transition: Fact<boolean>;
  readonly replace: Fact<boolean>;
  readonly stackOrder: Fact<number>;
  /** Write-only attributes present (force since 4.15, signal in 4.15-5.0). */
  readonly writeOnly: readonly string[];
  readonly objects: readonly ObjectFacts[];
  readonly status: Fact<PatchStatus>;
}

export interface LivepatchFacts {
  /** /sys/kernel/livepatch exists: the livepatch core is built in and initialised. */
  readonly sysfsPresent: boolean;
  readonly patches: readonly PatchFacts[];
  /**
   * Patch directories whose names are not valid UTF-8, so that none of their
   * attributes can be opened: listed as decoded, each invalid sequence shown
   * as U+FFFD. Their state is unknown, not "no patch".
   */
  readonly undecodable: readonly string[];
}

const WRITE_ONLY = new Set(["force", "signal"]);

export const livepatch: Collector<LivepatchFacts> = {
  help: "live patches, objects and functions (/sys/kernel/livepatch)",
  create: () => (ctx) => ctx.shared(readLivepatchTree),
};

/** The patch tree; the transition collector finds the patch in transition in the same reading (ctx.shared). */
export async function readLivepatchTree(ctx: CollectorContext): Promise<LivepatchFacts> {
  const root = sysPath(ctx.paths, "kernel", "livepatch");
  const listing = ctx.files.list(root);
  if (!listing.ok) {
    if (listing.failure !== "absent") throw new CollectorError(`cannot list ${root}: ${listing.code}`);
    // No directory: either livepatch is not built, or sysfs itself is missing.
    if (!ctx.files.probeDir(sysPath(ctx.paths, "kernel")).ok) {
      throw new CollectorError(`sysfs is not available at ${ctx.paths.sysfs}`);
    }
    return { sysfsPresent: false, patches: [], undecodable: [] };
  }
  const patches: PatchFacts[] = [];
  const undecodable: string[] = [];
  for (const entry of sorted(listing.entries)) {
    if (!entry.isDirectory()) continue;
    if (ctx.pacing.sliceOver()) await ctx.pacing.pause();
    const patch = readPatch(ctx, `${root}/${entry.name}`, entry.name);
    if (patch !== undefined) patches.push(patch);
    else if (entry.name.includes(REPLACEMENT_CHARACTER)) {
      // The listing decoded the name as UTF-8, replacing what was not; the
      // replaced name opens nothing, so this is not a patch that vanished.
      ctx.files.invalid(`${root}/${entry.name}`, "patch directory name is not valid UTF-8");
      undecodable.push(entry.name);
    } else ctx.log.debug({ patch: entry.name }, "patch vanished while being read");
  }
  return { sysfsPresent: true, patches, undecodable };
}

const REPLACEMENT_CHARACTER = "\uFFFD";

/** Reads one patch; undefined when it vanished (5.1+ frees a patch once it is disabled). */
function readPatch(ctx: CollectorContext, dir: string, name: string): PatchFacts | undefined {
  const listing = ctx.files.list(dir);
  if (!listing.ok) return undefined;
  const files = new Map<string, boolean>(); // name -> listed as a regular file
  const objectDirs: string[] = [];
  for (const entry of sorted(listing.entries)) {
    if (entry.isDirectory()) objectDirs.push(entry.name);
    else files.set(entry.name, entry.isFile());
  }
  const attr = <T>(file: string, parse: (text: string) => T | undefined): Fact<T> | "vanished" =>
    readAttribute(ctx.files, files, `${dir}/${file}`, file, parse);

  const enabled = attr("enabled", parseBool01);
  const transition = attr("transition", parseBool01);
  const replace = attr("replace", parseBool01);
  const stackOrder = attr("stack_order", parsePositive);
  if (enabled === "vanished" || transition === "vanished" || replace === "vanished" || stackOrder === "vanished") {
    return undefined;
  }
  const objects: ObjectFacts[] = [];
  for (const objectName of objectDirs) {
    const object = readObject(ctx.files, `${dir}/${objectName}`, objectName);
    if (object === undefined) return undefined;
    objects.push(object);
  }
  return {
    name,
    enabled,
    transition,
    replace,
    stackOrder,
    writeOnly: [...files.keys()].filter((f) => WRITE_ONLY.has(f)).sort(),
    objects,
    status: patchStatus(ctx, name, enabled, transition),
  };
}

function readObject(files: FileAccess, dir: string, name: string): ObjectFacts | undefined {
  const listing = files.list(dir);
  if (!listing.ok) return undefined;
  const functionDirs: FunctionDir[] = [];
  const present = new Map<string, boolean>();
  for (const entry of sorted(listing.entries)) {
    if (entry.isDirectory()) {
      const dir = parseFunctionDir(entry.name);
      if (dir !== undefined) functionDirs.push(dir);
    } else if (entry.name === "patched") {
      present.set("patched", entry.isFile());
    }
  }
  const patched = readAttribute(files, present, `${dir}/patched`, "patched", parseBool01);
  if (patched === "vanished") return undefined;
  return { name, patched, functions: known(functionDirs.length), functionDirs };
}

/**
 * Reads an attribute listed in `present` (with whether it was listed as a
 * regular file); one that is not listed is absent on this kernel. A listed
 * file that then cannot be found means the patch is being freed: "vanished".
 */
function readAttribute<T>(
  files: FileAccess,
  present: ReadonlyMap<string, boolean>,
  path: string,
  file: string,
  parse: (text: string) => T | undefined,
): Fact<T> | "vanished" {
  const listedRegular = present.get(file);
  if (listedRegular === undefined) return ABSENT;
  const fact = readFact(files, path, parse, { listedRegular });
  if (fact.state === "absent" || (fact.state === "unknown" && fact.reason === "vanished")) return "vanished";
  return fact;
}

/**
 * Direction follows `enabled` (kernel docs, kpatch). The kernel sets
 * transition=1 before it flips enabled, so for a moment a patch being enabled
 * reads enabled=0,transition=1; its module is then still in init ("coming").
 */
function patchStatus(
  ctx: CollectorContext,
  name: string,
  enabled: Fact<boolean>,
  transition: Fact<boolean>,
): Fact<PatchStatus> {
  if (enabled.state !== "ok") return enabled.state === "absent" ? unknown("not_found") : enabled;
  if (transition.state === "unknown") return transition;
  const inTransition = transition.state === "ok" && transition.value;
  if (!inTransition) return known(enabled.value ? "applied" : "disabled");
  if (enabled.value) return known("patching");
  const initstate = ctx.files.readText(sysPath(ctx.paths, "module", name, "initstate"), { singleRead: true });
  return known(initstate.ok && trimValue(initstate.text) === "coming" ? "patching" : "unpatching");
}

function sorted(entries: readonly Dirent[]): Dirent[] {
  return [...entries].sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}
