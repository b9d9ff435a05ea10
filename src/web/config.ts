// --web.config.file: the exporter-toolkit YAML schema Prometheus exporters
// share (tls_server_config, http_server_config, basic_auth_users, rate_limit),
// parsed and validated. Pure: the caller reads the file; relative paths are
// resolved against the file's directory, as the toolkit does.
//
// Every error names the key it is about ("tls_server_config.client_auth_type:
// ..."), so an operator can fix the file without reading code.
import path from "node:path";
import { parseDocument } from "yaml";
import { WebConfigError } from "./config-error.js";

/** Go's crypto/tls client authentication policies, by the names the toolkit accepts. */
export const CLIENT_AUTH_TYPES = [
  "NoClientCert",
  "RequestClientCert",
  "RequireAnyClientCert",
  "VerifyClientCertIfGiven",
  "RequireAndVerifyClientCert",
] as const;
export type ClientAuthType = (typeof CLIENT_AUTH_TYPES)[number];

/** The toolkit's version names and Node's. */
export const TLS_VERSIONS = { TLS10: "TLSv1", TLS11: "TLSv1.1", TLS12: "TLSv1.2", TLS13: "TLSv1.3" } as const;
export type TlsVersionName = keyof typeof TLS_VERSIONS;

/**
 * Go's secure cipher suites (crypto/tls.CipherSuites()) with their OpenSSL names.
 * TLS 1.3 suites are listed with no OpenSSL name: as in Go, they are accepted
 * and always enabled, since cipher_suites only restricts TLS 1.2 and below.
 */
export const CIPHER_SUITES: Readonly<Record<string, string | undefined>> = {
  TLS_RSA_WITH_AES_128_CBC_SHA: "AES128-SHA",
  TLS_RSA_WITH_AES_256_CBC_SHA: "AES256-SHA",
  TLS_RSA_WITH_AES_128_GCM_SHA256: "AES128-GCM-SHA256",
  TLS_RSA_WITH_AES_256_GCM_SHA384: "AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_AES_128_CBC_SHA: "ECDHE-ECDSA-AES128-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_256_CBC_SHA: "ECDHE-ECDSA-AES256-SHA",
  TLS_ECDHE_RSA_WITH_AES_128_CBC_SHA: "ECDHE-RSA-AES128-SHA",
  TLS_ECDHE_RSA_WITH_AES_256_CBC_SHA: "ECDHE-RSA-AES256-SHA",
  TLS_ECDHE_ECDSA_WITH_AES_128_GCM_SHA256: "ECDHE-ECDSA-AES128-GCM-SHA256",
  TLS_ECDHE_ECDSA_WITH_AES_256_GCM_SHA384: "ECDHE-ECDSA-AES256-GCM-SHA384",
  TLS_ECDHE_RSA_WITH_AES_128_GCM_SHA256: "ECDHE-RSA-AES128-GCM-SHA256",
  TLS_ECDHE_RSA_WITH_AES_256_GCM_SHA384: "ECDHE-RSA-AES256-GCM-SHA384",
  TLS_ECDHE_ECDSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-ECDSA-CHACHA20-POLY1305",
  TLS_ECDHE_RSA_WITH_CHACHA20_POLY1305_SHA256: "ECDHE-RSA-CHACHA20-POLY1305",
  TLS_AES_128_GCM_SHA256: undefined,
  TLS_AES_256_GCM_SHA384: undefined,
  TLS_CHACHA20_POLY1305_SHA256: undefined,
};

/** Go's curve names and OpenSSL's. */
export const CURVES: Readonly<Record<string, string>> = {
  CurveP256: "P-256",
  CurveP384: "P-384",
  CurveP521: "P-521",
  X25519: "X25519",
};

/**
 * Response headers an operator may set, with their allowed values (undefined:
 * any). The toolkit keeps this list closed so exporters stay consistent.
 */
export const CONFIGURABLE_HEADERS: Readonly<Record<string, readonly string[] | undefined>> = {
  "Strict-Transport-Security": undefined,
  "X-Content-Type-Options": ["nosniff"],
  "X-Frame-Options": ["deny", "sameorigin"],
  "X-XSS-Protection": undefined,
  "Content-Security-Policy": undefined,
};

/** PEM data from a file or given inline; `key` names the setting for error messages. */
export type PemSource =
  | { readonly kind: "file"; readonly key: string; readonly path: string }
  | { readonly kind: "inline"; readonly key: string; readonly pem: string };

