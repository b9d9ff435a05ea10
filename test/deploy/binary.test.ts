// The single executable (npm run build:binary, Node.js SEA) copied alone into an empty directory,
// as a sysadmin copies it to a host: --version, check, textfile mode and the server work with no
// node_modules and no JavaScript file in reach (strace shows none is even looked for), and they say
// exactly what the npm build says. V8 flags reach it through NODE_OPTIONS (a Node 20 SEA has no
// execArgv), which the units and the .deb rely on for memory tuning.
import assert from "node:assert/strict";
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { ensureBinary, type BuiltBinary } from "../../support/build-binary.js";
import { makePki, secureWebConfig } from "../../support/certs.js";
import { CANONICAL_YAML_APPLIED } from "../fixtures/client-real-outputs.js";
import { request } from "../helpers/https.js";
import { pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { GOLDEN_DIR, GOLDEN_FLAGS, stable } from "../helpers/golden.js";
import { MAIN, startExporter, type RunningExporter } from "../../support/exporter-process.js";
import { requireStrace, STRACE, summariseTrace } from "../helpers/strace.js";

/** No PATH entry with node, no NODE_* variable: nothing but the binary itself. */
const BARE_ENV = { PATH: "/usr/sbin:/sbin" };

let built: BuiltBinary;
let dir: string;
let binary: string;

function run(args: readonly string[], env: NodeJS.ProcessEnv = BARE_ENV): SpawnSyncReturns<string> {
  return spawnSync(binary, args, { cwd: dir, env, encoding: "utf8", timeout: 60_000 });
}

/**
 * An empty directory with no node_modules in any ancestor. A shared machine may have a stray
 * /tmp/node_modules (a developer's symlink), which is not the binary's fault: look further afield
 * rather than depend on the state of /tmp.
 */
function isolatedDir(): string {
  const candidates = [scratchDir(), "/var/tmp", "/dev/shm", "/run"];
  for (const base of candidates) {
    if (!fs.existsSync(base) || hasNodeModulesAbove(base)) continue;
    try {
      return fs.mkdtempSync(path.join(base, "livepatch-binary-"));
    } catch {
      continue; // read-only or full: try the next one
    }
  }
  throw new Error(`every candidate has a node_modules above it: ${candidates.join(", ")}`);
}

function hasNodeModulesAbove(start: string): boolean {
  for (let up = start; ; up = path.dirname(up)) {
    if (fs.existsSync(path.join(up, "node_modules"))) return true;
    if (up === path.dirname(up)) return false;
  }
}

before(async () => {
  built = await ensureBinary();
  dir = isolatedDir();
  binary = path.join(dir, "livepatch_exporter");
  fs.copyFileSync(built.binary, binary);
  fs.chmodSync(binary, 0o755);
});

after(() => {
  fs.rmSync(dir, { recursive: true, force: true });
});

describe("the single binary, alone in an empty directory", () => {
  it("has nothing beside it and no node_modules above it (the setting is real)", () => {
    assert.deepEqual(fs.readdirSync(dir), ["livepatch_exporter"]);
    assert.ok(!hasNodeModulesAbove(dir), `a node_modules above ${dir}`);
    assert.equal(spawnSync("node", ["--version"], { env: BARE_ENV }).error?.message, "spawnSync node ENOENT");
  });

  it("--version prints the package version", () => {
    const result = run(["--version"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), built.version);
    assert.equal(result.stderr, "", "no SEA or code cache warning");
  });

  it("check gives the npm build's report, byte for byte, and its exit code", () => {
    for (const capture of ["clean", "busy-stuck"] as const) {
      const flags = pathFlags(realKernelTree(capture));
      const ours = run(["check", ...flags]);
      const npm = spawnSync(process.execPath, [MAIN, "check", ...flags], { encoding: "utf8", timeout: 60_000 });
      assert.equal(ours.status, npm.status, `${capture}: ${ours.stderr}`);
      assert.equal(ours.stdout, npm.stdout, capture);
    }
    assert.equal(run(["check", ...pathFlags(realKernelTree("clean"))]).status, 0);
  });

  it("textfile mode writes the file", () => {
    const out = path.join(scratchDir(), "binary-textfile");
    fs.mkdirSync(out);
    const result = run(["textfile", "--output", out, ...pathFlags(realKernelTree("basic-enabled")), ...GOLDEN_FLAGS]);
    assert.equal(result.status, 0, result.stderr);
    const text = fs.readFileSync(path.join(out, "livepatch_exporter.prom"), "utf8");
    assert.match(
      text,
      new RegExp(`^livepatch_exporter_build_info\\{version="${built.version}",revision="${built.revision}",`, "m"),
    );
    assert.match(text, /^livepatch_patch_state\{patch="lp_basic",state="applied"\} 1$/m);
  });

  it("opens no JavaScript file and no node_modules: everything is inside it", () => {
    requireStrace();
    const trace = path.join(scratchDir(), "binary.trace");
    // strace from the test's PATH; the binary under it gets the bare environment.
    const result = spawnSync(
      STRACE[0],
      [...STRACE.slice(1), "-o", trace, "/usr/bin/env", "-i", `PATH=${BARE_ENV.PATH}`, binary, "check"].concat(
        pathFlags(realKernelTree("clean")),
      ),
      { cwd: dir, encoding: "utf8", timeout: 60_000 },
    );
    assert.equal(result.status, 0, result.stderr);
    const paths = [...summariseTrace(fs.readFileSync(trace, "utf8")).paths];
    assert.ok(
      paths.some((p) => p.endsWith("/kernel/tainted")),
      "the trace saw the check read the host",
    );
    assert.deepEqual(
      paths.filter((p) => /node_modules|\.(c|m)?js$|\.ts$|package\.json$/.test(p)),
      [],
    );
  });
});

describe("the single binary serving", () => {
  let exporter: RunningExporter;
  before(async () => {
    exporter = await startExporter([...pathFlags(realKernelTree("basic-enabled")), ...GOLDEN_FLAGS], {
      command: [binary],
      cwd: dir,
      env: BARE_ENV,
      timeoutMs: 30_000,
    });
  });
  after(async () => {
    await exporter.stop();
  });

  it("serves the golden /metrics, its own build, and process metrics", async () => {
    const response = await fetch(`${exporter.url}/metrics`);
    assert.equal(response.status, 200);
    const body = await response.text();
    assert.equal(stable(body), fs.readFileSync(new URL("basic-enabled.prom", GOLDEN_DIR), "utf8"));
    assert.match(
      body,
      new RegExp(
        `^livepatch_exporter_build_info\\{version="${built.version}",revision="${built.revision}",nodejs_version="${process.version}"\\} 1$`,
        "m",
      ),
    );
    assert.match(body, /^process_resident_memory_bytes \d+/m);
  });

  it("serves the status page (its lazily loaded host facts are bundled too), health and readiness", async () => {
    const page = await fetch(`${exporter.url}/`);
    assert.equal(page.status, 200);
    assert.match(await page.text(), /lp_basic/);
    assert.equal((await fetch(`${exporter.url}/-/healthy`)).status, 200);
    assert.equal((await fetch(`${exporter.url}/-/ready`)).status, 200);
  });

  it("stops cleanly on SIGTERM", async () => {
    assert.equal(await exporter.stop("SIGTERM"), 0);
  });
});

describe("the single binary with what only some users need (loaded on demand, bundled too)", () => {
  const running: RunningExporter[] = [];
  after(async () => {
    await Promise.all(running.map((e) => e.stop()));
  });

  async function start(flags: readonly string[]): Promise<RunningExporter> {
    const exporter = await startExporter([...pathFlags(realKernelTree("basic-enabled")), ...flags], {
      command: [binary],
      cwd: dir,
      env: BARE_ENV,
      timeoutMs: 30_000,
    });
    running.push(exporter);
    return exporter;
  }

  it("a web config: TLS with client certificates and basic authentication (bcrypt on the event loop)", async () => {
    const secure = secureWebConfig(makePki());
    const exporter = await start([`--web.config.file=${secure.configFile}`]);
    assert.match(exporter.url, /^https:/);
    const ok = await request(`${exporter.url}/metrics`, { ...secure.client, headers: secure.headers });
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^livepatch_patch_state\{patch="lp_basic",state="applied"\} 1$/m);
    const wrong = await request(`${exporter.url}/metrics`, { ...secure.client, auth: "prometheus:wrong" });
    assert.equal(wrong.status, 401);
  });

  it("Canonical's client printing YAML instead of JSON", async () => {
    // Shell built-ins only: the bare PATH has no cat.
    const client = path.join(scratchDir(), "binary-canonical-livepatch");
    fs.writeFileSync(
      client,
      `#!/bin/sh\nwhile IFS= read -r line; do printf '%s\\n' "$line"; done <<'EOF'\n${CANONICAL_YAML_APPLIED.replace(/\n$/, "")}\nEOF\n`,
      { mode: 0o755 },
    );
    const exporter = await start([`--collector.canonical_livepatch.path=${client}`]);
    const deadline = Date.now() + 20_000;
    let body = "";
    while (!/^livepatch_client_up\{client="canonical_livepatch"\} 1$/m.test(body)) {
      assert.ok(Date.now() < deadline, `the client never came up:\n${body}`);
      await new Promise((resolve) => setTimeout(resolve, 100));
      body = await (await fetch(`${exporter.url}/metrics`)).text();
    }
    assert.match(body, /^livepatch_client_state\{client="canonical_livepatch",state="applied"\} 1$/m);
  });
});

