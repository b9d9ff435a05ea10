// The whole HTTP stack (src/web/front.ts, in this process) with --web.config.file:
// TLS, client certificates, versions and ciphers, basic authentication, headers,
// parallel-request limits and reloads, with a CA, server and client
// certificates made by openssl. Start-up with an invalid file is checked on the
// real process (its exit code).
import assert from "node:assert/strict";
import { spawnSync } from "node:child_process";
import fs from "node:fs";
import net from "node:net";
import path from "node:path";
import { after, before, describe, it } from "node:test";
import { hashSync } from "bcryptjs";
import { issue, makePki, type Pki } from "../../support/certs.js";
import { pathFlags, realKernelTree } from "../helpers/fixtures.js";
import { failure, request, type RequestOptions } from "../helpers/https.js";
import { promtool } from "../helpers/promtool.js";
import { MAIN } from "../../support/exporter-process.js";
import { startFront, type ServedFront } from "../helpers/front.js";

const EXAMPLE = fs.readFileSync(new URL("../../deploy/web-config.example.yml", import.meta.url), "utf8");
const ALICE = hashSync("alice-secret", 10);
const BOB = hashSync("bob-secret", 10);

let pki: Pki;
let tree: string;
const running: ServedFront[] = [];

before(() => {
  pki = makePki();
  tree = realKernelTree("basic-enabled");
});
after(async () => {
  await Promise.all(running.map((e) => e.stop()));
});

/** Writes a web config next to the certificates (atomically, as a config manager would). */
function writeConfig(name: string, text: string): string {
  const file = path.join(pki.dir, name);
  fs.writeFileSync(`${file}.tmp`, text);
  fs.renameSync(`${file}.tmp`, file);
  return file;
}

async function start(configFile: string, flags: readonly string[] = []): Promise<ServedFront> {
  const exporter = await startFront([...pathFlags(tree), `--web.config.file=${configFile}`, ...flags]);
  running.push(exporter);
  return exporter;
}

const TLS = "tls_server_config:\n  cert_file: server.crt\n  key_file: server.key\n";
const MTLS = `${TLS}  client_auth_type: RequireAndVerifyClientCert\n  client_ca_file: ca.crt\n`;

function client(extra: RequestOptions = {}): RequestOptions {
  return { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey, ...extra };
}

async function eventually(check: () => Promise<boolean>, what: string, timeoutMs = 15_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await check()) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail(`timed out waiting for ${what}`);
}

describe("the example web config (deploy/web-config.example.yml)", () => {
  it("serves only authenticated TLS scrapes", async () => {
    fs.copyFileSync(path.join(pki.dir, "ca.crt"), path.join(pki.dir, "client-ca.crt"));
    const config = writeConfig("example.yml", EXAMPLE.replaceAll("/etc/livepatch_exporter/tls/", `${pki.dir}/`));
    assert.equal(promtool(["check", "web-config", config]).status, 0, "promtool accepts it too");
    const exporter = await start(config);
    assert.match(exporter.url, /^https:/);
    const metrics = `${exporter.url}/metrics`;

    const ok = await request(metrics, client({ auth: "prometheus:change-me" }));
    assert.equal(ok.status, 200);
    assert.match(ok.body, /^livepatch_patch_enabled\{patch="lp_basic"\} 1$/m);
    assert.equal(ok.headers["strict-transport-security"], "max-age=31536000");
    assert.equal(ok.headers["x-frame-options"], "deny");
    assert.equal(ok.headers["x-content-type-options"], "nosniff");
    assert.match(String(ok.headers["content-security-policy"]), /default-src 'none'/);

    assert.equal((await request(metrics, client())).status, 401, "certificate without password");
    assert.equal((await request(metrics, client({ auth: "prometheus:wrong" }))).status, 401);
    assert.ok(await failure(metrics, { ca: pki.ca, auth: "prometheus:change-me" }), "password without certificate");
    assert.ok(
      await failure(metrics, {
        ca: pki.ca,
        cert: pki.strangerCert,
        key: pki.strangerKey,
        auth: "prometheus:change-me",
      }),
      "certificate of another CA",
    );
    assert.ok(await failure(metrics.replace("https:", "http:")), "plain HTTP");
  });
});

