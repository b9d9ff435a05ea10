// Client flags (with their environment fallbacks) and which clients a fleet
// runs: detected at their usual paths or a flag's, forced on or off.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { parseInvocation } from "../../src/cli.js";
import { ClientFleet, type ClientsOptions } from "../../src/clients/fleet.js";
import { CLIENT_NAMES } from "../../src/clients/names.js";
import { silentLogger } from "../../src/log.js";
import type { ExporterOptions } from "../../src/options.js";

function options(argv: string[], env: NodeJS.ProcessEnv = {}): ExporterOptions {
  const invocation = parseInvocation(argv, env);
  return invocation.options;
}

describe("client flags", () => {
  it("defaults: every client auto-detected every 5 minutes, 30 s timeout, 4 MiB cap, no per-fix series", () => {
    const o = options([]);
    for (const name of CLIENT_NAMES) {
      assert.deepEqual(o.clients.byClient[name], { mode: "auto", path: undefined, intervalMs: 300_000 });
      assert.ok(!o.enabledCollectors.has(name), `${name} is enabled only once found`);
    }
    assert.equal(o.clients.timeoutMs, 30_000);
    assert.equal(o.clients.maxOutputBytes, 4 * 1024 * 1024);
    assert.deepEqual(o.collectors.clients, { fixInfo: false, fixInfoLimit: 100 });
    assert.ok(o.enabledCollectors.has("reboot"));
  });

  it("forced on and off, paths, per-client and global intervals, from flags and the environment", () => {
    const o = options(
      [
        "--collector.kpatch",
        "--no-collector.klp",
        "--collector.ksplice.path=/opt/uptrack/bin/uptrack-show",
        "--collector.clients.interval=10",
        "--collector.kernelcare.interval=0.5",
        "--collector.clients.timeout=2.5",
        "--collector.clients.max-output-bytes=65536",
        "--collector.clients.fix-info",
        "--collector.clients.fix-info-limit=7",
      ],
      { LIVEPATCH_EXPORTER_COLLECTOR_CANONICAL_LIVEPATCH_PATH: "/snap/bin/other" },
    );
    const by = o.clients.byClient;
    assert.deepEqual(by.kpatch, { mode: "on", path: undefined, intervalMs: 600_000 });
    assert.equal(by.klp.mode, "off");
    assert.equal(by.ksplice.path, "/opt/uptrack/bin/uptrack-show");
    assert.equal(by.kernelcare.intervalMs, 30_000);
    assert.equal(by.canonical_livepatch.path, "/snap/bin/other");
    assert.equal(o.clients.timeoutMs, 2500);
    assert.equal(o.clients.maxOutputBytes, 65536);
    assert.deepEqual(o.collectors.clients, { fixInfo: true, fixInfoLimit: 7 });

    const env = options([], {
      LIVEPATCH_EXPORTER_COLLECTOR_KSPLICE: "false",
      LIVEPATCH_EXPORTER_COLLECTOR_CLIENTS_INTERVAL: "1",
      LIVEPATCH_EXPORTER_COLLECTOR_CLIENTS_FIX_INFO: "true",
    });
    assert.equal(env.clients.byClient.ksplice.mode, "off");
    assert.equal(env.clients.byClient.kpatch.intervalMs, 60_000);
    assert.equal(env.collectors.clients.fixInfo, true);
  });

  it("kGraft's kgr has its own flags, like every client", () => {
    const o = options(["--collector.kgr", "--collector.kgr.path=/opt/kgr", "--collector.kgr.interval=2"], {});
    assert.deepEqual(o.clients.byClient.kgr, { mode: "on", path: "/opt/kgr", intervalMs: 120_000 });
    assert.equal(options([], { LIVEPATCH_EXPORTER_COLLECTOR_KGR: "false" }).clients.byClient.kgr.mode, "off");
    assert.equal(options(["--no-collector.kgr"]).clients.byClient.kgr.mode, "off");
  });

  it("--collector.disable-defaults turns auto-detection off; a client can still be named", () => {
    const o = options(["--collector.disable-defaults", "--collector.klp"]);
    assert.equal(o.clients.byClient.klp.mode, "on");
    assert.equal(o.clients.byClient.kpatch.mode, "off");
  });

  it("bad intervals are refused", () => {
    for (const bad of ["0", "-1", "soon", "40000"]) {
      assert.throws(() => options([`--collector.clients.interval=${bad}`]), /minutes/, bad);
    }
    assert.throws(
      () => options([], { LIVEPATCH_EXPORTER_COLLECTOR_KPATCH_INTERVAL: "never" }),
      /LIVEPATCH_EXPORTER_COLLECTOR_KPATCH_INTERVAL: must be a positive number of minutes/,
    );
  });
});

