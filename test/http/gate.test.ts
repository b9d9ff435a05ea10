// The request gate and the server limits, in-process with a handler that
// holds requests open until told, so "parallel" is exact rather than timed;
// the admission queue's pacing over fake requests, turn by turn.
import assert from "node:assert/strict";
import { EventEmitter } from "node:events";
import type { IncomingMessage, ServerResponse } from "node:http";
import net, { type AddressInfo } from "node:net";
import { after, describe, it } from "node:test";
import { hashSync } from "bcryptjs";
import { silentLogger } from "../../src/log.js";
import { Admission } from "../../src/web/admission.js";
import { BasicAuth } from "../../src/web/auth.js";
import { BcryptQueue } from "../../src/web/bcrypt.js";
import { parseWebConfig } from "../../src/web/config.js";
import { createGate, Rejections } from "../../src/web/gate.js";
import { TokenBucket } from "../../src/web/limits.js";
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
      admission: new Admission(options.maxRequests ?? 0),
      rejections,
      log: silentLogger,
    },
    (req, res) => {
      if (req.url === "/hold") held.push(res);
      else res.end("ok\n");
    },
  );
  const server = await createWebServer(
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

/** Sends raw bytes on one connection and collects what comes back, with when each status line arrived. */
function rawConnection(url: string): {
  send(text: string): void;
  statuses(): { status: number; atMs: number }[];
  close(): void;
} {
  const { port } = new URL(url);
  const socket = net.connect(Number(port), "127.0.0.1");
  const started = performance.now();
  const seen: { status: number; atMs: number }[] = [];
  let received = "";
  socket.setEncoding("utf8");
  socket.on("error", () => undefined);
  socket.on("data", (chunk: string) => {
    received += chunk;
    const statuses = [...received.matchAll(/HTTP\/1\.1 (\d{3}) /g)].map((match) => Number(match[1]));
    for (const status of statuses.slice(seen.length)) seen.push({ status, atMs: performance.now() - started });
  });
  return {
    send: (text) => socket.write(text),
    statuses: () => seen,
    close: () => socket.destroy(),
  };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !condition(); i += 1) await new Promise((resolve) => setTimeout(resolve, 10));
  assert.ok(condition(), "condition not reached");
}

