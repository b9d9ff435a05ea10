// Readiness reads nothing: whether a new live patch could be loaded is derived
// from the livepatch, modules and kernel facts after collection
// (src/derive/readiness.ts). This collector gives it its flag
// (--collector.readiness) and its success and duration series.
import type { Collector, NoFacts } from "./types.js";

export const readiness: Collector<NoFacts> = {
  help: "whether a new live patch could be loaded now",
  create: () => () => ({}),
};
