// Panel descriptions from the exporter's own metric catalog
// (src/views/catalog.ts, the source of every metric's HELP and of
// docs/metrics.md): a panel says what it shows, then what each metric it
// reads means, in the words the exporter uses.
import { METRICS } from "../../src/views/catalog.js";

/** A metric the exporter exposes (checked against the catalog when the dashboards are generated). */
export type MetricName = `livepatch_${string}`;

/** `what`, then each metric's help (Grafana shows panel descriptions as Markdown). */
export function describe(what: string, metrics: readonly MetricName[]): string {
  const helps = metrics.map((name) => {
    const spec = METRICS[name];
    if (spec === undefined) throw new Error(`dashboard panel reads ${name}, which the metric catalog does not have`);
    return `\`${name}\`: ${spec.help}`;
  });
  return [what, ...helps].filter((part) => part !== "").join("\n\n");
}