describe("refusal counts", () => {
  it("a reason is served from the first time it is possible or seen, and never vanishes", () => {
    const rejections = new Rejections();
    assert.deepEqual(
      [...rejections.snapshot(["max_requests", "request_body"])],
      [
        ["max_requests", 0],
        ["request_body", 0],
      ],
    );
    rejections.add("unauthorized");
    // A reload removed --web.max-requests' counterpart (say): its counter stays, in the catalog's order.
    assert.deepEqual(
      [...rejections.snapshot(["request_body"])],
      [
        ["max_requests", 0],
        ["unauthorized", 1],
        ["request_body", 0],
      ],
    );
  });
});

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
    assert.equal(h.rejections.snapshot([]).get("max_requests"), 1);
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
    assert.equal(h.rejections.snapshot([]).get("rate_limit"), 2);
  });

  it("authentication comes first: requests without valid credentials never take a place from scrapes", async () => {
    const aliceHash = hashSync("secret", 4);
    const stuck: (() => void)[] = [];
    // Every uncached comparison hangs until released: a flood of wrong passwords that fills the bcrypt budget.
    // Counts the comparisons asked for, so the test knows when the flood has filled the queue (on a loaded
    // machine the fourth request can otherwise overtake the third).
    class CountingQueue extends BcryptQueue {
      asked = 0;
      override tryCompare(password: string, hash: string): Promise<boolean> | undefined {
        this.asked += 1;
        return super.tryCompare(password, hash);
      }
    }
    const bcrypt = new CountingQueue(
      (password) =>
        password === "secret"
          ? Promise.resolve(true)
          : new Promise<boolean>((resolve) => stuck.push(() => resolve(false))),
      { running: 1, waiting: 2 },
    );
    const config = parseWebConfig(`basic_auth_users:\n  alice: ${aliceHash}\n`, "/tmp/web.yml");
    const auth = new BasicAuth(config.users, { bcrypt });
    const h = await harness({ maxRequests: 1, active: { config, tls: undefined, auth, rateLimiter: undefined } });
    const valid = { authorization: `Basic ${Buffer.from("alice:secret").toString("base64")}` };
    assert.equal((await fetch(`${h.url}/metrics`, { headers: valid })).status, 200, "remembered from now on");
    const wrong = (i: number) => ({ authorization: `Basic ${Buffer.from(`alice:wrong${i}`).toString("base64")}` });
    const flood = [0, 1, 2].map((i) => fetch(`${h.url}/metrics`, { headers: wrong(i) }));
    await until(() => stuck.length === 1 && bcrypt.asked === 4);
    const beyond = await fetch(`${h.url}/metrics`, { headers: wrong(3) });
    assert.equal(beyond.status, 429, "the bcrypt budget is spent: refused at once");
    assert.equal(beyond.headers.get("retry-after"), "1");
    // The one place under --web.max-requests=1 is still free for a valid scrape and probes pass.
    assert.equal((await fetch(`${h.url}/metrics`, { headers: valid })).status, 200);
    assert.equal((await fetch(`${h.url}/-/healthy`, { headers: valid })).status, 200);
    let settled = false;
    const statuses = Promise.all(flood).then((responses) => {
      settled = true;
      return responses.map((r) => r.status);
    });
    while (!settled) {
      stuck.shift()?.();
      await new Promise((resolve) => setTimeout(resolve, 5));
    }
    assert.deepEqual(await statuses, [401, 401, 401]);
    assert.equal(h.rejections.snapshot([]).get("auth_busy"), 1);
    assert.equal(h.rejections.snapshot([]).get("unauthorized"), 3);
    assert.equal(h.rejections.snapshot([]).get("max_requests") ?? 0, 0);
  });

  it("one request per connection is admitted at a time: a pipelined second one gets 503", async () => {
    const h = await harness({ maxRequests: 10 });
    const conn = rawConnection(h.url);
    conn.send("GET /hold HTTP/1.1\r\nHost: x\r\n\r\nGET /metrics HTTP/1.1\r\nHost: x\r\n\r\n");
    await until(() => h.held.length === 1);
    h.held.shift()?.end("done\n");
    await until(() => conn.statuses().length === 2);
    assert.deepEqual(
      conn.statuses().map((s) => s.status),
      [200, 503],
    );
    conn.close();
  });

  it("busy refusals: the first on a connection at once, the next within a second when that second is over", async () => {
    const h = await harness({ maxRequests: 1 });
    const holder = fetch(`${h.url}/hold`);
    await until(() => h.held.length === 1);
    const conn = rawConnection(h.url);
    const request = "GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n";
    conn.send(request);
    await until(() => conn.statuses().length === 1);
    conn.send(request);
    await until(() => conn.statuses().length === 2);
    const [first, second] = conn.statuses();
    assert.ok(first !== undefined && second !== undefined);
    assert.equal(first.status, 503);
    assert.equal(second.status, 503);
    assert.ok(first.atMs < 900, `first refusal after ${first.atMs} ms`);
    const gap = second.atMs - first.atMs;
    assert.ok(gap >= 900, `second refusal ${gap} ms after the first`);
    // Another connection is not held back by this one's pace.
    const other = await fetch(`${h.url}/metrics`);
    assert.equal(other.status, 503);
    conn.close();
    h.held.shift()?.end("done\n");
    assert.equal((await holder).status, 200);
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

/** A request and response pair as the admission queue sees them. */
function fakeExchange(socket: object = {}): { req: IncomingMessage; res: ServerResponse & EventEmitter } {
  const res = Object.assign(new EventEmitter(), { destroyed: false, writableEnded: false });
  return { req: { socket } as unknown as IncomingMessage, res: res as unknown as ServerResponse & EventEmitter };
}

const nextTurn = (): Promise<void> => new Promise((resolve) => setImmediate(resolve));

describe("admission queue", () => {
  it("serves one admitted request per turn of the event loop, in order, never while it is parsed", async () => {
    const admission = new Admission(3);
    const served: number[] = [];
    const exchanges = [0, 1, 2, 3].map(() => fakeExchange());
    const admitted = exchanges.map(({ req, res }, i) => admission.admit(req, res, () => served.push(i)));
    assert.deepEqual(admitted, [true, true, true, false], "the fourth is over the limit");
    assert.deepEqual(served, [], "nothing is served synchronously");
    await nextTurn();
    assert.deepEqual(served, [0]);
    await nextTurn();
    assert.deepEqual(served, [0, 1]);
    await nextTurn();
    assert.deepEqual(served, [0, 1, 2]);
    assert.equal(admission.size, 3, "served but not answered: still counted");
    exchanges[0]?.res.emit("close");
    assert.equal(admission.size, 2);
    const again = fakeExchange();
    assert.equal(
      admission.admit(again.req, again.res, () => undefined),
      true,
      "a place freed by an answer is taken again",
    );
  });

  it("a request whose client left while waiting is skipped; a busy connection gets no second place", async () => {
    const admission = new Admission(0);
    const served: string[] = [];
    const gone = fakeExchange();
    const socket = {};
    const first = fakeExchange(socket);
    const second = fakeExchange(socket);
    admission.admit(gone.req, gone.res, () => served.push("gone"));
    admission.admit(first.req, first.res, () => served.push("first"));
    assert.equal(
      admission.admit(second.req, second.res, () => served.push("second")),
      false,
    );
    Object.assign(gone.res, { destroyed: true });
    gone.res.emit("close");
    await nextTurn();
    assert.deepEqual(served, ["first"]);
  });

  it("while connections are being accepted, serving waits for a turn without one, at most 200 ms", async () => {
    const admission = new Admission(0);
    const served: number[] = [];
    const { req, res } = fakeExchange();
    admission.admit(req, res, () => served.push(performance.now()));
    const started = performance.now();
    // A connection accepted in every turn: a burst that never ends.
    while (served.length === 0 && performance.now() - started < 5_000) {
      admission.connectionAccepted();
      await nextTurn();
    }
    const waited = (served[0] ?? Infinity) - started;
    assert.ok(waited >= 150 && waited < 2_000, `served after ${waited} ms of accepting`);
  });
});
