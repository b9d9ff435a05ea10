// npm run docs:metrics [-- --check]: the tables of docs/metrics.md, from the
// metric catalog (src/views/catalog.ts).
import fs from "node:fs";
import path from "node:path";
import { CLIENT_NAMES } from "../src/clients/names.js";
import { METRIC_GROUPS } from "../src/views/catalog.js";
import { ROOT, writeOrCheck } from "./generated.js";

const BEGIN = "<!-- BEGIN GENERATED METRICS TABLE (npm run docs:metrics) -->";
const END = "<!-- END GENERATED METRICS TABLE -->";
const FILE = "docs/metrics.md";

function metricsTables(): string {
  const groups = METRIC_GROUPS.map(({ collector, metrics }) => {
    const title =
      collector === "exporter"
        ? "Exporter"
        : collector === "clients"
          ? `Vendor client collectors (${CLIENT_NAMES.map((n) => `\`${n}\``).join(", ")})`
          : `Collector \`${collector}\``;
    return [
      `### ${title}`,
      "",
      "| Metric | Type | Labels | Source | Absent when | Description |",
      "|---|---|---|---|---|---|",
      ...Object.entries(metrics).map(
        ([name, spec]) =>
          `| \`${name}\` | ${spec.type} | ${spec.labels.map((l) => `\`${l}\``).join(", ") || "—"} | ${cell(spec.source)} | ${cell(spec.absentWhen)} | ${cell(spec.help)} |`,
      ),
    ].join("\n");
  });
  return `${BEGIN}\n\n${groups.join("\n\n")}\n\n${END}`;
}

function cell(text: string): string {
  return text.replace(/\|/g, "\\|").replace(/<([^>]+)>/g, "&lt;$1&gt;");
}

const document = fs.readFileSync(path.join(ROOT, FILE), "utf8");
const start = document.indexOf(BEGIN);
const end = document.indexOf(END);
if (start === -1 || end === -1) throw new Error(`${FILE} lacks the generated-table markers`);
writeOrCheck(
  [{ file: FILE, content: document.slice(0, start) + metricsTables() + document.slice(end + END.length) }],
  "npm run docs:metrics",
);
