// RootFiles: the host's root filesystem read without ever leaving it and
// without blocking (src/fs/root-files.ts). The races are made deterministic
// here by swapping a link in at the worst moment: right after the path was
// resolved, just before it is opened. test/e2e/rootfs-race.test.ts runs the
// same attack as a real race against the real process.
import assert from "node:assert/strict";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it, type TestContext } from "node:test";
import { RootFiles } from "../../src/fs/root-files.js";
import { freshDir } from "../helpers/fixtures.js";

/** A host root with an os-release behind a relative link, /var/run -> /run, and a secret outside it. */
function hostRoot(): { root: string; outside: string } {
  const base = freshDir("root-files");
  const root = path.join(base, "host");
  const outside = path.join(base, "outside");
  for (const dir of ["etc", "usr/lib", "run", "var", "lib/modules/6.1.0-1-amd64"]) {
    fs.mkdirSync(path.join(root, dir), { recursive: true });
  }
  fs.writeFileSync(path.join(root, "usr/lib/os-release"), "ID=debian\n");
  fs.symlinkSync("../usr/lib/os-release", path.join(root, "etc/os-release"));
  fs.symlinkSync("/run", path.join(root, "var/run"));
  fs.writeFileSync(path.join(root, "run/reboot-required"), "");
  fs.writeFileSync(path.join(root, "run/reboot-required.pkgs"), "linux-image-amd64\n");
  fs.mkdirSync(path.join(outside, "modules/9.9.9-99-amd64"), { recursive: true });
  fs.writeFileSync(path.join(outside, "shadow"), "root:LEAKED-SECRET:19000::::::\n");
  fs.writeFileSync(path.join(outside, "reboot-required.pkgs"), "root:LEAKED-SECRET:19000::::::\n");
  return { root, outside };
}

/** Runs `swap` once, just before the first open of `target` (after its resolution, which only lstat()s). */
function swapBeforeOpen(t: TestContext, target: string, swap: () => void): void {
  const original = fs.open;
  let done = false;
  t.mock.method(fs, "open", (...args: unknown[]) => {
    if (!done && args[0] === target) {
      done = true;
      swap();
    }
    return (original as (...a: unknown[]) => unknown)(...args);
  });
}