describe("TLS and client certificates", () => {
  it("RequireAndVerifyClientCert: no certificate or one of another CA is refused before any request", async () => {
    const exporter = await start(writeConfig("mtls.yml", MTLS));
    const metrics = `${exporter.url}/metrics`;
    assert.equal((await request(metrics, client())).status, 200);
    assert.ok(await failure(metrics, { ca: pki.ca }));
    assert.ok(await failure(metrics, { ca: pki.ca, cert: pki.strangerCert, key: pki.strangerKey }));
    // The server's own certificate chain is checked by the client too.
    assert.match((await failure(metrics, { cert: pki.clientCert, key: pki.clientKey })) ?? "", /self.signed|issuer/i);
  });

  it("RequireAnyClientCert, VerifyClientCertIfGiven, client_allowed_sans", async () => {
    const any = await start(writeConfig("any.yml", `${TLS}  client_auth_type: RequireAnyClientCert\n`));
    assert.equal(
      (await request(`${any.url}/metrics`, client({ cert: pki.strangerCert, key: pki.strangerKey }))).status,
      200,
    );
    assert.ok(await failure(`${any.url}/metrics`, { ca: pki.ca }));

    const ifGiven = await start(
      writeConfig("if-given.yml", `${TLS}  client_auth_type: VerifyClientCertIfGiven\n  client_ca_file: ca.crt\n`),
    );
    assert.equal((await request(`${ifGiven.url}/metrics`, { ca: pki.ca })).status, 200);
    assert.equal((await request(`${ifGiven.url}/metrics`, client())).status, 200);
    assert.ok(await failure(`${ifGiven.url}/metrics`, client({ cert: pki.strangerCert, key: pki.strangerKey })));

    const sans = await start(
      writeConfig("sans.yml", `${MTLS}  client_allowed_sans: ["spiffe://example/prometheus", other.example]\n`),
    );
    assert.equal((await request(`${sans.url}/metrics`, client())).status, 200);
    const wrongSans = await start(writeConfig("wrong-sans.yml", `${MTLS}  client_allowed_sans: [other.example]\n`));
    assert.ok(await failure(`${wrongSans.url}/metrics`, client()));
  });

  it("min_version, max_version and cipher_suites are enforced", async () => {
    const tls13 = await start(writeConfig("tls13.yml", `${TLS}  min_version: TLS13\n`));
    assert.equal((await request(`${tls13.url}/metrics`, { ca: pki.ca, minVersion: "TLSv1.3" })).status, 200);
    assert.match(
      (await failure(`${tls13.url}/metrics`, { ca: pki.ca, maxVersion: "TLSv1.2" })) ?? "",
      /protocol version|alert/i,
    );

    const tls12 = await start(
      writeConfig(
        "tls12.yml",
        `${TLS}  max_version: TLS12\n  cipher_suites: [TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384]\n`,
      ),
    );
    const url = `${tls12.url}/metrics`;
    assert.ok(await failure(url, { ca: pki.ca, minVersion: "TLSv1.3" }));
    assert.equal((await request(url, { ca: pki.ca, ciphers: "ECDHE-ECDSA-AES256-GCM-SHA384" })).status, 200);
    assert.match(
      (await failure(url, { ca: pki.ca, ciphers: "ECDHE-ECDSA-AES128-GCM-SHA256" })) ?? "",
      /handshake failure|alert|cipher/i,
    );
  });
});

describe("basic authentication over TLS", () => {
  let exporter: ServedFront;
  before(async () => {
    const config = writeConfig(
      "auth.yml",
      `${TLS}http_server_config:\n  headers:\n    X-Frame-Options: sameorigin\nbasic_auth_users:\n  alice: ${ALICE}\n  bob: ${BOB}\n`,
    );
    exporter = await start(config);
  });

  it("right password 200; wrong password, unknown user, missing header 401 with a challenge", async () => {
    const metrics = `${exporter.url}/metrics`;
    const tls = { ca: pki.ca };
    const ok = await request(metrics, { ...tls, auth: "alice:alice-secret" });
    assert.equal(ok.status, 200);
    assert.equal(ok.headers["x-frame-options"], "sameorigin");
    for (const auth of ["alice:bob-secret", "mallory:alice-secret", "alice:", undefined]) {
      const refused = await request(metrics, { ...tls, ...(auth === undefined ? {} : { auth }) });
      assert.equal(refused.status, 401, String(auth));
      assert.match(String(refused.headers["www-authenticate"]), /^Basic realm=/);
      assert.equal(refused.headers["x-frame-options"], "sameorigin", "configured headers on refusals too");
      assert.equal(refused.body, "Unauthorized\n");
    }
    const again = await request(metrics, { ...tls, auth: "bob:bob-secret" });
    assert.match(again.body, /^livepatch_exporter_http_requests_rejected_total\{reason="unauthorized"\} 4$/m);
    // Basic authentication is configured: its other refusal is served before it ever happens.
    assert.match(again.body, /^livepatch_exporter_http_requests_rejected_total\{reason="auth_busy"\} 0$/m);
    assert.match(again.body, /^livepatch_exporter_web_config_reload_success 1$/m);
    const lint = promtool(["check", "metrics"], again.body);
    assert.equal(lint.status, 0, lint.output);
  });

  it("health and readiness need authentication too (as in exporter-toolkit)", async () => {
    assert.equal((await request(`${exporter.url}/-/healthy`, { ca: pki.ca })).status, 401);
    assert.equal((await request(`${exporter.url}/-/healthy`, { ca: pki.ca, auth: "bob:bob-secret" })).status, 200);
  });
});

