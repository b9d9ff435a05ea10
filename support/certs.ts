// Test PKI made with the real openssl command: a CA, a server certificate for
// localhost/127.0.0.1 and client certificates, in a fresh directory.
import { execFileSync } from "node:child_process";
import fs from "node:fs";
import path from "node:path";
import { hashSync } from "bcryptjs";
import { scratchDir } from "./trees.js";

export interface Pki {
  readonly dir: string;
  /** PEM texts. */
  readonly ca: string;
  readonly serverCert: string;
  readonly serverKey: string;
  readonly clientCert: string;
  readonly clientKey: string;
  /** A client certificate from another CA, which the server must refuse. */
  readonly strangerCert: string;
  readonly strangerKey: string;
}

let counter = 0;

function openssl(args: readonly string[], cwd: string): void {
  execFileSync("openssl", args, { cwd, stdio: ["ignore", "ignore", "pipe"] });
}

/** An EC P-256 key and a certificate signed by `ca` (or self-signed when ca is undefined). */
export function issue(
  dir: string,
  name: string,
  subject: string,
  ca: string | undefined,
  extensions = "",
  days = 2,
): void {
  openssl(["ecparam", "-name", "prime256v1", "-genkey", "-noout", "-out", `${name}.key`], dir);
  if (ca === undefined) {
    openssl(
      [
        "req",
        "-x509",
        "-new",
        "-key",
        `${name}.key`,
        "-out",
        `${name}.crt`,
        "-days",
        String(days),
        "-subj",
        subject,
        "-addext",
        "basicConstraints=critical,CA:TRUE",
        "-addext",
        "keyUsage=critical,keyCertSign,cRLSign",
      ],
      dir,
    );
    return;
  }
  openssl(["req", "-new", "-key", `${name}.key`, "-out", `${name}.csr`, "-subj", subject], dir);
  fs.writeFileSync(path.join(dir, `${name}.ext`), `basicConstraints=CA:FALSE\n${extensions}\n`);
  openssl(
    [
      "x509",
      "-req",
      "-in",
      `${name}.csr`,
      "-CA",
      `${ca}.crt`,
      "-CAkey",
      `${ca}.key`,
      "-CAcreateserial",
      "-out",
      `${name}.crt`,
      "-days",
      String(days),
      "-extfile",
      `${name}.ext`,
    ],
    dir,
  );
}

export function makePki(): Pki {
  const dir = path.join(scratchDir(), `pki-${(counter += 1)}`);
  fs.mkdirSync(dir, { recursive: true });
  issue(dir, "ca", "/CN=livepatch test CA", undefined);
  issue(dir, "server", "/CN=localhost", "ca", "subjectAltName=DNS:localhost,IP:127.0.0.1\nextendedKeyUsage=serverAuth");
  issue(
    dir,
    "client",
    "/CN=prometheus",
    "ca",
    "subjectAltName=DNS:prometheus.example,URI:spiffe://example/prometheus\nextendedKeyUsage=clientAuth",
  );
  issue(dir, "other-ca", "/CN=some other CA", undefined);
  issue(
    dir,
    "stranger",
    "/CN=stranger",
    "other-ca",
    "subjectAltName=DNS:prometheus.example\nextendedKeyUsage=clientAuth",
  );
  const read = (file: string): string => fs.readFileSync(path.join(dir, file), "utf8");
  return {
    dir,
    ca: read("ca.crt"),
    serverCert: read("server.crt"),
    serverKey: read("server.key"),
    clientCert: read("client.crt"),
    clientKey: read("client.key"),
    strangerCert: read("stranger.crt"),
    strangerKey: read("stranger.key"),
  };
}

/** A --web.config.file asking for a client certificate of the PKI's CA and a password, and what a client sends. */
export interface SecureWebConfig {
  readonly configFile: string;
  readonly client: { readonly ca: string; readonly cert: string; readonly key: string };
  readonly headers: Readonly<Record<string, string>>;
}

/** mTLS and basic authentication (bcrypt cost 10), as deploy/web-config.example.yml sets them up. */
export function secureWebConfig(pki: Pki): SecureWebConfig {
  const configFile = path.join(pki.dir, "web.yml");
  fs.writeFileSync(
    configFile,
    [
      "tls_server_config:",
      "  cert_file: server.crt",
      "  key_file: server.key",
      "  client_auth_type: RequireAndVerifyClientCert",
      "  client_ca_file: ca.crt",
      "basic_auth_users:",
      `  prometheus: ${hashSync("load-test", 10)}`,
      "",
    ].join("\n"),
  );
  return {
    configFile,
    client: { ca: pki.ca, cert: pki.clientCert, key: pki.clientKey },
    headers: { authorization: `Basic ${Buffer.from("prometheus:load-test").toString("base64")}` },
  };
}
