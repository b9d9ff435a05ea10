// A burst of requests from many connections at once, plain and with TLS,
// client certificates and basic authentication: every one is answered 200 and
// none is lost. (`npm run bench -- --sections flood` runs the timed floods.)
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import autocannon from "autocannon";
import { makePki, secureWebConfig } from "../../support/certs.js";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { startFront, type ServedFront } from "../helpers/front.js";

const started: ServedFront[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function burst(url: string, extra: Partial<autocannon.Options> = {}): Promise<autocannon.Result> {
  return autocannon({ url: `${url}/metrics`, connections: 20, amount: 300, timeout: 10, ...extra });
}

describe("load smoke", () => {
  // A host mid-transition: the heaviest scrape (it walks every thread).
  const tree = realKernelTree("busy-stuck");

  it("plain HTTP, no request limit: 300 requests over 20 connections, all 200", async () => {
    const served = await startFront([...pathFlags(tree), "--web.max-requests=0"]);
    started.push(served);
    const result = await burst(served.url);
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
    assert.equal(result["2xx"], result.requests.total);
    assert.ok(result.requests.total >= 300, String(result.requests.total));
  });

  it("mTLS + basic auth (bcrypt cost 10): 300 requests over 20 connections, all 200", async () => {
    const secure = secureWebConfig(makePki());
    const served = await startFront([
      ...pathFlags(tree),
      "--web.max-requests=0",
      `--web.config.file=${secure.configFile}`,
    ]);
    started.push(served);
    assert.match(served.url, /^https:/);
    const result = await burst(served.url, { headers: { ...secure.headers }, tlsOptions: secure.client });
    assert.equal(result.errors, 0);
    assert.equal(result.timeouts, 0);
    assert.equal(result["2xx"], result.requests.total);
    assert.ok(result.requests.total >= 300, String(result.requests.total));
  });
});
