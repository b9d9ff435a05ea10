// What several collectors' facts say together, computed after collection in
// one pure step: no file is read here. Collectors only read, each on its own;
// a collector whose metrics show a derived fact has the collectors it needs
// read with it (INPUTS), shown or not.
import type { Fact } from "../fact.js";
import { CLIENT_NAMES, type ClientName } from "../clients/names.js";
import type { ClientFacts } from "../collectors/client.js";
import type { KernelFacts } from "../collectors/kernel.js";
import type { KmsgFacts } from "../collectors/kmsg.js";
import type { LivepatchFacts } from "../collectors/livepatch.js";
import type { ModulesFacts } from "../collectors/modules.js";
import type { RebootReading } from "../collectors/reboot.js";
import { kmsgDerived, type KmsgDerived } from "./kmsg.js";
import { moduleTaintLetters, modulesWithoutPatch, type ModuleWithoutPatch } from "./modules.js";
import { readiness, type ReadinessFacts } from "./readiness.js";
import { rebootCanWait } from "./reboot-can-wait.js";
import { rebootFacts, type RebootFacts } from "./reboot.js";

/** The collected facts derivations read, by collector. */
export type Readings = {
  readonly livepatch?: LivepatchFacts;
  readonly modules?: ModulesFacts;
  readonly kernel?: KernelFacts;
  readonly reboot?: RebootReading;
  readonly kmsg?: KmsgFacts;
} & Partial<Readonly<Record<ClientName, ClientFacts>>>;

/** Derived facts, each computed when the collector that shows it ran (undefined otherwise). */
export interface Derived {
  /** livepatch: loaded live patch modules without a patch (with modules). */
  readonly modulesWithoutPatch: Fact<readonly ModuleWithoutPatch[]> | undefined;
  /** taint: loaded modules per taint letter (modules). */
  readonly moduleTaintLetters: Fact<ReadonlyMap<string, number>> | undefined;
  /** reboot: every reason, installed and newest kernels (reboot with kernel, modules); undefined when reboot failed. */
  readonly reboot: RebootFacts | undefined;
  /** readiness (livepatch, modules, kernel). */
  readonly readiness: ReadinessFacts | undefined;
  /** Each vendor client: can a required reboot wait (reboot with kernel, and the client's last run). */
  readonly rebootCanWait: Readonly<Partial<Record<ClientName, Fact<boolean>>>>;
  /** kmsg: the transition in progress and when it started (with livepatch and kernel). */
  readonly kmsg: KmsgDerived | undefined;
}

type CollectorKey = keyof Readings | "taint" | "readiness";

/** The collectors whose facts each collector's metrics need besides its own: read whenever it is. */
export const INPUTS: Readonly<Partial<Record<CollectorKey, readonly (keyof Readings)[]>>> = {
  livepatch: ["modules"],
  taint: ["modules"],
  reboot: ["kernel", "modules"],
  readiness: ["livepatch", "modules", "kernel"],
  kmsg: ["livepatch", "kernel"],
  ...Object.fromEntries(CLIENT_NAMES.map((name) => [name, ["reboot", "kernel"]])),
};

/**
 * @param ran the collectors that ran in this scrape (enabled, or read as an input)
 * @param nowMs when the scrape started (a client's coverage end is compared with it)
 */
export function derive(facts: Readings, ran: ReadonlySet<string>, nowMs: number): Derived {
  const reboot =
    ran.has("reboot") && facts.reboot !== undefined
      ? rebootFacts(facts.reboot, facts.kernel, facts.modules)
      : undefined;
  const rebootCanWaitByClient: Partial<Record<ClientName, Fact<boolean>>> = {};
  for (const name of CLIENT_NAMES) {
    const client = facts[name];
    if (!ran.has(name) || client === undefined) continue;
    const view = client.last?.outcome.ok === true ? client.last.outcome.view : undefined;
    rebootCanWaitByClient[name] = rebootCanWait(reboot, view, nowMs);
  }
  return {
    modulesWithoutPatch: ran.has("livepatch") ? modulesWithoutPatch(facts.livepatch, facts.modules) : undefined,
    moduleTaintLetters: ran.has("taint") ? moduleTaintLetters(facts.modules) : undefined,
    reboot,
    readiness: ran.has("readiness")
      ? readiness({ livepatch: facts.livepatch, modules: facts.modules, kernel: facts.kernel })
      : undefined,
    rebootCanWait: rebootCanWaitByClient,
    kmsg:
      ran.has("kmsg") && facts.kmsg !== undefined ? kmsgDerived(facts.kmsg, facts.livepatch, facts.kernel) : undefined,
  };
}
