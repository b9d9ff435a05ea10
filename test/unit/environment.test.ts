// Every environment variable --help advertises takes effect, exactly as its
// flag does; the command line wins over the environment.
import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { Option } from "commander";
import { buildProgram, helpTexts, optionEnvName, parseInvocation } from "../../src/cli.js";
import type { ExporterOptions } from "../../src/options.js";

function resolved(argv: readonly string[], env: NodeJS.ProcessEnv = {}): ExporterOptions {
  return parseInvocation(argv, env).options;
}

/** A valid value for an option that takes one, other than its default. */
function sampleValue(option: Option): string {
  if (option.argChoices !== undefined) {
    const other = option.argChoices.find((choice) => choice !== option.defaultValue);
    assert.ok(other !== undefined, `${option.long ?? option.flags}: no other choice`);
    return other;
  }
  if (option.long === "--web.request-timeout") return "90"; // must stay above --web.read-header-timeout
  if (option.flags.includes("<address>")) return "127.0.0.1:9999";
  if (option.flags.includes("<path>")) return "/opt/livepatch-env-test";
  assert.match(option.flags, /<(n|seconds|minutes|bytes)>/, `${option.flags}: no sample value; add one here`);
  return "7";
}

describe("environment variables", () => {
  const advertised = [...helpTexts(10_000).serve.matchAll(/\(env: (LIVEPATCH_EXPORTER_[A-Z0-9_]+)\)/g)].map(
    (m) => m[1] ?? "",
  );
  const options = buildProgram({}, () => undefined).options.filter((o) => !o.negate && o.long !== "--version");
  const defaults = resolved([]);

  it("--help names one variable per option, each derived from the flag's name", () => {
    assert.deepEqual(advertised, options.map(optionEnvName));
    assert.equal(new Set(advertised).size, advertised.length);
    assert.ok(advertised.includes("LIVEPATCH_EXPORTER_COLLECTOR_DISABLE_DEFAULTS"));
    assert.ok(advertised.includes("LIVEPATCH_EXPORTER_WEB_LISTEN_ADDRESS"));
  });

  for (const option of options) {
    const name = optionEnvName(option);
    it(`${name} takes effect as ${option.long ?? option.flags} does`, () => {
      if (option.required || option.optional) {
        const value = sampleValue(option);
        const fromEnv = resolved([], { [name]: value });
        assert.notDeepEqual(fromEnv, defaults, `${name}=${value} changed nothing`);
        assert.deepEqual(fromEnv, resolved([`${option.long ?? ""}=${value}`]));
        return;
      }
      // A switch: "true" is the flag, "false" its --no- form (when it has one); one of them must change something.
      const on = resolved([], { [name]: "true" });
      assert.deepEqual(on, resolved([option.long ?? ""]));
      assert.deepEqual(resolved([], { [name]: "1" }), on);
      const off = resolved([], { [name]: "false" });
      assert.deepEqual(resolved([], { [name]: "no" }), off);
      const negated = `--no-${(option.long ?? "").slice(2)}`;
      if (buildProgram({}, () => undefined).options.some((o) => o.long === negated)) {
        assert.deepEqual(off, resolved([negated]));
      }
      assert.ok(
        !isDeepEqual(on, defaults) || !isDeepEqual(off, defaults),
        `${name}: neither true nor false changed anything`,
      );
    });
  }

  it("the command line wins over the environment", () => {
    const env = { LIVEPATCH_EXPORTER_COLLECTOR_TAINT: "false", LIVEPATCH_EXPORTER_PATH_SYSFS: "/from-env" };
    const options = resolved(["--collector.taint", "--path.sysfs=/from-flag"], env);
    assert.ok(options.enabledCollectors.has("taint"));
    assert.equal(options.paths.sysfs, "/from-flag");
  });

  it("LIVEPATCH_EXPORTER_COLLECTOR_DISABLE_DEFAULTS keeps only the collectors named", () => {
    const options = resolved([], {
      LIVEPATCH_EXPORTER_COLLECTOR_DISABLE_DEFAULTS: "true",
      LIVEPATCH_EXPORTER_COLLECTOR_TAINT: "true",
    });
    assert.deepEqual([...options.enabledCollectors], ["taint"]);
    assert.equal(options.clients.byClient.kpatch.mode, "off");
  });

  it("a bad value names the variable", () => {
    assert.throws(
      () => resolved([], { LIVEPATCH_EXPORTER_WEB_MAX_REQUESTS: "lots" }),
      /LIVEPATCH_EXPORTER_WEB_MAX_REQUESTS: must be a whole number/,
    );
    assert.throws(
      () => resolved([], { LIVEPATCH_EXPORTER_COLLECTOR_TAINT: "perhaps" }),
      /LIVEPATCH_EXPORTER_COLLECTOR_TAINT must be true or false/,
    );
    assert.throws(
      () => resolved([], { LIVEPATCH_EXPORTER_LOG_LEVEL: "loud" }),
      /LIVEPATCH_EXPORTER_LOG_LEVEL: .*Allowed choices/,
    );
  });
});

function isDeepEqual(a: unknown, b: unknown): boolean {
  try {
    assert.deepEqual(a, b);
    return true;
  } catch {
    return false;
  }
}