describe("limits", () => {
  it("wrong passwords get their own bounded budget (429 beyond it) and never take a scrape's place", async () => {
    // bcrypt at cost 10 keeps each comparison busy for ~75 ms, one at a time: the
    // flood arrives while the first comparisons run, even on a busy machine.
    const slow = hashSync("alice-secret", 10);
    const config = writeConfig("limit.yml", `basic_auth_users:\n  alice: ${slow}\n`);
    const exporter = await start(config, ["--web.max-requests=2"]);
    // Valid credentials, checked once: remembered from now on.
    const first = await request(`${exporter.url}/metrics`, { auth: "alice:alice-secret", timeoutMs: 60_000 });
    assert.equal(first.status, 200);
    const flood = Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        request(`${exporter.url}/metrics`, { auth: `alice:wrong-${i}`, timeoutMs: 60_000 }).then((r) => r.status),
      ),
    );
    // While the flood's comparisons run, a valid scrape and a probe pass: they cost no bcrypt and no place is taken.
    assert.equal((await request(`${exporter.url}/metrics`, { auth: "alice:alice-secret" })).status, 200);
    assert.equal((await request(`${exporter.url}/-/healthy`, { auth: "alice:alice-secret" })).status, 200);
    const statuses = await flood;
    assert.ok(statuses.includes(429), statuses.join(","));
    assert.ok(statuses.includes(401), statuses.join(","));
    assert.deepEqual(new Set(statuses), new Set([401, 429]), "no 503: wrong passwords take no place");
    const body = (await request(`${exporter.url}/metrics`, { auth: "alice:alice-secret" })).body;
    const counted = (reason: string): number =>
      Number(
        new RegExp(`^livepatch_exporter_http_requests_rejected_total\\{reason="${reason}"\\} (\\d+)$`, "m").exec(
          body,
        )?.[1],
      );
    assert.equal(counted("auth_busy"), statuses.filter((s) => s === 429).length);
    assert.equal(counted("unauthorized"), statuses.filter((s) => s === 401).length);
    assert.equal(counted("max_requests"), 0);
  });

  it("request bodies, oversized headers and malformed requests are refused without internals", async () => {
    const exporter = await startFront([...pathFlags(tree)]);
    running.push(exporter);
    const { hostname, port } = new URL(exporter.url);
    // Raw HTTP: fetch() would refuse to send most of these.
    const raw = (text: string): Promise<string> =>
      new Promise((resolve) => {
        let received = "";
        const socket = net.connect(Number(port), hostname, () => socket.write(text));
        socket.setEncoding("utf8");
        socket.on("data", (chunk: string) => (received += chunk));
        socket.on("error", () => undefined);
        socket.on("close", () => resolve(received));
        setTimeout(() => socket.destroy(), 3000).unref();
      });
    assert.match(await raw("GET /metrics HTTP/1.1\r\nHost: x\r\nContent-Length: 5\r\n\r\nhello"), /^HTTP\/1\.1 413 /);
    assert.match(
      await raw("POST /metrics HTTP/1.1\r\nHost: x\r\nConnection: close\r\nContent-Length: 5\r\n\r\nhello"),
      /^HTTP\/1\.1 405 /,
    );
    assert.match(
      await raw(`GET /metrics HTTP/1.1\r\nHost: x\r\nX-Big: ${"a".repeat(20_000)}\r\n\r\n`),
      /^HTTP\/1\.1 431 /,
    );
    const garbage = await raw("GET /metrics HTTP/9.9 nonsense\r\n\r\n");
    assert.match(garbage, /^HTTP\/1\.1 400 /);
    const badPath = await raw("GET /%E0%A4%A HTTP/1.1\r\nHost: x\r\nConnection: close\r\n\r\n");
    assert.match(badPath, /^HTTP\/1\.1 (400|404) /);
    for (const text of [garbage, badPath]) assert.doesNotMatch(text, /at |Error|node:|\.js/);
  });
});

