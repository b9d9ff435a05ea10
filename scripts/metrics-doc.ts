// Renders docs/metrics.md's tables from the metric catalog.
import { CLIENT_NAMES, isClientName } from "../src/clients/names.js";
import { COLLECTOR_NAMES } from "../src/collectors/types.js";
import { METRICS, type MetricSpec } from "../src/views/catalog.js";

export const BEGIN = "<!-- BEGIN GENERATED METRICS TABLE (npm run docs:metrics) -->";
export const END = "<!-- END GENERATED METRICS TABLE -->";

export function metricsTables(): string {
  const groups: string[] = [];
  const hostCollectors = COLLECTOR_NAMES.filter((name) => !isClientName(name));
  for (const collector of ["exporter", ...hostCollectors, "clients"] as const) {
    const rows = Object.entries(METRICS as Record<string, MetricSpec>).filter(
      ([, spec]) => spec.collector === collector,
    );
    if (rows.length === 0) continue;
    const title =
      collector === "exporter"
        ? "Exporter"
        : collector === "clients"
          ? `Vendor client collectors (${CLIENT_NAMES.map((n) => `\`${n}\``).join(", ")})`
          : `Collector \`${collector}\``;
    groups.push(
      [
        `### ${title}`,
        "",
        "| Metric | Type | Labels | Source | Absent when | Description |",
        "|---|---|---|---|---|---|",
        ...rows.map(
          ([name, spec]) =>
            `| \`${name}\` | ${spec.type} | ${spec.labels.map((l) => `\`${l}\``).join(", ") || "—"} | ${cell(spec.source)} | ${cell(spec.absentWhen)} | ${cell(spec.help)} |`,
        ),
      ].join("\n"),
    );
  }
  return `${BEGIN}\n\n${groups.join("\n\n")}\n\n${END}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/<([^>]+)>/g, "&lt;$1&gt;");
}

/** Replaces the generated block of a document with a fresh one. */
export function withTables(document: string): string {
  const start = document.indexOf(BEGIN);
  const end = document.indexOf(END);
  if (start === -1 || end === -1) throw new Error("docs/metrics.md lacks the generated-table markers");
  return document.slice(0, start) + metricsTables() + document.slice(end + END.length);
}
