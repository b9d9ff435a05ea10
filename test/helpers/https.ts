// A small HTTP(S) client for tests that need what fetch() cannot set: a CA,
// a client certificate, TLS versions and ciphers.
import http from "node:http";
import https from "node:https";
import type { SecureVersion } from "node:tls";

export interface RequestOptions {
  readonly method?: string;
  readonly headers?: Readonly<Record<string, string>>;
  readonly ca?: string;
  readonly cert?: string;
  readonly key?: string;
  readonly minVersion?: SecureVersion;
  readonly maxVersion?: SecureVersion;
  readonly ciphers?: string;
  /** Basic authentication as "user:password". */
  readonly auth?: string;
  readonly timeoutMs?: number;
}

export interface Response {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly body: string;
  /** The server certificate's serial number (HTTPS only). */
  readonly serverSerial: string | undefined;
}

/** One request on a fresh connection (no keep-alive, so every request is a new handshake). */
export function request(url: string, options: RequestOptions = {}): Promise<Response> {
  const target = new URL(url);
  const secure = target.protocol === "https:";
  const base: http.RequestOptions = {
    method: options.method ?? "GET",
    headers: options.headers,
    agent: false,
    ...(options.auth === undefined ? {} : { auth: options.auth }),
  };
  const tlsOptions: https.RequestOptions = {
    ...base,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
    ...(options.cert === undefined ? {} : { cert: options.cert }),
    ...(options.key === undefined ? {} : { key: options.key }),
    ...(options.minVersion === undefined ? {} : { minVersion: options.minVersion }),
    ...(options.maxVersion === undefined ? {} : { maxVersion: options.maxVersion }),
    ...(options.ciphers === undefined ? {} : { ciphers: options.ciphers }),
    servername: "localhost",
  };
  return new Promise((resolve, reject) => {
    const onResponse = (res: http.IncomingMessage): void => {
      const chunks: Buffer[] = [];
      res.on("data", (chunk: Buffer) => chunks.push(chunk));
      res.on("error", reject);
      res.on("end", () => {
        const socket = res.socket as import("node:tls").TLSSocket | null;
        const serial = secure && socket !== null ? socket.getPeerCertificate().serialNumber : undefined;
        resolve({
          status: res.statusCode ?? 0,
          headers: res.headers,
          body: Buffer.concat(chunks).toString("utf8"),
          serverSerial: serial,
        });
      });
    };
    const req = secure ? https.request(target, tlsOptions, onResponse) : http.request(target, base, onResponse);
    req.setTimeout(options.timeoutMs ?? 10_000, () => req.destroy(new Error("request timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** The request's failure (TLS alert, reset...), or undefined when it got a response. */
export async function failure(url: string, options: RequestOptions = {}): Promise<string | undefined> {
  try {
    const response = await request(url, options);
    return response.status === 0 ? "no status" : undefined;
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}
