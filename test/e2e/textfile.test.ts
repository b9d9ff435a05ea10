// Textfile mode as a host runs it: the built command writes the file, Debian's real node_exporter
// (prometheus-node-exporter) reads it with --collector.textfile.directory and serves our series
// with node_textfile_scrape_error 0. The file holds exactly what /metrics serves (the golden
// files) less process_* and nodejs_*, and less the HTTP front's own series (there is no HTTP).
import assert from "node:assert/strict";
import { spawn, spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { parseExposition } from "../helpers/exposition.js";
import {
  GOLDEN_CASES,
  GOLDEN_DIR,
  GOLDEN_FLAGS,
  HTTP_FRONT_FAMILIES,
  stable,
  withoutFamilies,
} from "../helpers/golden.js";
import { startNodeExporter, type RunningNodeExporter } from "../helpers/node-exporter.js";
import { promtool } from "../helpers/promtool.js";
import { MAIN } from "../../support/exporter-process.js";

interface Result {
  readonly status: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

function textfile(args: readonly string[]): Result {
  const result = spawnSync(process.execPath, [MAIN, "textfile", ...args], { encoding: "utf8", timeout: 60_000 });
  return { status: result.status, stdout: result.stdout, stderr: result.stderr };
}

function textfileAsync(args: readonly string[]): Promise<Result> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, [MAIN, "textfile", ...args], { stdio: ["ignore", "pipe", "pipe"] });
    let stdout = "";
    let stderr = "";
    child.stdout.setEncoding("utf8").on("data", (c: string) => (stdout += c));
    child.stderr.setEncoding("utf8").on("data", (c: string) => (stderr += c));
    child.once("exit", (status) => resolve({ status, stdout, stderr }));
  });
}

let counter = 0;
function outputDir(): string {
  const dir = path.join(scratchDir(), `textfile-out-${(counter += 1)}`);
  fs.mkdirSync(dir);
  return dir;
}

/** Series (name{labels} -> value) of one family prefix, from an exposition. */
function seriesOf(text: string, prefix: RegExp): Map<string, number> {
  return new Map([...parseExposition(text).series].filter(([key]) => prefix.test(key)));
}

/** node_exporter sorts labels by name; we print them in catalog order. */
function canonical(series: ReadonlyMap<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of series) {
    const match = /^([^{]+)(?:\{(.*)\})?$/.exec(key);
    const labels = [...(match?.[2] ?? "").matchAll(/([a-zA-Z_][a-zA-Z0-9_]*)="((?:[^"\\]|\\.)*)"/g)]
      .map((m) => `${m[1]}="${m[2]}"`)
      .sort();
    out.set(labels.length > 0 ? `${match?.[1]}{${labels.join(",")}}` : (match?.[1] ?? key), value);
  }
  return out;
}

