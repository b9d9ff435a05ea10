// The whole stack from a command line, in this process (src/web/front.ts):
// collector flags and their environment variables choose what is collected
// and shown; --web.telemetry-path moves the metrics; shutdown turns /-/ready.
import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { startFront, type ServedFront } from "../helpers/front.js";

const started: ServedFront[] = [];
after(async () => {
  await Promise.all(started.map((s) => s.stop()));
});

async function start(args: readonly string[], env: NodeJS.ProcessEnv = {}): Promise<ServedFront> {
  const served = await startFront(args, { env });
  started.push(served);
  return served;
}

describe("the exporter from its command line", () => {
  const tree = realKernelTree("basic-enabled");

  it("--collector.disable-defaults with one collector: only it is shown; its inputs are read, not shown", async () => {
    const only = await start([...pathFlags(tree), "--collector.disable-defaults", "--collector.taint"]);
    const body = await (await fetch(`${only.url}/metrics`)).text();
    assert.deepEqual(
      [...body.matchAll(/^livepatch_scrape_collector_success\{collector="(\w+)"\}/gm)].map((m) => m[1]),
      ["taint"],
    );
    assert.match(body, /^livepatch_kernel_tainted 45056$/m);
    assert.doesNotMatch(body, /^livepatch_patch_enabled/m);
    // The module taint letters need the module list: the modules collector ran, but is not shown.
    assert.match(body, /^livepatch_modules_tainted\{flag="K"\} 1$/m);
    assert.doesNotMatch(body, /^livepatch_modules_disabled/m);
  });

  it("the same from the environment, and a collector switched off by its variable", async () => {
    const fromEnv = await start(pathFlags(tree), {
      LIVEPATCH_EXPORTER_COLLECTOR_DISABLE_DEFAULTS: "true",
      LIVEPATCH_EXPORTER_COLLECTOR_TAINT: "1",
    });
    const body = await (await fetch(`${fromEnv.url}/metrics`)).text();
    assert.deepEqual(
      [...body.matchAll(/^livepatch_scrape_collector_success\{collector="(\w+)"\}/gm)].map((m) => m[1]),
      ["taint"],
    );
    const without = await start([...pathFlags(tree), "--web.disable-exporter-metrics"], {
      LIVEPATCH_EXPORTER_COLLECTOR_REBOOT: "false",
    });
    const second = await (await fetch(`${without.url}/metrics`)).text();
    assert.doesNotMatch(second, /collector="reboot"/);
    assert.doesNotMatch(second, /^process_/m);
    assert.match(second, /^livepatch_patch_enabled\{patch="lp_basic"\} 1$/m);
  });

  it("refusal counters: only the reasons the configuration can give, at 0 until they happen", async () => {
    const reasons = (body: string): string[] =>
      [...body.matchAll(/^livepatch_exporter_http_requests_rejected_total\{reason="(\w+)"\} 0$/gm)].map(
        (m) => m[1] ?? "",
      );
    const byDefault = await start(pathFlags(tree));
    // No basic authentication and no rate limit without --web.config.file: no series for them.
    assert.deepEqual(reasons(await (await fetch(`${byDefault.url}/metrics`)).text()), ["max_requests", "request_body"]);
    const unlimited = await start([...pathFlags(tree), "--web.max-requests=0"]);
    assert.deepEqual(reasons(await (await fetch(`${unlimited.url}/metrics`)).text()), ["request_body"]);
  });

  it("--web.telemetry-path moves the metrics", async () => {
    const served = await start([...pathFlags(realKernelTree("clean")), "--web.telemetry-path=/lp"]);
    assert.equal((await fetch(`${served.url}/lp`)).status, 200);
    assert.equal((await fetch(`${served.url}/metrics`)).status, 404);
  });

  it("once shutdown begins, /-/ready answers 503 while /metrics is still served", async () => {
    const served = await start(pathFlags(realKernelTree("clean")));
    assert.equal((await fetch(`${served.url}/-/ready`)).status, 200);
    served.front.beginShutdown();
    assert.equal((await fetch(`${served.url}/-/ready`)).status, 503);
    assert.equal((await fetch(`${served.url}/metrics`)).status, 200);
    assert.equal(await served.front.close(5000), "closed");
  });
});
