// docs/flags.md is what --help prints (npm run docs:flags writes it).
import assert from "node:assert/strict";
import fs from "node:fs";
import { describe, it } from "node:test";
import { COLLECTOR_NAMES } from "../../src/registry.js";
import { checkGenerated } from "../helpers/generators.js";

describe("docs/flags.md", () => {
  it("is generated from --help (npm run docs:flags)", () => {
    const result = checkGenerated("gen-flags-doc.ts");
    assert.equal(result.status, 0, result.stderr);
    const doc = fs.readFileSync(new URL("../../docs/flags.md", import.meta.url), "utf8");
    for (const name of COLLECTOR_NAMES) assert.match(doc, new RegExp(`--no-collector\\.${name} `));
    assert.match(doc, /LIVEPATCH_EXPORTER_COLLECTOR_DISABLE_DEFAULTS/);
  });
});
