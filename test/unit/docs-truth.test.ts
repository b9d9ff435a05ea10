// What the README and the docs tell a newcomer must be true and well formed:
// every Markdown table has its header (no stray row left after a section, no
// headless copy of a table), no section is there twice, every relative link
// and anchor exists, the package is installed the way it can be (it is not on
// the npm registry), every flag, environment variable and metric the README
// names exists, and the outputs it shows are the program's own (the golden
// files of the captures they come from).
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { helpTexts } from "../../src/cli.js";
import { METRICS } from "../../src/views/catalog.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const read = (file: string): string => fs.readFileSync(path.join(ROOT, file), "utf8");

const DOCS = [
  "README.md",
  "CONTRIBUTING.md",
  ...fs
    .readdirSync(path.join(ROOT, "docs"))
    .filter((f) => f.endsWith(".md"))
    .map((f) => `docs/${f}`),
];

/** The lines of a Markdown file outside fenced code blocks, with their line numbers. */
function prose(text: string): [line: number, text: string][] {
  const lines: [number, string][] = [];
  let fenced = false;
  text.split("\n").forEach((line, index) => {
    if (/^\s*```/.test(line)) fenced = !fenced;
    else if (!fenced) lines.push([index + 1, line]);
  });
  return lines;
}

/** The fenced code blocks of a Markdown file. */
function codeBlocks(text: string): string[] {
  return [...text.matchAll(/^```[a-z]*\n([\s\S]*?)^```$/gm)].map((m) => m[1] ?? "");
}

/** GitHub's anchor for a heading. */
function slug(heading: string): string {
  return heading
    .trim()
    .toLowerCase()
    .replace(/[^\p{L}\p{N} _-]/gu, "")
    .replace(/ /g, "-");
}

function anchors(text: string): Set<string> {
  return new Set(
    prose(text)
      .flatMap(([, line]) => /^#+ (.*)$/.exec(line)?.[1] ?? [])
      .map(slug),
  );
}

describe("docs are well formed", () => {
  for (const file of DOCS) {
    it(`${file}: every table has a header row and a separator; no section twice`, () => {
      const lines = prose(read(file));
      let table: [number, string][] = [];
      const flush = (): void => {
        if (table.length === 0) return;
        const [first, second] = table;
        assert.ok(
          second !== undefined && /^\|(\s*:?-{3,}:?\s*\|)+\s*$/.test(second[1]),
          `${file}:${first?.[0] ?? 0}: a table row without a header and separator (a stray or headless table)`,
        );
        table = [];
      };
      for (const entry of lines) {
        if (entry[1].startsWith("|")) table.push(entry);
        else flush();
      }
      flush();
      const headings = lines.map(([, line]) => line).filter((line) => /^#{1,3} /.test(line));
      const twice = headings.filter((h, i) => headings.indexOf(h) !== i);
      assert.deepEqual(twice, [], `${file}: sections that appear twice`);
    });

    it(`${file}: every relative link and anchor exists`, () => {
      const text = read(file);
      const links = prose(text).flatMap(([, line]) => [...line.matchAll(/\]\(([^)\s]+)\)/g)].map((m) => m[1] ?? ""));
      for (const link of links) {
        if (/^[a-z]+:/.test(link)) continue; // https:, mailto:
        const [target = "", anchor] = link.split("#");
        const resolved = target === "" ? file : path.join(path.dirname(file), target);
        assert.ok(fs.existsSync(path.join(ROOT, resolved)), `${file}: link to ${link}: no ${resolved}`);
        if (anchor !== undefined && resolved.endsWith(".md")) {
          assert.ok(anchors(read(resolved)).has(anchor), `${file}: link to ${link}: ${resolved} has no #${anchor}`);
        }
      }
    });
  }
});

describe("the README tells the truth", () => {
  const readme = read("README.md");
  const pkg = JSON.parse(read("package.json")) as { name: string; version: string };
  const help = Object.values(helpTexts(10_000)).join("\n");

  it("installs the package from a tarball, never from the registry it is not published on", () => {
    const installs = [...readme.matchAll(/npm (?:install|i) -g (\S+)/g)].map((m) => m[1]);
    assert.ok(installs.length > 0, "the README says how to install the command");
    for (const spec of installs) assert.equal(spec, `./${pkg.name}-${pkg.version}.tgz`);
  });

  it("names only flags and environment variables that --help lists", () => {
    // This program's flags are dotted (--web.*, --path.*, --collector.*, --log.*); others are other tools'.
    const flags = new Set(
      [...readme.matchAll(/`(--(?:no-)?[a-z]+\.[a-z0-9.-]*[a-z0-9])[`=\s]/g)].map((m) => m[1] ?? ""),
    );
    assert.ok(flags.size > 10);
    for (const flag of flags) assert.ok(help.includes(flag), `the README names ${flag}, which --help does not list`);
    for (const [, name = ""] of readme.matchAll(/\b(LIVEPATCH_EXPORTER_[A-Z0-9_]+)\b/g)) {
      // The environment test proves every advertised variable works; here, that the README's are advertised.
      const advertised = new RegExp(`\\(env: ${name}\\)`).test(help);
      assert.ok(advertised, `the README names ${name}, which --help does not advertise`);
    }
  });

  it("names only metrics the exporter has", () => {
    const named = new Set([...readme.matchAll(/\b(livepatch_[a-z_]+)(?=[{`\s])/g)].map((m) => m[1] ?? ""));
    const known = new Set(Object.keys(METRICS));
    const unknown = [...named].filter((name) => !known.has(name) && !name.startsWith("livepatch_exporter"));
    assert.deepEqual(unknown, [], "metrics the README names that the catalog does not have");
  });

  it("shows outputs the program prints: the check excerpt and the metrics of the captures they come from", () => {
    const blocks = codeBlocks(readme);
    const check = blocks.find((b) => b.includes("Verdict:"));
    const metrics = blocks.find((b) => b.startsWith("livepatch_"));
    assert.ok(check !== undefined && metrics !== undefined);
    const noModules = read("test/golden/check/no-modules.txt").split("\n");
    for (const line of check.split("\n").filter((l) => l.trim() !== "" && l.trim() !== "...")) {
      assert.ok(noModules.includes(line), `check excerpt line not in the no-modules report: ${line}`);
    }
    const basic = read("test/golden/basic-enabled.prom").split("\n");
    for (const line of metrics.split("\n").filter((l) => l !== "")) {
      assert.ok(basic.includes(line), `metrics excerpt line not in the basic-enabled output: ${line}`);
    }
  });
});
