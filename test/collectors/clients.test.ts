// The vendor client collectors over fake client executables: captured
// outputs, failures, a client that hangs, one that prints megabytes — and a
// hung client never delays /metrics.
import assert from "node:assert/strict";
import { chmodSync, copyFileSync } from "node:fs";
import { after, describe, it } from "node:test";
import type { ClientDefinition } from "../../src/clients/definition.js";
import { CLIENTS } from "../../src/clients/registry.js";
import { ClientRunner, type ClientRunnerOptions, type LastRun } from "../../src/clients/runner.js";
import type { ClientName } from "../../src/clients/names.js";
import { silentLogger, type Logger } from "../../src/log.js";
import { buildReport } from "../../src/views/report.js";
import { snapshotSamples } from "../../src/views/samples.js";
import type { Sample } from "../../src/views/view.js";
import { HANDMADE } from "../fixtures/handmade.js";
import {
  CANONICAL_DAEMON_FAILED,
  CANONICAL_JSON,
  CANONICAL_NOT_ENABLED,
  canonicalJson,
  KCARECTL_INFO,
  KCARECTL_PATCH_INFO_CVES,
  KLP_PATCHES_WITH_CVES,
  KLP_STATUS_READY,
  KPATCH_LIST,
  UPTRACK_SHOW,
} from "../fixtures/client-outputs.js";
import { serveApp } from "../helpers/app.js";
import { snapshotOf, snapshotSource } from "../helpers/collect.js";
import { fakeClient, isRunning, type FakeBehaviour } from "../helpers/fake-client.js";
import { waitFor } from "../helpers/wait.js";
import { buildTree, realKernelTree } from "../helpers/fixtures.js";

const runners: ClientRunner[] = [];
after(() => runners.forEach((r) => r.stop()));

function runner(
  definition: ClientDefinition,
  binary: string,
  options: Partial<Omit<ClientRunnerOptions, "definition" | "binary">> = {},
): ClientRunner {
  const created = new ClientRunner({
    definition,
    binary,
    intervalMs: 60_000,
    timeoutMs: 5_000,
    maxOutputBytes: 1024 * 1024,
    context: { runningRelease: "6.1.0-9-amd64" },
    log: silentLogger,
    ...options,
  });
  runners.push(created);
  return created;
}

/** Runs a fake client once and returns the run. */
async function runFake(
  name: ClientName,
  behaviours: Readonly<Record<string, FakeBehaviour>>,
  options: Partial<ClientRunnerOptions> = {},
): Promise<LastRun> {
  const definition = CLIENTS[name];
  const fake = fakeClient(definition.usualPaths[0]?.split("/").pop() ?? name, behaviours);
  const run = await runner(definition, fake.path, options).runOnce();
  assert.ok(run);
  return run;
}

const failureOf = (run: LastRun): string => (run.outcome.ok ? "success" : run.outcome.reason);

/** A Debian tree needing a reboot only for a kernel package (what Livepatch can vouch for). */
const kernelOnlyReboot = (): string =>
  buildTree({
    ...HANDMADE["reboot-required"],
    files: { ...HANDMADE["reboot-required"].files, "run/reboot-required.pkgs": "linux-image-6.1.0-57-amd64\n" },
  });

function series(samples: readonly Sample[], name: string): string[] {
  return samples
    .filter((s) => s.name === name)
    .map((s) => `${JSON.stringify(s.labels)} ${s.value}`)
    .sort();
}

