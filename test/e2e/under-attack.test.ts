// The HTTP front under attack, against the real process (dist/main.js) on
// loopback, each attack bounded in connections and time:
// - 60 clients flooding wrong passwords: valid scrapes and probes still pass;
// - 200 keep-alive clients scraping: a probe on a new connection answers,
//   and --web.max-requests refuses the excess with 503 instead of queueing it;
// - low open file limits: one clear line at start, and idle connections that
//   would use up the limit are closed so that probes still get in.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import http from "node:http";
import net from "node:net";
import path from "node:path";
import { after, describe, it } from "node:test";
import autocannon from "autocannon";
import { hashSync } from "bcryptjs";
import { filesNeeded } from "../../src/file-limit.js";
import { MAIN, startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";

const running: RunningExporter[] = [];
after(async () => {
  await Promise.all(running.map((e) => e.stop()));
});

async function start(flags: readonly string[], command?: readonly string[]): Promise<RunningExporter> {
  const exporter = await startExporter(flags, { timeoutMs: 30_000, ...(command === undefined ? {} : { command }) });
  running.push(exporter);
  return exporter;
}

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** One GET on a connection of its own (a probe as the kubelet sends it); status and milliseconds. */
function timedGet(url: string, headers: Record<string, string> = {}): Promise<{ status: number; ms: number }> {
  const started = performance.now();
  return new Promise((resolve) => {
    const req = http.get(url, { agent: false, headers, timeout: 30_000 }, (res) => {
      res.resume();
      res.on("end", () => resolve({ status: res.statusCode ?? 0, ms: performance.now() - started }));
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve({ status: 0, ms: performance.now() - started }));
  });
}

/** Sequential requests every `pauseMs` until `untilMs` has passed. */
async function repeatedly(
  untilMs: number,
  pauseMs: number,
  once: () => Promise<{ status: number; ms: number }>,
): Promise<{ status: number; ms: number }[]> {
  const results = [];
  const deadline = performance.now() + untilMs;
  while (performance.now() < deadline) {
    results.push(await once());
    await new Promise((resolve) => setTimeout(resolve, pauseMs));
  }
  return results;
}

/** Nearest-rank 99th percentile (with fewer than 100 samples: the slowest). */
function p99(values: readonly number[]): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.ceil(sorted.length * 0.99) - 1] ?? Number.NaN;
}

const statusCounts = (result: autocannon.Result): Record<string, number> =>
  Object.fromEntries(Object.entries(result.statusCodeStats ?? {}).map(([code, stats]) => [code, stats.count ?? 0]));

