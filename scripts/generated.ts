// Writes generated files, or with --check says which ones are stale and exits 1
// (the tests run the generators this way: a committed file must match its sources).
import fs from "node:fs";
import path from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = fileURLToPath(new URL("../", import.meta.url));

export interface Generated {
  /** Path relative to the repository root. */
  readonly file: string;
  readonly content: string;
}

export function writeOrCheck(files: readonly Generated[], command: string, argv = process.argv.slice(2)): void {
  const check = argv.includes("--check");
  const stale: string[] = [];
  for (const { file, content } of files) {
    const target = path.join(ROOT, file);
    const current = fs.existsSync(target) ? fs.readFileSync(target, "utf8") : undefined;
    if (current === content) continue;
    if (check) stale.push(file);
    else {
      fs.writeFileSync(target, content);
      console.log(`wrote ${file}`);
    }
  }
  if (stale.length > 0) {
    console.error(`stale: ${stale.join(", ")}: run ${command}`);
    process.exitCode = 1;
  }
}
