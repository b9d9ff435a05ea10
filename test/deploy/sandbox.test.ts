// The exporter as it really runs, traced with strace: every system call it and the helpers it
// starts make must pass the systemd unit's SystemCallFilter=, every socket family its
// RestrictAddressFamilies=, and nothing may be written to the filesystem, which is what lets the
// container run with a read-only root filesystem and the unit with ProtectSystem=strict.
// PID 1 here is not systemd and no container engine runs, so this is the closest honest check of
// the sandboxes: the same kernel requests, judged by systemd's own system call tables.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { MAIN, startExporter } from "../../support/exporter-process.js";
import { requireStrace, STRACE, summariseTrace, type TraceSummary } from "../helpers/strace.js";
import { allowedSyscalls } from "../helpers/syscall-filter.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const unit = fs.readFileSync(path.join(ROOT, "deploy/systemd/livepatch_exporter.service"), "utf8");
const unitValues = (key: string): string[] =>
  [...unit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => (m[1] ?? "").trim());

// Socket families the exporter's helpers try that the unit refuses, and why that is harmless.
// None: the status page's host facts are file reads (src/host-info.ts), no command, no interface listing.
const REFUSED_FAMILIES: Record<string, string> = {};

let dir: string;
let served: TraceSummary;
let checked: TraceSummary;

async function traceServer(): Promise<TraceSummary> {
  const file = path.join(dir, "serve.trace");
  const exporter = await startExporter([], {
    command: [...STRACE, "-o", file, process.execPath, MAIN],
    timeoutMs: 30_000,
  });
  try {
    for (const route of ["/metrics", "/metrics", "/", "/-/healthy", "/-/ready", "/nope"]) {
      const response = await fetch(`${exporter.url}${route}`, { signal: AbortSignal.timeout(20_000) });
      await response.text();
    }
  } finally {
    // SIGTERM must reach the exporter, not strace (which would detach and leave it running): its
    // pid is the first one in the trace. strace then exits with the exporter's status.
    const pid = Number(/^(\d+) /.exec(fs.readFileSync(file, "utf8"))?.[1]);
    const exited = new Promise<number | null>((resolve) => exporter.process.once("exit", resolve));
    if (Number.isInteger(pid) && pid > 0) process.kill(pid, "SIGTERM");
    else exporter.process.kill("SIGKILL");
    assert.equal(await exited, 0, "the exporter shut down cleanly");
  }
  return summariseTrace(fs.readFileSync(file, "utf8"));
}

function traceCheck(): TraceSummary {
  const file = path.join(dir, "check.trace");
  // A stuck transition: the check walks /proc/*/task/*/patch_state of the captured host.
  const result = spawnSync(
    STRACE[0],
    [...STRACE.slice(1), "-o", file, process.execPath, MAIN, "check", ...pathFlags(realKernelTree("busy-stuck"))],
    { encoding: "utf8", timeout: 60_000 },
  );
  assert.equal(result.status, 1, result.stdout + result.stderr);
  return summariseTrace(fs.readFileSync(file, "utf8"));
}

describe("the exporter inside the unit's and the container's sandbox", () => {
  before(async () => {
    requireStrace();
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-strace-"));
    served = await traceServer();
    checked = traceCheck();
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the trace saw the exporter at work (the check is real)", () => {
    for (const summary of [served, checked]) {
      for (const name of ["openat", "read", "execve", "exit_group"]) assert.ok(summary.syscalls.has(name), name);
    }
    assert.ok(served.syscalls.has("accept4"), "served HTTP");
    assert.ok(served.socketFamilies.has("AF_INET"), "listened on IPv4");
    assert.ok(
      [...served.paths].some((p) => p.endsWith("/kernel/tainted")),
      "read the taint",
    );
    assert.ok(
      [...checked.paths].some((p) => p.endsWith("/patch_state")),
      "walked the threads",
    );
  });

  it("every system call passes the unit's SystemCallFilter=", () => {
    const allowed = allowedSyscalls(unitValues("SystemCallFilter"));
    assert.ok(allowed.size > 300 && !allowed.has("init_module") && !allowed.has("mount"), "filter resolved");
    for (const [what, summary] of [
      ["serving", served],
      ["check", checked],
    ] as const) {
      const refused = [...summary.syscalls].filter((name) => !allowed.has(name)).sort();
      assert.deepEqual(refused, [], `${what}: system calls the unit would refuse with EPERM`);
    }
  });

  it("every socket family passes RestrictAddressFamilies=, or its refusal is harmless", () => {
    const allowed = new Set(unitValues("RestrictAddressFamilies").flatMap((v) => v.split(/\s+/)));
    for (const summary of [served, checked]) {
      for (const family of summary.socketFamilies) {
        assert.ok(allowed.has(family) || family in REFUSED_FAMILIES, `${family} would be refused`);
      }
    }
  });

  it("nothing is written to the filesystem: a read-only root works", () => {
    for (const summary of [served, checked]) {
      const writes = summary.writeOpens.filter((open) => open.path !== "/dev/null");
      assert.deepEqual(writes, [], "files opened for writing");
      const changes = ["mkdir", "mkdirat", "unlink", "unlinkat", "rename", "renameat", "renameat2", "link", "linkat"];
      const found = changes.filter((name) => summary.syscalls.has(name));
      assert.deepEqual(found, [], "filesystem changes");
    }
  });

  it("nothing is read from home directories (ProtectHome=yes)", () => {
    for (const summary of [served, checked]) {
      const home = [...summary.paths].filter((p) => /^\/(home|root)(\/|$)/.test(p));
      assert.deepEqual(home, []);
    }
  });
});

