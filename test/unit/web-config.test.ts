// --web.config.file parsing and validation: defaults, every key, errors that
// name the key, and agreement with Prometheus' own validator
// (`promtool check web-config`, exporter-toolkit) on a shared corpus.
import assert from "node:assert/strict";
import fs from "node:fs";
import path from "node:path";
import { before, describe, it } from "node:test";
import fc from "fast-check";
import { parseGoDuration, parseWebConfig, type WebConfig } from "../../src/web/config.js";
import { WebConfigError } from "../../src/web/config-error.js";
import { silentLogger } from "../../src/log.js";
import { readWebConfig, WebConfigSource } from "../../src/web/reload.js";
import { makePki, type Pki } from "../../support/certs.js";
import { scratchDir } from "../helpers/fixtures.js";
import { promtool } from "../helpers/promtool.js";

const HASH = "$2y$10$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze";

function parse(text: string, file = "/etc/livepatch/web.yml"): WebConfig {
  return parseWebConfig(text, file);
}

function errorOf(text: string): WebConfigError {
  try {
    parse(text);
  } catch (error) {
    if (error instanceof WebConfigError) return error;
    throw error;
  }
  assert.fail(`accepted:\n${text}`);
}

describe("web config: schema", () => {
  it("an empty file (or only comments) is plain HTTP without authentication", () => {
    for (const text of ["", "# nothing\n", "---\n", "tls_server_config: {}\nhttp_server_config:\n"]) {
      const config = parse(text);
      assert.equal(config.tls, undefined);
      assert.equal(config.users.size, 0);
      assert.deepEqual(config.headers, {});
      assert.equal(config.rateLimit, undefined);
      assert.equal(config.http2, true);
    }
  });

  it("tls_server_config: toolkit defaults, relative paths resolved against the file's directory", () => {
    const config = parse("tls_server_config:\n  cert_file: tls/server.crt\n  key_file: /abs/server.key\n");
    assert.deepEqual(config.tls, {
      cert: { kind: "file", key: "tls_server_config.cert_file", path: "/etc/livepatch/tls/server.crt" },
      key: { kind: "file", key: "tls_server_config.key_file", path: "/abs/server.key" },
      clientCa: undefined,
      clientAuthType: "NoClientCert",
      clientAllowedSans: undefined,
      minVersion: "TLS12",
      maxVersion: "TLS13",
      cipherSuites: [],
      preferServerCipherSuites: true,
      curvePreferences: [],
    });
  });

  it("every tls_server_config key", () => {
    const config = parse(`
tls_server_config:
  cert: "-----BEGIN CERTIFICATE-----"
  key: "-----BEGIN PRIVATE KEY-----"
  client_ca_file: ca.crt
  client_auth_type: RequireAndVerifyClientCert
  client_allowed_sans: [prometheus.example, "spiffe://example/prometheus"]
  min_version: TLS13
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_AES_128_GCM_SHA256]
  prefer_server_cipher_suites: false
  curve_preferences: [X25519, CurveP384]
`);
    const tls = config.tls;
    assert.ok(tls);
    assert.equal(tls.cert.kind, "inline");
    assert.equal(tls.key.kind, "inline");
    assert.deepEqual(tls.clientCa, {
      kind: "file",
      key: "tls_server_config.client_ca_file",
      path: "/etc/livepatch/ca.crt",
    });
    assert.equal(tls.clientAuthType, "RequireAndVerifyClientCert");
    assert.deepEqual(tls.clientAllowedSans, ["prometheus.example", "spiffe://example/prometheus"]);
    assert.equal(tls.minVersion, "TLS13");
    assert.deepEqual(tls.cipherSuites, ["TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256", "TLS_AES_128_GCM_SHA256"]);
    assert.equal(tls.preferServerCipherSuites, false);
    assert.deepEqual(tls.curvePreferences, ["X25519", "CurveP384"]);
  });

  it("RequireClientCert is the toolkit's old name of RequireAnyClientCert", () => {
    const config = parse("tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireClientCert\n");
    assert.equal(config.tls?.clientAuthType, "RequireAnyClientCert");
  });

  it("TLS keys without a certificate, key or client CA leave TLS off and are reported", () => {
    const config = parse("tls_server_config:\n  min_version: TLS13\n");
    assert.equal(config.tls, undefined);
    assert.deepEqual(config.ignoredTlsKeys, ["tls_server_config.min_version"]);
  });

  it("headers, users, rate limit", () => {
    const config = parse(`
http_server_config:
  http2: false
  headers:
    X-Frame-Options: deny
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=31536000; includeSubDomains
    Content-Security-Policy: ""
basic_auth_users:
  alice: ${HASH}
  "bob smith": '${HASH}'
rate_limit:
  interval: 500ms
  burst: 20
`);
    assert.equal(config.http2, false);
    assert.deepEqual(config.headers, {
      "X-Frame-Options": "deny",
      "X-Content-Type-Options": "nosniff",
      "Strict-Transport-Security": "max-age=31536000; includeSubDomains",
    });
    assert.deepEqual([...config.users.keys()], ["alice", "bob smith"]);
    assert.deepEqual(config.rateLimit, { intervalMs: 500, burst: 20 });
    assert.equal(parse("rate_limit:\n  interval: 0\n").rateLimit, undefined);
  });

  it("Go durations", () => {
    assert.equal(parseGoDuration("1s"), 1000);
    assert.equal(parseGoDuration("1m30s"), 90_000);
    assert.equal(parseGoDuration("1.5h"), 5_400_000);
    assert.equal(parseGoDuration("250ms"), 250);
    assert.equal(parseGoDuration("0"), 0);
    for (const bad of ["", "1", "s", "1 s", "-1s", "1d", "1s2"]) assert.equal(parseGoDuration(bad), undefined, bad);
  });
});

