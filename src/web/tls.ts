// tls_server_config -> Node's TLS server options, and the client certificate
// policy checked on every connection.
//
// Node verifies a client certificate during the handshake but, like Go, only
// acts on the result afterwards; so the server requests certificates when the
// policy needs one, never rejects by itself, and checkClient() applies the
// policy (Go's client_auth_type semantics and client_allowed_sans) to each
// connection before any request on it is read.
import { createPrivateKey, X509Certificate } from "node:crypto";
import { isIP } from "node:net";
import tls, { type SecureContextOptions, type TLSSocket } from "node:tls";
import { readText } from "../fs/read.js";
import { CIPHER_SUITES, CURVES, TLS_VERSIONS, type PemSource, type TlsServerSettings } from "./config.js";
import { WebConfigError } from "./config-error.js";

/** Certificates, keys and CA bundles are a few KiB; anything this large is not one. */
const PEM_CAP_BYTES = 1024 * 1024;

/** TLS 1.3 suites are always on (as in Go): cipher_suites restricts TLS 1.2 and below. */
const TLS13_SUITES = ["TLS_AES_256_GCM_SHA384", "TLS_CHACHA20_POLY1305_SHA256", "TLS_AES_128_GCM_SHA256"];

export interface TlsMaterial {
  readonly settings: TlsServerSettings;
  /** For tls.Server#setSecureContext and https.createServer. */
  readonly contextOptions: SecureContextOptions;
  /** Whether the server asks clients for a certificate during the handshake. */
  readonly requestCert: boolean;
  /** The PEM text read, in a fixed order: a change in any file is a change of configuration. */
  readonly pemTexts: readonly string[];
}

/** Reads the PEM data and checks it (certificate, key, their match, the CA bundle). Throws WebConfigError. */
export function loadTlsMaterial(settings: TlsServerSettings): TlsMaterial {
  const certPem = readPem(settings.cert);
  const keyPem = readPem(settings.key);
  const caPem = settings.clientCa === undefined ? undefined : readPem(settings.clientCa);

  const chain = certificates(certPem, settings.cert.key);
  const leaf = chain[0];
  if (leaf === undefined) throw new WebConfigError(settings.cert.key, "no PEM certificate found");
  let privateKey;
  try {
    privateKey = createPrivateKey(keyPem);
  } catch (error) {
    throw new WebConfigError(settings.key.key, `not a PEM private key (${message(error)})`);
  }
  if (!leaf.checkPrivateKey(privateKey)) {
    throw new WebConfigError(settings.key.key, `does not match the certificate of ${settings.cert.key}`);
  }
  if (
    caPem !== undefined &&
    settings.clientCa !== undefined &&
    certificates(caPem, settings.clientCa.key).length === 0
  ) {
    throw new WebConfigError(settings.clientCa.key, "no PEM certificate found");
  }

  const tls12Suites = settings.cipherSuites.map((name) => CIPHER_SUITES[name]).filter((s) => s !== undefined);
  const contextOptions: SecureContextOptions = {
    cert: certPem,
    key: keyPem,
    ...(caPem === undefined ? {} : { ca: caPem }),
    minVersion: TLS_VERSIONS[settings.minVersion],
    maxVersion: TLS_VERSIONS[settings.maxVersion],
    honorCipherOrder: settings.preferServerCipherSuites,
    ...(tls12Suites.length === 0 ? {} : { ciphers: [...TLS13_SUITES, ...tls12Suites].join(":") }),
    ...(settings.curvePreferences.length === 0
      ? {}
      : { ecdhCurve: settings.curvePreferences.map((c) => CURVES[c]).join(":") }),
  };
  try {
    tls.createSecureContext(contextOptions);
  } catch (error) {
    throw new WebConfigError("tls_server_config", `OpenSSL refuses these settings: ${message(error)}`);
  }
  return {
    settings,
    contextOptions,
    requestCert: settings.clientAuthType !== "NoClientCert",
    pemTexts: [certPem, keyPem, caPem ?? ""],
  };
}

