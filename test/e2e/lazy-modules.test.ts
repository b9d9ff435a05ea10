// What the real process (dist/main.js) loads, read by a module hook given to
// node with --import: with default flags, after start-up and scrapes, none of
// the modules only some users need (the web configuration with its YAML
// parser, TLS and bcrypt; the landing page; `check`; `textfile`; Canonical's
// YAML fallback) is in memory, nor OpenTelemetry, which nothing needs. Each is
// loaded, and works, once it is needed: the same hook sees it then, so an
// absence is not the hook missing it. A package that cannot be loaded is a
// configuration error, as an invalid file.
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { CANONICAL_JSON } from "../fixtures/client-outputs.js";
import { CANONICAL_YAML_APPLIED } from "../fixtures/client-real-outputs.js";
import { fakeClient } from "../helpers/fake-client.js";
import { pathFlags, realKernelTree, scratchDir } from "../helpers/fixtures.js";
import { request } from "../helpers/https.js";
import { makePki, secureWebConfig } from "../../support/certs.js";
import { MAIN, startExporter, type RunningExporter } from "../../support/exporter-process.js";

/**
 * The hooks, in node's module hooks thread: every URL loaded as it is loaded,
 * and a NOT-FOUND error for the packages in `refuse` (a broken installation).
 */
const HOOKS = `
import fs from "node:fs";
let data;
export function initialize(given) { data = given; }
export async function resolve(specifier, context, next) {
  if (data.refuse.includes(specifier)) {
    const error = new Error("Cannot find package '" + specifier + "' (refused by the test)");
    error.code = "ERR_MODULE_NOT_FOUND";
    throw error;
  }
  return next(specifier, context);
}
export async function load(url, context, next) {
  fs.appendFileSync(data.file, url + "\\n");
  return next(url, context);
}
`;

/**
 * The --import module: registers the hooks; at exit adds what they cannot see,
 * the CommonJS modules (required, not imported) and Node's built-in modules.
 */
function hookModule(file: string, refuse: readonly string[] = []): string {
  const source = `
import fs from "node:fs";
import { createRequire, register } from "node:module";
const data = ${JSON.stringify({ file, refuse })};
register("data:text/javascript," + encodeURIComponent(${JSON.stringify(HOOKS)}), { data });
process.on("exit", () => {
  const required = Object.keys(createRequire("/").cache).map((file) => "file://" + file);
  const builtins = process.moduleLoadList.filter((m) => m.startsWith("NativeModule ")).map((m) => "node:" + m.slice(13));
  fs.appendFileSync(data.file, [...required, ...builtins].join("\\n") + "\\n");
});
`;
  return `data:text/javascript,${encodeURIComponent(source)}`;
}

/** Modules only some users need, as found in the record. */
const OPTIONAL: Readonly<Record<string, RegExp>> = {
  "web config": /\/dist\/web\/(config|reload)\.js$/,
  "web TLS": /\/dist\/web\/tls\.js$/,
  "node:https": /^node:https$/,
  "node:tls": /^node:tls$/,
  "basic auth": /\/dist\/web\/(auth|bcrypt)\.js$/,
  bcryptjs: /\/node_modules\/bcryptjs\//,
  yaml: /\/node_modules\/yaml\//,
  "landing page": /\/dist\/views\/landing\.js$/,
  report: /\/dist\/views\/report(\/[a-z-]+)?\.js$/,
  check: /\/dist\/(check|views\/check-(text|json))\.js$/,
  textfile: /\/dist\/textfile\//,
  // prom-client's process CPU group would load it for exemplars; the exporter sets process_cpu_* itself.
  OpenTelemetry: /\/node_modules\/@opentelemetry\//,
};

function loaded(file: string): string[] {
  return fs.existsSync(file) ? fs.readFileSync(file, "utf8").split("\n").filter(Boolean) : [];
}

/** The OPTIONAL groups with a module in the record. */
function optionalLoaded(file: string): string[] {
  const urls = loaded(file);
  return Object.entries(OPTIONAL)
    .filter(([, pattern]) => urls.some((url) => pattern.test(url)))
    .map(([name]) => name);
}

let tree: string;
let counter = 0;
const running: RunningExporter[] = [];

/** The built exporter with the hook, recording into a fresh file. */
async function startRecorded(args: readonly string[]): Promise<{ exporter: RunningExporter; record: string }> {
  const record = path.join(scratchDir(), `loaded-${process.pid}-${(counter += 1)}.txt`);
  const exporter = await startExporter([...pathFlags(tree), "--web.shutdown-delay=0", ...args], {
    command: [process.execPath, "--import", hookModule(record), MAIN],
  });
  running.push(exporter);
  return { exporter, record };
}

async function get(url: string): Promise<string> {
  const response = await fetch(url);
  assert.equal(response.status, 200, url);
  return response.text();
}

