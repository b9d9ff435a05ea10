// The collectors this exporter has, in the order they are documented.
import type { ClientName } from "../clients/names.js";
import type { ClientStateSource } from "../clients/runner.js";
import { createClientCollector, type ClientCollectorOptions } from "./client.js";
import { createKernelCollector } from "./kernel.js";
import { createLivepatchCollector } from "./livepatch.js";
import { createModulesCollector } from "./modules.js";
import { createReadinessCollector } from "./readiness.js";
import { createRebootCollector } from "./reboot.js";
import { createTaintCollector } from "./taint.js";
import { createTransitionCollector, type TransitionOptions } from "./transition.js";
import type { Collector, CollectorName } from "./types.js";

export interface CollectorOptions {
  readonly transition: TransitionOptions;
  readonly clients: ClientCollectorOptions;
}

/** The background runners of the clients this process runs; a client without one is not running. */
export type ClientSources = Partial<Readonly<Record<ClientName, ClientStateSource>>>;

export type CollectorSet = { readonly [N in CollectorName]: Collector<N> };

export function createCollectors(options: CollectorOptions, clients: ClientSources = {}): CollectorSet {
  return {
    livepatch: createLivepatchCollector(),
    transition: createTransitionCollector(options.transition),
    taint: createTaintCollector(),
    modules: createModulesCollector(),
    kernel: createKernelCollector(),
    reboot: createRebootCollector(),
    readiness: createReadinessCollector(),
    canonical_livepatch: createClientCollector("canonical_livepatch", clients.canonical_livepatch, options.clients),
    kpatch: createClientCollector("kpatch", clients.kpatch, options.clients),
    klp: createClientCollector("klp", clients.klp, options.clients),
    kgr: createClientCollector("kgr", clients.kgr, options.clients),
    ksplice: createClientCollector("ksplice", clients.ksplice, options.clients),
    kernelcare: createClientCollector("kernelcare", clients.kernelcare, options.clients),
  };
}
