// The package as users install it: `npm pack`, then `npm install -g` of the tarball into a
// temporary prefix (production dependencies from the registry), then the installed command.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { fileURLToPath } from "node:url";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { startExporter } from "../../support/exporter-process.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const pkg = JSON.parse(fs.readFileSync(path.join(ROOT, "package.json"), "utf8")) as {
  name: string;
  version: string;
  bin: Record<string, string>;
};
const [command = ""] = Object.keys(pkg.bin);

let dir: string;
let packed: string[];
let installed: string;

function npm(args: readonly string[], cwd: string): string {
  const result = spawnSync("npm", args, { cwd, encoding: "utf8", timeout: 300_000 });
  assert.equal(result.status, 0, `npm ${args.join(" ")}:\n${result.stdout}${result.stderr}`);
  return result.stdout;
}

function run(args: readonly string[]): { status: number | null; stdout: string; stderr: string } {
  // A clean environment: only PATH (node), no LIVEPATCH_EXPORTER_* from the caller.
  const result = spawnSync(installed, args, {
    encoding: "utf8",
    env: { PATH: process.env["PATH"] },
    timeout: 60_000,
  });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

describe("npm install -g from the packed tarball", () => {
  before(() => {
    dir = fs.mkdtempSync(path.join(os.tmpdir(), "livepatch-npm-"));
    const [report] = JSON.parse(npm(["pack", "--json", "--pack-destination", dir], ROOT)) as [
      { filename: string; files: { path: string }[] },
    ];
    packed = report.files.map((f) => f.path);
    const prefix = path.join(dir, "prefix");
    npm(["install", "--global", "--prefix", prefix, "--no-audit", "--no-fund", path.join(dir, report.filename)], dir);
    installed = path.join(prefix, "bin", command);
  });
  after(() => fs.rmSync(dir, { recursive: true, force: true }));

  it("the tarball holds the built command, the deploy files and docs, and no sources or tests", () => {
    for (const file of [Object.values(pkg.bin)[0] ?? "", "package.json", "README.md", "docs/metrics.md"]) {
      assert.ok(packed.includes(file), file);
    }
    assert.ok(packed.includes("deploy/systemd/livepatch_exporter.service"), "the systemd unit");
    assert.ok(packed.includes("deploy/kubernetes/kustomization.yaml"), "the kustomization");
    const unwanted = packed.filter((f) => /^(src|test|scripts|node_modules)\//.test(f));
    assert.deepEqual(unwanted, []);
  });

  it("installs a global command that prints the version", () => {
    assert.ok(fs.lstatSync(installed).isSymbolicLink(), `${installed} links into the package`);
    const result = run(["--version"]);
    assert.equal(result.status, 0, result.stderr);
    assert.equal(result.stdout.trim(), pkg.version);
  });

  it("check runs on this machine and gives a verdict", () => {
    const result = run(["check"]);
    assert.ok([0, 1, 2].includes(result.status ?? -1), `exit ${result.status}: ${result.stderr}`);
    assert.match(result.stdout, /^Verdict: (healthy|problems|unreadable) \(exit [012]\)\./m);
  });

  it("check on a healthy host's tree: exit 0", () => {
    const result = run(["check", ...pathFlags(realKernelTree("clean"))]);
    assert.equal(result.status, 0, result.stdout + result.stderr);
    assert.match(result.stdout, /^Verdict: healthy \(exit 0\)\./m);
  });

  it("serves /metrics", async () => {
    const exporter = await startExporter(pathFlags(realKernelTree("basic-enabled")), { command: [installed] });
    try {
      const response = await fetch(`${exporter.url}/metrics`);
      assert.equal(response.status, 200);
      const body = await response.text();
      assert.match(body, new RegExp(`^livepatch_exporter_build_info\\{.*version="${pkg.version}"`, "m"));
      assert.match(body, /^livepatch_patch_state\{patch="[^"]+",state="applied"\} 1$/m);
    } finally {
      assert.equal(await exporter.stop(), 0);
    }
  });
});
