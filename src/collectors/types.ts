// What a collector is: a named reader of one area of the host that turns
// files into typed facts. Collectors know nothing of metrics or HTTP; the
// views render their facts.
import { CLIENT_NAMES } from "../clients/names.js";
import type { FileAccess } from "../fs/file-access.js";
import type { HostPaths } from "../fs/host-paths.js";
import type { Logger } from "../log.js";
import type { ClientFacts } from "./client.js";
import type { KernelFacts } from "./kernel.js";
import type { LivepatchFacts } from "./livepatch.js";
import type { ModulesFacts } from "./modules.js";
import type { ReadinessFacts } from "./readiness.js";
import type { RebootFacts } from "./reboot.js";
import type { TaintFacts } from "./taint.js";
import type { TransitionFacts } from "./transition.js";

export const COLLECTOR_NAMES = [
  "livepatch",
  "transition",
  "taint",
  "modules",
  "kernel",
  "reboot",
  "readiness",
  // Vendor clients (src/clients): enabled when the client is installed.
  ...CLIENT_NAMES,
] as const;
export type CollectorName = (typeof COLLECTOR_NAMES)[number];

export interface FactsByCollector {
  livepatch: LivepatchFacts;
  transition: TransitionFacts;
  taint: TaintFacts;
  modules: ModulesFacts;
  kernel: KernelFacts;
  reboot: RebootFacts;
  readiness: ReadinessFacts;
  canonical_livepatch: ClientFacts;
  kpatch: ClientFacts;
  klp: ClientFacts;
  kgr: ClientFacts;
  ksplice: ClientFacts;
  kernelcare: ClientFacts;
}

export interface CollectorContext {
  readonly paths: HostPaths;
  readonly files: FileAccess;
  readonly log: Logger;
  /** Facts of the collectors named in dependsOn that succeeded in this scrape. */
  readonly deps: Partial<FactsByCollector>;
}

export interface Collector<N extends CollectorName = CollectorName> {
  readonly name: N;
  /** One line for --help and the landing page. */
  readonly help: string;
  /** Collectors whose facts this one needs; they run (unrendered) even when disabled. */
  readonly dependsOn: readonly CollectorName[];
  collect(ctx: CollectorContext): FactsByCollector[N] | Promise<FactsByCollector[N]>;
}

/** Thrown by a collector that cannot produce its facts at all (its success becomes 0). */
export class CollectorError extends Error {
  override readonly name = "CollectorError";
}