describe("client runs over fake executables", () => {
  it("captured output of every client: up, and its facts", async () => {
    const outcomes = await Promise.all([
      runFake("canonical_livepatch", { "status --format json": { stdout: CANONICAL_JSON } }),
      runFake("kpatch", { list: { stdout: KPATCH_LIST } }),
      runFake("klp", { status: { stdout: KLP_STATUS_READY }, "-v patches": { stdout: KLP_PATCHES_WITH_CVES } }),
      runFake("ksplice", { "": { stdout: UPTRACK_SHOW } }),
      runFake("kernelcare", {
        "--info": { stdout: KCARECTL_INFO },
        "--patch-info": { stdout: KCARECTL_PATCH_INFO_CVES },
      }),
    ]);
    for (const run of outcomes) {
      assert.equal(failureOf(run), "success");
      assert.ok(run.durationSeconds > 0 && run.durationSeconds < 5);
    }
    const [canonical, , klp, ksplice, kernelcare] = outcomes.map((r) => (r.outcome.ok ? r.outcome.view : undefined));
    assert.equal(canonical?.state, "applied");
    assert.equal(klp?.fixes?.length, 4);
    assert.equal(ksplice?.effectiveKernel, "5.15.0-89.99");
    assert.equal(kernelcare?.effectiveKernel, "5.4.0-1028.31");
  });

  it("each failure text, exit status and unparseable output is its own state", async () => {
    const cases: [Readonly<Record<string, FakeBehaviour>>, string][] = [
      [{ "*": { stderr: CANONICAL_DAEMON_FAILED, exit: 1 } }, "daemon_unreachable"],
      [{ "*": { stdout: CANONICAL_NOT_ENABLED, exit: 1 } }, "not_enabled"],
      [{ "*": { stdout: CANONICAL_NOT_ENABLED } }, "not_enabled"], // exit 0, but no status
      [{ "*": { stderr: "/usr/bin/snap: canonical-livepatch: command not found\n", exit: 127 } }, "not_found"],
      [{ "*": { stderr: "something broke\n", exit: 3 } }, "exit_status"],
      [{ "*": { stdout: '{"Status": [' } }, "unparseable"],
      [{ "*": { stdout: "" } }, "unparseable"],
      // Nonsense a broken or hostile client could print: valid JSON, but not a status.
      [{ "*": { stdout: `${'{"a":'.repeat(100_000)}1${"}".repeat(100_000)}` } }, "unparseable"],
      [{ "*": { stdout: `${"[".repeat(100_000)}${"]".repeat(100_000)}` } }, "unparseable"],
      [{ "*": { stdout: '{"Client-Version": "10.8.3", "tier": "updates"}\n' } }, "unparseable"],
    ];
    for (const [behaviours, reason] of cases) {
      const run = await runFake("canonical_livepatch", behaviours);
      assert.equal(failureOf(run), reason, JSON.stringify(behaviours));
      if (!run.outcome.ok) assert.match(run.outcome.message, /^canonical_livepatch( status --format json)?: /);
    }
    const missing = await runner(CLIENTS.kpatch, "/nonexistent/kpatch").runOnce();
    assert.equal(missing && failureOf(missing), "not_found");
    const fake = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    chmodSync(fake.path, 0o644);
    const notExecutable = await runner(CLIENTS.kpatch, fake.path).runOnce();
    assert.equal(notExecutable && failureOf(notExecutable), "permission_denied");
  });

  it("a client's own answer (an unsupported kernel) is a success whatever the exit status, and ends the run", async () => {
    const unknown = "Unknown kernel (Ubuntu 5.4.0-1029-raspi), no patches available\n";
    for (const exit of [0, 1]) {
      const fake = fakeClient("kcarectl", { "--info": { stdout: unknown, exit }, "--patch-info": { stdout: "" } });
      const run = await runner(CLIENTS.kernelcare, fake.path).runOnce();
      assert.ok(run?.outcome.ok, `exit ${exit}`);
      assert.equal(run.outcome.view.supportState, "unsupported");
      assert.deepEqual(fake.calls(), ["--info"]);
    }
    // On stderr too (Go's log package writes there).
    const refused = fakeClient("canonical-livepatch", {
      "*": {
        stderr: 'cannot use livepatch: your kernel "4.15.0-1010-kvm" is not eligible for livepatch updates\n',
        exit: 1,
      },
    });
    const run = await runner(CLIENTS.canonical_livepatch, refused.path).runOnce();
    assert.equal(run && failureOf(run), "success");
  });

  it("a client with several commands runs them in order; the first failure ends the run", async () => {
    const fake = fakeClient("klp", {
      status: { stdout: KLP_STATUS_READY },
      "-v patches": { stderr: "rpm database locked\n", exit: 1 },
    });
    const run = await runner(CLIENTS.klp, fake.path).runOnce();
    assert.ok(run && !run.outcome.ok);
    assert.equal(run.outcome.reason, "exit_status");
    assert.equal(run.outcome.message, "klp -v patches: exit status 1: rpm database locked");
    assert.deepEqual(fake.calls(), ["status", "-v patches"]);
    const early = fakeClient("klp", { status: { exit: 2 }, "-v patches": { stdout: "" } });
    await runner(CLIENTS.klp, early.path).runOnce();
    assert.deepEqual(early.calls(), ["status"]);
  });

  it("a hung client is killed at the timeout, together with the process it started", async () => {
    const fake = fakeClient("canonical-livepatch", { "*": { hang: true } });
    const started = Date.now();
    const run = await runner(CLIENTS.canonical_livepatch, fake.path, { timeoutMs: 300 }).runOnce();
    const elapsed = Date.now() - started;
    assert.equal(run && failureOf(run), "timeout");
    assert.ok(elapsed >= 300 && elapsed < 5_000, `returned after ${elapsed} ms`);
    const pids = fake.pids();
    assert.equal(pids.length, 2, "the script and its sleeping child");
    await waitFor("the hung processes to die", () => pids.every((pid) => !isRunning(pid)), 3_000);
  });

  it("a child that escapes with setsid and holds stdout: the run ends with the client's exit, the child is killed", async () => {
    for (const [behaviour, expected] of [
      [{ stdout: KPATCH_LIST, escape: true }, "success"],
      [{ stderr: "something broke\n", exit: 3, escape: true }, "exit_status"],
    ] as const) {
      const fake = fakeClient("kpatch", { list: behaviour });
      const started = Date.now();
      const run = await runner(CLIENTS.kpatch, fake.path, { timeoutMs: 20_000 }).runOnce();
      const elapsed = Date.now() - started;
      assert.equal(run && failureOf(run), expected, "reported by the exit status, not as a timeout");
      assert.ok(elapsed < 10_000, `ended after ${elapsed} ms, long before the 20 s timeout`);
      const [script, escaped] = fake.pids();
      assert.ok(script !== undefined && escaped !== undefined, "the script and the child it left behind");
      assert.equal(fake.escapedSession(), escaped, "the child leads a session of its own: killing the group misses it");
      await waitFor("the escaped child to be killed", () => !isRunning(escaped), 5_000);
    }
  });

  it("megabytes of output: killed at the cap, not read into memory", async () => {
    const big = await runFake("ksplice", { "": { printBytes: 5_000_000 } }, { maxOutputBytes: 64 * 1024 });
    assert.equal(failureOf(big), "output_too_large");
    const fake = fakeClient("uptrack-show", { "": { printForever: true } });
    const endless = await runner(CLIENTS.ksplice, fake.path, { maxOutputBytes: 1024 * 1024 }).runOnce();
    assert.equal(endless && failureOf(endless), "output_too_large");
    await waitFor("the endless printer to die", () => fake.pids().every((pid) => !isRunning(pid)), 3_000);
    // Under the cap, megabytes are fine (and then not a status).
    const fits = await runFake("ksplice", { "": { printBytes: 2_000_000 } }, { maxOutputBytes: 4 * 1024 * 1024 });
    assert.equal(failureOf(fits), "unparseable");
  });

  it("at most one run in flight: concurrent callers share it", async () => {
    const fake = fakeClient("kpatch", { list: { stdout: KPATCH_LIST, delaySeconds: 0.3 } });
    const r = runner(CLIENTS.kpatch, fake.path);
    const [a, b] = await Promise.all([r.runOnce(), r.runOnce()]);
    assert.equal(a, b);
    assert.deepEqual(fake.calls(), ["list"]);
    assert.equal(r.state().runs.get("success"), 1);
  });

  it("runs every interval once started; stop() ends the schedule", async () => {
    const fake = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const r = runner(CLIENTS.kpatch, fake.path, { intervalMs: 50 });
    r.start();
    await waitFor("three runs", () => (r.state().runs.get("success") ?? 0) >= 3);
    r.stop();
    const count = fake.calls().length;
    await new Promise((resolve) => setTimeout(resolve, 250));
    assert.equal(fake.calls().length, count, "no run after stop()");
    assert.equal(r.state().intervalSeconds, 0.05);
  });

  it("a parser that throws makes the output unparseable, and the schedule goes on", async () => {
    const throwing: ClientDefinition = {
      ...CLIENTS.kpatch,
      interpret: () => {
        throw new Error("parser bug");
      },
    };
    const fake = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const r = runner(throwing, fake.path, { intervalMs: 50 });
    r.start();
    await waitFor("two runs", () => (r.state().runs.get("unparseable") ?? 0) >= 2);
    r.stop();
  });

  it("logs a failure once when it starts or changes, and a recovery", async () => {
    const lines: [string, string, Record<string, unknown>][] = [];
    const logger: Logger = {
      debug: (fields, msg) => lines.push(["debug", msg, fields as Record<string, unknown>]),
      info: (fields, msg) => lines.push(["info", msg, fields as Record<string, unknown>]),
      warn: (fields, msg) => lines.push(["warn", msg, fields as Record<string, unknown>]),
      error: (fields, msg) => lines.push(["error", msg, fields as Record<string, unknown>]),
      child: () => logger,
    };
    const failing = fakeClient("kpatch", { list: { stderr: "kpatch: oops\n", exit: 1 } });
    const r = runner(CLIENTS.kpatch, failing.path, { log: logger });
    await r.runOnce();
    await r.runOnce();
    assert.deepEqual(
      lines.map(([level, msg]) => `${level} ${msg}`),
      ["warn client run failed", "debug client run failed again"],
    );
    assert.equal(lines[0]?.[2]["reason"], "exit_status");
    assert.equal(lines[0][2]["err"], "kpatch list: exit status 1: kpatch: oops");
    assert.deepEqual(
      [...r.state().runs].filter(([, n]) => n > 0),
      [["exit_status", 2]],
    );
    // The client works again: one info line.
    copyFileSync(fakeClient("kpatch", { list: { stdout: KPATCH_LIST } }).path, failing.path);
    await r.runOnce();
    assert.deepEqual(lines.at(-1)?.slice(0, 2), ["info", "client run succeeded again"]);
  });
});