/** Scrapes until the client's first run is in (it runs in the background from start-up). */
async function scrapeUntilClientUp(url: string): Promise<string> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const body = await get(`${url}/metrics`);
    if (/^livepatch_client_up\{client="canonical_livepatch"\} 1$/m.test(body)) return body;
    if (Date.now() > deadline) throw new Error(`the client never came up:\n${body}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("modules loaded on demand (the built exporter, footprint)", () => {
  before(() => {
    tree = realKernelTree("basic-enabled");
  });
  after(async () => {
    await Promise.all(running.map((exporter) => exporter.stop()));
  });

  it("default flags: none after start-up and scrapes; the landing page and its report on the first /", async () => {
    const { exporter, record } = await startRecorded([]);
    for (let i = 0; i < 3; i += 1)
      assert.match(
        await get(`${exporter.url}/metrics`),
        /^livepatch_scrape_collector_success\{collector="livepatch"\} 1$/m,
      );
    assert.deepEqual(optionalLoaded(record), []);
    assert.match(await get(`${exporter.url}/`), /<html/i);
    assert.deepEqual(optionalLoaded(record), ["landing page", "report"]);
    assert.equal(await exporter.stop(), 0);
    // Now with the CommonJS and built-in modules too.
    assert.deepEqual(optionalLoaded(record), ["landing page", "report"]);
    assert.ok(
      loaded(record).some((url) => url.includes("/node_modules/express/")),
      "the record has CommonJS modules",
    );
    assert.ok(loaded(record).includes("node:http"), "the record has built-in modules");
  });

  it("--web.exporter-metrics.extended serves every runtime group, still without OpenTelemetry", async () => {
    const { exporter, record } = await startRecorded(["--web.exporter-metrics.extended"]);
    const body = await get(`${exporter.url}/metrics`);
    assert.match(body, /^nodejs_eventloop_lag_seconds [\d.e+-]+$/m);
    assert.match(body, /^process_cpu_seconds_total [\d.e+-]+$/m);
    assert.equal(await exporter.stop(), 0);
    assert.deepEqual(optionalLoaded(record), []);
  });

  it("a web config with TLS and basic auth loads them, and they serve", async () => {
    const secure = secureWebConfig(makePki());
    const { exporter, record } = await startRecorded([`--web.config.file=${secure.configFile}`]);
    assert.match(exporter.url, /^https:/);
    const response = await request(`${exporter.url}/metrics`, { ...secure.client, headers: secure.headers });
    assert.equal(response.status, 200);
    assert.equal(await exporter.stop(), 0);
    assert.deepEqual(optionalLoaded(record), [
      "web config",
      "web TLS",
      "node:https",
      "node:tls",
      "basic auth",
      "bcryptjs",
      "yaml",
    ]);
  });

  it("Canonical's client printing JSON does not load the YAML parser; printing YAML does, and is read", async () => {
    const json = fakeClient("canonical-livepatch", { "*": { stdout: CANONICAL_JSON } });
    const first = await startRecorded([`--collector.canonical_livepatch.path=${json.path}`]);
    await scrapeUntilClientUp(first.exporter.url);
    assert.equal(await first.exporter.stop(), 0);
    assert.deepEqual(optionalLoaded(first.record), []);

    const yaml = fakeClient("canonical-livepatch", { "*": { stdout: CANONICAL_YAML_APPLIED } });
    const second = await startRecorded([`--collector.canonical_livepatch.path=${yaml.path}`]);
    const body = await scrapeUntilClientUp(second.exporter.url);
    assert.match(body, /^livepatch_client_state\{client="canonical_livepatch",state="applied"\} 1$/m);
    assert.equal(await second.exporter.stop(), 0);
    assert.deepEqual(optionalLoaded(second.record), ["yaml"]);
  });

  it("a package the web config needs that cannot be loaded stops start-up as an invalid file does (exit 2)", () => {
    const secure = secureWebConfig(makePki());
    for (const refused of ["yaml", "bcryptjs"]) {
      const record = path.join(scratchDir(), `refused-${process.pid}-${(counter += 1)}.txt`);
      const result = spawnSync(
        process.execPath,
        [
          "--import",
          hookModule(record, [refused]),
          MAIN,
          `--web.config.file=${secure.configFile}`,
          "--web.listen-address=127.0.0.1:0",
          "--log.format=json",
        ],
        { encoding: "utf8", timeout: 30_000 },
      );
      assert.equal(result.status, 2, result.stderr);
      const line = result.stderr.split("\n").find((l) => l.includes("invalid --web.config.file"));
      assert.ok(line, result.stderr);
      assert.match(line, new RegExp(`cannot load what it needs: Cannot find package '${refused}'`));
      assert.doesNotMatch(result.stderr, /unhandled|at async/i);
    }
  });
});
