// Basic authentication: real bcrypt (bcryptjs) for right, wrong and unknown
// users; a counting verifier for the cache, the decoy and serialization.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { hashSync } from "bcryptjs";
import fc from "fast-check";
import { BasicAuth, parseBasicAuth } from "../../src/web/auth.js";
import { InFlightLimit, TokenBucket } from "../../src/web/limits.js";

const basic = (user: string, password: string): string =>
  `Basic ${Buffer.from(`${user}:${password}`).toString("base64")}`;

describe("basic authentication", () => {
  // Cost 4: the real algorithm, fast enough for a unit test.
  const aliceHash = hashSync("alice's secret", 4);
  const bobHash = hashSync("bob:with:colons", 4);

  it("right password, wrong password, unknown user, missing or malformed header", async () => {
    const auth = new BasicAuth(
      new Map([
        ["alice", aliceHash],
        ["bob", bobHash],
      ]),
    );
    assert.equal(await auth.check(basic("alice", "alice's secret")), true);
    assert.equal(await auth.check(basic("bob", "bob:with:colons")), true);
    assert.equal(await auth.check(basic("alice", "wrong")), false);
    assert.equal(await auth.check(basic("alice", "")), false);
    assert.equal(await auth.check(basic("mallory", "alice's secret")), false);
    assert.equal(await auth.check(undefined), false);
    assert.equal(await auth.check("Bearer abc"), false);
    assert.equal(await auth.check("Basic !!!"), false);
    assert.equal(await auth.check(`Basic ${Buffer.from("no colon").toString("base64")}`), false);
    // The scheme name is case-insensitive (RFC 7617).
    assert.equal(await auth.check(basic("alice", "alice's secret").replace("Basic", "basic")), true);
  });

  it("an unknown user costs one bcrypt comparison, like a wrong password, and never passes", async () => {
    const calls: string[] = [];
    const auth = new BasicAuth(
      new Map([
        ["alice", aliceHash],
        ["bob", bobHash],
      ]),
      {
        verify: (password, hash) => {
          calls.push(hash);
          return Promise.resolve(hash === aliceHash && password === "alice's secret");
        },
      },
    );
    assert.equal(await auth.check(basic("alice", "wrong")), false);
    // The decoy is a real configured hash: even alice's password under another name fails.
    assert.equal(await auth.check(basic("mallory", "alice's secret")), false);
    assert.equal(calls.length, 2);
    assert.ok([aliceHash, bobHash].includes(calls[1] ?? ""));
  });

  it("caches results (bounded), shares checks in flight, and runs bcrypt one at a time", async () => {
    let calls = 0;
    let running = 0;
    let maxRunning = 0;
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), {
      cacheSize: 2,
      verify: async (password) => {
        calls += 1;
        running += 1;
        maxRunning = Math.max(maxRunning, running);
        await new Promise((resolve) => setTimeout(resolve, 5));
        running -= 1;
        return password === "ok";
      },
    });
    const same = await Promise.all(Array.from({ length: 10 }, () => auth.check(basic("alice", "ok"))));
    assert.deepEqual(new Set(same), new Set([true]));
    assert.equal(calls, 1, "ten identical checks, one computation");
    await Promise.all(["a", "b", "c"].map((p) => auth.check(basic("alice", p))));
    assert.equal(maxRunning, 1, "never two bcrypt computations at once");
    assert.equal(calls, 4);
    // The cache holds 2: "ok" was evicted by the three wrong passwords.
    assert.equal(await auth.check(basic("alice", "ok")), true);
    assert.equal(calls, 5);
    assert.equal(await auth.check(basic("alice", "ok")), true);
    assert.equal(calls, 5, "served from the cache");
  });

  it("passwords beyond bcrypt's 72 bytes are refused without a computation", async () => {
    let calls = 0;
    const auth = new BasicAuth(new Map([["alice", aliceHash]]), {
      verify: () => {
        calls += 1;
        return Promise.resolve(true);
      },
    });
    assert.equal(await auth.check(basic("alice", "x".repeat(73))), false);
    assert.equal(calls, 0);
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
  it("in-flight limit: refuses beyond max, frees on release; 0 means none", () => {
    const limit = new InFlightLimit(2);
    assert.ok(limit.tryAcquire());
    assert.ok(limit.tryAcquire());
    assert.ok(!limit.tryAcquire());
    limit.release();
    assert.ok(limit.tryAcquire());
    const unlimited = new InFlightLimit(0);
    for (let i = 0; i < 1000; i += 1) assert.ok(unlimited.tryAcquire());
  });

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
