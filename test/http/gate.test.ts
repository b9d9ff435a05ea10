// The request gate and the server limits, in-process with a handler that
// holds requests open until told, so "parallel" is exact rather than timed.
import assert from "node:assert/strict";
import type { ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { silentLogger } from "../../src/log.js";
import { parseWebConfig } from "../../src/web/config.js";
import { createGate, Rejections } from "../../src/web/gate.js";
import { InFlightLimit, TokenBucket } from "../../src/web/limits.js";
import type { ActiveWebConfig } from "../../src/web/reload.js";
import { createWebServer, type WebServer } from "../../src/web/server.js";

interface Harness {
  readonly url: string;
  readonly server: WebServer;
  readonly rejections: Rejections;
  /** Responses held open by /hold, released in order. */
  readonly held: ServerResponse[];
}

const servers: WebServer[] = [];
after(() => {
  for (const server of servers) server.close();
});

async function harness(
  options: { maxRequests?: number; active?: ActiveWebConfig; headersTimeoutMs?: number } = {},
): Promise<Harness> {
  const rejections = new Rejections();
  const held: ServerResponse[] = [];
  const gate = createGate(
    {
      active: () => options.active,
      limit: new InFlightLimit(options.maxRequests ?? 0),
      rejections,
      log: silentLogger,
    },
    (req, res) => {
      if (req.url === "/hold") held.push(res);
      else res.end("ok\n");
    },
  );
  const server = createWebServer(
    gate,
    undefined,
    () => undefined,
    { headersTimeoutMs: options.headersTimeoutMs ?? 10_000, requestTimeoutMs: 10_000 },
    silentLogger,
  );
  servers.push(server);
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, server, rejections, held };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), "condition not reached");
}

describe("request gate", () => {
  it("--web.max-requests: exactly max in flight, the next gets 503; probes pass; a slot frees on completion", async () => {
    const h = await harness({ maxRequests: 2 });
    const first = fetch(`${h.url}/hold`);
    const second = fetch(`${h.url}/hold`);
    await until(() => h.held.length === 2);
    const refused = await fetch(`${h.url}/metrics`);
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(await refused.text(), "Too many parallel requests; see --web.max-requests\n");
    assert.equal((await fetch(`${h.url}/-/healthy`)).status, 200, "probes are not queued behind scrapes");
    assert.equal((await fetch(`${h.url}/-/ready?x=1`)).status, 200);
    h.held.shift()?.end("done\n");
    assert.equal((await first).status, 200);
    assert.equal((await fetch(`${h.url}/metrics`)).status, 200);
    h.held.shift()?.end("done\n");
    assert.equal((await second).status, 200);
    assert.equal(h.rejections.snapshot().get("max_requests"), 1);
  });

  it("a client that disconnects frees its slot", async () => {
    const h = await harness({ maxRequests: 1 });
    const controller = new AbortController();
    const aborted = fetch(`${h.url}/hold`, { signal: controller.signal }).catch(() => "aborted");
    await until(() => h.held.length === 1);
    controller.abort();
    assert.equal(await aborted, "aborted");
    await until(() => h.held[0]?.destroyed === true || h.held[0]?.writableEnded === true || h.held[0]?.closed === true);
    assert.equal((await fetch(`${h.url}/metrics`)).status, 200);
  });

  it("rate_limit: the burst passes, then 429; configured headers on every answer", async () => {
    const config = parseWebConfig(
      "rate_limit:\n  interval: 1h\n  burst: 2\nhttp_server_config:\n  headers:\n    X-Content-Type-Options: nosniff\n",
      "/tmp/web.yml",
    );
    const active: ActiveWebConfig = {
      config,
      tls: undefined,
      auth: undefined,
      rateLimiter: new TokenBucket(3_600_000, 2),
    };
    const h = await harness({ active });
    const statuses = [];
    for (let i = 0; i < 3; i += 1) {
      const response = await fetch(`${h.url}/metrics`);
      assert.equal(response.headers.get("x-content-type-options"), "nosniff");
      statuses.push(response.status);
    }
    assert.deepEqual(statuses, [200, 200, 429]);
    const head = await fetch(`${h.url}/metrics`, { method: "HEAD" });
    assert.equal(head.status, 429);
    assert.equal(await head.text(), "");
    assert.equal(h.rejections.snapshot().get("rate_limit"), 2);
  });

  it("a client that sends its headers too slowly is cut off (slowloris)", async () => {
    const h = await harness({ headersTimeoutMs: 500 });
    const { port } = new URL(h.url);
    const started = Date.now();
    const answer = await new Promise<string>((resolve) => {
      let received = "";
      const socket = net.connect(Number(port), "127.0.0.1", () => socket.write("GET /metrics HTTP/1.1\r\nHost: x\r\n"));
      socket.setEncoding("utf8");
      socket.on("data", (chunk: string) => (received += chunk));
      socket.on("error", () => undefined);
      socket.on("close", () => resolve(received));
    });
    const elapsed = Date.now() - started;
    assert.match(answer, /^HTTP\/1\.1 408 /);
    assert.ok(elapsed >= 400 && elapsed < 5000, `closed after ${elapsed} ms`);
  });
});