export interface TlsServerSettings {
  readonly cert: PemSource;
  readonly key: PemSource;
  readonly clientCa: PemSource | undefined;
  readonly clientAuthType: ClientAuthType;
  /** SANs a client certificate must carry one of; undefined: any. */
  readonly clientAllowedSans: readonly string[] | undefined;
  readonly minVersion: TlsVersionName;
  readonly maxVersion: TlsVersionName;
  /** Go names; empty: the runtime's defaults. */
  readonly cipherSuites: readonly string[];
  readonly preferServerCipherSuites: boolean;
  /** Go names; empty: the runtime's defaults. */
  readonly curvePreferences: readonly string[];
}

export interface RateLimit {
  /** One request per interval on average... */
  readonly intervalMs: number;
  /** ...with bursts of up to this many. */
  readonly burst: number;
}

export interface WebConfig {
  /** undefined: plain HTTP. */
  readonly tls: TlsServerSettings | undefined;
  /** tls_server_config keys that were set although TLS is off (no certificate, key or client CA). */
  readonly ignoredTlsKeys: readonly string[];
  /** Accepted for compatibility; this exporter serves HTTP/1.1 only. */
  readonly http2: boolean;
  readonly headers: Readonly<Record<string, string>>;
  /** User name -> bcrypt hash; empty: no authentication. */
  readonly users: ReadonlyMap<string, string>;
  readonly rateLimit: RateLimit | undefined;
}

/** bcrypt's modular crypt format ($2a$, $2b$, $2y$), cost 4-31, 22 salt + 31 hash characters. */
const BCRYPT_HASH = /^\$2[aby]?\$(\d\d)\$[./A-Za-z0-9]{53}$/;

/** Parses and validates a web configuration file's text. Throws WebConfigError. */
export function parseWebConfig(text: string, configPath: string): WebConfig {
  const document = parseDocument(text, {
    uniqueKeys: true,
    prettyErrors: false,
    strict: true,
    // Errors are collected in document.errors; warnings are not printed to stderr.
    logLevel: "error",
  });
  const syntax = document.errors[0];
  if (syntax !== undefined) throw new WebConfigError("yaml", syntax.message.split("\n")[0] ?? "invalid YAML");
  let root: unknown;
  try {
    // Aliases are legal YAML but a way to make a small file expand without bound.
    root = document.toJS({ maxAliasCount: 0 });
  } catch (error) {
    throw new WebConfigError("yaml", error instanceof Error ? error.message : String(error));
  }
  const top = mapping(root, "");
  onlyKeys(top, "", ["tls_server_config", "http_server_config", "basic_auth_users", "rate_limit"]);
  const baseDir = path.dirname(path.resolve(configPath));
  const tls = mapping(top["tls_server_config"], "tls_server_config");
  const http = mapping(top["http_server_config"], "http_server_config");
  onlyKeys(http, "http_server_config", ["http2", "headers"]);
  const tlsSettings = tlsServerSettings(tls, baseDir);
  return {
    tls: tlsSettings,
    ignoredTlsKeys: tlsSettings === undefined ? Object.keys(tls).map((k) => `tls_server_config.${k}`) : [],
    http2: boolean(http["http2"], "http_server_config.http2", true),
    headers: headers(http["headers"]),
    users: users(top["basic_auth_users"]),
    rateLimit: rateLimit(top["rate_limit"]),
  };
}

const TLS_KEYS = [
  "cert",
  "key",
  "client_ca",
  "cert_file",
  "key_file",
  "client_auth_type",
  "client_ca_file",
  "client_allowed_sans",
  "min_version",
  "max_version",
  "cipher_suites",
  "prefer_server_cipher_suites",
  "curve_preferences",
];