describe("reloading the web config", () => {
  it("valid -> invalid keeps the last good config (metric 0); valid again takes effect", async () => {
    const config = writeConfig("reload.yml", `${TLS}basic_auth_users:\n  alice: ${ALICE}\n`);
    const exporter = await start(config);
    const metrics = `${exporter.url}/metrics`;
    const scrape = (auth: string) => request(metrics, { ca: pki.ca, auth });
    const reloadSuccess = async (auth: string) =>
      /^livepatch_exporter_web_config_reload_success (\d)$/m.exec((await scrape(auth)).body)?.[1];

    writeConfig("reload.yml", `${TLS}basic_auth_users:\n  alice: not-a-hash\n`);
    await eventually(async () => (await reloadSuccess("alice:alice-secret")) === "0", "reload_success 0");
    assert.equal((await scrape("alice:alice-secret")).status, 200, "the last good config is still in force");
    assert.ok(
      exporter.logs.some(
        (l) => l.includes("keeping the last good configuration") && l.includes("basic_auth_users.alice"),
      ),
      "the error is logged, naming the key",
    );

    writeConfig("reload.yml", `${TLS}basic_auth_users:\n  bob: ${BOB}\n`);
    await eventually(async () => (await scrape("bob:bob-secret")).status === 200, "bob accepted");
    assert.equal(await reloadSuccess("bob:bob-secret"), "1");
    assert.equal((await scrape("alice:alice-secret")).status, 401);

    // A check on demand (what SIGHUP asks for) finds nothing new; serving goes on.
    assert.equal(exporter.front.reload(), "unchanged");
    assert.equal((await scrape("bob:bob-secret")).status, 200);

    // Turning TLS off needs a restart: refused, TLS stays on.
    writeConfig("reload.yml", `basic_auth_users:\n  bob: ${BOB}\n`);
    await eventually(async () => (await reloadSuccess("bob:bob-secret")) === "0", "TLS toggle refused");
    assert.ok(exporter.logs.some((l) => l.includes("needs a restart")));
  });

  it("a rotated server certificate is served on new connections without a restart", async () => {
    const dir = path.join(pki.dir, "rotate");
    fs.mkdirSync(dir);
    for (const file of ["ca.crt", "ca.key"]) fs.copyFileSync(path.join(pki.dir, file), path.join(dir, file));
    issue(dir, "server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    const config = path.join(dir, "web.yml");
    fs.writeFileSync(config, TLS);
    const exporter = await start(config);
    const first = (await request(`${exporter.url}/metrics`, { ca: pki.ca })).serverSerial;
    // Rotate as certbot does: new files in a temporary place, then renamed over the old ones.
    const next = path.join(dir, "next");
    fs.mkdirSync(next);
    for (const file of ["ca.crt", "ca.key", "ca.srl"]) fs.copyFileSync(path.join(dir, file), path.join(next, file));
    issue(next, "server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1");
    fs.renameSync(path.join(next, "server.key"), path.join(dir, "server.key"));
    fs.renameSync(path.join(next, "server.crt"), path.join(dir, "server.crt"));
    await eventually(
      async () => (await request(`${exporter.url}/metrics`, { ca: pki.ca })).serverSerial !== first,
      "the new certificate",
    );
  });

  it("TLS settings without a certificate leave TLS off, with a warning (as exporter-toolkit)", async () => {
    const exporter = await start(writeConfig("no-cert.yml", "tls_server_config:\n  min_version: TLS13\n"));
    assert.match(exporter.url, /^http:/);
    assert.ok(exporter.logs.some((l) => l.includes("TLS is off") && l.includes("tls_server_config.min_version")));
    assert.equal((await request(`${exporter.url}/metrics`)).status, 200);
  });

  it("an invalid file at start-up stops the exporter with exit code 2, naming the key", () => {
    const config = writeConfig("bad.yml", `${TLS}  client_auth_type: RequireAndVerifyClientCert\n`);
    const result = spawnSync(
      process.execPath,
      [MAIN, `--web.config.file=${config}`, "--web.listen-address=127.0.0.1:0"],
      {
        encoding: "utf8",
        timeout: 20_000,
      },
    );
    assert.equal(result.status, 2);
    assert.match(result.stderr, /invalid --web\.config\.file/);
    assert.match(result.stderr, /tls_server_config\.client_ca_file: required/);
  });
});
