// A few hundred requests through the load script's runner (npm run load does
// the real, timed runs): every one answered 200, none lost, memory sampled.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runScenario, SCENARIOS } from "../../scripts/load-lib.js";

describe("load smoke", () => {
  for (const scenario of [SCENARIOS[0], SCENARIOS[2]]) {
    if (scenario === undefined) continue;
    it(`${scenario.name}: 300 requests over 20 connections, all 200`, async () => {
      const result = await runScenario(scenario, { connections: 20, amount: 300 });
      assert.equal(result.errors, 0);
      assert.equal(result.timeouts, 0);
      assert.deepEqual(result.statuses, { "200": result.requests });
      assert.ok(result.requests >= 300, String(result.requests));
      assert.ok(result.rssBytes.peak > 0);
    });
  }
});
