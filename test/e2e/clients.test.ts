// Fake vendor clients on --collector.<client>.path, through the whole exporter
// (in this process) and the real process and `check` command: the client
// metrics, livepatch-aware reboot, a hung client that never delays /metrics and
// dies with the exporter process.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import { after, describe, it } from "node:test";
import { HANDMADE } from "../fixtures/handmade.js";
import { CANONICAL_JSON, KPATCH_LIST } from "../fixtures/client-outputs.js";
import { fakeClient, isRunning } from "../helpers/fake-client.js";
import { waitFor } from "../helpers/wait.js";
import { buildTree, handmadeTree, pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { promtool } from "../helpers/promtool.js";
import { MAIN, startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { startFront, type ServedFront } from "../helpers/front.js";

/** Client 10.8.3's JSON with coverage that has not ended. */
const COVERED = CANONICAL_JSON.replace('"2025-03-07"', '"2999-03-07"');

const kernelOnlyReboot = (): string =>
  buildTree({
    ...HANDMADE["reboot-required"],
    files: { ...HANDMADE["reboot-required"].files, "run/reboot-required.pkgs": "linux-image-6.1.0-57-amd64\n" },
  });

/** Fetches /metrics until it matches (the first client run ends shortly after start-up). */
async function scrapeUntil(exporter: { readonly url: string }, pattern: RegExp): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const body = await (await fetch(`${exporter.url}/metrics`)).text();
    if (pattern.test(body)) return body;
    if (Date.now() > deadline) throw new Error(`/metrics never matched ${pattern}:\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

function check(args: readonly string[]): { status: number | null; stdout: string; elapsedMs: number } {
  const started = Date.now();
  const result = spawnSync(process.execPath, [MAIN, "check", ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, elapsedMs: Date.now() - started };
}

describe("vendor clients in the exporter", () => {
  const running: (RunningExporter | ServedFront)[] = [];
  after(async () => {
    await Promise.all(running.map((e) => e.stop()));
  });

  it("a fake canonical-livepatch: its metrics, and a kernel-only reboot that can wait", async () => {
    const fake = fakeClient("canonical-livepatch", { "status --format json": { stdout: COVERED } });
    const flag = `--collector.canonical_livepatch.path=${fake.path}`;
    const [waits, libc] = await Promise.all([
      startFront([...pathFlags(kernelOnlyReboot()), flag]),
      startFront([...pathFlags(handmadeTree("reboot-required")), flag]),
    ]);
    running.push(waits, libc);

    const body = await scrapeUntil(waits, /^livepatch_client_up\{client="canonical_livepatch"\} 1$/m);
    const lint = promtool(["check", "metrics"], body);
    assert.equal(lint.status, 0, `promtool check metrics:\n${lint.output}`);
    assert.match(body, /^livepatch_reboot_required\{reason="reboot_required_file"\} 1$/m);
    assert.match(body, /^livepatch_reboot_can_wait\{client="canonical_livepatch"\} 1$/m);
    // The vendor's states: the current one only, 1; none of the others at 0.
    assert.deepEqual(body.match(/^livepatch_client_state\{.*$/gm), [
      'livepatch_client_state{client="canonical_livepatch",state="applied"} 1',
    ]);
    assert.deepEqual(body.match(/^livepatch_client_support_state\{.*$/gm), [
      'livepatch_client_support_state{client="canonical_livepatch",state="supported"} 1',
    ]);
    assert.match(body, /^livepatch_client_fixes\{client="canonical_livepatch"\} 1$/m);
    assert.match(body, /^livepatch_client_patches\{client="canonical_livepatch",state="applied"\} 1$/m);
    assert.match(
      body,
      /^livepatch_client_coverage_end_timestamp_seconds\{client="canonical_livepatch"\} 32477760000$/m,
    );
    assert.match(body, /^livepatch_client_runs_total\{client="canonical_livepatch",result="success"\} 1$/m);
    assert.match(body, /^# TYPE livepatch_client_runs_total counter$/m);
    assert.match(body, /^livepatch_client_run_interval_seconds\{client="canonical_livepatch"\} 300$/m);
    assert.match(body, /^# HELP livepatch_client_up .*background run .* not from this scrape\.$/m);
    assert.match(body, /^livepatch_scrape_collector_success\{collector="canonical_livepatch"\} 1$/m);
    assert.doesNotMatch(body, /livepatch_client_fix_info/, "per-CVE series are opt-in");
    assert.doesNotMatch(body, /client="kpatch"/, "clients not installed are not collected");
    assert.ok(waits.logs.some((l) => /"client":"canonical_livepatch".*"msg":"client found"/.test(l)));

    // libc6 in /run/reboot-required.pkgs: a kernel live patch cannot make that reboot wait.
    const withLibc = await scrapeUntil(libc, /^livepatch_client_up\{client="canonical_livepatch"\} 1$/m);
    assert.match(withLibc, /^livepatch_reboot_can_wait\{client="canonical_livepatch"\} 0$/m);
  });

  it("a hung client never delays /metrics, and is killed when the exporter process stops", async () => {
    const fake = fakeClient("kpatch", { list: { hang: true } });
    const exporter = await startExporter([
      ...pathFlags(realKernelTree("basic-enabled")),
      `--collector.kpatch.path=${fake.path}`,
      "--collector.clients.timeout=60",
      "--web.shutdown-delay=0",
    ]);
    running.push(exporter);
    await waitFor("the client to hang", () => fake.pids().length === 2);
    for (let i = 0; i < 3; i += 1) {
      const started = Date.now();
      const body = await (await fetch(`${exporter.url}/metrics`)).text();
      const elapsed = Date.now() - started;
      assert.ok(elapsed < 2_000, `/metrics took ${elapsed} ms while the client hangs`);
      assert.match(body, /^livepatch_client_runs_total\{client="kpatch",result="success"\} 0$/m);
      assert.doesNotMatch(body, /^livepatch_client_runs_total\{client="kpatch",result="timeout"\}/m);
      assert.doesNotMatch(body, /^livepatch_client_up/m);
    }
    assert.ok(fake.pids().every(isRunning));
    assert.equal(await exporter.stop(), 0);
    await waitFor("the hung client to be killed", () => fake.pids().every((pid) => !isRunning(pid)), 3_000);
  });

  it("flags: forced on without a binary is not_found; a missing flag path disables; --no-collector wins", async () => {
    const fake = fakeClient("canonical-livepatch", { "*": { stdout: COVERED } });
    const exporter = await startFront([
      ...pathFlags(realKernelTree("clean")),
      "--collector.kpatch",
      "--collector.kpatch.path=/nonexistent/kpatch",
      "--collector.klp.path=/nonexistent/klp",
      `--collector.canonical_livepatch.path=${fake.path}`,
      "--no-collector.canonical_livepatch",
    ]);
    running.push(exporter);
    const body = await scrapeUntil(exporter, /^livepatch_client_up\{client="kpatch"\} 0$/m);
    assert.match(body, /^livepatch_client_error\{client="kpatch",reason="not_found"\} 1$/m);
    assert.doesNotMatch(body, /client="klp"|client="canonical_livepatch"/);
    assert.deepEqual(fake.calls(), [], "a disabled client is never run");
    assert.ok(exporter.logs.some((l) => /"level":"warn".*"client":"klp"/.test(l)));
    assert.ok(exporter.logs.some((l) => /"level":"warn".*"reason":"not_found".*"msg":"client run failed"/.test(l)));
  });
});

describe("vendor clients in `check`", () => {
  it("runs each client once and shows its view", () => {
    const fake = fakeClient("canonical-livepatch", { "status --format json": { stdout: COVERED } });
    const kpatch = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const result = check([
      ...pathFlags(kernelOnlyReboot()),
      `--collector.canonical_livepatch.path=${fake.path}`,
      `--collector.kpatch.path=${kpatch.path}`,
    ]);
    assert.equal(result.status, 1, result.stdout); // a reboot is still required
    assert.match(result.stdout, /^Live-patch clients$/m);
    assert.match(
      result.stdout,
      /\[ ok \] canonical_livepatch \(Canonical Livepatch, .*canonical-livepatch\): state applied; support supported; patches applied 1, not_loaded 0, failed 0; 1 fix\(es\) applied; coverage ends 2999-03-07/,
    );
    assert.match(result.stdout, /\[ ok \] kpatch \(kpatch, .*\): state ready; patches applied 1/);
    assert.match(result.stdout, /the reboot can wait: canonical_livepatch says the running kernel is covered/);
    assert.match(result.stdout, /kpatch does not vouch for postponing the reboot/);
    assert.deepEqual(fake.calls(), ["status --format json"]);
    assert.deepEqual(kpatch.calls(), ["list"]);
  });

  it("a hung client is cut at the timeout and the command exits", () => {
    const fake = fakeClient("kpatch", { list: { hang: true } });
    const result = check([
      ...pathFlags(realKernelTree("basic-enabled")),
      `--collector.kpatch.path=${fake.path}`,
      "--collector.clients.timeout=0.5",
    ]);
    assert.equal(result.status, 1, result.stdout);
    assert.match(result.stdout, /\[WARN\] kpatch \(kpatch, .*\): timeout: kpatch list: no output/);
    assert.ok(result.elapsedMs < 10_000, `check took ${result.elapsedMs} ms`);
    assert.ok(
      fake.pids().every((pid) => !isRunning(pid)),
      "the hung client was killed",
    );
  });
});