describe("web config: every error names its key", () => {
  const cases: [string, string, RegExp][] = [
    ["bogus: 1", "bogus", /unknown key/],
    ["tls_server_config:\n  cert_fil: a", "tls_server_config.cert_fil", /unknown key/],
    ["tls_server_config:\n  cert_file: a", "tls_server_config.key_file", /required/],
    ["tls_server_config:\n  key_file: a", "tls_server_config.cert_file", /required/],
    ["tls_server_config:\n  cert: x\n  cert_file: a\n  key_file: b", "tls_server_config.cert_file", /either/],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: Bogus",
      "tls_server_config.client_auth_type",
      /one of/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_ca_file: c",
      "tls_server_config.client_auth_type",
      /client CA/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequireAndVerifyClientCert",
      "tls_server_config.client_ca_file",
      /required/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  client_auth_type: RequestClientCert\n  client_allowed_sans: [x]",
      "tls_server_config.client_allowed_sans",
      /RequireAnyClientCert/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS14",
      "tls_server_config.min_version",
      /TLS14/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  max_version: 1.3",
      "tls_server_config.max_version",
      /string/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  min_version: TLS13\n  max_version: TLS12",
      "tls_server_config.min_version",
      /above/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: [RC4]",
      "tls_server_config.cipher_suites[0]",
      /RC4/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  cipher_suites: TLS_AES_128_GCM_SHA256",
      "tls_server_config.cipher_suites",
      /list/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  curve_preferences: [P-256]",
      "tls_server_config.curve_preferences[0]",
      /P-256/,
    ],
    [
      "tls_server_config:\n  cert_file: a\n  key_file: b\n  prefer_server_cipher_suites: yes",
      "tls_server_config.prefer_server_cipher_suites",
      /true or false/,
    ],
    ["tls_server_config: [a]", "tls_server_config", /mapping/],
    ["http_server_config:\n  http3: true", "http_server_config.http3", /unknown key/],
    ["http_server_config:\n  headers:\n    Foo: bar", "http_server_config.headers.Foo", /cannot be configured/],
    [
      "http_server_config:\n  headers:\n    X-Frame-Options: allow",
      "http_server_config.headers.X-Frame-Options",
      /deny/,
    ],
    [
      'http_server_config:\n  headers:\n    X-XSS-Protection: "1\\r\\nSet-Cookie: x"',
      "http_server_config.headers.X-XSS-Protection",
      /one line/,
    ],
    ["basic_auth_users:\n  alice: secret", "basic_auth_users.alice", /bcrypt/],
    [
      "basic_auth_users:\n  alice: $2y$03$mDwo.lAisC94iLAyP81MCesa29IzH37oigHC/42V2pdJlUprsJPze",
      "basic_auth_users.alice",
      /bcrypt/,
    ],
    [`basic_auth_users:\n  "a:b": ${HASH}`, "basic_auth_users.a:b", /':'/],
    ["basic_auth_users: [alice]", "basic_auth_users", /mapping/],
    ["rate_limit:\n  interval: 1s", "rate_limit.burst", /positive/],
    ["rate_limit:\n  interval: fast\n  burst: 1", "rate_limit.interval", /duration/],
    ["a: 1\na: 2", "yaml", /unique/],
    ["a: [1", "yaml", /./],
    ["a: &x 1\nb: *x", "yaml", /[Aa]lias/],
    ["---\na: 1\n---\nb: 2", "yaml", /multiple documents/],
    ["just a string", "(top level)", /mapping/],
  ];
  for (const [text, key, detail] of cases) {
    it(`${key} ${detail.source}`, () => {
      const error = errorOf(text);
      assert.equal(error.key, key, error.message);
      assert.match(error.message, detail);
      assert.ok(error.message.startsWith(`${key}: `), error.message);
    });
  }

  it("never throws anything but WebConfigError, whatever the text (fast-check)", () => {
    const keys = fc.constantFrom(
      "tls_server_config",
      "http_server_config",
      "basic_auth_users",
      "rate_limit",
      "cert_file",
      "key_file",
      "client_auth_type",
      "min_version",
      "headers",
      "interval",
      "burst",
      "__proto__",
      "constructor",
    );
    const yamlish = fc.letrec((tie) => ({
      value: fc.oneof(
        { depthSize: "small" },
        fc.string(),
        fc.integer(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie("value"), { maxLength: 3 }),
        fc.dictionary(fc.oneof(keys, fc.string()), tie("value"), { maxKeys: 4 }),
      ),
    })).value;
    fc.assert(
      fc.property(
        fc.oneof(
          fc.string(),
          yamlish.map((v) => JSON.stringify(v)),
        ),
        (text) => {
          try {
            parse(text);
          } catch (error) {
            if (!(error instanceof WebConfigError)) throw error;
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe("web config: certificates and keys are checked when read", () => {
  let pki: Pki;
  before(() => {
    pki = makePki();
  });

  function write(text: string): string {
    const file = path.join(pki.dir, `web-${Math.random().toString(36).slice(2)}.yml`);
    fs.writeFileSync(file, text);
    return file;
  }

  function readError(text: string): string {
    const reading = readWebConfig(write(text));
    assert.ok(!reading.result.ok, text);
    return reading.result.error.message;
  }

  it("a good pair loads; inline PEM works as the files do", () => {
    const reading = readWebConfig(write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n"));
    assert.ok(reading.result.ok);
    const inline = readWebConfig(
      write(`tls_server_config:\n  cert: ${JSON.stringify(pki.serverCert)}\n  key: ${JSON.stringify(pki.serverKey)}\n`),
    );
    assert.ok(inline.result.ok);
  });

  it("names the key of a missing, garbage or mismatched file", () => {
    assert.match(
      readError("tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n"),
      /^tls_server_config\.cert_file: cannot read .*nope\.crt \(ENOENT\)/,
    );
    assert.match(
      readError("tls_server_config:\n  cert_file: server.key\n  key_file: server.key\n"),
      /^tls_server_config\.cert_file: no PEM certificate/,
    );
    assert.match(
      readError("tls_server_config:\n  cert_file: server.crt\n  key_file: server.crt\n"),
      /^tls_server_config\.key_file: not a PEM private key/,
    );
    assert.match(
      readError("tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n"),
      /^tls_server_config\.key_file: does not match/,
    );
    assert.match(
      readError(
        "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: server.key\n",
      ),
      /^tls_server_config\.client_ca_file: no PEM certificate/,
    );
    assert.match(readError("basic_auth_users: {alice: x}\n"), /^basic_auth_users\.alice: /);
  });

  it("an unreadable file names the flag", () => {
    const reading = readWebConfig(path.join(pki.dir, "missing.yml"));
    assert.ok(!reading.result.ok);
    assert.match(reading.result.error.message, /^--web\.config\.file: cannot read .*missing\.yml \(ENOENT\)/);
  });

  // The same files judged by Prometheus' promtool (exporter-toolkit). Where
  // this exporter is deliberately stricter, the case says so.
  const corpus: [name: string, text: string, valid: boolean, promtoolAgrees: boolean][] = [
    ["empty", "", true, true],
    ["empty TLS section", "tls_server_config: {}\n", true, true],
    ["TLS", "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n", true, true],
    [
      "mTLS with everything",
      `tls_server_config:
  cert_file: server.crt
  key_file: server.key
  client_auth_type: RequireAndVerifyClientCert
  client_ca_file: ca.crt
  min_version: TLS12
  max_version: TLS13
  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256, TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384]
  prefer_server_cipher_suites: true
  curve_preferences: [X25519, CurveP256]
http_server_config:
  http2: false
  headers:
    X-Frame-Options: sameorigin
    X-Content-Type-Options: nosniff
    Strict-Transport-Security: max-age=63072000
basic_auth_users:
  alice: ${HASH}
`,
      true,
      true,
    ],
    ["unknown key", "bogus: 1\n", false, true],
    ["cert without key", "tls_server_config:\n  cert_file: server.crt\n", false, true],
    [
      "bad client auth",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: Foo\n",
      false,
      true,
    ],
    [
      "CA without policy",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_ca_file: ca.crt\n",
      false,
      true,
    ],
    [
      "bad version",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS14\n",
      false,
      true,
    ],
    [
      "bad cipher",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  cipher_suites: [FOO]\n",
      false,
      true,
    ],
    [
      "bad curve",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  curve_preferences: [P-256]\n",
      false,
      true,
    ],
    ["key mismatch", "tls_server_config:\n  cert_file: server.crt\n  key_file: client.key\n", false, true],
    ["missing cert", "tls_server_config:\n  cert_file: nope.crt\n  key_file: server.key\n", false, true],
    ["bad header", "http_server_config:\n  headers:\n    Foo: bar\n", false, true],
    ["bad header value", "http_server_config:\n  headers:\n    X-Frame-Options: allow\n", false, true],
    ["bad hash", "basic_auth_users:\n  alice: secret\n", false, true],
    ["duplicate key", "basic_auth_users:\n  alice: x\n  alice: y\n", false, true],
    // Deliberately stricter: Go would verify client certificates against the system roots.
    [
      "verify without CA",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  client_auth_type: RequireAndVerifyClientCert\n",
      false,
      false,
    ],
    // Deliberately stricter: Go accepts it, then refuses every handshake.
    [
      "min above max",
      "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n  min_version: TLS13\n  max_version: TLS12\n",
      false,
      false,
    ],
  ];

  it("agrees with promtool check web-config on a shared corpus", () => {
    const disagreements: string[] = [];
    for (const [name, text, valid, promtoolAgrees] of corpus) {
      const file = write(text);
      const ours = readWebConfig(file).result.ok;
      assert.equal(ours, valid, `${name}: expected ${valid ? "valid" : "invalid"}`);
      const theirs = promtool(["check", "web-config", file]).status === 0;
      if ((theirs === ours) !== promtoolAgrees) disagreements.push(`${name}: promtool says ${theirs}, we say ${ours}`);
    }
    assert.deepEqual(disagreements, []);
  });
});

describe("web config source: reloads", () => {
  it("unchanged, reloaded, failed (logged once, last good kept), valid again; a veto is a failure", () => {
    const pki = makePki();
    const file = path.join(pki.dir, "source.yml");
    const write = (text: string): void => fs.writeFileSync(file, text);
    const errors: string[] = [];
    const log = { ...silentLogger, error: (fields: object) => errors.push(JSON.stringify(fields)) };
    let now = 1000;
    let reloaded = 0;
    write(`basic_auth_users:\n  alice: ${HASH}\n`);
    const source = new WebConfigSource(file, {
      log,
      now: () => now,
      onReload: () => (reloaded += 1),
      compatible: (_current, next) => (next.tls === undefined ? undefined : "TLS needs a restart"),
    });
    assert.equal(source.reload(), "unchanged");
    assert.deepEqual(source.status(), { lastReloadSuccess: true, lastSuccessAtMs: 1000 });

    write("basic_auth_users:\n  alice: nope\n");
    now = 2000;
    assert.equal(source.reload(), "failed");
    assert.equal(source.reload(), "failed");
    assert.equal(errors.length, 1, "logged once");
    assert.match(errors[0] ?? "", /basic_auth_users\.alice/);
    assert.deepEqual(source.status(), { lastReloadSuccess: false, lastSuccessAtMs: 1000 });
    assert.deepEqual([...source.current.config.users.keys()], ["alice"], "the last good config is in force");

    write(`basic_auth_users:\n  alice: ${HASH}\n`);
    assert.equal(source.reload(), "unchanged", "reverted");
    assert.equal(source.status().lastReloadSuccess, true);

    write(`basic_auth_users:\n  bob: ${HASH}\n`);
    now = 3000;
    assert.equal(source.reload(), "reloaded");
    assert.equal(reloaded, 1);
    assert.deepEqual(source.status(), { lastReloadSuccess: true, lastSuccessAtMs: 3000 });
    assert.deepEqual([...source.current.config.users.keys()], ["bob"]);

    write("tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n");
    assert.equal(source.reload(), "failed", "vetoed");
    assert.match(errors.at(-1) ?? "", /TLS needs a restart/);
    assert.equal(source.current.tls, undefined);
    source.close();
  });

  it("an invalid file at start throws the error naming the key", () => {
    const file = path.join(scratchDir(), "bad-web.yml");
    fs.writeFileSync(file, "rate_limit:\n  interval: 1s\n");
    assert.throws(
      () => new WebConfigSource(file, { log: silentLogger }),
      (error: unknown) => {
        assert.ok(error instanceof WebConfigError);
        assert.equal(error.key, "rate_limit.burst");
        return true;
      },
    );
  });
});