describe("RootFiles", () => {
  let root = "";
  let outside = "";
  before(() => ({ root, outside } = hostRoot()));

  it("reads, stats and lists as the host would see it: links resolved inside the root", async () => {
    const files = new RootFiles(root);
    assert.deepEqual(await files.readText("/etc/os-release", 1024), { ok: true, text: "ID=debian\n" });
    assert.deepEqual(await files.readText("/var/run/reboot-required.pkgs", 1024), {
      ok: true,
      text: "linux-image-amd64\n",
    });
    const stat = await files.stat("/var/run/reboot-required");
    assert.ok(stat.ok && stat.stats.isFile());
    const listing = await files.list("/lib/modules");
    assert.ok(listing.ok);
    assert.deepEqual(
      listing.entries.map((e) => e.name),
      ["6.1.0-1-amd64"],
    );
    assert.equal(listing.mtimeMs, fs.statSync(path.join(root, "lib/modules")).mtimeMs);
    assert.deepEqual(await files.readText("/run/nothing", 1024), { ok: false, failure: "absent", code: "ENOENT" });
    assert.deepEqual(await files.readText("/run/reboot-required.pkgs", 4), {
      ok: false,
      failure: "too_large",
      code: "EFBIG",
    });
    assert.equal(files.local("/etc/os-release"), path.join(root, "etc/os-release"));
  });

  it("an absolute link to a secret stays inside the root", async () => {
    const dir = freshDir("root-files-abs");
    fs.mkdirSync(path.join(dir, "run"));
    fs.symlinkSync(path.join(outside, "shadow"), path.join(dir, "run/reboot-required.pkgs"));
    // Under the root, that absolute target is <root><outside>/shadow: absent.
    assert.deepEqual(await new RootFiles(dir).readText("/run/reboot-required.pkgs", 1024), {
      ok: false,
      failure: "absent",
      code: "ENOENT",
    });
  });

  it("refuses a FIFO, a socket or a directory in place of a file, without blocking", async (t) => {
    const dir = freshDir("root-files-special");
    fs.mkdirSync(path.join(dir, "run"));
    const fifo = path.join(dir, "run/reboot-required.pkgs");
    fs.mkdirSync(path.join(dir, "etc"));
    const { execFileSync } = await import("node:child_process");
    execFileSync("mkfifo", [fifo]);
    const socket = path.join(dir, "run/reboot-needed");
    const server = net.createServer().listen(socket);
    await new Promise((resolve) => server.once("listening", resolve));
    t.after(() => server.close());
    fs.mkdirSync(path.join(dir, "etc/os-release"));
    const notRegular = { ok: false, failure: "not_regular", code: "ENOTREG" };
    for (const files of [new RootFiles(dir), new RootFiles("/")]) {
      const prefix = files.local("/") === "/" ? dir : "";
      assert.deepEqual(await files.readText(`${prefix}/run/reboot-required.pkgs`, 1024), notRegular);
      assert.deepEqual(await files.readText(`${prefix}/etc/os-release`, 1024), notRegular);
      const viaSocket = await files.readText(`${prefix}/run/reboot-needed`, 1024);
      assert.ok(!viaSocket.ok);
      assert.equal(viaSocket.failure, "not_regular");
    }
  });

  it("a link swapped in for the file after its resolution is not followed", async (t) => {
    const pkgs = path.join(root, "run/reboot-required.pkgs");
    swapBeforeOpen(t, pkgs, () => {
      fs.renameSync(pkgs, `${pkgs}.real`);
      fs.symlinkSync(path.join(outside, "shadow"), pkgs);
    });
    t.after(() => {
      fs.rmSync(pkgs);
      fs.renameSync(`${pkgs}.real`, pkgs);
    });
    assert.deepEqual(await new RootFiles(root).readText("/run/reboot-required.pkgs", 1024), {
      ok: false,
      failure: "vanished",
      code: "ECHANGED",
    });
  });

  it("nor is it stat'ed through", async (t) => {
    const sentinel = path.join(root, "run/reboot-required");
    swapBeforeOpen(t, sentinel, () => {
      fs.renameSync(sentinel, `${sentinel}.real`);
      fs.symlinkSync(path.join(outside, "shadow"), sentinel);
    });
    t.after(() => {
      fs.rmSync(sentinel);
      fs.renameSync(`${sentinel}.real`, sentinel);
    });
    assert.deepEqual(await new RootFiles(root).stat("/run/reboot-required"), {
      ok: false,
      failure: "vanished",
      code: "ECHANGED",
    });
  });

  it("a directory swapped for a link outside after the resolution is refused: outside_rootfs", async (t) => {
    const run = path.join(root, "run");
    swapBeforeOpen(t, path.join(run, "reboot-required.pkgs"), () => {
      fs.renameSync(run, `${run}.real`);
      fs.symlinkSync(outside, run);
    });
    t.after(() => {
      fs.rmSync(run);
      fs.renameSync(`${run}.real`, run);
    });
    assert.deepEqual(await new RootFiles(root).readText("/run/reboot-required.pkgs", 1024), {
      ok: false,
      failure: "outside_rootfs",
      code: "EXDEV",
    });
  });

  it("a listed directory swapped for a link outside is not listed", async (t) => {
    const lib = path.join(root, "lib");
    swapBeforeOpen(t, path.join(lib, "modules"), () => {
      fs.renameSync(lib, `${lib}.real`);
      fs.symlinkSync(outside, lib);
    });
    t.after(() => {
      fs.rmSync(lib);
      fs.renameSync(`${lib}.real`, lib);
    });
    assert.deepEqual(await new RootFiles(root).list("/lib/modules"), {
      ok: false,
      failure: "outside_rootfs",
      code: "EXDEV",
    });
  });

  it("a root that is missing at first is found once it appears", async () => {
    const late = path.join(freshDir("root-files-late"), "host");
    const files = new RootFiles(late);
    assert.deepEqual(await files.readText("/etc/os-release", 1024), { ok: false, failure: "absent", code: "ENOENT" });
    fs.mkdirSync(path.join(late, "etc"), { recursive: true });
    fs.writeFileSync(path.join(late, "etc/os-release"), "ID=late\n");
    assert.deepEqual(await files.readText("/etc/os-release", 1024), { ok: true, text: "ID=late\n" });
  });

  after(() => fs.rmSync(path.dirname(root), { recursive: true, force: true }));
});

