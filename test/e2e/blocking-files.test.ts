// Files that would block, against the real process (issue 14, failure 1):
// a FIFO in place of proc/sys/kernel/tainted, of a livepatch attribute, or of
// run/reboot-required.pkgs under the rootfs used to hang /metrics, the probes
// and SIGTERM until a writer appeared. Now such a file is refused without
// blocking (O_NONBLOCK, then fstat). And a read of the host's files that never
// returns (a dead network mount, here an open held in the thread pool for
// ever) costs one collector its success, never the process: the scrape is
// served, the hung collector is not started again, probes answer, SIGTERM and
// `check` end the process.
import assert from "node:assert/strict";
import { spawnSync, execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, describe, it } from "node:test";
import { MAIN, startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { parseExposition } from "../helpers/exposition.js";
import { freshDir, pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { afterStartup, describeStall, loopStallPreload, stallsDuring } from "../helpers/loop-stalls.js";
import { probeDuring } from "../helpers/probes.js";

const PROBE_LIMIT_MS = 100;

const running: RunningExporter[] = [];
after(async () => {
  await Promise.all(running.map((e) => e.stop("SIGKILL")));
});

async function get(url: string): Promise<{ status: number; body: string }> {
  const response = await fetch(url, { signal: AbortSignal.timeout(10_000) });
  return { status: response.status, body: await response.text() };
}

interface Place {
  readonly file: string;
  readonly collector: string;
  readonly success: 0 | 1;
  /** The capture (basic-enabled unless said) and the flags that make the collector read the file. */
  readonly tree?: "busy-stuck";
  readonly flags?: readonly string[];
}

const PLACES: readonly Place[] = [
  { file: "proc/sys/kernel/tainted", collector: "taint", success: 0 },
  { file: "sys/kernel/livepatch/lp_basic/enabled", collector: "livepatch", success: 1 },
  { file: "run/reboot-required.pkgs", collector: "reboot", success: 1 },
  // The opt-in readers of ftrace, kprobes and the blocking thread's stack take the same path.
  {
    file: "sys/kernel/debug/tracing/enabled_functions",
    collector: "redirection",
    success: 1,
    flags: ["--collector.redirection"],
  },
  { file: "sys/kernel/debug/kprobes/list", collector: "probes", success: 1, flags: ["--collector.probes"] },
  {
    file: "proc/110/task/110/stack",
    collector: "transition",
    success: 1,
    tree: "busy-stuck",
    flags: ["--collector.transition.blocking-threads"],
  },
];

describe("a FIFO in place of a file", () => {
  for (const place of PLACES) {
    it(`${place.file}: every endpoint answers, the FIFO is refused as not_regular, SIGTERM ends the process`, async () => {
      const tree = realKernelTree(place.tree ?? "basic-enabled");
      const fifo = path.join(tree, place.file);
      fs.rmSync(fifo, { force: true });
      fs.mkdirSync(path.dirname(fifo), { recursive: true });
      execFileSync("mkfifo", [fifo]);
      fs.writeFileSync(path.join(tree, "run/reboot-required"), "*** System restart required ***\n");
      const exporter = await startExporter([...pathFlags(tree), "--web.shutdown-delay=0", ...(place.flags ?? [])]);
      running.push(exporter);

      const metrics = await get(`${exporter.url}/metrics`);
      assert.equal(metrics.status, 200);
      const series = parseExposition(metrics.body).series;
      const errors = `livepatch_scrape_collector_file_errors{collector="${place.collector}",reason="not_regular"}`;
      assert.equal(series.get(errors), 1, errors);
      assert.equal(series.get(`livepatch_scrape_collector_success{collector="${place.collector}"}`), place.success);
      for (const endpoint of ["/", "/-/healthy", "/-/ready"]) {
        assert.equal((await get(`${exporter.url}${endpoint}`)).status, 200, endpoint);
      }
      assert.ok(
        exporter.logs.some((l) => l.includes("refused to read what is not a regular file") && l.includes(place.file)),
      );

      const signalled = performance.now();
      assert.equal(await exporter.stop("SIGTERM"), 0);
      const ms = performance.now() - signalled;
      assert.ok(ms < 2000, `exited ${ms.toFixed(0)} ms after SIGTERM`);
    });
  }
});

/**
 * A preload that makes the exporter's open of one file hang in the thread pool
 * for ever, as a read on a dead NFS mount does: it opens a FIFO that no one
 * writes to, without O_NONBLOCK, and never calls back.
 */
function hangingOpen(target: string): { preload: string; env: NodeJS.ProcessEnv } {
  const dir = freshDir("hang");
  const fifo = path.join(dir, "never-written");
  execFileSync("mkfifo", [fifo]);
  const preload = path.join(dir, "hang-open.mjs");
  fs.writeFileSync(
    preload,
    `import fs from "node:fs";
const open = fs.open;
fs.open = function (file, flags, ...rest) {
  if (file !== process.env.HANG_PATH) return open.call(fs, file, flags, ...rest);
  process.stderr.write('{"msg":"test: an open that never returns"}\\n');
  return open.call(fs, process.env.HANG_FIFO, "r", rest[rest.length - 1]);
};
`,
  );
  return { preload, env: { ...process.env, HANG_PATH: target, HANG_FIFO: fifo } };
}

describe("a read of the host's files that never returns", () => {
  const tree = realKernelTree("basic-enabled");
  // /etc/os-release is a link to ../usr/lib/os-release: its open, once resolved.
  const { preload, env } = hangingOpen(path.join(fs.realpathSync(tree), "usr/lib/os-release"));

  it("costs the kernel collector its success; the scrape, the probes and SIGTERM go on", async () => {
    const exporter = await startExporter([...pathFlags(tree), "--web.shutdown-delay=0", "--collector.timeout=0.5"], {
      env,
      command: [process.execPath, "--import", preload, "--import", loopStallPreload(), MAIN],
    });
    running.push(exporter);
    const success = (body: string, name: string): number | undefined =>
      parseExposition(body).series.get(`livepatch_scrape_collector_success{collector="${name}"}`);

    await afterStartup(exporter.url);
    const from = Date.now();
    const { result: first, probes } = await probeDuring(exporter.url, get(`${exporter.url}/metrics`), 10);
    const stalls = stallsDuring(exporter.logs, from, Date.now());
    assert.equal(first.status, 200);
    assert.equal(success(first.body, "kernel"), 0);
    for (const name of ["livepatch", "transition", "taint", "modules", "reboot"]) {
      assert.equal(success(first.body, name), 1, name);
    }
    // The probes answered 200 while the read hung (probeDuring fails otherwise); the loop was never held long
    // (see test/helpers/loop-stalls.ts for why this, not the probes' wall time on a shared machine).
    assert.ok(probes.count >= 5, `only ${probes.count} probes`);
    assert.ok(stalls.monitored, "the loop monitor ran");
    assert.ok(
      stalls.maxOwnMs < PROBE_LIMIT_MS,
      `${describeStall(stalls)}; slowest probe ${probes.slowest}: ${probes.maxMs.toFixed(1)} ms`,
    );

    for (let i = 0; i < 3; i++) {
      const next = await get(`${exporter.url}/metrics`);
      assert.equal(next.status, 200);
      assert.equal(success(next.body, "kernel"), 0);
    }
    assert.equal((await get(`${exporter.url}/`)).status, 200, "the landing page");
    assert.equal(exporter.logs.filter((l) => l.includes("an open that never returns")).length, 1, "started once");
    // Warned when it failed, and when its reason changed; then at debug.
    const kernelFailures = exporter.logs.filter((l) => /"collector":"kernel".*"msg":"collector failed"/.test(l));
    assert.deepEqual(
      kernelFailures.map((l) => /"err":"([^"]*)"/.exec(l)?.[1]),
      ["timed out after 500 ms", "previous collection has not returned yet"],
    );

    const signalled = performance.now();
    exporter.process.kill("SIGTERM");
    await exporter.exited;
    const ms = performance.now() - signalled;
    assert.ok(ms < 2000, `ended ${ms.toFixed(0)} ms after SIGTERM`);
    // The hung pool thread keeps Node.js from exiting with a code: it ends by the signal, and says why.
    assert.equal(exporter.process.signalCode, "SIGTERM");
    assert.ok(exporter.logs.some((l) => l.includes("hung on the host's files: ending by SIGTERM")));
  });

  it("`check` reports and ends", () => {
    const started = performance.now();
    const result = spawnSync(
      process.execPath,
      ["--import", preload, MAIN, "check", ...pathFlags(tree), "--collector.timeout=0.5"],
      { env, encoding: "utf8", timeout: 20_000 },
    );
    const ms = performance.now() - started;
    assert.equal(result.error, undefined, "ended by itself");
    assert.ok(ms < 10_000, `took ${ms.toFixed(0)} ms`);
    assert.match(result.stdout, /kernel/);
    assert.equal(result.signal, "SIGTERM");
    assert.match(result.stderr, /hung on the host's files: ending by SIGTERM/);
  });
});
