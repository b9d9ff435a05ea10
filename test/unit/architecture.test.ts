// The rules of the code's structure, checked over every import (type imports
// included): no import cycle; collectors read and know nothing of views, the
// snapshot or one another's output; derivations are pure; one module renders
// with prom-client; tests and tooling (bench/, scripts/) do not import each other.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import ts from "typescript";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));

function filesUnder(dir: string): string[] {
  return fs
    .readdirSync(path.join(ROOT, dir), { recursive: true, withFileTypes: true })
    .filter((entry) => entry.isFile() && /\.(ts|mjs)$/.test(entry.name))
    .map((entry) => path.relative(ROOT, path.join(entry.parentPath, entry.name)))
    .sort();
}

/** A file's imports: repository-relative paths for local ones, package names otherwise. */
function importsOf(file: string): string[] {
  const info = ts.preProcessFile(fs.readFileSync(path.join(ROOT, file), "utf8"), true, true);
  return info.importedFiles.map(({ fileName }) =>
    fileName.startsWith(".")
      ? path.relative(ROOT, path.resolve(path.dirname(path.join(ROOT, file)), fileName)).replace(/\.js$/, ".ts")
      : fileName,
  );
}

const GRAPH = new Map(
  ["src", "test", "bench", "scripts", "support", "dashboards/src"]
    .filter((dir) => fs.existsSync(path.join(ROOT, dir)))
    .flatMap(filesUnder)
    .map((file) => [file, importsOf(file)]),
);

function importers(predicate: (file: string) => boolean, target: (imported: string) => boolean): string[] {
  return [...GRAPH]
    .filter(([file]) => predicate(file))
    .flatMap(([file, imports]) => imports.filter(target).map((imported) => `${file} -> ${imported}`));
}

function cycles(): string[][] {
  const found: string[][] = [];
  const state = new Map<string, "visiting" | "done">();
  const stack: string[] = [];
  const visit = (file: string): void => {
    state.set(file, "visiting");
    stack.push(file);
    for (const next of GRAPH.get(file) ?? []) {
      if (!GRAPH.has(next)) continue;
      if (state.get(next) === "visiting") found.push([...stack.slice(stack.indexOf(next)), next]);
      else if (state.get(next) === undefined) visit(next);
    }
    stack.pop();
    state.set(file, "done");
  };
  for (const file of GRAPH.keys()) if (state.get(file) === undefined) visit(file);
  return found;
}

describe("the code's structure", () => {
  it("has no import cycle, type imports included", () => {
    assert.deepEqual(cycles(), []);
  });

  /** metrics.ts's own type declarations for prom-client's modules (no code: nothing is imported at run time). */
  const PROM_CLIENT_TYPES = new Set(["src/views/prom-client-defaults.d.ts", "src/views/prom-client-classes.d.ts"]);

  it("only src/views/metrics.ts imports prom-client", () => {
    assert.deepEqual(
      importers(
        (file) => file.startsWith("src/") && file !== "src/views/metrics.ts" && !PROM_CLIENT_TYPES.has(file),
        (imported) => imported === "prom-client" || imported.startsWith("prom-client/"),
      ),
      [],
    );
  });

  it("collectors import no view, snapshot, derivation, web or registry module", () => {
    assert.deepEqual(
      importers(
        (file) => file.startsWith("src/collectors/"),
        (imported) =>
          /^src\/(views|snapshot|derive|web)\/|^src\/(registry|app|exporter|main|program|cli)\.ts$/.test(imported),
      ),
      [],
    );
  });

  it("derivations are pure: no file system, no process, no reading of the host", () => {
    assert.deepEqual(
      importers(
        (file) => file.startsWith("src/derive/"),
        (imported) =>
          /^(node:)?(fs|child_process|fs\/promises)$/.test(imported) ||
          /^src\/(fs|web|views|snapshot)\//.test(imported),
      ),
      [],
    );
  });

  it("tests do not import tooling, and tooling does not import tests", () => {
    assert.deepEqual(
      importers(
        (file) => file.startsWith("test/"),
        (imported) => /^(bench|scripts)\//.test(imported),
      ),
      [],
    );
    assert.deepEqual(
      importers(
        (file) => /^(bench|scripts|support)\//.test(file),
        (imported) => imported.startsWith("test/"),
      ),
      [],
    );
  });
});
