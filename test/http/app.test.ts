// The Express app built in-process over a fixture tree, on a loopback port.
import assert from "node:assert/strict";
import http from "node:http";
import { after, before, describe, it } from "node:test";
import { gunzipSync } from "node:zlib";
import type { Snapshot } from "../../src/snapshot/snapshot.js";
import { MetricsRenderer } from "../../src/views/metrics.js";
import { realKernelTree } from "../helpers/fixtures.js";
import { snapshotSource } from "../helpers/collect.js";
import { serveApp, type ServedApp } from "../helpers/app.js";

function listen(snapshot: () => Promise<Snapshot>, isReady = () => true): Promise<ServedApp> {
  return serveApp(snapshot, {
    renderer: new MetricsRenderer({ exporterMetrics: true }),
    build: { version: "1.2.3", revision: "abcdef0" },
    isReady,
    runtimeInfo: () => Promise.resolve({ entries: [["hostname", "<test & host>"]] }),
  });
}

describe("HTTP endpoints", () => {
  let url = "";
  let served: ServedApp | undefined;
  let ready = true;
  before(async () => {
    const source = snapshotSource(realKernelTree("busy-stuck"));
    served = await listen(
      () => source.snapshot(),
      () => ready,
    );
    url = served.url;
  });
  after(() => served?.close());

  it("/metrics: the registry's exact Content-Type, live-patch and process metrics", async () => {
    const response = await fetch(`${url}/metrics`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/plain; version=0.0.4; charset=utf-8");
    const body = await response.text();
    assert.match(body, /^livepatch_transition_blocking_threads\{patch="lp_busy"\} 1$/m);
    assert.match(body, /^livepatch_exporter_build_info\{version="1.2.3",revision="abcdef0",nodejs_version="v\d+/m);
    assert.match(body, /^process_resident_memory_bytes \d+/m);
    assert.match(body, /^nodejs_heap_size_used_bytes \d+/m);
  });

  it("/metrics is gzipped when Accept-Encoding allows it, as Prometheus asks, and only then", async () => {
    const plain = await raw(`${url}/metrics`, {});
    assert.equal(plain.headers["content-encoding"], undefined);
    assert.equal(plain.headers.vary, "Accept-Encoding");
    const prometheus = await raw(`${url}/metrics`, {
      "accept-encoding": "gzip",
      accept: "application/openmetrics-text;version=1.0.0;q=0.5,text/plain;version=0.0.4;q=0.4,*/*;q=0.1",
    });
    assert.equal(prometheus.headers["content-encoding"], "gzip");
    assert.equal(prometheus.headers.vary, "Accept-Encoding");
    assert.equal(prometheus.headers["content-type"], "text/plain; version=0.0.4; charset=utf-8");
    assert.equal(Number(prometheus.headers["content-length"]), prometheus.body.length);
    const text = gunzipSync(prometheus.body).toString("utf8");
    assert.ok(prometheus.body.length < text.length / 2, "compressed");
    // Same families as the plain answer (durations and process values differ between scrapes).
    const families = (body: string): string[] => body.split("\n").filter((line) => line.startsWith("# TYPE"));
    assert.deepEqual(families(text), families(plain.body.toString("utf8")));
    for (const refused of ["gzip;q=0", "identity", "br"]) {
      const response = await raw(`${url}/metrics`, { "accept-encoding": refused });
      assert.equal(response.headers["content-encoding"], undefined, refused);
      assert.match(response.body.toString("utf8"), /^# HELP livepatch_exporter_build_info/m, refused);
    }
  });

  it("HEAD /metrics answers without a body", async () => {
    const response = await fetch(`${url}/metrics`, { method: "HEAD" });
    assert.equal(response.status, 200);
    assert.equal(await response.text(), "");
  });

  it("landing page: the problem first with its runbook, then the patches, details folded; escaped runtime facts", async () => {
    const response = await fetch(`${url}/`);
    assert.equal(response.status, 200);
    assert.equal(response.headers.get("content-type"), "text/html; charset=utf-8");
    const html = await response.text();
    assert.match(html, /<a href="\/metrics">Metrics<\/a>/);
    // The busy-stuck capture: the transition in progress blocks any new patch; red, as its cause.
    assert.match(
      html,
      /<h1 class="headline fail">Not ready for a new live patch: a transition is in progress \(lp_busy, patching\) and 1 thread blocks it\.<\/h1>/,
    );
    const problems = html.indexOf("Needs attention");
    const patches = html.indexOf('<h2 id="patches">');
    const details = html.indexOf("<details");
    assert.ok(problems > 0 && problems < patches && patches < details, "problems, then patches, then details");
    assert.match(
      html,
      /<li class="card fail" id="no_transition_in_progress-lp_busy">.*a transition is in progress.*href="https:\/\/github\.com\/[^"]*docs\/runbooks\.md#livepatchtransitionnotcompleting"/s,
    );
    assert.match(html, /lp_busy: patching; 1 function\(s\) in lp_busy_target/);
    assert.match(html, /K bit 15 LIVEPATCH/);
    assert.match(html, /Kernel 6\.1\.0-56-amd64 \(x86_64\) &middot; Debian GNU\/Linux 12 \(bookworm\)/);
    // Runtime facts are the exporter's machine, said so, and escaped.
    assert.match(html, /<summary>Where the exporter runs<\/summary>/);
    assert.match(html, /not the host above: that one is read through --path\.procfs=/);
    assert.match(html, /&#60;test &#38; host&#62;/);
    assert.doesNotMatch(html, /<test & host>/);
  });

  it("health and readiness; readiness turns 503 on shutdown", async () => {
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
    assert.equal((await fetch(`${url}/-/ready`)).status, 200);
    ready = false;
    const response = await fetch(`${url}/-/ready`);
    ready = true;
    assert.equal(response.status, 503);
    assert.equal((await fetch(`${url}/-/healthy`)).status, 200);
  });

  it("404 elsewhere, 405 for anything but GET and HEAD", async () => {
    assert.equal((await fetch(`${url}/nope`)).status, 404);
    assert.equal((await fetch(`${url}/metrics/extra`)).status, 404);
    const post = await fetch(`${url}/metrics`, { method: "POST", body: "x" });
    assert.equal(post.status, 405);
    assert.equal(post.headers.get("allow"), "GET, HEAD");
  });
});

describe("scrapes that share a snapshot", () => {
  it("share one rendering and one gzip; the next snapshot is rendered anew", async () => {
    const source = snapshotSource(realKernelTree("busy-stuck"));
    const shared = await source.snapshot();
    // Three scrapes wait for one collection, as SnapshotSource.snapshot() makes scrapes that arrive
    // during a collection wait for the next one.
    let arrived = 0;
    let release: () => void = () => undefined;
    const collected = new Promise<Snapshot>((resolve) => (release = () => resolve(shared)));
    let next: Snapshot | undefined;
    const renders: number[] = [];
    class CountingRenderer extends MetricsRenderer {
      override render(samples: Parameters<MetricsRenderer["render"]>[0]): Promise<string> {
        renders.push(samples.length);
        return super.render(samples);
      }
    }
    const served = await serveApp(
      () => {
        if (next !== undefined) return Promise.resolve(next);
        arrived += 1;
        if (arrived === 3) release();
        return collected;
      },
      { renderer: new CountingRenderer({ exporterMetrics: true }) },
    );
    try {
      const [a, b, zipped] = await Promise.all([
        raw(`${served.url}/metrics`, {}),
        raw(`${served.url}/metrics`, {}),
        raw(`${served.url}/metrics`, { "accept-encoding": "gzip" }),
      ]);
      assert.equal(renders.length, 1, "one rendering for three scrapes");
      assert.match(a.body.toString("utf8"), /^livepatch_transition_blocking_threads\{patch="lp_busy"\} 1$/m);
      // The same text, process metrics included: one rendering, not three of the same moment.
      assert.equal(b.body.toString("utf8"), a.body.toString("utf8"));
      assert.equal(zipped.headers["content-encoding"], "gzip");
      assert.equal(gunzipSync(zipped.body).toString("utf8"), a.body.toString("utf8"));

      next = await source.snapshot();
      const later = await raw(`${served.url}/metrics`, { "accept-encoding": "gzip" });
      assert.equal(renders.length, 2, "a new snapshot is rendered");
      assert.equal(later.headers["content-encoding"], "gzip");
      assert.match(
        gunzipSync(later.body).toString("utf8"),
        /^livepatch_transition_blocking_threads\{patch="lp_busy"\} 1$/m,
      );
    } finally {
      await served.close();
    }
  });
});

describe("landing page with collectors turned off", () => {
  it("a disabled collector is not a failure: no fail, the headline says readiness was not checked", async () => {
    const source = snapshotSource(realKernelTree("clean"), { enabled: ["taint"] });
    const { url, close } = await listen(() => source.snapshot());
    try {
      const html = await (await fetch(`${url}/`)).text();
      assert.match(
        html,
        /<h1 class="headline ok">Readiness not checked \(the readiness collector is off\); nothing needs attention\.<\/h1>/,
      );
      assert.doesNotMatch(html, /class="pill fail"|Needs attention/);
      assert.match(
        html,
        /not collected \(collector turned off\): livepatch, transition, kmsg, kernel, reboot, readiness/,
      );
      assert.match(html, /not tainted \(0\)/);
    } finally {
      await close();
    }
  });
});

describe("a collector that throws", () => {
  it("is reported as failed while the rest of the scrape is served", async () => {
    const root = realKernelTree("basic-enabled");
    const source = snapshotSource(root, {
      replace: {
        reboot: () => {
          throw new TypeError("boom");
        },
      },
    });
    const { url, close } = await listen(() => source.snapshot());
    try {
      const body = await (await fetch(`${url}/metrics`)).text();
      assert.match(body, /^livepatch_scrape_collector_success\{collector="reboot"\} 0$/m);
      assert.match(body, /^livepatch_scrape_collector_success\{collector="livepatch"\} 1$/m);
      assert.doesNotMatch(body, /^livepatch_reboot_required\{/m);
      assert.match(body, /^livepatch_patch_enabled\{patch="lp_basic"\} 1$/m);
    } finally {
      await close();
    }
  });

  it("a rendering failure is a 500 without internals", async () => {
    const { url, close } = await listen(() => Promise.reject(new Error("secret internal detail")));
    try {
      const response = await fetch(`${url}/metrics`);
      assert.equal(response.status, 500);
      const body = await response.text();
      assert.equal(body, "Internal Server Error\n");
    } finally {
      await close();
    }
  });
});

/** A GET that keeps the body as sent (fetch would decompress it). */
function raw(
  url: string,
  headers: Readonly<Record<string, string>>,
): Promise<{ headers: http.IncomingHttpHeaders; body: Buffer }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { headers }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => resolve({ headers: response.headers, body: Buffer.concat(chunks) }));
        response.on("error", reject);
      })
      .on("error", reject);
  });
}
