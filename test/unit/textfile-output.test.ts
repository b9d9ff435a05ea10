// Textfile mode's file side: which --output values are accepted, and the atomic write (temp file in
// the same directory, mode 0644 whatever the umask, rename over the target, nothing left behind).
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import {
  DEFAULT_TEXTFILE_NAME,
  removeStaleTempFiles,
  resolveTextfileTarget,
  TextfileOutputError,
  writeTextfileAtomically,
} from "../../src/textfile/output.js";
import { scratchDir } from "../helpers/fixtures.js";

let counter = 0;
function freshDir(): string {
  const dir = path.join(scratchDir(), `textfile-${(counter += 1)}`);
  fs.mkdirSync(dir);
  return dir;
}

describe("--output", () => {
  it("a directory: livepatch_exporter.prom in it", () => {
    const dir = freshDir();
    assert.deepEqual(resolveTextfileTarget(dir), { directory: dir, file: path.join(dir, DEFAULT_TEXTFILE_NAME) });
  });

  it("a .prom file in an existing directory, existing or not", () => {
    const dir = freshDir();
    const file = path.join(dir, "livepatch.prom");
    assert.deepEqual(resolveTextfileTarget(file), { directory: dir, file });
    fs.writeFileSync(file, "");
    assert.deepEqual(resolveTextfileTarget(file), { directory: dir, file });
  });

  it("a relative path is resolved against the working directory", () => {
    const target = resolveTextfileTarget(path.relative(process.cwd(), freshDir()));
    assert.ok(path.isAbsolute(target.file));
  });

  it("refuses what node_exporter would never read, saying why", () => {
    const dir = freshDir();
    fs.writeFileSync(path.join(dir, "plain.txt"), "");
    fs.mkdirSync(path.join(dir, "dir.prom"));
    const cases: [string, RegExp][] = [
      ["", /must name a directory or a \.prom file/],
      [path.join(dir, "missing"), /no such directory \(a file must end in \.prom/],
      [path.join(dir, "plain.txt"), /not a directory, and not a file ending in \.prom/],
      [path.join(dir, "missing", "x.prom"), /directory .*missing does not exist/],
      [path.join(dir, ".prom"), /no such directory/],
    ];
    for (const [output, message] of cases) {
      assert.throws(
        () => resolveTextfileTarget(output),
        (e) => e instanceof TextfileOutputError && message.test(e.message),
      );
    }
    // A directory named *.prom is a directory: the file goes inside it.
    assert.equal(
      resolveTextfileTarget(path.join(dir, "dir.prom")).file,
      path.join(dir, "dir.prom", DEFAULT_TEXTFILE_NAME),
    );
  });
});

describe("atomic write", () => {
  it("writes mode 0644 under a restrictive umask and leaves no temporary file", async () => {
    const dir = freshDir();
    const target = resolveTextfileTarget(dir);
    const previous = process.umask(0o077);
    try {
      await writeTextfileAtomically(target, "a 1\n");
    } finally {
      process.umask(previous);
    }
    assert.equal(fs.statSync(target.file).mode & 0o777, 0o644);
    assert.equal(fs.readFileSync(target.file, "utf8"), "a 1\n");
    assert.deepEqual(fs.readdirSync(dir), [DEFAULT_TEXTFILE_NAME]);
  });

  it("replaces the previous file, and an existing 0600 file becomes 0644", async () => {
    const dir = freshDir();
    const target = resolveTextfileTarget(dir);
    fs.writeFileSync(target.file, "old 1\n", { mode: 0o600 });
    await writeTextfileAtomically(target, "new 2\n");
    assert.equal(fs.readFileSync(target.file, "utf8"), "new 2\n");
    assert.equal(fs.statSync(target.file).mode & 0o777, 0o644);
  });

  it("replaces a symbolic link at the target instead of writing through it", async () => {
    const dir = freshDir();
    const victim = path.join(freshDir(), "victim");
    fs.writeFileSync(victim, "untouched\n");
    const target = resolveTextfileTarget(path.join(dir, "x.prom"));
    fs.symlinkSync(victim, target.file);
    await writeTextfileAtomically(target, "ours 1\n");
    assert.equal(fs.readFileSync(victim, "utf8"), "untouched\n");
    assert.ok(fs.lstatSync(target.file).isFile());
    assert.equal(fs.readFileSync(target.file, "utf8"), "ours 1\n");
  });

  it("on failure throws, keeps nothing but what was there, and removes its temporary file", async () => {
    const dir = freshDir();
    const target = resolveTextfileTarget(dir);
    // A directory where the file should go: the rename fails (EISDIR).
    fs.mkdirSync(target.file);
    fs.writeFileSync(path.join(target.file, "keep"), "");
    await assert.rejects(writeTextfileAtomically(target, "x 1\n"), /EISDIR|ENOTEMPTY|EEXIST/);
    assert.deepEqual(fs.readdirSync(dir), [DEFAULT_TEXTFILE_NAME]);
    assert.deepEqual(fs.readdirSync(target.file), ["keep"]);
  });

  it("a reader in another process never sees a partial file while writes go on", async () => {
    const dir = freshDir();
    const target = resolveTextfileTarget(dir);
    // Two complete versions of 4 MiB each; anything else read is a torn or empty file.
    const versions = ["a", "b"].map((c) => `${c.repeat(4 * 1024 * 1024 - 1)}\n`);
    await writeTextfileAtomically(target, versions[0] ?? "");
    const reader = spawn(
      process.execPath,
      [
        "-e",
        `const fs = require("fs"); const seen = new Set(); const end = Date.now() + 1500;
         while (Date.now() < end) { const t = fs.readFileSync(process.argv[1], "utf8");
           seen.add(t.length === 4194304 && (t === "a".repeat(4194303) + "\\n" || t === "b".repeat(4194303) + "\\n") ? t[0] : "torn:" + t.length); }
         process.stdout.write(JSON.stringify([...seen]));`,
        target.file,
      ],
      { stdio: ["ignore", "pipe", "inherit"] },
    );
    let output = "";
    reader.stdout.setEncoding("utf8");
    reader.stdout.on("data", (chunk: string) => (output += chunk));
    const done = new Promise<void>((resolve) => reader.once("exit", () => resolve()));
    let writes = 0;
    while (reader.exitCode === null) {
      await writeTextfileAtomically(target, versions[(writes += 1) % 2] ?? "");
      await new Promise((resolve) => setImmediate(resolve));
    }
    await done;
    const seen = JSON.parse(output) as string[];
    assert.ok(writes >= 4, `only ${writes} writes`);
    assert.deepEqual(
      seen.filter((s) => s.startsWith("torn")),
      [],
    );
    assert.ok(seen.length >= 1);
    assert.deepEqual(fs.readdirSync(dir), [DEFAULT_TEXTFILE_NAME], "no temporary file left");
  });
});

describe("temporary files of interrupted runs", () => {
  it("removes ours older than an hour; keeps recent ones and anything else", async () => {
    const dir = freshDir();
    const target = resolveTextfileTarget(dir);
    const old = `.${DEFAULT_TEXTFILE_NAME}.1234.0123456789ab.tmp`;
    const recent = `.${DEFAULT_TEXTFILE_NAME}.1235.0123456789ac.tmp`;
    const foreign = [".other.prom.1234.0123456789ab.tmp", "apt.prom", `.${DEFAULT_TEXTFILE_NAME}.x.tmp`];
    for (const name of [old, recent, ...foreign]) fs.writeFileSync(path.join(dir, name), "");
    const twoHoursAgo = new Date(Date.now() - 2 * 3600 * 1000);
    for (const name of [old, ...foreign]) fs.utimesSync(path.join(dir, name), twoHoursAgo, twoHoursAgo);
    assert.deepEqual(await removeStaleTempFiles(target), [old]);
    assert.deepEqual(fs.readdirSync(dir).sort(), [recent, ...foreign].sort());
  });
});
