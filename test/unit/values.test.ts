import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseBool01, parseBoolYN, parseDecimal, parsePositive, parseUnsignedBig } from "../../src/parse/values.js";
import { parsePatchState } from "../../src/parse/patch-state.js";
import { parseBootTime } from "../../src/parse/proc-stat.js";
import { parseFunctionDir } from "../../src/parse/livepatch-names.js";
import { parseLockdown } from "../../src/parse/lockdown.js";

describe("single-value parsers", () => {
  it("0/1 attributes with the kernel's trailing newline", () => {
    assert.equal(parseBool01("1\n"), true);
    assert.equal(parseBool01("0\n"), false);
    assert.equal(parseBool01("0"), false);
    for (const bad of ["", "\n", "2\n", "-1\n", "1 1\n", "one\n", "01\n", "1\n0\n"])
      assert.equal(parseBool01(bad), undefined, bad);
  });

  it("Y/N module parameters", () => {
    assert.equal(parseBoolYN("Y\n"), true);
    assert.equal(parseBoolYN("N\n"), false);
    for (const bad of ["1\n", "y\n", "", "YES\n"]) assert.equal(parseBoolYN(bad), undefined, bad);
  });

  it("decimals: signed, exact, bounded", () => {
    assert.equal(parseDecimal("42\n"), 42);
    assert.equal(parseDecimal("-1\n"), -1);
    assert.equal(parseDecimal("9007199254740993\n"), undefined, "beyond 2^53 is not exact");
    assert.equal(parseDecimal("1e3\n"), undefined);
    assert.equal(parseDecimal("0x10\n"), undefined);
    assert.equal(parseDecimal(`${"9".repeat(5000)}\n`), undefined);
    assert.equal(parseDecimal(""), undefined);
  });

  it("stack_order is 1-based", () => {
    assert.equal(parsePositive("3\n"), 3);
    assert.equal(parsePositive("0\n"), undefined);
    assert.equal(parsePositive("-2\n"), undefined);
  });

  it("taint masks: unsigned long, any bit", () => {
    assert.equal(parseUnsignedBig("45056\n"), 45056n);
    assert.equal(parseUnsignedBig("18446744073709551615\n"), 2n ** 64n - 1n);
    assert.equal(parseUnsignedBig("18446744073709551616\n"), undefined);
    assert.equal(parseUnsignedBig("-1\n"), undefined);
    assert.equal(parseUnsignedBig("\n"), undefined);
  });

  it("patch_state: -1 idle, 0 unpatched, 1 patched", () => {
    assert.equal(parsePatchState("-1\n"), -1);
    assert.equal(parsePatchState("0\n"), 0);
    assert.equal(parsePatchState("1\n"), 1);
    assert.equal(parsePatchState("2\n"), undefined);
    assert.equal(parsePatchState(""), undefined);
  });

  it("btime from /proc/stat", () => {
    assert.equal(parseBootTime("cpu  1 2 3\nintr 5 6\nbtime 1795910684\nprocesses 353\n"), 1795910684);
    assert.equal(parseBootTime("cpu 1 2\n"), undefined);
    assert.equal(parseBootTime("btime -5\n"), undefined);
    assert.equal(parseBootTime("btime 0\n"), undefined);
  });

  it("function directories split on the last comma", () => {
    assert.deepEqual(parseFunctionDir("cmdline_proc_show,1"), { name: "cmdline_proc_show", sympos: 1 });
    assert.deepEqual(parseFunctionDir("tcp_v4_rcv.isra.0,2"), { name: "tcp_v4_rcv.isra.0", sympos: 2 });
    assert.deepEqual(parseFunctionDir("foo.constprop.0"), { name: "foo.constprop.0", sympos: undefined });
    assert.equal(parseFunctionDir(",1"), undefined);
    assert.equal(parseFunctionDir("foo,"), undefined);
    assert.equal(parseFunctionDir("foo,x"), undefined);
    assert.equal(parseFunctionDir(""), undefined);
  });

  it("lockdown: the bracketed level is active", () => {
    assert.deepEqual(parseLockdown("[none] integrity confidentiality\n"), {
      active: "none",
      available: ["none", "integrity", "confidentiality"],
    });
    assert.equal(parseLockdown("none [integrity] confidentiality\n")?.active, "integrity");
    assert.equal(parseLockdown("none integrity [confidentiality]\n")?.active, "confidentiality");
    for (const bad of [
      "none integrity confidentiality\n",
      "[none] [integrity]\n",
      "",
      "[None]\n",
      "[none] in-tegrity\n",
    ]) {
      assert.equal(parseLockdown(bad), undefined, bad);
    }
  });
});
