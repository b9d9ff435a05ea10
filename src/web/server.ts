// The HTTP or HTTPS server with its limits. TLS material is swapped in place
// on reload (setSecureContext); the client certificate policy in force is
// applied to each new connection before any request on it is read.
//
// node:https and src/web/tls.ts (with node:tls, ~0.3 MB of heap) are loaded
// only for a server with TLS, which takes a --web.config.file: an exporter
// serving plain HTTP never loads them (docs/performance.md, "Memory").
import http, { type RequestListener } from "node:http";
import type https from "node:https";
import type { TLSSocket } from "node:tls";
import type { Logger } from "../log.js";
import { MAX_HEADER_BYTES, MAX_HEADER_COUNT, type ServerLimits } from "./limits.js";
import type { TlsMaterial } from "./tls.js";

export type WebServer = http.Server | https.Server;

/** How often Node checks the header and request timeouts (its default, 30 s, would make them coarse). */
const TIMEOUT_CHECK_INTERVAL_MS = 1000;

export async function createWebServer(
  handler: RequestListener,
  tls: TlsMaterial | undefined,
  currentTls: () => TlsMaterial | undefined,
  limits: ServerLimits,
  log: Logger,
): Promise<WebServer> {
  const common: http.ServerOptions = {
    maxHeaderSize: MAX_HEADER_BYTES,
    headersTimeout: limits.headersTimeoutMs,
    requestTimeout: limits.requestTimeoutMs,
    connectionsCheckingInterval: TIMEOUT_CHECK_INTERVAL_MS,
  };
  const server =
    tls === undefined
      ? http.createServer(common, handler)
      : await createHttpsServer(common, handler, tls, currentTls, limits, log);
  server.maxHeadersCount = MAX_HEADER_COUNT;
  // An idle connection (slow reader or writer) is closed after this long.
  server.setTimeout(limits.requestTimeoutMs, (socket) => socket.destroy());
  server.on("clientError", (error: NodeJS.ErrnoException, socket) => {
    // Malformed or oversized requests: a bare status line, no details.
    log.debug({ err: error.code ?? error.message }, "bad request");
    if (!socket.writable) {
      socket.destroy();
      return;
    }
    const status =
      error.code === "HPE_HEADER_OVERFLOW"
        ? "431 Request Header Fields Too Large"
        : error.code === "ERR_HTTP_REQUEST_TIMEOUT"
          ? "408 Request Timeout"
          : "400 Bad Request";
    socket.end(`HTTP/1.1 ${status}\r\nConnection: close\r\nContent-Length: 0\r\n\r\n`);
  });
  return server;
}

async function createHttpsServer(
  common: http.ServerOptions,
  handler: RequestListener,
  tls: TlsMaterial,
  currentTls: () => TlsMaterial | undefined,
  limits: ServerLimits,
  log: Logger,
): Promise<https.Server> {
  const [{ default: https }, { checkClient }] = await Promise.all([import("node:https"), import("./tls.js")]);
  const server = https.createServer(
    {
      ...common,
      ...tls.contextOptions,
      requestCert: tls.requestCert,
      // Node would only destroy the socket after the handshake; checkClient does the same with Go's policies.
      rejectUnauthorized: false,
      handshakeTimeout: limits.headersTimeoutMs,
    },
    handler,
  );
  // Prepended: runs before the HTTP parser is attached to the connection.
  server.prependListener("secureConnection", (socket: TLSSocket) => {
    const settings = currentTls()?.settings;
    const reason = settings === undefined ? "TLS is off" : checkClient(socket, settings);
    if (reason === undefined) return;
    log.debug({ remote: socket.remoteAddress, reason }, "TLS client refused");
    socket.destroy();
  });
  server.on("tlsClientError", (error, socket) => {
    log.debug({ remote: socket.remoteAddress, err: error.message }, "TLS handshake failed");
  });
  return server;
}

/** Puts reloaded certificates, keys, CA, versions and ciphers in force for new connections. */
export function applyTls(server: WebServer, tls: TlsMaterial | undefined): void {
  // Only an HTTPS server has a secure context (and TLS cannot be turned on by a reload: tlsRestartNeeded).
  if ("setSecureContext" in server && tls !== undefined) server.setSecureContext(tls.contextOptions);
}
