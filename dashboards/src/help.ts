// Panel descriptions from the exporter's own metric catalog
// (src/views/catalog.ts, the source of every metric's HELP and of
// docs/metrics.md): a panel says what it shows, then what each metric it
// reads means, in the words the exporter uses.
import { METRICS, type MetricName } from "../../src/views/catalog.js";

/** `what`, then each metric's help (Grafana shows panel descriptions as Markdown). */
export function describe(what: string, metrics: readonly MetricName[]): string {
  const helps = metrics.map((name) => `\`${name}\`: ${METRICS[name].help}`);
  return [what, ...helps].filter((part) => part !== "").join("\n\n");
}
