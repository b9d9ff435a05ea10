// Every collector, in the order they are documented and rendered: what it
// reads (src/collectors) and what it shows (src/views/collectors). Adding a
// collector is one line here (CONTRIBUTING.md, "Add a collector").
import { CLIENT_NAMES, type ClientName } from "./clients/names.js";
import { clientCollector, type ClientFacts } from "./collectors/client.js";
import { functions } from "./collectors/functions.js";
import { kernel } from "./collectors/kernel.js";
import { kmsg } from "./collectors/kmsg.js";
import { livepatch } from "./collectors/livepatch.js";
import { modules } from "./collectors/modules.js";
import { probes } from "./collectors/probes.js";
import { readiness } from "./collectors/readiness.js";
import { reboot } from "./collectors/reboot.js";
import { redirection } from "./collectors/redirection.js";
import { taint } from "./collectors/taint.js";
import { transition } from "./collectors/transition.js";
import type { Collector } from "./collectors/types.js";
import { clientView } from "./views/collectors/clients.js";
import { functionsView } from "./views/collectors/functions.js";
import { kernelView } from "./views/collectors/kernel.js";
import { kmsgView } from "./views/collectors/kmsg.js";
import { livepatchView } from "./views/collectors/livepatch.js";
import { modulesView } from "./views/collectors/modules.js";
import { probesView } from "./views/collectors/probes.js";
import { readinessView } from "./views/collectors/readiness.js";
import { rebootView } from "./views/collectors/reboot.js";
import { redirectionView } from "./views/collectors/redirection.js";
import { taintView } from "./views/collectors/taint.js";
import { transitionView } from "./views/collectors/transition.js";
import type { View } from "./views/view.js";

export interface Registration<F> {
  readonly collector: Collector<F>;
  readonly view: View<F>;
}

/** A collector and its view, which must render the facts it reads. */
function entry<F>(collector: Collector<F>, view: View<F>): Registration<F> {
  return { collector, view };
}

const clients = Object.fromEntries(
  CLIENT_NAMES.map((name) => [name, entry(clientCollector(name), clientView)]),
) as Record<ClientName, Registration<ClientFacts>>;

export const REGISTRY = {
  livepatch: entry(livepatch, livepatchView),
  transition: entry(transition, transitionView),
  // Opt-in: the patched functions one by one, ftrace's redirection of them, and probes on them.
  functions: entry(functions, functionsView),
  redirection: entry(redirection, redirectionView),
  probes: entry(probes, probesView),
  kmsg: entry(kmsg, kmsgView),
  taint: entry(taint, taintView),
  modules: entry(modules, modulesView),
  kernel: entry(kernel, kernelView),
  reboot: entry(reboot, rebootView),
  readiness: entry(readiness, readinessView),
  // Vendor clients (src/clients): enabled when the client is installed.
  ...clients,
};

export type CollectorName = keyof typeof REGISTRY;
export type FactsByCollector = { [N in CollectorName]: (typeof REGISTRY)[N] extends Registration<infer F> ? F : never };
export const COLLECTOR_NAMES = Object.keys(REGISTRY) as readonly CollectorName[];

/** The registry with each entry typed by its collector's facts, for code that goes over every collector. */
export const COLLECTORS: { readonly [N in CollectorName]: Registration<FactsByCollector[N]> } = REGISTRY;
