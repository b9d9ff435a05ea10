import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { resolveUnderRoot } from "../../src/fs/host-paths.js";
import { classifyError, listDir, probeDir, readText } from "../../src/fs/read.js";
import { FailureMemory, FileAccess } from "../../src/fs/file-access.js";
import { RootFiles } from "../../src/fs/root-files.js";
import type { Logger } from "../../src/log.js";
import { scratchDir } from "../helpers/fixtures.js";

function scratch(name: string): string {
  const dir = path.join(scratchDir(), `fs-${name}`);
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
    assert.deepEqual(readText(path.join(dir)), { ok: false, failure: "not_regular", code: "ENOTREG" });
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

describe("readText on pseudo-files and page boundaries", () => {
  it("singleRead: a file rendered whole on the first read is read whole, whatever its length", () => {
    const dir = scratch("single");
    for (const size of [0, 1, 4095, 4096, 4097, 10_000, 65_536, 65_537, 300_000]) {
      const file = path.join(dir, `f${size}`);
      const text = "y".repeat(size);
      fs.writeFileSync(file, text);
      assert.deepEqual(readText(file, 1024 * 1024, true), { ok: true, text }, `${size} bytes, single read`);
      assert.deepEqual(readText(file, 1024 * 1024), { ok: true, text }, `${size} bytes`);
    }
    // Larger than the scratch buffer: grown, and still capped.
    assert.deepEqual(readText(path.join(dir, "f300000"), 299_999), { ok: false, failure: "too_large", code: "EFBIG" });
    assert.equal(readText(path.join(dir, "f300000"), 300_000).ok, true);
    // The cap holds for both.
    assert.equal(readText(path.join(dir, "f4097"), 4096, true).ok, false);
  });

  it("singleRead matches a full read on this kernel's sysfs attributes and single-value procfs files", () => {
    const candidates = [
      "/proc/sys/kernel/osrelease",
      "/proc/sys/kernel/tainted",
      "/sys/devices/system/cpu/online",
      "/sys/kernel/mm/transparent_hugepage/enabled",
      "/sys/module/module/parameters/sig_enforce",
      "/sys/kernel/security/lockdown",
    ].filter((p) => readText(p).ok);
    assert.ok(candidates.length > 0, "no pseudo-file to check on this machine");
    for (const file of candidates) assert.deepEqual(readText(file, 64 * 1024, true), readText(file), file);
  });

  it("without singleRead, a multi-record seq_file longer than a page is read to the end", () => {
    // /proc/self/smaps returns one page of records per read: a short read that is not the end.
    const text = readText("/proc/self/smaps", 4 * 1024 * 1024);
    assert.ok(text.ok);
    assert.ok(text.text.length > 8192, "smaps is several pages");
    const reference = fs.readFileSync("/proc/self/smaps", "utf8");
    const mappings = (t: string) => t.split("\n").filter((l) => l.startsWith("Rss:")).length;
    assert.ok(Math.abs(mappings(text.text) - mappings(reference)) <= 2, "as many mappings as a full read");
  });

  it("probeDir reports like listDir, without listing or throwing", () => {
    const dir = scratch("probe");
    fs.writeFileSync(path.join(dir, "file"), "x");
    assert.deepEqual(probeDir(dir), { ok: true });
    assert.deepEqual(probeDir(path.join(dir, "missing")), { ok: false, failure: "absent", code: "ENOENT" });
    assert.deepEqual(probeDir(path.join(dir, "file")), { ok: false, failure: "absent", code: "ENOTDIR" });
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

  it("absolute symlinks restart at the root", async () => {
    assert.deepEqual(await resolveUnderRoot(root, "/var/run/reboot-required"), {
      ok: true,
      path: path.join(root, "run/reboot-required"),
    });
  });

  it("relative symlinks resolve beside themselves", async () => {
    assert.deepEqual(await resolveUnderRoot(root, "/etc/os-release"), {
      ok: true,
      path: path.join(root, "usr/lib/os-release"),
    });
  });

  it("'..' never climbs above the root", async () => {
    assert.deepEqual(await resolveUnderRoot(root, "/etc/escape"), { ok: false, failure: "absent", code: "ENOENT" });
    assert.deepEqual(await resolveUnderRoot(root, "/../../run/reboot-required"), {
      ok: true,
      path: path.join(root, "run/reboot-required"),
    });
  });

  it("symlink loops end in ELOOP, missing components in absent", async () => {
    assert.deepEqual(await resolveUnderRoot(root, "/etc/loop-a"), { ok: false, failure: "io_error", code: "ELOOP" });
    assert.deepEqual(await resolveUnderRoot(root, "/var/run/nothing"), {
      ok: false,
      failure: "absent",
      code: "ENOENT",
    });
  });
});

describe("FileAccess", () => {
  const logged = (): { log: Logger; lines: [string, string][] } => {
    const lines: [string, string][] = [];
    const log: Logger = {
      debug: (_f, m) => lines.push(["debug", m]),
      info: (_f, m) => lines.push(["info", m]),
      warn: (_f, m) => lines.push(["warn", m]),
      error: (_f, m) => lines.push(["error", m]),
      child: () => log,
    };
    return { log, lines };
  };

  it("tallies errors, ignores absence, warns once per path and again after recovery", () => {
    const { log, lines } = logged();
    const dir = scratch("access");
    fs.writeFileSync(path.join(dir, "big"), "x".repeat(100));
    const memory = new FailureMemory();
    const rootFiles = new RootFiles(dir);
    const scrape = (): FileAccess => new FileAccess(log, memory, rootFiles);
    const first = scrape();
    first.readText(path.join(dir, "missing"));
    first.readText(path.join(dir, "big"), { capBytes: 10 });
    first.invalid(path.join(dir, "x"), "garbage");
    first.finish();
    assert.deepEqual(Object.fromEntries(first.errors()), { too_large: 1, invalid: 1 });
    assert.deepEqual(lines, [
      ["warn", "cannot read file"],
      ["warn", "cannot read file"],
    ]);
    lines.length = 0;
    const second = scrape();
    second.readText(path.join(dir, "big"), { capBytes: 10 });
    second.finish();
    assert.deepEqual(lines, [["debug", "cannot read file (still)"]]);
    lines.length = 0;
    const third = scrape();
    third.readText(path.join(dir, "big"));
    third.finish();
    assert.deepEqual(lines, [["info", "file is readable again"]]);
    lines.length = 0;
    const fourth = scrape();
    fourth.readText(path.join(dir, "big"), { capBytes: 10 });
    fourth.finish();
    assert.deepEqual(lines, [["warn", "cannot read file"]]);
  });

  it("a file whose content stays invalid is warned about once, not 'readable again' on every scrape", () => {
    const { log, lines } = logged();
    const dir = scratch("access-invalid");
    const file = path.join(dir, "tainted");
    fs.writeFileSync(file, "garbage\n");
    const memory = new FailureMemory();
    const rootFiles = new RootFiles(dir);
    const scrape = (): void => {
      const files = new FileAccess(log, memory, rootFiles);
      const read = files.readText(file);
      if (read.ok && !/^\d+\n$/.test(read.text)) files.invalid(file, "not a number");
      files.finish();
    };
    for (let i = 0; i < 5; i++) scrape();
    assert.deepEqual(lines, [
      ["warn", "cannot read file"],
      ["debug", "cannot read file (still)"],
      ["debug", "cannot read file (still)"],
      ["debug", "cannot read file (still)"],
      ["debug", "cannot read file (still)"],
    ]);
    lines.length = 0;
    fs.writeFileSync(file, "0\n");
    scrape();
    scrape();
    assert.deepEqual(lines, [["info", "file is readable again"]]);
    lines.length = 0;
    fs.writeFileSync(file, "garbage again\n");
    scrape();
    assert.deepEqual(lines, [["warn", "cannot read file"]]);
  });

  it("says why a file that is not a regular file is refused", () => {
    const { log, lines } = logged();
    const dir = scratch("access-refused");
    const files = new FileAccess(log, new FailureMemory(), new RootFiles(dir));
    assert.deepEqual(files.readText(dir), { ok: false, failure: "not_regular", code: "ENOTREG" });
    assert.deepEqual(Object.fromEntries(files.errors()), { not_regular: 1 });
    assert.deepEqual(lines, [
      ["warn", "refused to read what is not a regular file (a directory, FIFO, socket or device)"],
    ]);
  });
});