function tlsServerSettings(tls: Record<string, unknown>, baseDir: string): TlsServerSettings | undefined {
  const prefix = "tls_server_config";
  onlyKeys(tls, prefix, TLS_KEYS);
  const text = (key: string): string => string(tls[key], `${prefix}.${key}`) ?? "";
  // As in the toolkit, TLS is on as soon as one of these is set; min_version
  // and the like alone do not turn it on.
  const enabling = ["cert", "key", "client_ca", "cert_file", "key_file", "client_ca_file", "client_auth_type"];
  if (enabling.every((key) => text(key) === "")) return undefined;

  const cert = pemSource(text("cert"), text("cert_file"), `${prefix}.cert`, baseDir);
  if (cert === undefined) throw new WebConfigError(`${prefix}.cert_file`, "required (or cert) when TLS is on");
  const key = pemSource(text("key"), text("key_file"), `${prefix}.key`, baseDir);
  if (key === undefined) throw new WebConfigError(`${prefix}.key_file`, "required (or key) when TLS is on");
  const clientCa = pemSource(text("client_ca"), text("client_ca_file"), `${prefix}.client_ca`, baseDir);

  const authText = text("client_auth_type");
  // "RequireClientCert" is the toolkit's old name for RequireAnyClientCert.
  const auth = authText === "" ? "NoClientCert" : authText === "RequireClientCert" ? "RequireAnyClientCert" : authText;
  if (!isOneOf(auth, CLIENT_AUTH_TYPES)) {
    throw new WebConfigError(`${prefix}.client_auth_type`, `must be one of ${CLIENT_AUTH_TYPES.join(", ")}`);
  }
  if (clientCa !== undefined && auth === "NoClientCert") {
    throw new WebConfigError(
      `${prefix}.client_auth_type`,
      "a client CA is set but client_auth_type does not ask for client certificates (use RequireAndVerifyClientCert)",
    );
  }
  if (clientCa === undefined && (auth === "RequireAndVerifyClientCert" || auth === "VerifyClientCertIfGiven")) {
    // Go would verify against the system roots: any publicly issued certificate
    // would then pass, which is never what mTLS for an exporter means.
    throw new WebConfigError(`${prefix}.client_ca_file`, `required (or client_ca) with ${auth}`);
  }
  const sans = stringList(tls["client_allowed_sans"], `${prefix}.client_allowed_sans`);
  if (sans !== undefined && auth !== "RequireAnyClientCert" && auth !== "RequireAndVerifyClientCert") {
    throw new WebConfigError(
      `${prefix}.client_allowed_sans`,
      "needs client_auth_type RequireAnyClientCert or RequireAndVerifyClientCert",
    );
  }
  const minVersion = tlsVersion(tls["min_version"], `${prefix}.min_version`, "TLS12");
  const maxVersion = tlsVersion(tls["max_version"], `${prefix}.max_version`, "TLS13");
  if (versionRank(minVersion) > versionRank(maxVersion)) {
    throw new WebConfigError(`${prefix}.min_version`, `${minVersion} is above max_version ${maxVersion}`);
  }
  return {
    cert,
    key,
    clientCa,
    clientAuthType: auth,
    clientAllowedSans: sans,
    minVersion,
    maxVersion,
    cipherSuites: namedList(tls["cipher_suites"], `${prefix}.cipher_suites`, Object.keys(CIPHER_SUITES)),
    preferServerCipherSuites: boolean(
      tls["prefer_server_cipher_suites"],
      `${prefix}.prefer_server_cipher_suites`,
      true,
    ),
    curvePreferences: namedList(tls["curve_preferences"], `${prefix}.curve_preferences`, Object.keys(CURVES)),
  };
}

/** The inline value or the file, never both: which one wins would be a guess. */
function pemSource(inline: string, file: string, key: string, baseDir: string): PemSource | undefined {
  if (inline !== "" && file !== "") throw new WebConfigError(`${key}_file`, `set either ${key} or ${key}_file`);
  if (file !== "") return { kind: "file", key: `${key}_file`, path: path.resolve(baseDir, file) };
  if (inline !== "") return { kind: "inline", key, pem: inline };
  return undefined;
}

function tlsVersion(value: unknown, key: string, fallback: TlsVersionName): TlsVersionName {
  const name = string(value, key);
  if (name === undefined || name === "") return fallback;
  if (!(name in TLS_VERSIONS)) {
    throw new WebConfigError(
      key,
      `unknown TLS version ${JSON.stringify(name)} (${Object.keys(TLS_VERSIONS).join(", ")})`,
    );
  }
  return name as TlsVersionName;
}

function versionRank(version: TlsVersionName): number {
  return Object.keys(TLS_VERSIONS).indexOf(version);
}

function headers(value: unknown): Readonly<Record<string, string>> {
  const prefix = "http_server_config.headers";
  const result: Record<string, string> = {};
  for (const [name, raw] of Object.entries(mapping(value, prefix))) {
    const key = `${prefix}.${name}`;
    if (!Object.hasOwn(CONFIGURABLE_HEADERS, name)) {
      throw new WebConfigError(key, `cannot be configured (only ${Object.keys(CONFIGURABLE_HEADERS).join(", ")})`);
    }
    const text = string(raw, key) ?? "";
    if (text === "") continue; // blank: unset, as in the toolkit
    const allowed = CONFIGURABLE_HEADERS[name];
    if (allowed !== undefined && !allowed.includes(text)) {
      throw new WebConfigError(key, `must be one of ${allowed.join(", ")}`);
    }
    // Visible ASCII and spaces only: anything else could split the response.
    if (!/^[\x20-\x7e]+$/.test(text)) throw new WebConfigError(key, "must be printable ASCII on one line");
    result[name] = text;
  }
  return result;
}

