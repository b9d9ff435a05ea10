// `livepatch_exporter check` and `check --json` over every real-kernel capture
// and hand-made tree, run in this process exactly as the command runs
// (parseInvocation, then runCheck), compared with committed golden files in
// test/golden/check/ (UPDATE_GOLDEN=1 npm test rewrites them). The JSON is
// validated against its published schema (docs/check-json.schema.json), and
// text and JSON must say the same: the same sections, the same findings.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { CLIENT_NAMES } from "../../src/clients/names.js";
import { runCheck } from "../../src/check.js";
import { parseInvocation } from "../../src/cli.js";
import type { ReportJson } from "../../src/views/check-json.js";
import { HANDMADE, type HandmadeName } from "../fixtures/handmade.js";
import { schemaErrors } from "../helpers/check-schema.js";
import { handmadeTree, pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { FUNCTIONS_FLAGS, FUNCTIONS_TREES } from "../helpers/golden.js";
import { REAL_CAPTURES, type RealCapture } from "../../support/trees.js";

const GOLDEN_DIR = new URL("../golden/check/", import.meta.url);

const REAL: readonly RealCapture[] = REAL_CAPTURES;

/** Each tree, and the flags it is checked with besides --collector.transition.blocking-threads. */
const CASES: readonly [name: string, tree: () => string, flags: readonly string[]][] = [
  ...REAL.map((name): [string, () => string, readonly string[]] => [name, () => realKernelTree(name), []]),
  ...(Object.keys(HANDMADE) as HandmadeName[]).map((name): [string, () => string, readonly string[]] => [
    name,
    () => handmadeTree(name),
    FUNCTIONS_TREES.has(name) ? FUNCTIONS_FLAGS : [],
  ]),
];

/** No vendor client, whatever this machine has installed: the goldens describe the tree only. */
const NO_CLIENTS = CLIENT_NAMES.map((name) => `--no-collector.${name}`);

/** Facts that change from run to run (mtimes of files the test just wrote, a transition's age). */
const VOLATILE_FACTS = new Set(["since", "running_seconds"]);

/** How long a capture's transition has run: since its kernel log's start, until now. */
const AGE = /running for [^,"]+, since/g;

/** The command's output, with the tree's location (in a failed collector's error) as <tree>. */
async function check(
  tree: string,
  json: boolean,
  flags: readonly string[],
): Promise<{ output: string; exitCode: number }> {
  const args = [
    "check",
    ...(json ? ["--json"] : []),
    "--collector.transition.blocking-threads",
    ...flags,
    ...NO_CLIENTS,
  ];
  const invocation = parseInvocation([...args, ...pathFlags(tree)], {});
  assert.equal(invocation.command, "check");
  const result = await runCheck(invocation.options, json);
  const output = result.output.replaceAll(tree, "<tree>").replace(AGE, "running for <age>, since");
  return { output, exitCode: result.exitCode };
}

function stableJson(text: string): string {
  return `${JSON.stringify(
    JSON.parse(text),
    (key, value: unknown) =>
      // Masked with a value of the same type, so that the goldens still conform to the schema.
      !VOLATILE_FACTS.has(key)
        ? value
        : typeof value === "string"
          ? "<volatile>"
          : typeof value === "number"
            ? 0
            : value,
    2,
  )}\n`;
}

function assertGolden(file: string, actual: string): void {
  const golden = new URL(file, GOLDEN_DIR);
  if (process.env["UPDATE_GOLDEN"] === "1") {
    fs.mkdirSync(GOLDEN_DIR, { recursive: true });
    fs.writeFileSync(golden, actual);
  }
  assert.equal(actual, fs.readFileSync(golden, "utf8"), `golden check/${file} differs (UPDATE_GOLDEN=1 to accept)`);
}

describe("golden check reports", () => {
  for (const [name, makeTree, flags] of CASES) {
    it(name, async () => {
      const tree = makeTree();
      const text = await check(tree, false, flags);
      const json = await check(tree, true, flags);
      assertGolden(`${name}.txt`, text.output);
      assertGolden(`${name}.json`, stableJson(json.output));

      const report = JSON.parse(json.output) as ReportJson;
      assert.deepEqual(schemaErrors(report), [], "the report does not conform to docs/check-json.schema.json");
      assert.equal(text.exitCode, json.exitCode);
      assert.equal(report.exitCode, json.exitCode);
      assertConsistent(text.output, report);
    });
  }
});

/** Text and JSON say the same: every section with a finding, every finding at its level, the verdict. */
function assertConsistent(text: string, report: ReportJson): void {
  const lines = text.split("\n");
  const titles = report.sections.map((s) => s.title);
  for (const title of titles) assert.ok(lines.includes(title), `text lacks section ${title}`);
  const mark = { ok: "[ ok ]", info: "[info]", warn: "[WARN]", fail: "[FAIL]" } as const;
  for (const f of report.findings) {
    assert.ok(lines.includes(`  ${mark[f.level]} ${f.text}`), `text lacks ${f.level} ${f.id}: ${f.text}`);
    assert.ok(
      report.sections.some((s) => s.id === f.section),
      `finding ${f.id} is in section ${f.section}, which is not listed`,
    );
  }
  // Every section listed has a finding: no empty section in either form.
  for (const section of report.sections) {
    assert.ok(
      report.findings.some((f) => f.section === section.id),
      `section ${section.id} is empty`,
    );
  }
  // Problems first, most severe first.
  const severity = { ok: 0, info: 1, warn: 2, fail: 3 } as const;
  const levels = report.findings.map((f) => severity[f.level]);
  const problems = levels.filter((l) => l >= 2);
  assert.deepEqual(
    levels.slice(0, problems.length),
    [...problems].sort((a, b) => b - a),
  );
  assert.equal(report.verdict === "healthy", problems.length === 0 && report.exitCode === 0);
  assert.match(lines.at(-2) ?? "", new RegExp(`^Verdict: ${report.verdict} \\(exit ${report.exitCode}\\)\\. `));
  assert.ok(text.includes(report.headline), "the text's verdict line is the JSON's headline");
  // (id, subject) names one finding.
  const keys = report.findings.map((f) => `${f.id}/${f.subject ?? ""}`);
  assert.equal(new Set(keys).size, keys.length, `duplicate (id, subject): ${keys.join(", ")}`);
}
