// The report's published contract stays in step with the code: every finding
// id is documented in docs/check-json.md (and nothing documented is gone),
// every runbook link points at an existing section of docs/runbooks.md, at
// the same address the alert rules use, and the schema knows every section.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { FINDING_IDS, FINDINGS, SECTIONS, type FindingKind } from "../../src/views/report/finding.js";
import { RUNBOOKS_URL, runbookUrl } from "../../src/views/report/runbooks.js";

const ROOT = new URL("../../", import.meta.url);
const read = (file: string): string => fs.readFileSync(new URL(file, ROOT), "utf8");

describe("check report contract", () => {
  it("docs/check-json.md documents every finding id, in rank order, and no other", () => {
    const doc = read("docs/check-json.md");
    const table = doc.slice(doc.indexOf("## Finding ids"), doc.indexOf("## Adding a finding"));
    const documented = [...table.matchAll(/^\| `([a-z_0-9]+)` \| ([a-z_]+) \|/gm)].map((m) => [m[1], m[2]]);
    assert.deepEqual(
      documented,
      FINDING_IDS.map((id) => [id, FINDINGS[id].section]),
    );
  });

  it("every runbook anchor is a section of docs/runbooks.md", () => {
    const runbooks = read("docs/runbooks.md");
    const anchors = new Set([...runbooks.matchAll(/^## (\S+)$/gm)].map((m) => m[1]?.toLowerCase()));
    for (const id of FINDING_IDS) {
      const kind: FindingKind = FINDINGS[id];
      if (kind.runbook === undefined) continue;
      assert.ok(anchors.has(kind.runbook.toLowerCase()), `${id}: docs/runbooks.md has no section ${kind.runbook}`);
    }
  });

  it("runbook links use the alert rules' address", () => {
    const rules = parse(read("deploy/prometheus/rules/livepatch-alerts.yml")) as {
      groups: { rules: { annotations?: Record<string, string> }[] }[];
    };
    const urls = rules.groups.flatMap((g) => g.rules.flatMap((r) => r.annotations?.["runbook_url"] ?? []));
    assert.ok(urls.length > 0);
    for (const url of urls) assert.ok(url.startsWith(`${RUNBOOKS_URL}#`), `${url} is not under ${RUNBOOKS_URL}`);
  });

  it("the JSON schema's sections are the report's, and it pins the runbook address", () => {
    const schema = JSON.parse(read("docs/check-json.schema.json")) as {
      $defs: { section: { enum: string[] }; finding: { properties: { runbook: { oneOf: { pattern?: string }[] } } } };
    };
    assert.deepEqual(schema.$defs.section.enum, Object.keys(SECTIONS));
    const pattern = schema.$defs.finding.properties.runbook.oneOf.find((o) => o.pattern !== undefined)?.pattern ?? "";
    assert.match(runbookUrl("LivepatchNotReady"), new RegExp(pattern));
  });
});
