// Least privilege, for real: the built exporter runs as nobody (uid/gid 65534)
// over a host tree where what is root-only on a real host is root-only here
// (other threads' patch_state 0400, lockdown 0600 as on 5.4-5.5, Ubuntu's
// /boot/vmlinuz-* 0600), and reports those facts as unreadable, never as 0.
//
// The tests run as root (CI does); setting uid/gid on spawn needs that. The
// exporter and its production dependencies are copied into a world-readable
// directory first, since the checkout may sit in a directory only root can enter.
import assert from "node:assert/strict";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { spawnSync } from "node:child_process";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { parseExposition } from "../helpers/exposition.js";
import { promtool } from "../helpers/promtool.js";
import { startExporter, type RunningExporter } from "../../support/exporter-process.js";

const NOBODY = 65534;
const REPO = new URL("../../", import.meta.url).pathname;
const isRoot = process.getuid?.() === 0;

let base = "";
let main = "";
let tree = "";
/** Threads whose patch_state only root can read. */
let rootOnlyThreads = 0;
const running: RunningExporter[] = [];

/** dist/, package.json and the production packages of package-lock.json, world-readable. */
function copyApp(into: string): string {
  fs.cpSync(path.join(REPO, "dist"), path.join(into, "dist"), { recursive: true });
  fs.copyFileSync(path.join(REPO, "package.json"), path.join(into, "package.json"));
  const lock = JSON.parse(fs.readFileSync(path.join(REPO, "package-lock.json"), "utf8")) as {
    packages: Record<string, { dev?: boolean }>;
  };
  for (const [location, entry] of Object.entries(lock.packages)) {
    if (!location.startsWith("node_modules/") || entry.dev === true) continue;
    const source = path.join(REPO, location);
    if (fs.existsSync(source)) fs.cpSync(source, path.join(into, location), { recursive: true });
  }
  return path.join(into, "dist", "main.js");
}

function chmodTree(root: string): void {
  // a+rX, as `chmod -R a+rX` would.
  for (const entry of fs.readdirSync(root, { recursive: true, withFileTypes: true })) {
    const full = path.join(entry.parentPath, entry.name);
    if (entry.isSymbolicLink()) continue;
    fs.chmodSync(full, entry.isDirectory() ? 0o755 : 0o644);
  }
  fs.chmodSync(root, 0o755);
}

async function scrape(exporter: RunningExporter): Promise<ReadonlyMap<string, number>> {
  const response = await fetch(`${exporter.url}/metrics`);
  assert.equal(response.status, 200);
  const body = await response.text();
  const lint = promtool(["check", "metrics"], body);
  assert.equal(lint.status, 0, lint.output);
  return parseExposition(body).series;
}

