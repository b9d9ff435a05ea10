// The build cache behind build:binary, build:deb and the container test's base image: keyed by
// content, filled atomically and once, failures leave nothing, old entries are pruned.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import { cached, cacheRoot, hashInputs } from "../../support/build-cache.js";
import { scratchDir } from "../helpers/fixtures.js";

describe("build cache", () => {
  before(() => {
    process.env["LIVEPATCH_BUILD_CACHE"] = path.join(scratchDir(), "build-cache");
  });

  it("lives where LIVEPATCH_BUILD_CACHE says", () => {
    assert.equal(cacheRoot(), path.join(scratchDir(), "build-cache"));
  });

  it("keys change with any value or any file's content, not with the order of files", () => {
    const dir = path.join(scratchDir(), "inputs");
    fs.mkdirSync(dir, { recursive: true });
    const a = path.join(dir, "a");
    const b = path.join(dir, "b");
    fs.writeFileSync(a, "1");
    fs.writeFileSync(b, "2");
    const key = hashInputs(["v"], [a, b]);
    assert.equal(hashInputs(["v"], [b, a]), key);
    assert.notEqual(hashInputs(["w"], [a, b]), key);
    assert.notEqual(hashInputs(["v", ""], [a, b]), key);
    fs.writeFileSync(b, "3");
    assert.notEqual(hashInputs(["v"], [a, b]), key);
  });

  it("builds once; later calls and concurrent ones get the same entry", async () => {
    let builds = 0;
    const build = async (directory: string): Promise<void> => {
      builds += 1;
      await new Promise((resolve) => setTimeout(resolve, 300));
      fs.writeFileSync(path.join(directory, "artifact"), "made");
    };
    const [first, second] = await Promise.all([cached("kind", "k1", build), cached("kind", "k1", build)]);
    assert.equal(builds, 1);
    assert.equal(first.directory, second.directory);
    assert.deepEqual([first.hit, second.hit].sort(), [false, true]);
    const third = await cached("kind", "k1", build);
    assert.ok(third.hit);
    assert.equal(fs.readFileSync(path.join(third.directory, "artifact"), "utf8"), "made");
  });

  it("a failed build leaves nothing, and the next call builds again", async () => {
    await assert.rejects(
      cached("kind", "k2", (directory) => {
        fs.writeFileSync(path.join(directory, "half"), "");
        throw new Error("broken");
      }),
      /broken/,
    );
    const kindDir = path.join(cacheRoot(), "kind");
    assert.deepEqual(
      fs.readdirSync(kindDir).filter((name) => name.includes("k2")),
      [],
    );
    const entry = await cached("kind", "k2", (directory) => fs.writeFileSync(path.join(directory, "whole"), ""));
    assert.ok(!entry.hit);
    assert.ok(fs.existsSync(path.join(entry.directory, "whole")));
  });

  it("takes over the lock of a build whose process is gone", async () => {
    const kindDir = path.join(cacheRoot(), "stale");
    fs.mkdirSync(kindDir, { recursive: true });
    // No process has pid 2^22 + 1 (above Linux's pid_max limit).
    fs.writeFileSync(path.join(kindDir, ".k3.lock"), `${2 ** 22 + 1}\n`);
    const entry = await cached("stale", "k3", (directory) => fs.writeFileSync(path.join(directory, "x"), ""));
    assert.ok(!entry.hit);
    assert.ok(!fs.existsSync(path.join(kindDir, ".k3.lock")));
  });

  it("keeps the newest two entries of a kind", async () => {
    for (const key of ["p1", "p2", "p3"]) {
      await cached("pruned", key, (directory) => fs.writeFileSync(path.join(directory, "x"), key));
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
    assert.deepEqual(fs.readdirSync(path.join(cacheRoot(), "pruned")).sort(), ["p2", "p3"]);
  });
});