describe("V8 flags reach the binary through NODE_OPTIONS", () => {
  /** The new space's size as the binary itself reports it (prom-client's nodejs_heap_space_*). */
  async function newSpaceBytes(env: NodeJS.ProcessEnv): Promise<number> {
    // Heap spaces are in the extended runtime metrics only.
    const flags = [...pathFlags(realKernelTree("clean")), "--web.exporter-metrics.extended"];
    const exporter = await startExporter(flags, {
      command: [binary],
      cwd: dir,
      env,
      timeoutMs: 30_000,
    });
    try {
      const body = await (await fetch(`${exporter.url}/metrics`)).text();
      const match = /^nodejs_heap_space_size_total_bytes\{space="new"\} (\d+)$/m.exec(body);
      assert.ok(match, 'nodejs_heap_space_size_total_bytes{space="new"}');
      return Number(match[1]);
    } finally {
      assert.equal(await exporter.stop(), 0);
    }
  }

  it("--max-semi-space-size=1 caps the new space at 2 MiB; without it V8 starts larger", async () => {
    const MiB = 1024 * 1024;
    const tuned = await newSpaceBytes({ ...BARE_ENV, NODE_OPTIONS: "--max-semi-space-size=1" });
    const untuned = await newSpaceBytes(BARE_ENV);
    assert.ok(tuned <= 2 * MiB, `with the flag: ${tuned} bytes`);
    assert.ok(untuned > 2 * MiB, `without it: ${untuned} bytes (else this test proves nothing)`);
  });
});
