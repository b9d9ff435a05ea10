// Prints the coverage of src/ from an lcov file written by node's test runner
// (npm run test:unit): lines, branches and functions, with each file merged
// over the test processes that loaded it. Files no test loaded are named: they
// have no figure at all, which the totals cannot show.
import fs from "node:fs";
import path from "node:path";
import { ROOT } from "./generated.js";

const file = process.argv[2] ?? "coverage/lcov.info";
const lines = new Map<string, number>();
const branches = new Map<string, number>();
const functions = new Map<string, number>();
const covered = new Set<string>();
let current = "";
const hit = (map: Map<string, number>, key: string, count: number): void => {
  map.set(key, Math.max(map.get(key) ?? 0, count));
};
for (const line of fs.readFileSync(file, "utf8").split("\n")) {
  const [tag, rest = ""] = line.split(/:(.*)/s);
  if (tag === "SF") current = path.relative(ROOT, path.resolve(ROOT, rest));
  if (!current.startsWith("src/")) continue;
  covered.add(current);
  const fields = rest.split(",");
  if (tag === "DA") hit(lines, `${current}:${fields[0]}`, Number(fields[1]));
  else if (tag === "BRDA") hit(branches, `${current}:${fields.slice(0, 3).join(",")}`, Number(fields[3]) || 0);
  else if (tag === "FNDA") hit(functions, `${current}:${fields.slice(1).join(",")}`, Number(fields[0]));
}

const percent = (map: ReadonlyMap<string, number>): string => {
  const total = map.size;
  const hits = [...map.values()].filter((n) => n > 0).length;
  return `${total === 0 ? "n/a" : ((100 * hits) / total).toFixed(1)}% (${hits}/${total})`;
};
const all = fs
  .readdirSync(path.join(ROOT, "src"), { recursive: true, withFileTypes: true })
  .filter((entry) => entry.isFile() && entry.name.endsWith(".ts"))
  .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)));
const unloaded = all.filter((f) => !covered.has(f)).sort();
process.stdout.write(
  [
    `Coverage of src/ by these tests: lines ${percent(lines)}, branches ${percent(branches)}, functions ${percent(functions)}`,
    `over ${covered.size} of ${all.length} files; not loaded: ${unloaded.join(", ") || "none"}`,
    "",
  ].join("\n"),
);
