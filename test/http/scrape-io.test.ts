// What one scrape does to the host: every file read at most once, every
// directory listed at most once, no child process. Checked by wrapping node:fs
// and node:child_process around a whole GET /metrics of the in-process app
// (collectors, samples, exposition and prom-client's process metrics) over
// rich trees: a transition with blocking threads reported, and a host that
// needs a reboot with packages listed.
import assert from "node:assert/strict";
import type { Server } from "node:http";
import type { AddressInfo } from "node:net";
import { after, before, describe, it } from "node:test";
import { createApp } from "../../src/app.js";
import { readText } from "../../src/fs/read.js";
import { silentLogger } from "../../src/log.js";
import { MetricsRenderer } from "../../src/views/metrics.js";
import { snapshotSource } from "../helpers/collect.js";
import { handmadeTree } from "../helpers/fixtures.js";
import { repeated, traceIo, type IoTrace } from "../../support/io-trace.js";
import { syntheticTree } from "../../support/synthetic-tree.js";

async function serve(root: string): Promise<{ url: string; server: Server }> {
  const source = snapshotSource(root, { transition: { blockingThreads: true } });
  const app = createApp({
    snapshot: () => source.snapshot(),
    renderer: new MetricsRenderer({ exporterMetrics: true }),
    telemetryPath: "/metrics",
    build: { version: "0", revision: "0" },
    isReady: () => true,
    runtimeInfo: () => Promise.resolve({ entries: [] }),
    log: silentLogger,
  });
  const server = await new Promise<Server>((resolve) => {
    const s = app.listen(0, "127.0.0.1", () => resolve(s));
  });
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/metrics`, server };
}

async function tracedScrape(url: string): Promise<{ trace: IoTrace; body: string }> {
  let body = "";
  const trace = await traceIo(async () => {
    const response = await fetch(url);
    assert.equal(response.status, 200);
    body = await response.text();
  });
  return { trace, body };
}

function assertOnce(trace: IoTrace): void {
  assert.deepEqual(repeated(trace.opens), [], "files opened more than once in one scrape");
  assert.deepEqual(repeated(trace.listings), [], "directories listed more than once in one scrape");
  assert.deepEqual(trace.spawns, [], "processes spawned on the scrape path");
}

describe("I/O of one scrape", () => {
  const servers: Server[] = [];
  let transitionUrl = "";
  let rebootUrl = "";
  before(async () => {
    const transition = await serve(syntheticTree({ patches: 3, transitionThreads: 40, blockingEvery: 4 }));
    const reboot = await serve(handmadeTree("reboot-required"));
    servers.push(transition.server, reboot.server);
    transitionUrl = transition.url;
    rebootUrl = reboot.url;
  });
  after(() => {
    for (const server of servers) server.close();
  });

  it("the first scrape (which also reads the boot-time facts) reads each file once and spawns nothing", async () => {
    const { trace, body } = await tracedScrape(rebootUrl);
    assertOnce(trace);
    assert.match(body, /^livepatch_reboot_required_packages 2$/m);
    const opened = [...trace.opens.keys()];
    assert.ok(
      opened.some((p) => p.endsWith("/proc/sys/kernel/osrelease")),
      "boot facts are read",
    );
    assert.ok(opened.some((p) => p.endsWith("/run/reboot-required.pkgs")));
  });

  it("a scrape during a transition reads every patch_state and each file once, and spawns nothing", async () => {
    await fetch(transitionUrl).then((r) => r.text()); // boot facts
    const { trace, body } = await tracedScrape(transitionUrl);
    assertOnce(trace);
    assert.match(body, /^livepatch_transition_blocking_threads\{patch="lp_bench_3"\} 10$/m);
    const states = [...trace.opens.keys()].filter((p) => p.endsWith("/patch_state"));
    assert.equal(states.length, 40);
    const listed = [...trace.listings.keys()];
    assert.ok(listed.some((p) => p.endsWith("/sys/kernel/livepatch/lp_bench_1/vmlinux")));
    // Facts fixed until reboot are not read again.
    assert.ok(![...trace.opens.keys()].some((p) => p.endsWith("/proc/sys/kernel/osrelease")));
  });

  it("the trace sees a second read of the same file (so the checks above can fail)", async () => {
    const root = syntheticTree({ patches: 1 });
    const trace = await traceIo(() => {
      readText(`${root}/sys/kernel/livepatch/lp_bench_1/enabled`);
      readText(`${root}/sys/kernel/livepatch/lp_bench_1/enabled`);
      return Promise.resolve();
    });
    assert.deepEqual(repeated(trace.opens), [[`${root}/sys/kernel/livepatch/lp_bench_1/enabled`, 2]]);
    const spawned = await traceIo(async () => {
      const { execFileSync } = await import("node:child_process");
      execFileSync("true");
    });
    assert.deepEqual(spawned.spawns, ["execFileSync true"]);
  });
});
