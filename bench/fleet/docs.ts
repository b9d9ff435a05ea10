// docs/performance.md keeps the latest 10,000-host run under "Fleet scale",
// between two markers; the text around them is written by hand.
import fs from "node:fs";

export const BEGIN = "<!-- BEGIN FLEET SCALE RESULTS (npm run fleet:sim -- --hosts 10000 --docs) -->";
export const END = "<!-- END FLEET SCALE RESULTS -->";

export function updateDocs(file: string, markdown: string): void {
  const block = `${BEGIN}\n\n${markdown.trim()}\n\n${END}`;
  const text = fs.existsSync(file) ? fs.readFileSync(file, "utf8") : "# Performance\n";
  const start = text.indexOf(BEGIN);
  const end = text.indexOf(END);
  const next =
    start !== -1 && end > start
      ? text.slice(0, start) + block + text.slice(end + END.length)
      : `${text.trimEnd()}\n\n## Fleet scale\n\n${block}\n`;
  fs.writeFileSync(file, next);
}