describe("RootFiles under --path.rootfs=/: what is unchanged is not read again", () => {
  /** Counts the pool's opens and listings of paths under `dir`. */
  function countCalls(t: TestContext, dir: string): { opens: number; listings: number } {
    const counts = { opens: 0, listings: 0 };
    const open = fs.open;
    const readdir = fs.readdir;
    t.mock.method(fs, "open", (...args: unknown[]) => {
      if (String(args[0]).startsWith(dir)) counts.opens += 1;
      return (open as (...a: unknown[]) => unknown)(...args);
    });
    t.mock.method(fs, "readdir", (...args: unknown[]) => {
      if (String(args[0]).startsWith(dir)) counts.listings += 1;
      return (readdir as (...a: unknown[]) => unknown)(...args);
    });
    return counts;
  }

  /**
   * Past the kernel's timestamp tick (a jiffy, up to 10 ms): two changes within one tick look alike, which the
   * code guards against with the real clock, and these tests set the clock ahead.
   */
  const nextTick = (): Promise<void> => new Promise((resolve) => setTimeout(resolve, 25));

  /** A file or directory last changed `secondsAgo` seconds ago, as far as mtime goes (ctime is now). */
  const age = (file: string, secondsAgo: number): void => {
    const then = Date.now() / 1000 - secondsAgo;
    fs.utimesSync(file, then, then);
  };

  it("an unchanged file is answered from its stat alone; any change is read on the next call", async (t) => {
    const dir = freshDir("unchanged");
    const file = path.join(dir, "os-release");
    fs.writeFileSync(file, "ID=debian\n");
    const files = new RootFiles("/");
    const counts = countCalls(t, dir);
    // Just written: its ctime is now, so a second change within the same clock tick could look the same.
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=debian\n" });
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=debian\n" });
    assert.equal(counts.opens, 2, "a file changed within the last 2 s is read every time");
    t.mock.timers.enable({ apis: ["Date"], now: Date.now() + 5000 });
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=debian\n" });
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=debian\n" });
    assert.equal(counts.opens, 3, "settled: read once more, then kept");
    // Same size, older mtime set back: ctime still moves, and the new text is read.
    await nextTick();
    fs.writeFileSync(file, "ID=ubuntu\n");
    age(file, 3600);
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=ubuntu\n" });
    assert.equal(counts.opens, 4);
    // Replaced by rename (another inode), removed.
    await nextTick();
    fs.writeFileSync(`${file}.new`, "ID=rhel\n");
    fs.renameSync(`${file}.new`, file);
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=rhel\n" });
    await nextTick();
    fs.rmSync(file);
    assert.deepEqual(await files.readText(file, 1024), { ok: false, failure: "absent", code: "ENOENT" });
    // A different cap is a different question.
    await nextTick();
    fs.writeFileSync(file, "ID=debian\n");
    assert.deepEqual(await files.readText(file, 1024), { ok: true, text: "ID=debian\n" });
    assert.deepEqual(await files.readText(file, 4), { ok: false, failure: "too_large", code: "EFBIG" });
  });

  it("an unchanged directory is not listed again; an entry added or removed is seen", async (t) => {
    const dir = freshDir("unchanged-dir");
    const boot = path.join(dir, "boot");
    fs.mkdirSync(boot);
    fs.writeFileSync(path.join(boot, "vmlinuz-6.1.0-1-amd64"), "");
    const files = new RootFiles("/");
    const counts = countCalls(t, dir);
    t.mock.timers.enable({ apis: ["Date"], now: Date.now() + 5000 });
    const names = async (): Promise<string[]> => {
      const listing = await files.list(boot);
      assert.ok(listing.ok);
      return listing.entries.map((e) => e.name).sort();
    };
    assert.deepEqual(await names(), ["vmlinuz-6.1.0-1-amd64"]);
    assert.deepEqual(await names(), ["vmlinuz-6.1.0-1-amd64"]);
    assert.equal(counts.listings, 1);
    await nextTick();
    fs.writeFileSync(path.join(boot, "vmlinuz-6.1.0-2-amd64"), "");
    assert.deepEqual(await names(), ["vmlinuz-6.1.0-1-amd64", "vmlinuz-6.1.0-2-amd64"]);
    await nextTick();
    fs.rmSync(path.join(boot, "vmlinuz-6.1.0-1-amd64"));
    assert.deepEqual(await names(), ["vmlinuz-6.1.0-2-amd64"]);
    assert.equal(counts.listings, 3);
    fs.rmSync(boot, { recursive: true });
    assert.deepEqual(await files.list(boot), { ok: false, failure: "absent", code: "ENOENT" });
    fs.writeFileSync(boot, "");
    assert.deepEqual(await files.list(boot), { ok: false, failure: "absent", code: "ENOTDIR" });
  });
});
