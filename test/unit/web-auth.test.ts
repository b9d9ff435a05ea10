// Basic authentication: real bcrypt (bcryptjs, in the worker thread and on
// the loop) for right, wrong and unknown users; a counting comparer for the
// caches, the decoy, reloads and the bcrypt budget.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { compare, hashSync } from "bcryptjs";
import fc from "fast-check";
import { BasicAuth, parseBasicAuth } from "../../src/web/auth.js";
import { BcryptQueue, BcryptWorker } from "../../src/web/bcrypt.js";
import { TokenBucket } from "../../src/web/limits.js";

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

/** A comparer that counts and answers at once; `matches` decides. */
function counting(matches: (password: string, hash: string) => boolean) {
  const calls: { password: string; hash: string }[] = [];
  const queue = new BcryptQueue((password, hash) => {
    calls.push({ password, hash });
    return Promise.resolve(matches(password, hash));
  });
  return { calls, queue };
}

describe("basic authentication", () => {
  // Cost 4: the real algorithm, fast enough for a unit test.
  const aliceHash = hashSync("alice's secret", 4);
  const bobHash = hashSync("bob:with:colons", 4);
  const users = new Map([
    ["alice", aliceHash],
    ["bob", bobHash],
  ]);

  it("right password, wrong password, unknown user, missing or malformed header (bcrypt in the worker)", async () => {
    const worker = new BcryptWorker();
    const auth = new BasicAuth(users, { bcrypt: new BcryptQueue(worker.compare) });
    try {
      assert.equal(await auth.check(basic("alice", "alice's secret")), "allowed");
      assert.equal(await auth.check(basic("bob", "bob:with:colons")), "allowed");
      assert.equal(await auth.check(basic("alice", "wrong")), "denied");
      assert.equal(await auth.check(basic("alice", "")), "denied");
      assert.equal(await auth.check(basic("mallory", "alice's secret")), "denied");
      assert.equal(auth.check(undefined), "denied");
      assert.equal(auth.check("Bearer abc"), "denied");
      assert.equal(auth.check("Basic !!!"), "denied");
      assert.equal(auth.check(`Basic ${Buffer.from("no colon").toString("base64")}`), "denied");
      // The scheme name is case-insensitive (RFC 7617); and now it is remembered: no promise, no bcrypt.
      assert.equal(auth.check(basic("alice", "alice's secret").replace("Basic", "basic")), "allowed");
    } finally {
      await worker.stop();
    }
  });

  it("the worker keeps bcrypt off the event loop", async () => {
    const worker = new BcryptWorker();
    const slow = hashSync("x", 12); // ~4 × cost 10
    try {
      await worker.compare("warm up", aliceHash);
      const before = performance.eventLoopUtilization();
      assert.equal(await worker.compare("x", slow), true);
      const busy = performance.eventLoopUtilization(before).utilization;
      assert.ok(busy < 0.5, `the event loop was busy ${Math.round(busy * 100)}% of a cost-12 comparison`);
      // bcryptjs's own "async" compare, for contrast, keeps the loop busy throughout.
      const onLoop = performance.eventLoopUtilization();
      assert.equal(await compare("x", slow), true);
      assert.ok(performance.eventLoopUtilization(onLoop).utilization > 0.5);
    } finally {
      await worker.stop();
    }
  });

  it("an unknown user costs one bcrypt comparison, like a wrong password, and never passes", async () => {
    const { calls, queue } = counting((password, hash) => hash === aliceHash && password === "alice's secret");
    const auth = new BasicAuth(users, { bcrypt: queue });
    assert.equal(await auth.check(basic("alice", "wrong")), "denied");
    // The decoy is a real configured hash: even alice's password under another name fails.
    assert.equal(await auth.check(basic("mallory", "alice's secret")), "denied");
    assert.equal(calls.length, 2);
    assert.ok([aliceHash, bobHash].includes(calls[1]?.hash ?? ""));
  });

  it("valid credentials cost no bcrypt once checked, and a flood of wrong passwords cannot evict them", async () => {
    const { calls, queue } = counting((password) => password === "ok");
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), {
      bcrypt: queue,
      validCacheSize: 2,
      invalidCacheSize: 4,
    });
    const same = await Promise.all(Array.from({ length: 5 }, async () => auth.check(basic("alice", "ok"))));
    assert.deepEqual(new Set(same), new Set(["allowed"]));
    assert.equal(calls.length, 1, "identical checks in flight share one comparison");
    for (let i = 0; i < 50; i += 1) assert.equal(await auth.check(basic("alice", `wrong ${i}`)), "denied");
    assert.equal(calls.length, 51);
    assert.equal(auth.check(basic("alice", "ok")), "allowed", "still remembered: answered without a promise");
    assert.equal(calls.length, 51);
    // A recent failure is remembered apart: retrying it costs nothing; older ones were evicted (4 kept).
    assert.equal(auth.check(basic("alice", "wrong 49")), "denied");
    assert.equal(await auth.check(basic("alice", "wrong 0")), "denied");
    assert.equal(calls.length, 52);
  });

  it("the bcrypt budget: one comparison at a time, a bounded queue, 'busy' at once beyond it", async () => {
    let running = 0;
    let maxRunning = 0;
    const release: (() => void)[] = [];
    const queue = new BcryptQueue(
      () =>
        new Promise<boolean>((resolve) => {
          running += 1;
          maxRunning = Math.max(maxRunning, running);
          release.push(() => {
            running -= 1;
            resolve(false);
          });
        }),
      { running: 1, waiting: 2 },
    );
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), { bcrypt: queue });
    const pending = ["a", "b", "c"].map((p) => auth.check(basic("alice", p)));
    assert.ok(
      pending.every((p) => p instanceof Promise),
      "one running, two waiting",
    );
    assert.equal(auth.check(basic("alice", "d")), "busy", "beyond the budget: refused at once");
    assert.equal(auth.check(basic("mallory", "e")), "busy");
    while (release.length > 0 || running > 0) {
      release.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual(await Promise.all(pending), ["denied", "denied", "denied"]);
    assert.equal(maxRunning, 1);
    assert.notEqual(auth.check(basic("alice", "d")), "busy", "room again once they finished");
  });

  it("a comparison that fails is a denial, and frees its place", async () => {
    const queue = new BcryptQueue(() => Promise.reject(new Error("worker died")), { running: 1, waiting: 0 });
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), { bcrypt: queue });
    assert.equal(await auth.check(basic("alice", "x")), "denied");
    assert.equal(await auth.check(basic("alice", "y")), "denied");
  });

  it("a reload keeps remembered credentials of unchanged users only: a changed or removed one is refused at once", async () => {
    const { calls, queue } = counting((password, hash) =>
      hash === aliceHash ? password === "a" : hash === bobHash ? password === "b" : password === "new",
    );
    const first = new BasicAuth(users, { bcrypt: queue });
    assert.equal(await first.check(basic("alice", "a")), "allowed");
    assert.equal(await first.check(basic("bob", "b")), "allowed");
    assert.equal(calls.length, 2);
    const newBob = hashSync("new", 4);
    const reloaded = new BasicAuth(new Map([["bob", newBob]]), { bcrypt: queue, previous: first });
    const verdicts = [basic("alice", "a"), basic("bob", "b")].map(async (header) => reloaded.check(header));
    assert.deepEqual(await Promise.all(verdicts), ["denied", "denied"], "removed user, changed password");
    assert.equal(calls.length, 4, "both compared again, against the new configuration");
    const unchanged = new BasicAuth(users, { bcrypt: queue, previous: first });
    assert.equal(unchanged.check(basic("alice", "a")), "allowed", "same user, same hash: still remembered");
    assert.equal(calls.length, 4);
  });

  it("passwords beyond bcrypt's 72 bytes are refused without a computation", () => {
    const { calls, queue } = counting(() => true);
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), { bcrypt: queue });
    assert.equal(auth.check(basic("alice", "x".repeat(73))), "denied");
    assert.equal(calls.length, 0);
  });

  it("parseBasicAuth round-trips any user without ':' and any password (fast-check)", () => {
    fc.assert(
      fc.property(
        fc.string().filter((u) => !u.includes(":")),
        fc.string(),
        (user, password) => {
          const header = basic(user, password);
          fc.pre(header.length < 1000);
          assert.deepEqual(parseBasicAuth(header), { user, password });
        },
      ),
    );
    fc.assert(
      fc.property(fc.string(), (header) => {
        const parsed = parseBasicAuth(header);
        if (parsed !== undefined) assert.equal(typeof parsed.user, "string");
      }),
    );
  });
});

describe("limits", () => {
  it("token bucket: a burst, then one per interval", () => {
    let now = 0;
    const bucket = new TokenBucket(1000, 3, () => now);
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
    now += 999;
    assert.equal(bucket.take(), false);
    now += 1;
    assert.equal(bucket.take(), true);
    now += 60_000; // never more than the burst saved up
    assert.deepEqual([bucket.take(), bucket.take(), bucket.take(), bucket.take()], [true, true, true, false]);
  });
});