describe("client collectors in the snapshot", () => {
  it("metrics of a successful run, with reboot-can-wait and opt-in fix info", async () => {
    const fake = fakeClient("canonical-livepatch", {
      "*": {
        stdout: CANONICAL_JSON.replace('"2025-03-07"', '"2999-03-07"').replace(
          '"Patched":true}]',
          '"Patched":true},{"Name":"cve-2024-1086","Patched":true},{"Name":"cve-2021-0001","Patched":false}]',
        ),
      },
    });
    const r = runner(CLIENTS.canonical_livepatch, fake.path);
    await r.runOnce();
    const snapshot = await snapshotOf(kernelOnlyReboot(), {
      clients: { canonical_livepatch: r },
      clientOptions: { fixInfo: true, fixInfoLimit: 2 },
    });
    const samples = snapshotSamples(snapshot, { version: "0", revision: "0" });
    const c = '{"client":"canonical_livepatch"';
    assert.deepEqual(series(samples, "livepatch_client_up"), [`${c}} 1`]);
    assert.deepEqual(series(samples, "livepatch_client_error"), []);
    assert.deepEqual(series(samples, "livepatch_client_fixes"), [`${c}} 2`]);
    assert.deepEqual(series(samples, "livepatch_client_patches"), [
      `${c},"state":"applied"} 1`,
      `${c},"state":"failed"} 0`,
      `${c},"state":"not_loaded"} 0`,
    ]);
    // The vendor's states: the current one only, 1 (no 0 for Canonical's eight other Livepatch.State values).
    assert.deepEqual(series(samples, "livepatch_client_state"), [`${c},"state":"applied"} 1`]);
    assert.deepEqual(series(samples, "livepatch_client_support_state"), [`${c},"state":"supported"} 1`]);
    assert.deepEqual(series(samples, "livepatch_client_coverage_end_timestamp_seconds"), [
      `${c}} ${Date.UTC(2999, 2, 7) / 1000}`,
    ]);
    assert.deepEqual(series(samples, "livepatch_client_fix_info"), [
      `${c},"fix":"CVE-2021-0001","patched":"false"} 1`,
      `${c},"fix":"CVE-2023-6270","patched":"true"} 1`,
    ]);
    assert.deepEqual(series(samples, "livepatch_reboot_can_wait"), [`${c}} 1`]);
    assert.ok(series(samples, "livepatch_client_runs_total").includes(`${c},"result":"success"} 1`));
    const [stamp] = samples.filter((s) => s.name === "livepatch_client_last_run_timestamp_seconds");
    assert.ok(stamp && Math.abs(stamp.value - Date.now() / 1000) < 60);
    assert.deepEqual(
      series(samples, "livepatch_scrape_collector_success").filter((s) => s.includes("canonical")),
      ['{"collector":"canonical_livepatch"} 1'],
    );

    const report = buildReport(snapshot);
    const text = report.sections.flatMap((s) => s.findings.map((f) => `${f.level} ${f.text}`));
    assert.ok(
      text.some((t) => /^ok canonical_livepatch \(Canonical Livepatch, .*\): state applied; support supported/.test(t)),
    );
    assert.ok(
      text.includes(
        "info the reboot can wait: canonical_livepatch says the running kernel is covered and its patches are applied",
      ),
    );
  });

  it("vendor states: one series per client, the current state at 1; a value the exporter does not know passes through", async () => {
    const canonical = fakeClient("canonical-livepatch", {
      "*": { stdout: canonicalJson({ Supported: "Kernel-Sunset" }, { State: "Quantum-Leap" }) },
    });
    const kernelcare = fakeClient("kcarectl", {
      "--info": { stdout: "Unknown kernel (Ubuntu 5.4.0-1029-raspi), no patches available\n" },
    });
    const kpatch = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const runners = {
      canonical_livepatch: runner(CLIENTS.canonical_livepatch, canonical.path),
      kernelcare: runner(CLIENTS.kernelcare, kernelcare.path),
      kpatch: runner(CLIENTS.kpatch, kpatch.path),
    };
    await Promise.all(Object.values(runners).map((r) => r.runOnce()));
    const samples = snapshotSamples(await snapshotOf(kernelOnlyReboot(), { clients: runners }), {
      version: "0",
      revision: "0",
    });
    assert.deepEqual(series(samples, "livepatch_client_state"), [
      '{"client":"canonical_livepatch","state":"quantum-leap"} 1',
      '{"client":"kpatch","state":"ready"} 1',
    ]);
    assert.deepEqual(series(samples, "livepatch_client_support_state"), [
      '{"client":"canonical_livepatch","state":"kernel-sunset"} 1',
      '{"client":"kernelcare","state":"unsupported"} 1',
    ]);
  });

  it("a failed run: up 0 and its reason, nothing else about the vendor", async () => {
    const fake = fakeClient("canonical-livepatch", { "*": { stderr: CANONICAL_DAEMON_FAILED, exit: 1 } });
    const r = runner(CLIENTS.canonical_livepatch, fake.path);
    await r.runOnce();
    const snapshot = await snapshotOf(kernelOnlyReboot(), { clients: { canonical_livepatch: r } });
    const samples = snapshotSamples(snapshot, { version: "0", revision: "0" });
    const names = new Set(samples.filter((s) => s.labels["client"] !== undefined).map((s) => s.name));
    assert.deepEqual([...names].sort(), [
      "livepatch_client_error",
      "livepatch_client_last_run_duration_seconds",
      "livepatch_client_last_run_timestamp_seconds",
      "livepatch_client_run_interval_seconds",
      "livepatch_client_runs_total",
      "livepatch_client_up",
    ]);
    assert.deepEqual(series(samples, "livepatch_client_up"), ['{"client":"canonical_livepatch"} 0']);
    assert.deepEqual(series(samples, "livepatch_client_error"), [
      '{"client":"canonical_livepatch","reason":"daemon_unreachable"} 1',
    ]);
    // Success at 0, and the one reason a run failed for: not the other eight at 0.
    assert.deepEqual(series(samples, "livepatch_client_runs_total"), [
      '{"client":"canonical_livepatch","result":"daemon_unreachable"} 1',
      '{"client":"canonical_livepatch","result":"success"} 0',
    ]);
    assert.equal(buildReport(snapshot).exitCode, 1);
  });

  it("before the first run finishes: only the schedule and zero counts", async () => {
    const fake = fakeClient("kpatch", { list: { stdout: KPATCH_LIST } });
    const r = runner(CLIENTS.kpatch, fake.path);
    const samples = snapshotSamples(await snapshotOf(realKernelTree("clean"), { clients: { kpatch: r } }), {
      version: "0",
      revision: "0",
    });
    assert.deepEqual(series(samples, "livepatch_client_up"), []);
    // Success at 0; a failure reason only once a run failed for it.
    assert.deepEqual(series(samples, "livepatch_client_runs_total"), ['{"client":"kpatch","result":"success"} 0']);
  });

  it("a hung client never delays /metrics, and stop() kills it", async () => {
    const fake = fakeClient("kpatch", { list: { hang: true } });
    const r = runner(CLIENTS.kpatch, fake.path, { timeoutMs: 60_000 });
    r.start();
    await waitFor("the client to hang", () => fake.pids().length === 2);
    const source = snapshotSource(realKernelTree("basic-enabled"), { clients: { kpatch: r } });
    const served = await serveApp(() => source.snapshot());
    try {
      const url = `${served.url}/metrics`;
      for (let i = 0; i < 3; i += 1) {
        const started = Date.now();
        const body = await (await fetch(url)).text();
        const elapsed = Date.now() - started;
        // Generous: a scrape takes milliseconds; the hung client would take a minute.
        assert.ok(elapsed < 2_000, `/metrics took ${elapsed} ms while the client hangs`);
        assert.match(body, /^livepatch_scrape_collector_success\{collector="kpatch"\} 1$/m);
        assert.match(body, /^livepatch_client_runs_total\{client="kpatch",result="success"\} 0$/m);
        assert.doesNotMatch(body, /^livepatch_client_up/m);
        assert.match(body, /^livepatch_patch_enabled\{patch="lp_basic"\} 1$/m);
      }
      assert.ok(fake.pids().every(isRunning), "still hanging while /metrics was served");
    } finally {
      await served.close();
      r.stop();
    }
    await waitFor("stop() to kill the hung client", () => fake.pids().every((pid) => !isRunning(pid)), 3_000);
  });
});