function users(value: unknown): ReadonlyMap<string, string> {
  const prefix = "basic_auth_users";
  const result = new Map<string, string>();
  for (const [user, raw] of Object.entries(mapping(value, prefix))) {
    const key = `${prefix}.${user}`;
    // The first colon of the Authorization header ends the user name.
    if (user === "" || user.includes(":")) throw new WebConfigError(key, "a user name must be non-empty without ':'");
    const hash = string(raw, key) ?? "";
    const match = BCRYPT_HASH.exec(hash);
    const cost = Number(match?.[1]);
    if (match === null || cost < 4 || cost > 31) {
      throw new WebConfigError(key, 'must be a bcrypt hash ($2y$10$..., e.g. from htpasswd -nBC 10 "")');
    }
    result.set(user, hash);
  }
  return result;
}

function rateLimit(value: unknown): RateLimit | undefined {
  const prefix = "rate_limit";
  const limit = mapping(value, prefix);
  onlyKeys(limit, prefix, ["interval", "burst"]);
  const intervalMs = duration(limit["interval"], `${prefix}.interval`);
  if (intervalMs === 0) return undefined; // 0 disables, as in the toolkit
  const burst = limit["burst"];
  if (typeof burst !== "number" || !Number.isSafeInteger(burst) || burst < 1) {
    // Go's limiter with burst 0 refuses every request; that is a mistake, not a policy.
    throw new WebConfigError(`${prefix}.burst`, "must be a positive integer when interval is set");
  }
  return { intervalMs, burst };
}

const DURATION_UNITS_MS: Readonly<Record<string, number>> = {
  ns: 1e-6,
  us: 1e-3,
  µs: 1e-3,
  ms: 1,
  s: 1000,
  m: 60_000,
  h: 3_600_000,
};

/** A Go duration ("1s", "1m30s", "250ms", "0") in milliseconds; absent is 0. */
export function parseGoDuration(text: string): number | undefined {
  if (text === "0") return 0;
  if (!/^(?:\d+(?:\.\d+)?(?:ns|us|µs|ms|s|m|h))+$/.test(text)) return undefined;
  let total = 0;
  for (const [, amount, unit] of text.matchAll(/(\d+(?:\.\d+)?)(ns|us|µs|ms|s|m|h)/g)) {
    total += Number(amount) * (DURATION_UNITS_MS[unit ?? ""] ?? Number.NaN);
  }
  return Number.isFinite(total) ? total : undefined;
}

function duration(value: unknown, key: string): number {
  if (value === undefined || value === null || value === 0) return 0;
  const ms = typeof value === "string" ? parseGoDuration(value) : undefined;
  if (ms === undefined) throw new WebConfigError(key, 'must be a duration such as "1s" or "100ms"');
  return ms;
}

// Typed access to the parsed YAML, with the key path in every error.

function mapping(value: unknown, key: string): Record<string, unknown> {
  if (value === undefined || value === null) return {};
  if (typeof value !== "object" || Array.isArray(value) || value instanceof Map || value instanceof Set) {
    throw new WebConfigError(key === "" ? "(top level)" : key, "must be a mapping of keys to values");
  }
  return value as Record<string, unknown>;
}

function onlyKeys(object: Record<string, unknown>, prefix: string, allowed: readonly string[]): void {
  for (const key of Object.keys(object)) {
    if (!allowed.includes(key)) {
      throw new WebConfigError(
        prefix === "" ? key : `${prefix}.${key}`,
        `unknown key (expected ${allowed.join(", ")})`,
      );
    }
  }
}

function string(value: unknown, key: string): string | undefined {
  if (value === undefined || value === null) return undefined;
  if (typeof value !== "string") throw new WebConfigError(key, "must be a string");
  return value;
}

function boolean(value: unknown, key: string, fallback: boolean): boolean {
  if (value === undefined || value === null) return fallback;
  if (typeof value !== "boolean") throw new WebConfigError(key, "must be true or false");
  return value;
}

function stringList(value: unknown, key: string): readonly string[] | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Array.isArray(value)) throw new WebConfigError(key, "must be a list of strings");
  return value.map((item, index) => {
    if (typeof item !== "string" || item === "") throw new WebConfigError(`${key}[${index}]`, "must be a string");
    return item;
  });
}

function namedList(value: unknown, key: string, known: readonly string[]): readonly string[] {
  const list = stringList(value, key) ?? [];
  list.forEach((name, index) => {
    if (!known.includes(name)) throw new WebConfigError(`${key}[${index}]`, `unknown name ${JSON.stringify(name)}`);
  });
  return list;
}

function isOneOf<T extends string>(value: string, options: readonly T[]): value is T {
  return (options as readonly string[]).includes(value);
}
