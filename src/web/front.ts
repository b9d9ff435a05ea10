// The whole HTTP stack of one exporter, from its options: the web
// configuration file and its reloads, the request gate (limits, rate limit,
// basic authentication), TLS, and the Express app on /metrics, / and /-/*.
// Building it starts nothing; listen() does. The process (src/main.ts) owns
// signals and exit codes; tests start the same stack in-process.
//
// The web configuration's modules (its YAML parser, TLS, basic
// authentication: ~1 MB of heap with their packages) are loaded only when
// --web.config.file is given; most exporters never need them.
import type { AddressInfo } from "node:net";
import { createApp } from "../app.js";
import type { Exporter } from "../exporter.js";
import { connectionCap, openFileLimit } from "../file-limit.js";
import { loadRuntimeInfo, type RuntimeInfo } from "../host-info.js";
import type { Logger } from "../log.js";
import type { ExporterOptions } from "../options.js";
import { REVISION, VERSION } from "../version.js";
import { webSamples } from "../views/exporter.js";
import { MetricsRenderer } from "../views/metrics.js";
import { Admission } from "./admission.js";
import { ConnectionGuard } from "./connections.js";
import { WebConfigError } from "./config-error.js";
import { createGate, possibleRejections, Rejections } from "./gate.js";
import type { ActiveWebConfig, WebConfigSource } from "./reload.js";
import { applyTls, createWebServer, type WebServer } from "./server.js";

const RUNTIME_INFO_TIMEOUT_MS = 5_000;
/** How often close() looks for connections that became idle. */
const IDLE_POLL_MS = 20;

export interface Front {
  readonly server: WebServer;
  /** Starts listening on --web.listen-address; resolves with the base URL (https:// with TLS). */
  listen(): Promise<string>;
  /** Re-reads --web.config.file (SIGHUP); undefined without one. */
  reload(): ReturnType<WebConfigSource["reload"]> | undefined;
  /** Shutdown begins: /-/ready answers 503, the web config is no longer watched. Serving goes on. */
  beginShutdown(): void;
  /** Stops accepting connections and waits for the requests in flight, at most graceMs. */
  close(graceMs: number): Promise<"closed" | "timed out">;
}

/** Rejects with WebConfigError when --web.config.file is invalid (start-up must stop). */
export async function createFront(options: ExporterOptions, exporter: Exporter, log: Logger): Promise<Front> {
  // Reloads start with listen(), once `server` exists.
  const web = await openWebConfig(options, log, (next) => applyTls(server, next.tls));
  let ready = true;
  let runtime: Promise<RuntimeInfo> | undefined;
  const rejections = new Rejections();
  const app = createApp({
    snapshot: () => exporter.source.snapshot(),
    renderer: new MetricsRenderer(options),
    telemetryPath: options.telemetryPath,
    build: { version: VERSION, revision: REVISION },
    isReady: () => ready,
    runtimeInfo: () => (runtime ??= loadRuntimeInfo(RUNTIME_INFO_TIMEOUT_MS)),
    log,
    extraSamples: () =>
      webSamples({
        configFile: web?.status(),
        rejected: rejections.snapshot(possibleRejections(options.web.maxRequests, web?.current)),
      }),
  });
  const admission = new Admission(options.web.maxRequests);
  const gate = createGate({ active: () => web?.current, admission, rejections, log }, app);
  const server = await createWebServer(
    gate,
    web?.current.tls,
    () => web?.current.tls,
    { headersTimeoutMs: options.web.headersTimeoutMs, requestTimeoutMs: options.web.requestTimeoutMs },
    log,
  );
  const connections = new ConnectionGuard(server, {
    cap: connectionCap(openFileLimit(), exporter.clients.names.length),
    log,
  });
  server.on("connection", () => admission.connectionAccepted());

  return {
    server,
    listen: () =>
      new Promise((resolve, reject) => {
        server.once("error", reject);
        server.listen(options.listen.port, options.listen.host ?? "::", () => {
          server.off("error", reject);
          server.on("error", (error) => connections.acceptFailed(error));
          web?.start();
          const tls = web?.current.tls;
          const address = describeAddress(server.address());
          log.info(
            {
              address,
              tls: tls !== undefined,
              ...(tls === undefined ? {} : { clientAuth: tls.settings.clientAuthType }),
              basicAuth: web?.current.auth !== undefined,
              maxRequests: options.web.maxRequests,
              version: VERSION,
              collectors: [...exporter.enabled].join(","),
              procfs: options.paths.procfs,
              sysfs: options.paths.sysfs,
              rootfs: options.paths.rootfs,
              kmsg: options.paths.kmsg,
            },
            "listening",
          );
          resolve(`${tls === undefined ? "http" : "https"}://${address}`);
        });
      }),
    reload: () => web?.reload(),
    beginShutdown: () => {
      ready = false;
      web?.close();
    },
    close: (graceMs) =>
      new Promise((resolve) => {
        // A keep-alive connection whose request ends during the grace would otherwise hold close() until the
        // client's idle timeout: close each one as soon as it is idle (as Go's http.Server.Shutdown does).
        const idle = setInterval(() => server.closeIdleConnections(), IDLE_POLL_MS);
        const timer = setTimeout(() => {
          clearInterval(idle);
          resolve("timed out");
        }, graceMs);
        timer.unref();
        server.close(() => {
          clearTimeout(timer);
          clearInterval(idle);
          resolve("closed");
        });
        server.closeIdleConnections();
      }),
  };
}

/** Reads --web.config.file, if given. Rejects with WebConfigError when it is invalid. */
async function openWebConfig(
  options: ExporterOptions,
  log: Logger,
  onReload: (next: ActiveWebConfig) => void,
): Promise<WebConfigSource | undefined> {
  const file = options.web.configFile;
  if (file === undefined) return undefined;
  const [{ WebConfigSource }, { tlsRestartNeeded }] = await load(() =>
    Promise.all([import("./reload.js"), import("./tls.js")]),
  );
  const web = new WebConfigSource(file, {
    log,
    compatible: (current, next) => tlsRestartNeeded(current.tls, next.tls),
    onReload,
  });
  // bcrypt on the event loop is the fallback of its worker thread (src/web/bcrypt.ts): loaded now that it
  // may be needed, so that an installation without it fails here rather than refusing every password.
  if (web.current.auth !== undefined) await load(async () => (await import("./bcrypt.js")).loadBcryptjs());
  const { config } = web.current;
  if (config.ignoredTlsKeys.length > 0) {
    log.warn(
      { file, keys: config.ignoredTlsKeys.join(",") },
      "TLS is off: tls_server_config has no cert_file, key_file or client CA, so these keys have no effect",
    );
  }
  return web;
}

/** A module --web.config.file needs that cannot be loaded (a broken installation) is a configuration error too. */
async function load<T>(modules: () => Promise<T>): Promise<T> {
  try {
    return await modules();
  } catch (error) {
    throw new WebConfigError(
      "--web.config.file",
      `cannot load what it needs: ${error instanceof Error ? error.message : String(error)}`,
    );
  }
}

function describeAddress(address: string | AddressInfo | null): string {
  if (address === null || typeof address === "string") return String(address);
  return address.family === "IPv6" ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}