function readPem(source: PemSource): string {
  if (source.kind === "inline") return source.pem;
  const result = readText(source.path, PEM_CAP_BYTES);
  if (!result.ok) throw new WebConfigError(source.key, `cannot read ${source.path} (${result.code})`);
  return result.text;
}

/** The certificates of a PEM bundle, in order. Throws when a block is not a certificate. */
function certificates(pem: string, key: string): X509Certificate[] {
  const blocks = pem.match(/-----BEGIN CERTIFICATE-----[\s\S]*?-----END CERTIFICATE-----/g) ?? [];
  return blocks.map((block, index) => {
    try {
      return new X509Certificate(block);
    } catch (error) {
      throw new WebConfigError(key, `certificate ${index + 1} is not valid (${message(error)})`);
    }
  });
}

/**
 * Applies client_auth_type and client_allowed_sans to a connection whose
 * handshake is done. Returns why it must be closed, or undefined to serve it.
 */
export function checkClient(socket: TLSSocket, settings: TlsServerSettings): string | undefined {
  const peer = socket.getPeerX509Certificate();
  switch (settings.clientAuthType) {
    case "NoClientCert":
    case "RequestClientCert":
      return undefined;
    case "RequireAnyClientCert":
      if (peer === undefined) return "no client certificate";
      break;
    case "VerifyClientCertIfGiven":
      if (peer !== undefined && !socket.authorized) return `client certificate rejected: ${authError(socket)}`;
      break;
    case "RequireAndVerifyClientCert":
      if (peer === undefined) return "no client certificate";
      if (!socket.authorized) return `client certificate rejected: ${authError(socket)}`;
      break;
  }
  const allowed = settings.clientAllowedSans;
  if (allowed === undefined || peer === undefined) return undefined;
  const sans = subjectAltNames(peer.subjectAltName ?? "").map(canonicalSan);
  return allowed.some((san) => sans.includes(canonicalSan(san)))
    ? undefined
    : "client certificate has none of client_allowed_sans";
}

function authError(socket: TLSSocket): string {
  const error: unknown = socket.authorizationError;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Values of Node's subjectAltName text: "DNS:a, IP Address:::1, URI:x", where
 * a value containing a comma or quote is JSON-quoted.
 */
export function subjectAltNames(text: string): string[] {
  const values: string[] = [];
  let rest = text;
  while (rest.length > 0) {
    const colon = rest.indexOf(":");
    if (colon === -1) break;
    rest = rest.slice(colon + 1);
    let value: string;
    if (rest.startsWith('"')) {
      const end = /^"(?:[^"\\]|\\.)*"/.exec(rest)?.[0];
      if (end === undefined) break;
      value = JSON.parse(end) as string;
      rest = rest.slice(end.length);
    } else {
      const comma = rest.indexOf(", ");
      value = comma === -1 ? rest : rest.slice(0, comma);
      rest = comma === -1 ? "" : rest.slice(comma);
    }
    values.push(value);
    rest = rest.replace(/^, /, "");
  }
  return values;
}

/** IPv6 addresses in one spelling (Node prints 0:0:0:0:0:0:0:1, people write ::1). */
function canonicalSan(value: string): string {
  if (isIP(value) !== 6) return value;
  return new URL(`http://[${value}]/`).hostname.slice(1, -1);
}

function message(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * Whether a server started with `current` can switch to `next` in place: the
 * scheme and whether certificates are requested are fixed when it listens.
 */
export function tlsRestartNeeded(current: TlsMaterial | undefined, next: TlsMaterial | undefined): string | undefined {
  if ((current === undefined) !== (next === undefined)) {
    return "tls_server_config: turning TLS on or off needs a restart";
  }
  if (current !== undefined && next !== undefined && current.requestCert !== next.requestCert) {
    return "tls_server_config.client_auth_type: switching between NoClientCert and a policy that asks for client certificates needs a restart";
  }
  return undefined;
}
