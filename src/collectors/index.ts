// The collectors this exporter has, in the order they are documented.
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
}

export type CollectorSet = { readonly [N in CollectorName]: Collector<N> };

export function createCollectors(options: CollectorOptions): CollectorSet {
  return {
    livepatch: createLivepatchCollector(),
    transition: createTransitionCollector(options.transition),
    taint: createTaintCollector(),
    modules: createModulesCollector(),
    kernel: createKernelCollector(),
    reboot: createRebootCollector(),
    readiness: createReadinessCollector(),
  };
}
