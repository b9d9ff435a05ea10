#!/usr/bin/env node
// Process concerns only: parse flags, log, listen, handle signals, exit codes.
import { CommanderError } from "commander";
import type { AddressInfo } from "node:net";
import { createApp } from "./app.js";
import { parseInvocation } from "./cli.js";
import { isClientName } from "./clients/names.js";
import { COLLECTOR_NAMES } from "./collectors/types.js";
import { createExporter } from "./exporter.js";
import { loadRuntimeInfo, type RuntimeInfo } from "./host-info.js";
import { createLogger, silentLogger, type Logger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { runTextfile } from "./textfile/run.js";
import { REVISION, VERSION } from "./version.js";
import { reportJson, reportText } from "./views/check-text.js";
import { MetricsRenderer } from "./views/metrics.js";
import { buildReport } from "./views/report.js";
import { webSamples } from "./views/samples.js";
import { WebConfigError } from "./web/config.js";
import { createGate, Rejections } from "./web/gate.js";
import { InFlightLimit } from "./web/limits.js";
import { WebConfigSource, type ActiveWebConfig } from "./web/reload.js";
import { applyTls, createWebServer } from "./web/server.js";
import { tlsRestartNeeded } from "./web/tls.js";

/** How long in-flight scrapes get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;
const RUNTIME_INFO_TIMEOUT_MS = 5_000;

async function main(): Promise<number> {
  let invocation;
  try {
    invocation = parseInvocation(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`livepatch_exporter: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (invocation.command === "check") {
    return runCheck(invocation.options, invocation.json);
  }
  if (invocation.command === "textfile") {
    const { options, output } = invocation;
    return runTextfile(options, output, createLogger(options.logLevel, options.logFormat));
  }
  return serve(invocation.options);
}

async function runCheck(options: ExporterOptions, json: boolean): Promise<number> {
  // The report needs every host collector, whatever the flags say; vendor
  // clients are run when found (or forced on), each once, within its timeout.
  const all = { ...options, enabledCollectors: new Set(COLLECTOR_NAMES.filter((name) => !isClientName(name))) };
  const log = options.logLevel === "debug" ? createLogger("debug", options.logFormat) : silentLogger;
  const exporter = createExporter(all, log);
  try {
    await exporter.clients.runOnce();
    const report = buildReport(await exporter.source.snapshot());
    process.stdout.write(json ? reportJson(report) : reportText(report));
    return report.exitCode;
  } finally {
    exporter.clients.stop();
  }
}

/** Starts serving; returns -1 while running, or an exit code when start-up failed. */
function serve(options: ExporterOptions): number {
  const log = createLogger(options.logLevel, options.logFormat);
  process.on("uncaughtException", (error) => {
    log.error({ err: error.stack ?? error.message }, "uncaught exception; continuing");
  });
  process.on("unhandledRejection", (reason) => {
    log.error(
      { err: reason instanceof Error ? (reason.stack ?? reason.message) : String(reason) },
      "unhandled rejection; continuing",
    );
  });
  if (process.getuid?.() === 0) {
    log.warn({}, "running as root: the exporter needs only read access; see the README for least privilege");
  }
  // Reloads start with web.start() below, after `server` exists.
  const web = openWebConfig(options, log, (next) => applyTls(server, next.tls));
  if (web === "invalid") return 2;
  let ready = true;
  let runtime: Promise<RuntimeInfo> | undefined;
  const exporter = createExporter(options, log);
  const source = exporter.source;
  exporter.clients.start();
  const rejections = new Rejections();
  const app = createApp({
    snapshot: () => source.snapshot(),
    renderer: new MetricsRenderer({ exporterMetrics: options.exporterMetrics }),
    telemetryPath: options.telemetryPath,
    build: { version: VERSION, revision: REVISION },
    isReady: () => ready,
    runtimeInfo: () => (runtime ??= loadRuntimeInfo(RUNTIME_INFO_TIMEOUT_MS)),
    log,
    extraSamples: () => webSamples({ configFile: web?.status(), rejected: rejections.snapshot() }),
  });
  const gate = createGate(
    { active: () => web?.current, limit: new InFlightLimit(options.web.maxRequests), rejections, log },
    app,
  );
  const server = createWebServer(
    gate,
    web?.current.tls,
    () => web?.current.tls,
    { headersTimeoutMs: options.web.headersTimeoutMs, requestTimeoutMs: options.web.requestTimeoutMs },
    log,
  );
  web?.start();
  process.on("SIGHUP", () => {
    if (web === undefined) log.info({}, "SIGHUP: no --web.config.file to reload");
    else log.info({ result: web.reload() }, "SIGHUP: web config checked");
  });
  server.listen(options.listen.port, options.listen.host ?? "::", () => {
    const tls = web?.current.tls;
    log.info(
      {
        address: describeAddress(server.address()),
        tls: tls !== undefined,
        ...(tls === undefined ? {} : { clientAuth: tls.settings.clientAuthType }),
        basicAuth: web?.current.auth !== undefined,
        maxRequests: options.web.maxRequests,
        version: VERSION,
        collectors: [...exporter.enabled].join(","),
        procfs: options.paths.procfs,
        sysfs: options.paths.sysfs,
        rootfs: options.paths.rootfs,
      },
      "listening",
    );
  });
  server.on("error", (error) => {
    log.error({ err: error.message }, "cannot listen");
    process.exit(1);
  });

  const shutdown = (signal: string): void => {
    if (!ready) return;
    ready = false;
    web?.close();
    log.info({ signal, delaySeconds: options.shutdownDelayMs / 1000 }, "shutting down: /-/ready now answers 503");
    // No new client runs; a run in flight is killed. Scrapes keep serving the last results.
    exporter.clients.stop();
    // Keep serving for the delay so load balancers and probes see "not ready" first.
    setTimeout(() => {
      server.close(() => {
        log.info({}, "stopped");
        process.exit(0);
      });
      server.closeIdleConnections();
      setTimeout(() => {
        log.warn({}, "in-flight requests did not finish in time; exiting");
        process.exit(0);
      }, SHUTDOWN_GRACE_MS).unref();
    }, options.shutdownDelayMs).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  return -1;
}

/** Reads --web.config.file; "invalid" (logged, naming the key) stops start-up. */
function openWebConfig(
  options: ExporterOptions,
  log: Logger,
  onReload: (next: ActiveWebConfig) => void,
): WebConfigSource | undefined | "invalid" {
  const file = options.web.configFile;
  if (file === undefined) return undefined;
  let web: WebConfigSource;
  try {
    web = new WebConfigSource(file, {
      log,
      compatible: (current, next) => tlsRestartNeeded(current.tls, next.tls),
      onReload,
    });
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    log.error({ file, key: error.key, err: error.message }, "invalid --web.config.file");
    return "invalid";
  }
  const { config } = web.current;
  if (config.ignoredTlsKeys.length > 0) {
    log.warn(
      { file, keys: config.ignoredTlsKeys.join(",") },
      "TLS is off: tls_server_config has no cert_file, key_file or client CA, so these keys have no effect",
    );
  }
  return web;
}

function describeAddress(address: string | AddressInfo | null): string {
  if (address === null || typeof address === "string") return String(address);
  return address.family === "IPv6" ? `[${address.address}]:${address.port}` : `${address.address}:${address.port}`;
}

main().then(
  (code) => {
    if (code >= 0) process.exitCode = code;
  },
  (error: unknown) => {
    process.stderr.write(
      `livepatch_exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