describe("textfile mode inside the textfile unit's sandbox", () => {
  const textfileUnit = fs.readFileSync(path.join(ROOT, "deploy/systemd/livepatch_exporter-textfile.service"), "utf8");
  const values = (key: string): string[] =>
    [...textfileUnit.matchAll(new RegExp(`^${key}=(.*)$`, "gm"))].map((m) => (m[1] ?? "").trim());
  let traceDir: string;
  let output: string;
  let traced: TraceSummary;
  let renames: string[];

  before(() => {
    requireStrace();
    traceDir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-strace-textfile-"));
    output = path.join(traceDir, "textfile");
    fs.mkdirSync(output);
    const file = path.join(traceDir, "textfile.trace");
    const result = spawnSync(
      STRACE[0],
      [
        ...STRACE.slice(1),
        "-o",
        file,
        process.execPath,
        MAIN,
        "textfile",
        "--output",
        output,
        ...pathFlags(realKernelTree("busy-stuck")),
      ],
      { encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(result.status, 0, result.stdout + result.stderr);
    const text = fs.readFileSync(file, "utf8");
    traced = summariseTrace(text);
    renames = [...text.matchAll(/rename(?:at2?)?\((?:AT_FDCWD, )?"([^"]+)", (?:AT_FDCWD, )?"([^"]+)"/g)].map(
      (m) => `${m[1]} -> ${m[2]}`,
    );
  });
  after(() => fs.rmSync(traceDir, { recursive: true, force: true }));

  it("every system call passes its SystemCallFilter=", () => {
    const allowed = allowedSyscalls(values("SystemCallFilter"));
    assert.ok(traced.syscalls.has("fsync") && traced.syscalls.has("fchmod"), "the trace saw the write");
    const refused = [...traced.syscalls].filter((name) => !allowed.has(name)).sort();
    assert.deepEqual(refused, [], "system calls the unit would refuse with EPERM");
  });

  it("opens no socket the unit refuses (RestrictAddressFamilies=AF_UNIX, PrivateNetwork=yes)", () => {
    const allowed = new Set(values("RestrictAddressFamilies").flatMap((v) => v.split(/\s+/)));
    assert.deepEqual(
      [...traced.socketFamilies].filter((family) => !allowed.has(family)),
      [],
    );
  });

  it("writes only in the output directory: one temporary file, renamed over livepatch_exporter.prom", () => {
    const writes = traced.writeOpens.filter((open) => open.path !== "/dev/null");
    assert.equal(writes.length, 1, JSON.stringify(writes));
    const [temp] = writes;
    assert.match(temp?.path ?? "", new RegExp(`^${output}/\\.livepatch_exporter\\.prom\\.\\d+\\.[0-9a-f]{12}\\.tmp$`));
    assert.match(temp?.flags ?? "", /O_EXCL/);
    assert.match(temp?.flags ?? "", /O_NOFOLLOW/);
    assert.deepEqual(renames, [`${temp?.path} -> ${output}/livepatch_exporter.prom`]);
    for (const name of ["mkdir", "mkdirat", "link", "linkat", "unlink", "unlinkat"]) {
      assert.ok(!traced.syscalls.has(name), name);
    }
  });
});
