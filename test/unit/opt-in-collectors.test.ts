// The opt-in collectors (functions, redirection, probes): off unless named,
// by flag or environment variable; `check` runs them only when named too.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { runCheck } from "../../src/check.js";
import { parseInvocation } from "../../src/cli.js";
import { COLLECTORS } from "../../src/registry.js";
import { handmadeTree, pathFlags } from "../helpers/fixtures.js";

const OPT_IN = ["functions", "redirection", "probes"] as const;

describe("opt-in collectors", () => {
  it("are exactly functions, redirection and probes, off by default and said so in --help", () => {
    const optIn = Object.entries(COLLECTORS)
      .filter(([, registration]) => registration.collector.optIn === true)
      .map(([name]) => name);
    assert.deepEqual(optIn, [...OPT_IN]);
    const { options } = parseInvocation([]);
    for (const name of OPT_IN) assert.ok(!options.enabledCollectors.has(name), name);
    assert.ok(options.enabledCollectors.has("livepatch"));
    assert.equal(options.collectors.functions.limit, 500);
  });

  it("are enabled by their flag or variable, also with --collector.disable-defaults", () => {
    const byFlag = parseInvocation(["--collector.functions", "--collector.functions.limit=7"]).options;
    assert.ok(byFlag.enabledCollectors.has("functions"));
    assert.ok(!byFlag.enabledCollectors.has("redirection"));
    assert.equal(byFlag.collectors.functions.limit, 7);
    const byEnv = parseInvocation([], { LIVEPATCH_EXPORTER_COLLECTOR_REDIRECTION: "true" }).options;
    assert.ok(byEnv.enabledCollectors.has("redirection"));
    const only = parseInvocation(["--collector.disable-defaults", "--collector.probes"]).options;
    assert.deepEqual([...only.enabledCollectors], ["probes"]);
  });

  it("check shows the patched functions only when asked", async () => {
    const tree = handmadeTree("busy-stuck-stack");
    const plain = await runCheck(parseInvocation(["check", ...pathFlags(tree)]).options, false);
    assert.doesNotMatch(plain.output, /Patched functions/);
    const flags = ["--collector.functions", "--collector.redirection", "--collector.transition.blocking-threads"];
    const asked = await runCheck(parseInvocation(["check", ...pathFlags(tree), ...flags]).options, false);
    assert.match(asked.output, /Patched functions\n.*ftrace redirects all 1 function\(s\) of the enabled patches/);
    assert.match(asked.output, /lp_busy: busy_wait_fn \(lp_busy_target\), redirected by ftrace/);
    assert.match(asked.output, /blocked by pid 110 tid 110 lp_busy_kthread, inside busy_wait_fn \(lp_busy_target\)/);
    assert.equal(asked.exitCode, plain.exitCode);
  });
});