describe("textfile mode: the file", () => {
  for (const [name, { tree, flags }] of Object.entries(GOLDEN_CASES)) {
    it(`${name}: the golden /metrics without process_*, nodejs_* and the HTTP front's, passing promtool`, () => {
      const dir = outputDir();
      const result = textfile(["--output", dir, ...pathFlags(tree()), ...GOLDEN_FLAGS, ...flags]);
      assert.equal(result.status, 0, result.stderr);
      assert.equal(result.stdout, "");
      assert.deepEqual(fs.readdirSync(dir), ["livepatch_exporter.prom"]);
      const text = fs.readFileSync(path.join(dir, "livepatch_exporter.prom"), "utf8");
      assert.doesNotMatch(text, /^(# (HELP|TYPE) )?(process|nodejs)_/m);
      assert.match(text, /^livepatch_exporter_build_info\{version="[^"]+",revision="[^"]+",nodejs_version="v\d+/m);
      assert.match(text, /^livepatch_scrape_collector_duration_seconds\{collector="livepatch"\} /m);
      const lint = promtool(["check", "metrics"], text);
      assert.equal(lint.status, 0, lint.output);
      const golden = fs.readFileSync(new URL(`${name}.prom`, GOLDEN_DIR), "utf8");
      assert.match(golden, /^livepatch_exporter_http_requests_rejected_total/m, "the golden file has the HTTP front's");
      assert.doesNotMatch(text, /^livepatch_exporter_(http|web)_/m, "no HTTP front in textfile mode");
      assert.equal(stable(text), withoutFamilies(golden, HTTP_FRONT_FAMILIES));
    });
  }

  it("honours the collector flags, and --output - prints instead of writing", () => {
    const result = textfile(["--output", "-", "--no-collector.taint", ...pathFlags(realKernelTree("basic-enabled"))]);
    assert.equal(result.status, 0, result.stderr);
    assert.match(result.stdout, /^livepatch_patch_state\{patch="lp_basic",state="applied"\} 1$/m);
    assert.doesNotMatch(result.stdout, /livepatch_kernel_taint/);
  });

  it("a file name ending in .prom is used as it is", () => {
    const dir = outputDir();
    const result = textfile(["--output", path.join(dir, "kernel.prom"), ...pathFlags(realKernelTree("clean"))]);
    assert.equal(result.status, 0, result.stderr);
    assert.deepEqual(fs.readdirSync(dir), ["kernel.prom"]);
  });

  it("an --output node_exporter would not read: exit 2 and a one-line reason, nothing written", () => {
    const dir = outputDir();
    const result = textfile(["--output", path.join(dir, "metrics.txt"), "--log.format=json"]);
    assert.equal(result.status, 2);
    const lines = result.stderr.trim().split("\n");
    assert.equal(lines.length, 1, result.stderr);
    const record = JSON.parse(lines[0] ?? "") as { level: string; msg: string };
    assert.equal(record.level, "error");
    assert.match(record.msg, /a file must end in \.prom/);
    assert.deepEqual(fs.readdirSync(dir), []);
  });

  it("a directory that cannot be written: exit 1, the reason logged, no file", () => {
    // /proc exists and nobody may create files in it, root included.
    const result = textfile(["--output", "/proc/livepatch_exporter.prom", "--log.format=json"]);
    assert.equal(result.status, 1, result.stderr);
    assert.match(
      result.stderr,
      /"msg":"cannot write the textfile; node_exporter keeps serving the previous one, if any"/,
    );
    assert.ok(!fs.existsSync("/proc/livepatch_exporter.prom"));
  });

  it("without --output: a usage error", () => {
    const result = textfile([]);
    assert.notEqual(result.status, 0);
    assert.match(result.stderr, /required option '--output <path>' not specified/);
  });
});

describe("textfile mode: read by the real node_exporter", () => {
  let dir: string;
  let tree: string;
  let nodeExporter: RunningNodeExporter;

  before(async () => {
    dir = outputDir();
    tree = realKernelTree("busy-stuck");
    nodeExporter = await startNodeExporter(dir);
  });
  after(async () => {
    await nodeExporter.stop();
  });

  const scrape = async (): Promise<string> => {
    const response = await fetch(`${nodeExporter.url}/metrics`, { signal: AbortSignal.timeout(10_000) });
    assert.equal(response.status, 200);
    return response.text();
  };

  it("serves every series of the file, with node_textfile_scrape_error 0", async () => {
    const result = textfile(["--output", dir, ...pathFlags(tree), ...GOLDEN_FLAGS]);
    assert.equal(result.status, 0, result.stderr);
    const file = fs.readFileSync(path.join(dir, "livepatch_exporter.prom"), "utf8");
    const served = await scrape();
    assert.match(served, /^node_textfile_scrape_error 0$/m);
    assert.match(
      served,
      new RegExp(`^node_textfile_mtime_seconds\\{file="${path.join(dir, "livepatch_exporter.prom")}"\\} `, "m"),
    );
    const ours = canonical(seriesOf(file, /^livepatch_/));
    assert.ok(ours.size > 50, `${ours.size} series`);
    assert.ok(ours.has('livepatch_transition_info{direction="patching",patch="lp_busy"}'));
    assert.deepEqual(canonical(seriesOf(served, /^livepatch_/)), ours);
    // Types and help text survive too (node_exporter re-renders them).
    assert.match(served, /^# TYPE livepatch_patch_state gauge$/m);
  });

  it("never sees a broken file while the command rewrites it (atomic rename)", async () => {
    let stop = false;
    const scrapes: string[] = [];
    const scraping = (async () => {
      while (!stop) {
        scrapes.push(await scrape());
        await new Promise((resolve) => setTimeout(resolve, 5));
      }
    })();
    try {
      for (let i = 0; i < 4; i++) {
        const result = await textfileAsync(["--output", dir, ...pathFlags(tree)]);
        assert.equal(result.status, 0, result.stderr);
      }
    } finally {
      stop = true;
      await scraping;
    }
    assert.ok(scrapes.length >= 4, `${scrapes.length} scrapes`);
    for (const body of scrapes) {
      assert.match(body, /^node_textfile_scrape_error 0$/m);
      assert.match(body, /^livepatch_patch_state\{patch="lp_busy",state="patching"\} 1$/m);
    }
    assert.deepEqual(fs.readdirSync(dir), ["livepatch_exporter.prom"]);
  });

  it("reports a broken *.prom file as node_textfile_scrape_error 1 (the check is real)", async () => {
    const broken = path.join(dir, "broken.prom");
    fs.writeFileSync(broken, "livepatch_patch_state{patch=\n");
    try {
      assert.match(await scrape(), /^node_textfile_scrape_error 1$/m);
    } finally {
      fs.rmSync(broken);
    }
  });
});
