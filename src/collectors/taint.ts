// Kernel taint: the raw mask of /proc/sys/kernel/tainted decoded bit by bit,
// and how many loaded modules carry each per-module taint letter.
//
// Taint is sticky until reboot: K means a live patch module was loaded at some
// point since boot, not that a patch is active now.
import { known, mapFact, type Fact, unknown } from "../fact.js";
import { procPath } from "../fs/host-paths.js";
import { decodeTaint, MODULE_TAINT_LETTERS, type DecodedTaint } from "../parse/taint.js";
import { parseUnsignedBig } from "../parse/values.js";
import { readFact } from "./read-fact.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

export interface TaintFacts {
  readonly value: bigint;
  readonly decoded: DecodedTaint;
  /** Loaded modules per taint letter (every per-module letter, plus any unknown letter seen). */
  readonly moduleLetters: Fact<ReadonlyMap<string, number>>;
}

export function createTaintCollector(): Collector<"taint"> {
  return {
    name: "taint",
    help: "Kernel taint from /proc/sys/kernel/tainted, decoded by bit, and module taint letters.",
    dependsOn: ["modules"],
    collect,
  };
}

function collect(ctx: CollectorContext): TaintFacts {
  const path = procPath(ctx.paths, "sys", "kernel", "tainted");
  const fact = readFact(ctx.files, path, parseUnsignedBig);
  if (fact.state !== "ok") {
    throw new CollectorError(`cannot read ${path}: ${fact.state === "absent" ? "absent" : fact.reason}`);
  }
  return { value: fact.value, decoded: decodeTaint(fact.value), moduleLetters: countModuleLetters(ctx) };
}

function countModuleLetters(ctx: CollectorContext): Fact<ReadonlyMap<string, number>> {
  const loaded = ctx.deps.modules?.loaded ?? unknown("dependency_failed");
  // No module support: no module carries any letter.
  const modules = loaded.state === "absent" ? known([]) : loaded;
  return mapFact(modules, (list) => {
    const counts = new Map<string, number>(MODULE_TAINT_LETTERS.map((letter) => [letter, 0]));
    for (const module of list) {
      for (const letter of new Set(module.taint)) counts.set(letter, (counts.get(letter) ?? 0) + 1);
    }
    return counts;
  });
}
