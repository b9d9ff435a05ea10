// The report's published contract stays in step with the code: every finding
// id is documented in docs/check-json.md (and nothing documented is gone)
// and described in docs/check-json.schema.json with the same section, levels,
// subject and fact names; every runbook link points at an existing section of
// docs/runbooks.md, at the same address the alert rules use, and the schema
// knows every section.
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { parse } from "yaml";
import { FINDING_IDS, FINDINGS, SECTIONS, type FindingKind } from "../../src/views/report/finding.js";
import { RUNBOOKS_URL, runbookUrl } from "../../src/views/report/runbooks.js";
import { CHECK_SCHEMA } from "../helpers/check-schema.js";

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

  it("the schema describes every finding id, in its section, with the code's fact names", () => {
    const { kinds, finding } = CHECK_SCHEMA.$defs;
    assert.deepEqual(finding.properties.id.enum, FINDING_IDS);
    assert.deepEqual(Object.keys(kinds), [...FINDING_IDS]);
    for (const id of FINDING_IDS) {
      const kind = kinds[id]?.properties;
      assert.ok(kind !== undefined, id);
      assert.equal(kind.section.const, FINDINGS[id].section, `${id}: section`);
      assert.deepEqual(kind.facts.required, FINDINGS[id].facts, `${id}: facts (all of them required, in order)`);
      assert.deepEqual(Object.keys(kind.facts.properties), FINDINGS[id].facts, `${id}: a type for each fact`);
    }
  });

  it("docs/check-json.md says what the schema says: levels, subject and facts of each id", () => {
    const doc = read("docs/check-json.md");
    const table = doc.slice(doc.indexOf("## Finding ids"), doc.indexOf("## Adding a finding"));
    const rows = [...table.matchAll(/^\| `([a-z_0-9]+)` \| [a-z_]+ \| ([^|]+) \| ([^|]+) \| ([^|]*) \|/gm)];
    assert.equal(rows.length, FINDING_IDS.length);
    for (const [, id = "", levels = "", subject = "", facts = ""] of rows) {
      const kind = CHECK_SCHEMA.$defs.kinds[id]?.properties;
      assert.ok(kind !== undefined, id);
      assert.deepEqual(levels.trim().split(", ").sort(), [...kind.level.enum].sort(), `${id}: levels`);
      const types = ([] as string[]).concat(kind.subject.type);
      const documented = subject.trim();
      if (types.includes("string")) {
        assert.notEqual(documented, "—", `${id}: the schema gives it a subject`);
        assert.equal(documented.endsWith(" or null"), types.includes("null"), `${id}: subject may be null`);
      } else {
        assert.equal(documented, "—", `${id}: the schema gives it no subject`);
      }
      const names = [...facts.matchAll(/`([^`]+)`/g)].map((m) => m[1]);
      assert.deepEqual(names, kind.facts.required, `${id}: facts`);
    }
  });

  it("the JSON schema's sections are the report's, and it pins the runbook address", () => {
    const schema = CHECK_SCHEMA;
    assert.deepEqual(schema.$defs.section.enum, Object.keys(SECTIONS));
    const pattern = schema.$defs.finding.properties.runbook.oneOf.find((o) => o.pattern !== undefined)?.pattern ?? "";
    assert.match(runbookUrl("LivepatchNotReady"), new RegExp(pattern));
  });
});
