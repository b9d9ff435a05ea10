// The whole exporter as main.ts assembles it (in this process) over fixture
// trees: /metrics compared with committed golden files (UPDATE_GOLDEN=1 npm test
// rewrites them) and checked by promtool.
import assert from "node:assert/strict";
import fs from "node:fs";
import { after, describe, it } from "node:test";
import { pathFlags } from "../helpers/fixtures.js";
import { GOLDEN_CASES, GOLDEN_DIR, GOLDEN_FLAGS, stable } from "../helpers/golden.js";
import { promtool } from "../helpers/promtool.js";
import { startFront, type ServedFront } from "../helpers/front.js";

describe("golden /metrics", () => {
  const running: ServedFront[] = [];
  after(async () => {
    await Promise.all(running.map((e) => e.stop()));
  });

  for (const [name, { tree, flags }] of Object.entries(GOLDEN_CASES)) {
    it(name, async () => {
      const exporter = await startFront([...pathFlags(tree()), ...GOLDEN_FLAGS, ...flags]);
      running.push(exporter);
      const response = await fetch(`${exporter.url}/metrics`);
      assert.equal(response.status, 200);
      const body = await response.text();

      const lint = promtool(["check", "metrics"], body);
      assert.equal(lint.status, 0, `promtool check metrics:\n${lint.output}`);

      const golden = new URL(`${name}.prom`, GOLDEN_DIR);
      const actual = stable(body);
      if (process.env["UPDATE_GOLDEN"] === "1") fs.writeFileSync(golden, actual);
      assert.equal(actual, fs.readFileSync(golden, "utf8"), `golden ${name}.prom differs (UPDATE_GOLDEN=1 to accept)`);
    });
  }
});
