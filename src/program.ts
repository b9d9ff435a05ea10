// The program: parse flags, run `check` or serve, signals, exit codes.
// src/main.ts loads it once the open file limit allows.
//
// Exit codes: 0 stopped after SIGTERM/SIGINT (or `check`: healthy); 1 cannot
// listen, the open file limit is too low for the configuration, crashed (an
// uncaught exception is logged, then the process exits: its state is no
// longer known), or `check` found problems; 2 invalid flags, environment or
// --web.config.file (or `check`: the host could not be read).
// A process with a file system call hung on a dead mount cannot exit with a
// code (see endProcess): it ends by the signal that stopped it (SIGTERM).
//
// `check` and `textfile` are loaded only when they run: the server process,
// which lives for weeks, keeps no module only they need (the check report's
// views among them).
import { CommanderError } from "commander";
import { parseInvocation } from "./cli.js";
import { createExporter } from "./exporter.js";
import { filesNeeded, openFileLimit, RAISE_HINT } from "./file-limit.js";
import { poolCallsInFlight } from "./fs/pool.js";
import { createLogger, type Logger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { WebConfigError } from "./web/config-error.js";
import { createFront } from "./web/front.js";

/** How long in-flight scrapes get to finish after SIGTERM before the process exits anyway. */
const SHUTDOWN_GRACE_MS = 10_000;

async function main(): Promise<number | "serving"> {
  let invocation;
  try {
    invocation = parseInvocation(process.argv.slice(2));
  } catch (error) {
    if (error instanceof CommanderError) return error.exitCode;
    process.stderr.write(`livepatch_exporter: ${error instanceof Error ? error.message : String(error)}\n`);
    return 2;
  }
  if (invocation.command === "check") {
    const { runCheck } = await import("./check.js");
    const result = await runCheck(invocation.options, invocation.json);
    process.stdout.write(result.output);
    return result.exitCode;
  }
  if (invocation.command === "textfile") {
    const { options, output } = invocation;
    const { runTextfile } = await import("./textfile/run.js");
    return runTextfile(options, output, createLogger(options.logLevel, options.logFormat));
  }
  return serve(invocation.options);
}

async function serve(options: ExporterOptions): Promise<number | "serving"> {
  const log = createLogger(options.logLevel, options.logFormat);
  exitOnCrash(log);
  if (process.getuid?.() === 0) {
    log.warn({}, "running as root: the exporter needs only read access; see the README for least privilege");
  }
  const exporter = createExporter(options, log);
  const limit = openFileLimit();
  const needs = filesNeeded({ maxRequests: options.web.maxRequests, clients: exporter.clients.names.length });
  if (limit !== undefined && limit < needs.total) {
    log.error(
      { limit, needed: needs.total, parts: needs.parts, hint: `${RAISE_HINT}, or lower --web.max-requests` },
      "the open file limit is too low for this configuration",
    );
    return 1;
  }
  let front;
  try {
    front = await createFront(options, exporter, log);
  } catch (error) {
    if (!(error instanceof WebConfigError)) throw error;
    log.error({ file: options.web.configFile, key: error.key, err: error.message }, "invalid --web.config.file");
    return 2;
  }
  // Signal handlers before "listening" is logged: whoever waits for that line may signal at once.
  process.on("SIGHUP", () => {
    const result = front.reload();
    if (result === undefined) log.info({}, "SIGHUP: no --web.config.file to reload");
    else log.info({ result }, "SIGHUP: web config checked");
  });
  let stopping = false;
  const shutdown = (signal: NodeJS.Signals): void => {
    if (stopping) return;
    stopping = true;
    front.beginShutdown();
    log.info({ signal, delaySeconds: options.shutdownDelayMs / 1000 }, "shutting down: /-/ready now answers 503");
    // No new client runs; a run in flight is killed. Scrapes keep serving the last results.
    exporter.clients.stop();
    // Keep serving for the delay so load balancers and probes see "not ready" first.
    setTimeout(() => {
      // Collections still running end now: the scrapes waiting for them are answered at once.
      exporter.source.close();
      void front.close(SHUTDOWN_GRACE_MS).then(async (result) => {
        if (result === "closed") log.info({}, "stopped");
        else log.warn({}, "in-flight requests did not finish in time; exiting");
        await endProcess(signal, log);
        process.exit(0);
      });
    }, options.shutdownDelayMs).unref();
  };
  process.on("SIGTERM", () => shutdown("SIGTERM"));
  process.on("SIGINT", () => shutdown("SIGINT"));
  try {
    await front.listen();
  } catch (error) {
    log.error({ err: error instanceof Error ? error.message : String(error) }, "cannot listen");
    return 1;
  }
  exporter.clients.start();
  return "serving";
}

/** A bug escaped: log it and exit, rather than serve from a state nobody planned for. */
function exitOnCrash(log: Logger): void {
  const crash = (kind: string, error: unknown): void => {
    log.error({ err: error instanceof Error ? (error.stack ?? error.message) : String(error) }, `${kind}; exiting`);
    process.exit(1);
  };
  process.on("uncaughtException", (error) => crash("uncaught exception", error));
  process.on("unhandledRejection", (reason) => crash("unhandled rejection", reason));
}

/** How long in-flight file system calls get to return before they count as hung. */
const POOL_DRAIN_MS = 200;

/**
 * Before the process exits. Node.js joins libuv's pool threads on exit, so a
 * file system call hung on a dead mount (src/fs/pool.ts) would keep the
 * process from ever exiting: after a short wait for the calls in flight, such
 * a process is ended by `signal` at its default action instead (terminated by
 * SIGTERM, which systemd and Kubernetes count as a clean stop). Returns when
 * the process may exit normally.
 */
async function endProcess(signal: NodeJS.Signals, log?: Logger): Promise<void> {
  const deadline = Date.now() + POOL_DRAIN_MS;
  while (poolCallsInFlight() > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
  const hung = poolCallsInFlight();
  if (hung === 0) return;
  const message = `${hung} file system call(s) hung on the host's files: ending by ${signal}`;
  if (log === undefined) process.stderr.write(`livepatch_exporter: ${message}\n`);
  else log.warn({ calls: hung }, message);
  process.removeAllListeners(signal);
  process.kill(process.pid, signal);
}

main().then(
  (code) => {
    if (code === "serving") return;
    process.exitCode = code;
    // `check` or `textfile` is done; a read hung on the host's files would keep the process alive.
    void endProcess("SIGTERM");
  },
  (error: unknown) => {
    process.stderr.write(
      `livepatch_exporter: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
    );
    process.exitCode = 2;
  },
);