describe("client fleet", () => {
  const base = (over: Partial<ClientsOptions["byClient"]> = {}): ClientsOptions => ({
    byClient: {
      ...Object.fromEntries(CLIENT_NAMES.map((n) => [n, { mode: "auto", path: undefined, intervalMs: 60_000 }])),
      ...over,
    } as ClientsOptions["byClient"],
    timeoutMs: 1000,
    maxOutputBytes: 1024,
  });
  const binaries = (fleet: ClientFleet): [string, string][] =>
    [...fleet.runners].map(([name, runner]) => [name, runner.binary]);

  it("detects clients at their usual paths, in order", () => {
    const present = new Set(["/snap/bin/canonical-livepatch", "/usr/local/sbin/kpatch", "/usr/sbin/uptrack-show"]);
    const fleet = ClientFleet.create(base(), silentLogger, { isExecutable: (p) => present.has(p) });
    assert.deepEqual(binaries(fleet), [
      ["canonical_livepatch", "/snap/bin/canonical-livepatch"],
      ["kpatch", "/usr/local/sbin/kpatch"],
      ["ksplice", "/usr/sbin/uptrack-show"],
    ]);
  });

  it("a flag path replaces the usual paths; forced on runs even without a binary; off never", () => {
    const fleet = ClientFleet.create(
      base({
        canonical_livepatch: { mode: "auto", path: "/opt/lp", intervalMs: 1 },
        kpatch: { mode: "on", path: undefined, intervalMs: 1 },
        klp: { mode: "off", path: undefined, intervalMs: 1 },
        kernelcare: { mode: "auto", path: "/missing/kcarectl", intervalMs: 1 },
      }),
      silentLogger,
      { isExecutable: (p) => p === "/opt/lp" || p === "/usr/bin/klp" || p === "/usr/bin/kcarectl" },
    );
    assert.deepEqual(binaries(fleet), [
      ["canonical_livepatch", "/opt/lp"],
      ["kpatch", "/usr/sbin/kpatch"],
    ]);
    assert.deepEqual(ClientFleet.create(base(), silentLogger, { isExecutable: () => false }).names, []);
  });

  it("kgr alone (SLE 12) runs; next to klp (SLE 15's wrapper) only klp does, unless klp is off or kgr forced", () => {
    const only = (paths: string[]) => (p: string) => paths.includes(p);
    assert.deepEqual(binaries(ClientFleet.create(base(), silentLogger, { isExecutable: only(["/usr/bin/kgr"]) })), [
      ["kgr", "/usr/bin/kgr"],
    ]);
    const both = only(["/usr/bin/kgr", "/usr/bin/klp"]);
    assert.deepEqual(binaries(ClientFleet.create(base(), silentLogger, { isExecutable: both })), [
      ["klp", "/usr/bin/klp"],
    ]);
    assert.deepEqual(
      binaries(
        ClientFleet.create(base({ klp: { mode: "off", path: undefined, intervalMs: 1 } }), silentLogger, {
          isExecutable: both,
        }),
      ),
      [["kgr", "/usr/bin/kgr"]],
    );
    assert.deepEqual(
      binaries(
        ClientFleet.create(base({ kgr: { mode: "on", path: undefined, intervalMs: 1 } }), silentLogger, {
          isExecutable: both,
        }),
      ),
      [
        ["klp", "/usr/bin/klp"],
        ["kgr", "/usr/bin/kgr"],
      ],
    );
  });
});
