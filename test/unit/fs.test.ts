import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { resolveUnderRoot } from "../../src/fs/host-paths.js";
import { classifyError, listDir, readText } from "../../src/fs/read.js";
import { FailureMemory, FileAccess } from "../../src/fs/file-access.js";
import type { Logger } from "../../src/log.js";
import { testDir } from "../helpers/fixtures.js";

function scratch(name: string): string {
  const dir = path.join(testDir(), `fs-${name}`);
  fs.mkdirSync(dir, { recursive: true });
  return dir;
}

describe("readText", () => {
  it("reads whole files and stops at the cap", () => {
    const dir = scratch("read");
    fs.writeFileSync(path.join(dir, "small"), "1\n");
    fs.writeFileSync(path.join(dir, "big"), "x".repeat(100_001));
    assert.deepEqual(readText(path.join(dir, "small")), { ok: true, text: "1\n" });
    assert.deepEqual(readText(path.join(dir, "big"), 100_000), { ok: false, failure: "too_large", code: "EFBIG" });
    assert.equal(readText(path.join(dir, "big"), 200_000).ok, true);
  });

  it("classifies failures", () => {
    const dir = scratch("classify");
    assert.deepEqual(readText(path.join(dir, "missing")), { ok: false, failure: "absent", code: "ENOENT" });
    assert.deepEqual(readText(path.join(dir)), { ok: false, failure: "io_error", code: "EISDIR" });
    assert.equal(listDir(path.join(dir, "missing")).ok, false);
    assert.deepEqual(classifyError(Object.assign(new Error("x"), { code: "EACCES" })), {
      failure: "unreadable",
      code: "EACCES",
    });
    assert.deepEqual(classifyError(Object.assign(new Error("x"), { code: "EPERM" })), {
      failure: "unreadable",
      code: "EPERM",
    });
    assert.deepEqual(classifyError(Object.assign(new Error("x"), { code: "ENODEV" })), {
      failure: "vanished",
      code: "ENODEV",
    });
    assert.deepEqual(classifyError(Object.assign(new Error("x"), { code: "ESRCH" })), {
      failure: "vanished",
      code: "ESRCH",
    });
    assert.deepEqual(classifyError("weird"), { failure: "io_error", code: "UNKNOWN" });
  });
});

describe("resolveUnderRoot", () => {
  const root = scratch("root");
  fs.mkdirSync(path.join(root, "run"), { recursive: true });
  fs.mkdirSync(path.join(root, "var"), { recursive: true });
  fs.mkdirSync(path.join(root, "usr/lib"), { recursive: true });
  fs.mkdirSync(path.join(root, "etc"), { recursive: true });
  fs.symlinkSync("/run", path.join(root, "var/run"));
  fs.symlinkSync("../usr/lib/os-release", path.join(root, "etc/os-release"));
  fs.symlinkSync("/../../../../etc/passwd", path.join(root, "etc/escape"));
  fs.symlinkSync("loop-b", path.join(root, "etc/loop-a"));
  fs.symlinkSync("loop-a", path.join(root, "etc/loop-b"));
  fs.writeFileSync(path.join(root, "run/reboot-required"), "");
  fs.writeFileSync(path.join(root, "usr/lib/os-release"), "ID=x\n");

  it("absolute symlinks restart at the root", () => {
    assert.deepEqual(resolveUnderRoot(root, "/var/run/reboot-required"), {
      ok: true,
      path: path.join(root, "run/reboot-required"),
    });
  });

  it("relative symlinks resolve beside themselves", () => {
    assert.deepEqual(resolveUnderRoot(root, "/etc/os-release"), {
      ok: true,
      path: path.join(root, "usr/lib/os-release"),
    });
  });

  it("'..' never climbs above the root", () => {
    assert.deepEqual(resolveUnderRoot(root, "/etc/escape"), { ok: false, failure: "absent", code: "ENOENT" });
    assert.deepEqual(resolveUnderRoot(root, "/../../run/reboot-required"), {
      ok: true,
      path: path.join(root, "run/reboot-required"),
    });
  });

  it("symlink loops end in ELOOP, missing components in absent", () => {
    assert.deepEqual(resolveUnderRoot(root, "/etc/loop-a"), { ok: false, failure: "io_error", code: "ELOOP" });
    assert.deepEqual(resolveUnderRoot(root, "/var/run/nothing"), { ok: false, failure: "absent", code: "ENOENT" });
  });

  it("the real root is used as is", () => {
    assert.deepEqual(resolveUnderRoot("/", "/var/run"), { ok: true, path: "/var/run" });
  });
});

describe("FileAccess", () => {
  it("tallies errors, ignores absence, warns once per path and again after recovery", () => {
    const lines: [string, string][] = [];
    const log: Logger = {
      debug: (_f, m) => lines.push(["debug", m]),
      info: (_f, m) => lines.push(["info", m]),
      warn: (_f, m) => lines.push(["warn", m]),
      error: (_f, m) => lines.push(["error", m]),
      child: () => log,
    };
    const dir = scratch("access");
    const memory = new FailureMemory();
    const first = new FileAccess(log, memory);
    first.readText(path.join(dir, "missing"));
    first.readText(dir); // EISDIR
    first.invalid(path.join(dir, "x"), "garbage");
    assert.deepEqual(Object.fromEntries(first.errors()), { io_error: 1, invalid: 1 });
    assert.deepEqual(lines, [
      ["warn", "cannot read file"],
      ["warn", "cannot read file"],
    ]);
    lines.length = 0;
    new FileAccess(log, memory).readText(dir);
    assert.deepEqual(lines, [["debug", "cannot read file (still)"]]);
  });
});