function rejected(body: string, reason: string): number {
  return Number(
    new RegExp(`^livepatch_exporter_http_requests_rejected_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(body)?.[1],
  );
}

describe("the HTTP front under attack", () => {
  const tree = realKernelTree("busy-stuck");

  it("60 clients flooding wrong passwords: valid scrapes and probes keep passing (p99 < 1 s)", async () => {
    const dir = scratchDir();
    const config = path.join(dir, "web.yml");
    fs.writeFileSync(config, `basic_auth_users:\n  prometheus: ${hashSync("scrape-secret", 10)}\n`);
    const exporter = await start([...pathFlags(tree), `--web.config.file=${config}`]);
    const valid = { authorization: basic("prometheus", "scrape-secret") };
    // Prometheus has scraped before the flood begins: its credentials are remembered.
    assert.equal((await timedGet(`${exporter.url}/metrics`, valid)).status, 200);

    let attempt = 0;
    const flood = autocannon({
      url: `${exporter.url}/metrics`,
      connections: 60,
      duration: 8,
      timeout: 10,
      requests: [
        {
          setupRequest: (request) => ({
            ...request,
            headers: { ...request.headers, authorization: basic("prometheus", `guess-${(attempt += 1)}`) },
          }),
        },
      ],
    });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const [scrapes, probes] = await Promise.all([
      repeatedly(5000, 100, () => timedGet(`${exporter.url}/metrics`, valid)),
      repeatedly(5000, 150, () => timedGet(`${exporter.url}/-/healthy`, valid)),
    ]);
    const result = await flood;

    assert.deepEqual(new Set(scrapes.map((s) => s.status)), new Set([200]), "every valid scrape succeeded");
    assert.deepEqual(new Set(probes.map((s) => s.status)), new Set([200]), "every probe succeeded");
    assert.ok(p99(scrapes.map((s) => s.ms)) < 1000, `valid scrapes p99 ${p99(scrapes.map((s) => s.ms))} ms`);
    assert.ok(p99(probes.map((s) => s.ms)) < 1000, `probes p99 ${p99(probes.map((s) => s.ms))} ms`);
    const statuses = statusCounts(result);
    assert.deepEqual(Object.keys(statuses).sort(), ["401", "429"], JSON.stringify(statuses));
    assert.equal(result.timeouts, 0, "every guess got its answer");
    const body = await (await fetch(`${exporter.url}/metrics`, { headers: valid })).text();
    assert.ok(rejected(body, "auth_busy") > 0, "the bcrypt budget was spent and said so");
    assert.equal(rejected(body, "max_requests"), 0, "wrong passwords took no place from scrapes");
  });

  it("200 keep-alive clients scraping: a new connection's probe answers (p99 < 1 s), the excess gets 503", async () => {
    const exporter = await start(pathFlags(tree)); // --web.max-requests=40, the default
    assert.equal((await timedGet(`${exporter.url}/metrics`)).status, 200);
    const flood = autocannon({ url: `${exporter.url}/metrics`, connections: 200, duration: 10, timeout: 10 });
    await new Promise((resolve) => setTimeout(resolve, 1000));
    const probes = await repeatedly(7000, 100, () => timedGet(`${exporter.url}/-/healthy`));
    const result = await flood;

    assert.deepEqual(new Set(probes.map((s) => s.status)), new Set([200]));
    assert.ok(p99(probes.map((s) => s.ms)) < 1000, `probes p99 ${p99(probes.map((s) => s.ms))} ms`);
    const statuses = statusCounts(result);
    assert.ok((statuses["200"] ?? 0) > 0, JSON.stringify(statuses));
    assert.ok((statuses["503"] ?? 0) > 0, `the excess is refused: ${JSON.stringify(statuses)}`);
    assert.equal(result.timeouts, 0, "nothing waited 10 s: the excess was refused, not queued");
    const body = await (await fetch(`${exporter.url}/metrics`)).text();
    assert.ok(rejected(body, "max_requests") > 0);
  });
});

describe("low open file limits", () => {
  const tree = realKernelTree("clean");
  const prlimit = (files: number): string[] => ["prlimit", `--nofile=${files}:${files}`, process.execPath, MAIN];

  function runWithLimit(files: number, flags: readonly string[]): { status: number | null; stderr: string } {
    const [command = "", ...args] = prlimit(files);
    const result = spawnSync(command, [...args, "--web.listen-address=127.0.0.1:0", ...flags], {
      encoding: "utf8",
      timeout: 30_000,
    });
    return { status: result.status, stderr: result.stderr };
  }

  it("too low to even load the program: one clear line, exit code 1, no stack trace", () => {
    const { status, stderr } = runWithLimit(32, pathFlags(tree));
    assert.equal(status, 1);
    const lines = stderr.split("\n").filter((l) => l !== "");
    assert.equal(lines.length, 1, stderr);
    assert.match(lines[0] ?? "", /^livepatch_exporter: the open file limit is 32, too low to start: .*ulimit -n/);
  });

  it("too low for the configuration: one log line with what it needs, exit code 1", async () => {
    const needed = filesNeeded({ maxRequests: 40, clients: 0 }).total;
    const { status, stderr } = runWithLimit(needed - 1, [...pathFlags(tree), "--log.format=json"]);
    assert.equal(status, 1);
    const lines = stderr.split("\n").filter((l) => l !== "" && !l.includes("running as root"));
    assert.equal(lines.length, 1, stderr);
    const record = JSON.parse(lines[0] ?? "{}") as Record<string, unknown>;
    assert.equal(record["msg"], "the open file limit is too low for this configuration");
    assert.equal(record["limit"], needed - 1);
    assert.equal(record["needed"], needed);
    assert.match(String(record["parts"]), /--web\.max-requests=40/);
    // Fewer requests need fewer files: the same limit is then enough.
    const smaller = await start([...pathFlags(tree), "--web.max-requests=30"], prlimit(needed - 1));
    assert.equal((await timedGet(`${smaller.url}/-/healthy`)).status, 200);
  });

  it("at the limit, idle connections that would use it up are closed: probes get in, warned once", async () => {
    const files = filesNeeded({ maxRequests: 40, clients: 0 }).total;
    const exporter = await start(pathFlags(tree), prlimit(files));
    const { port } = new URL(exporter.url);
    // Three times the connections the limit leaves room for, all idle: the attack that shut probes out.
    const idle: net.Socket[] = [];
    for (let i = 0; i < 150; i += 1) {
      const socket = net.connect(Number(port), "127.0.0.1");
      socket.on("error", () => undefined);
      idle.push(socket);
    }
    try {
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const probe = await timedGet(`${exporter.url}/-/healthy`);
      assert.equal(probe.status, 200, "a probe gets in");
      assert.ok(probe.ms < 1000, `probe took ${probe.ms} ms`);
      assert.equal((await timedGet(`${exporter.url}/metrics`)).status, 200, "and so does a scrape");
      const warnings = exporter.logs.filter((line) => line.includes('"level":"warn"') && line.includes("connection"));
      assert.equal(warnings.length, 1, warnings.join("\n"));
      assert.match(warnings[0] ?? "", /closing idle connections/);
      assert.equal(exporter.process.exitCode, null, "still running");
    } finally {
      for (const socket of idle) socket.destroy();
    }
  });
});