describe("running unprivileged (uid 65534)", { skip: isRoot ? false : "needs root to switch to uid 65534" }, () => {
  before(() => {
    const probe = spawnSync(process.execPath, ["-e", "0"], { uid: NOBODY, gid: NOBODY, cwd: "/" });
    if (probe.status !== 0) {
      throw new Error(`${process.execPath} must be executable by uid ${NOBODY} for this test (${String(probe.error)})`);
    }
    base = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-exporter-nobody-"));
    main = copyApp(base);
    tree = path.join(base, "host");
    fs.cpSync(realKernelTree("busy-stuck"), tree, { recursive: true, verbatimSymlinks: true });
    // Ubuntu's kernel images are 0600; a newer one is installed.
    fs.writeFileSync(path.join(tree, "boot", "vmlinuz-6.1.0-56-amd64"), "image");
    fs.writeFileSync(path.join(tree, "boot", "vmlinuz-6.1.0-57-amd64"), "image");
    fs.mkdirSync(path.join(tree, "lib", "modules", "6.1.0-57-amd64"), { recursive: true });
    chmodTree(base);
    fs.chmodSync(path.join(tree, "boot", "vmlinuz-6.1.0-56-amd64"), 0o600);
    fs.chmodSync(path.join(tree, "boot", "vmlinuz-6.1.0-57-amd64"), 0o600);
    fs.chmodSync(path.join(tree, "sys", "kernel", "security", "lockdown"), 0o600);
    // Every thread but the blocking kthread's belongs to "another user": 0400, root's.
    for (const pid of fs.readdirSync(path.join(tree, "proc")).filter((p) => /^\d+$/.test(p))) {
      for (const tid of fs.readdirSync(path.join(tree, "proc", pid, "task"))) {
        if (pid === "110") continue;
        fs.chmodSync(path.join(tree, "proc", pid, "task", tid, "patch_state"), 0o400);
        rootOnlyThreads += 1;
      }
    }
  });
  after(async () => {
    await Promise.all(running.map((e) => e.stop()));
    if (base !== "") fs.rmSync(base, { recursive: true, force: true });
  });

  async function start(asNobody: boolean, extra: readonly string[] = []): Promise<RunningExporter> {
    const exporter = await startExporter([...pathFlags(tree), "--collector.transition.blocking-threads", ...extra], {
      command: [process.execPath, main],
      cwd: base,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
      ...(asNobody ? { uid: NOBODY, gid: NOBODY } : {}),
    });
    running.push(exporter);
    return exporter;
  }

  it("really runs as uid and gid 65534, without the running-as-root warning", async () => {
    const exporter = await start(true);
    const status = fs.readFileSync(`/proc/${exporter.process.pid}/status`, "utf8");
    assert.match(status, /^Uid:\s+65534\s+65534\s+65534\s+65534$/m);
    assert.match(status, /^Gid:\s+65534\s+65534\s+65534\s+65534$/m);
    assert.ok(!exporter.logs.some((l) => l.includes("running as root")));
  });

  it("root-only facts are unreadable (absent + why), never 0; everything else is as root sees it", async () => {
    const asRoot = await scrape(await start(false));
    const asNobody = await scrape(await start(true));

    // Lockdown (0600 on 5.4-5.5): known to root, unreadable to nobody.
    assert.equal(asRoot.get('livepatch_lockdown_mode{mode="none"}'), 1);
    for (const mode of ["none", "integrity", "confidentiality"]) {
      assert.equal(asNobody.has(`livepatch_lockdown_mode{mode="${mode}"}`), false, mode);
    }
    assert.equal(asNobody.get('livepatch_fact_unavailable{name="lockdown",reason="unreadable"}'), 1);
    assert.ok(
      (asNobody.get('livepatch_scrape_collector_file_errors{collector="modules",reason="unreadable"}') ?? 0) >= 1,
    );
    // Whether only signed patches load depends on lockdown: unknown too, not 0.
    assert.equal(asRoot.get("livepatch_ready_signed_patches_only{}"), 0);
    assert.equal(asNobody.has("livepatch_ready_signed_patches_only{}"), false);

    // Other threads' patch_state (0400): counted as unreadable, the blocking count is unknown.
    assert.equal(asRoot.get('livepatch_transition_blocking_threads{patch="lp_busy"}'), 1);
    assert.equal(asNobody.has('livepatch_transition_blocking_threads{patch="lp_busy"}'), false);
    assert.equal(asNobody.get('livepatch_transition_threads{state="unreadable"}'), rootOnlyThreads);
    assert.equal(asNobody.get('livepatch_fact_unavailable{name="transition_blocking_threads",reason="unreadable"}'), 1);
    assert.equal(asNobody.get('livepatch_scrape_collector_success{collector="transition"}'), 1);

    // 0600 kernel images: their names are enough, nothing is lost.
    assert.equal(asNobody.get('livepatch_reboot_required{reason="newer_kernel_installed"}'), 1);
    assert.equal(asNobody.get('livepatch_kernel_newest_installed_info{release="6.1.0-57-amd64"}'), 1);

    // Everything world-readable reads the same.
    const readableToAll = [...asRoot].filter(
      ([key]) =>
        !/^(livepatch_scrape_collector_duration_seconds|livepatch_lockdown_mode|livepatch_ready_signed_patches_only|livepatch_transition_|livepatch_fact_unavailable|livepatch_scrape_collector_file_errors|livepatch_exporter_build_info)/.test(
          key,
        ) && !/^(process_|nodejs_)/.test(key),
    );
    for (const [key, value] of readableToAll) assert.equal(asNobody.get(key), value, key);
    for (const [key, value] of asNobody) {
      if (key.startsWith("livepatch_scrape_collector_success")) assert.equal(value, 1, key);
    }
  });

  it("with CAP_DAC_READ_SEARCH alone (the setpriv line of docs/deploy.md), uid 65534 reads them too", async () => {
    const exporter = await startExporter([...pathFlags(tree), "--collector.transition.blocking-threads"], {
      command: [
        "setpriv",
        `--reuid=${NOBODY}`,
        `--regid=${NOBODY}`,
        "--clear-groups",
        "--inh-caps=+dac_read_search",
        "--ambient-caps=+dac_read_search",
        process.execPath,
        main,
      ],
      cwd: base,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    });
    running.push(exporter);
    const status = fs.readFileSync(`/proc/${exporter.process.pid}/status`, "utf8");
    assert.match(status, /^Uid:\s+65534\s/m);
    assert.match(status, /^CapEff:\s+0000000000000004$/m, "CAP_DAC_READ_SEARCH only");
    const series = await scrape(exporter);
    assert.equal(series.get('livepatch_lockdown_mode{mode="none"}'), 1);
    assert.equal(series.get('livepatch_transition_blocking_threads{patch="lp_busy"}'), 1);
    assert.equal(series.get('livepatch_transition_threads{state="unreadable"}'), 0);
  });

  it("a TLS key only root can read stops start-up with a message naming the key", () => {
    const dir = path.join(base, "tls");
    fs.mkdirSync(dir, { mode: 0o755 });
    for (const [name, mode] of [
      ["server.key", 0o600],
      ["server.crt", 0o644],
    ] as const) {
      fs.writeFileSync(path.join(dir, name), "-----BEGIN-----\n", { mode });
      fs.chmodSync(path.join(dir, name), mode);
    }
    const config = path.join(dir, "web.yml");
    fs.writeFileSync(config, "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n", { mode: 0o644 });
    const result = spawnSync(
      process.execPath,
      [main, `--web.config.file=${config}`, "--web.listen-address=127.0.0.1:0"],
      {
        uid: NOBODY,
        gid: NOBODY,
        cwd: base,
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    assert.equal(result.status, 2, result.stderr);
    assert.match(result.stderr, /tls_server_config\.key_file: cannot read .*server\.key \(EACCES\)/);
  });
});
