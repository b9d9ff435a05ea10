// Kernel taint: the raw mask of /proc/sys/kernel/tainted decoded bit by bit.
// (How many loaded modules carry each per-module taint letter is derived from
// the modules collector's module list: src/derive/modules.ts.)
//
// Taint is sticky until reboot: K means a live patch module was loaded at some
// point since boot, not that a patch is active now.
import { procPath } from "../fs/host-paths.js";
import { decodeTaint, type DecodedTaint } from "../parse/taint.js";
import { parseUnsignedBig } from "../parse/values.js";
import { readFact } from "./read-fact.js";
import { CollectorError, type Collector, type CollectorContext } from "./types.js";

export interface TaintFacts {
  readonly value: bigint;
  readonly decoded: DecodedTaint;
}

export const taint: Collector<TaintFacts> = {
  help: "kernel taint, decoded by bit, and module taint letters",
  create: () => read,
};

function read(ctx: CollectorContext): TaintFacts {
  const path = procPath(ctx.paths, "sys", "kernel", "tainted");
  const fact = readFact(ctx.files, path, parseUnsignedBig);
  if (fact.state !== "ok") {
    throw new CollectorError(`cannot read ${path}: ${fact.state === "absent" ? "absent" : fact.reason}`);
  }
  return { value: fact.value, decoded: decodeTaint(fact.value) };
}
