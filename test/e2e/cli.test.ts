// The installed command as users run it: flags, environment, `check` and its
// exit codes, signals.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { describe, it } from "node:test";
import { handmadeTree, hostPaths, pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { waitFor } from "../helpers/wait.js";
import type { ReportJson } from "../../src/views/check-json.js";
import { MAIN, startExporter } from "../../support/exporter-process.js";

function run(
  args: readonly string[],
  env: NodeJS.ProcessEnv = {},
): { status: number | null; stdout: string; stderr: string } {
  const result = spawnSync(process.execPath, [MAIN, ...args], {
    encoding: "utf8",
    env: { PATH: process.env["PATH"], ...env },
    timeout: 30_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("livepatch_exporter check", () => {
  it("a healthy, ready, untainted host: exit 0", () => {
    const result = run(["check", ...pathFlags(realKernelTree("clean"))]);
    assert.equal(result.status, 0, result.stdout);
    assert.match(
      result.stdout,
      /^Verdict: healthy \(exit 0\)\. Ready for a new live patch; nothing needs attention\.$/m,
    );
  });

  it("a stuck transition: exit 1, with the patch, direction and blocking thread", () => {
    const result = run(["check", ...pathFlags(realKernelTree("busy-stuck"))]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /\[FAIL\] a transition is in progress \(lp_busy, patching\) and 1 thread blocks it/);
    assert.match(
      result.stdout,
      /^Verdict: problems \(exit 1\)\. Not ready for a new live patch: a transition is in progress \(lp_busy, patching\)/m,
    );
  });

  it("no module support while CONFIG_HAVE_LIVEPATCH=y: says exactly that, and no false reboot reason", () => {
    // Like a micro-VM kernel: /lib/modules has the distribution's kernel, never this one's.
    const result = run(["check", ...pathFlags(handmadeTree("no-modules"))]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /\[ ok \] CONFIG_HAVE_LIVEPATCH=y: the architecture supports live patching/);
    assert.match(result.stdout, /\[FAIL\] the kernel has no module support \(CONFIG_MODULES is not set\)/);
    assert.match(result.stdout, /\[FAIL\] live patching is not built into the kernel \(CONFIG_LIVEPATCH is not set/);
    assert.match(result.stdout, /\[FAIL\] \/sys\/kernel\/livepatch is absent/);
    assert.match(result.stdout, /\[ ok \] no reboot required/);
    assert.doesNotMatch(result.stdout, /reboot required:/);
    assert.match(
      result.stdout,
      /^Verdict: problems \(exit 1\)\. Not ready for a new live patch: the kernel has no module support/m,
    );
  });

  it("modules disabled: not ready because of it", () => {
    const result = run(["check", ...pathFlags(realKernelTree("modules-disabled"))]);
    assert.equal(result.status, 1);
    assert.match(result.stdout, /\[FAIL\] module loading is switched off until reboot \(modules_disabled=1\)/);
    assert.match(result.stdout, /^Fine: every other readiness check passes; lp_basic applied;/m);
  });

  it("error taint bits are problems; K is explained", () => {
    const error = run(["check", ...pathFlags(handmadeTree("tainted-error"))]);
    assert.equal(error.status, 1);
    assert.match(error.stdout, /\[WARN\] W bit 9 WARN/);
    const patched = run(["check", ...pathFlags(realKernelTree("basic-enabled"))]);
    assert.equal(patched.status, 0, patched.stdout);
    assert.match(
      patched.stdout,
      /K bit 15 LIVEPATCH: kernel has been live patched \(a live patch module was loaded since boot/,
    );
  });

  it("reboot required: exit 1 with the reasons and packages", () => {
    const result = run(["check", ...pathFlags(handmadeTree("reboot-required"))]);
    assert.equal(result.status, 1);
    assert.match(
      result.stdout,
      /reboot required: \/run\/reboot-required exists \(linux-image-6\.1\.0-57-amd64, libc6\)/,
    );
    assert.match(result.stdout, /reboot required: a newer kernel is installed \(6\.1\.0-57-amd64\)/);
  });

  it("an unreadable host: exit 2", () => {
    const root = realKernelTree("clean");
    fs.rmSync(path.join(root, "proc"), { recursive: true });
    const result = run(["check", ...pathFlags(root)]);
    assert.equal(result.status, 2);
    assert.match(result.stdout, /Verdict: unreadable/);
  });

  it("--json carries the same verdict, the problem first with its id, facts and runbook", () => {
    const result = run(["check", "--json", ...pathFlags(realKernelTree("busy-stuck"))]);
    assert.equal(result.status, 1);
    const report = JSON.parse(result.stdout) as ReportJson;
    assert.equal(report.schemaVersion, 1);
    assert.equal(report.verdict, "problems");
    assert.equal(report.exitCode, 1);
    // A transition is in progress: the kernel would refuse a new patch (EBUSY).
    assert.equal(report.ready, false);
    const [first] = report.findings;
    assert.equal(first?.id, "no_transition_in_progress");
    assert.equal(first.level, "fail");
    assert.equal(first.subject, "lp_busy");
    assert.deepEqual(
      [first.facts["patch"], first.facts["direction"], first.facts["blocking_threads"]],
      ["lp_busy", "patching", 1],
    );
    assert.match(first.runbook ?? "", /docs\/runbooks\.md#livepatchtransitionnotcompleting$/);
  });

  it("paths from the environment", () => {
    const paths = hostPaths(handmadeTree("no-modules"));
    const result = run(["check"], {
      LIVEPATCH_EXPORTER_PATH_PROCFS: paths.procfs,
      LIVEPATCH_EXPORTER_PATH_SYSFS: paths.sysfs,
      LIVEPATCH_EXPORTER_PATH_ROOTFS: paths.rootfs,
    });
    assert.match(result.stdout, /CONFIG_MODULES is not set/);
    assert.doesNotMatch(result.stdout, /\/tmp\//, "paths under the tree are host paths");
  });
});

describe("flags", () => {
  it("--version and --help", () => {
    const version = run(["--version"]);
    assert.equal(version.status, 0);
    assert.match(version.stdout, /^\d+\.\d+\.\d+\n$/);
    const help = run(["--help"]);
    assert.equal(help.status, 0);
    assert.match(help.stdout, /--web\.listen-address <address>.*LIVEPATCH_EXPORTER_WEB_LISTEN_ADDRESS.*:10027/);
    assert.match(help.stdout, /--no-collector\.transition/);
  });

  it("bad values are refused with a message and a non-zero exit", () => {
    const bad = run(["--web.listen-address=nonsense"]);
    assert.notEqual(bad.status, 0);
    assert.match(bad.stderr, /must be \[host\]:port/);
    const unknown = run(["--no-such-flag"]);
    assert.notEqual(unknown.status, 0);
    assert.match(unknown.stderr, /unknown option/);
    const env = run(["check"], { LIVEPATCH_EXPORTER_COLLECTOR_TAINT: "perhaps" });
    assert.notEqual(env.status, 0);
    assert.match(env.stderr, /LIVEPATCH_EXPORTER_COLLECTOR_TAINT must be true or false/);
  });

  it("web flags: values checked, environment fallbacks", () => {
    const help = run(["--help"]);
    assert.match(help.stdout, /--web\.config\.file <path>.*LIVEPATCH_EXPORTER_WEB_CONFIG_FILE/s);
    assert.match(help.stdout, /--web\.max-requests <n>.*LIVEPATCH_EXPORTER_WEB_MAX_REQUESTS.*40/s);
    const maxRequests = run([], { LIVEPATCH_EXPORTER_WEB_MAX_REQUESTS: "lots" });
    assert.notEqual(maxRequests.status, 0);
    assert.match(maxRequests.stderr, /LIVEPATCH_EXPORTER_WEB_MAX_REQUESTS: must be a whole number/);
    const timeouts = run(["--web.read-header-timeout=90", "--web.request-timeout=30"]);
    assert.notEqual(timeouts.status, 0);
    assert.match(timeouts.stderr, /--web\.read-header-timeout must not be longer than --web\.request-timeout/);
    const dir = fs.mkdtempSync(path.join(scratchDir(), "web-"));
    const config = path.join(dir, "web.yml");
    fs.writeFileSync(config, "tls_server_config:\n  cert_file: a.crt\n");
    const invalid = run(["--web.listen-address=127.0.0.1:0"], { LIVEPATCH_EXPORTER_WEB_CONFIG_FILE: config });
    assert.equal(invalid.status, 2);
    assert.match(invalid.stderr, /tls_server_config\.key_file: required/);
  });
});

describe("the server process", () => {
  it("SIGTERM: /-/ready answers 503 during the shutdown delay, then the process exits 0", async () => {
    const exporter = await startExporter([...pathFlags(realKernelTree("clean")), "--web.shutdown-delay=2"]);
    assert.equal((await fetch(`${exporter.url}/-/ready`)).status, 200);
    exporter.process.kill("SIGTERM");
    await new Promise((resolve) => setTimeout(resolve, 300));
    assert.equal((await fetch(`${exporter.url}/-/ready`)).status, 503);
    assert.equal((await fetch(`${exporter.url}/metrics`)).status, 200);
    assert.equal(await exporter.stop(), 0);
    assert.ok(exporter.logs.some((l) => l.includes("shutting down")));
  });

  it("SIGHUP re-reads --web.config.file and the process keeps serving", async () => {
    const dir = fs.mkdtempSync(path.join(scratchDir(), "sighup-"));
    const config = path.join(dir, "web.yml");
    fs.writeFileSync(config, "http_server_config:\n  headers:\n    X-Frame-Options: deny\n");
    const exporter = await startExporter([...pathFlags(realKernelTree("clean")), `--web.config.file=${config}`]);
    try {
      exporter.process.kill("SIGHUP");
      await waitFor("the SIGHUP log line", () =>
        exporter.logs.some((l) => /"result":"unchanged".*SIGHUP: web config checked/.test(l)),
      );
      assert.equal((await fetch(`${exporter.url}/-/healthy`)).headers.get("x-frame-options"), "deny");
    } finally {
      await exporter.stop();
    }
  });

  it("an uncaught exception is logged, and the process exits 1", async () => {
    // An exception no code path catches, thrown after start-up inside the process.
    const crash = "data:text/javascript,setTimeout(() => { throw new Error('boom from a test') }, 1500)";
    const exporter = await startExporter(pathFlags(realKernelTree("clean")), {
      command: [process.execPath, "--import", crash, MAIN],
    });
    assert.equal(await exporter.exited, 1);
    assert.ok(
      exporter.logs.some((l) => /"level":"error".*boom from a test.*"msg":"uncaught exception; exiting"/.test(l)),
      exporter.logs.join("\n"),
    );
  });

  it("warns when run as root", async (t) => {
    if (process.getuid?.() !== 0) {
      t.skip("not running as root");
      return;
    }
    const exporter = await startExporter(pathFlags(realKernelTree("clean")));
    await exporter.stop();
    assert.ok(exporter.logs.some((l) => /"level":"warn".*running as root/.test(l)));
  });
});
