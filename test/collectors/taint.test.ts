import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { handmadeTree, realKernelTree } from "../helpers/fixtures.js";
import { derivedOf, factsOf, snapshotOf } from "../helpers/collect.js";

const setLetters = (facts: { decoded: { flags: readonly { flag: { letter: string }; set: boolean }[] } }): string =>
  facts.decoded.flags
    .filter((f) => f.set)
    .map((f) => f.flag.letter)
    .join("");

describe("taint collector", () => {
  it("basic-enabled: 45056 = O + E + K; the patch module carries OEK", async () => {
    const snapshot = await snapshotOf(realKernelTree("basic-enabled"));
    const facts = factsOf(snapshot, "taint");
    assert.equal(facts.value, 45056n);
    assert.equal(setLetters(facts), "OEK");
    assert.deepEqual(facts.decoded.unknownBits, []);
    assert.equal(facts.decoded.flags.length, 20);
    const moduleLetters = derivedOf(snapshot, "moduleTaintLetters");
    const letters = moduleLetters.state === "ok" ? Object.fromEntries(moduleLetters.value) : {};
    assert.deepEqual(letters, { P: 0, F: 0, C: 0, O: 1, E: 1, K: 1, X: 0, T: 0, N: 0, J: 0 });
  });

  it("busy-stuck: two modules tainted O and E, one K", async () => {
    const moduleLetters = derivedOf(await snapshotOf(realKernelTree("busy-stuck")), "moduleTaintLetters");
    const letters = moduleLetters.state === "ok" ? moduleLetters.value : new Map();
    assert.equal(letters.get("O"), 2);
    assert.equal(letters.get("E"), 2);
    assert.equal(letters.get("K"), 1);
  });

  it("clean and lockdown-integrity: 0", async () => {
    for (const capture of ["clean", "lockdown-integrity"] as const) {
      const facts = factsOf(await snapshotOf(realKernelTree(capture)), "taint");
      assert.equal(facts.value, 0n);
      assert.equal(setLetters(facts), "");
    }
  });

  it("RHEL bits 28 and 30 are kept as unknown bits", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("distro-taint")), "taint");
    assert.equal(facts.value, BigInt(45056 + 2 ** 28 + 2 ** 30));
    assert.equal(setLetters(facts), "OEK");
    assert.deepEqual(facts.decoded.unknownBits, [28, 30]);
  });

  it("error bits W and D", async () => {
    const facts = factsOf(await snapshotOf(handmadeTree("tainted-error")), "taint");
    assert.equal(setLetters(facts), "DW");
  });

  it("a kernel without modules has no module letters at all (all zero, known)", async () => {
    const snapshot = await snapshotOf(handmadeTree("no-modules"));
    const moduleLetters = derivedOf(snapshot, "moduleTaintLetters");
    assert.ok(moduleLetters.state === "ok", "module letters are known");
    assert.ok([...moduleLetters.value.values()].every((n) => n === 0));
  });

  it("garbage in tainted fails the collector, and only it", async () => {
    const snapshot = await snapshotOf(handmadeTree("garbage"));
    const runs = Object.fromEntries(snapshot.runs.map((r) => [r.name, r.success]));
    assert.equal(runs["taint"], false);
    assert.equal(runs["livepatch"], true);
    assert.equal(runs["kernel"], true);
  });
});
