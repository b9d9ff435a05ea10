// The whole exporter in this process, as main.ts assembles it from a command
// line: options, collectors and vendor clients, and the HTTP front (web config,
// reloads, gate, TLS, app) on a loopback port chosen by the kernel.
import { Writable } from "node:stream";
import { parseInvocation } from "../../src/cli.js";
import type { FleetDependencies } from "../../src/clients/fleet.js";
import { createExporter, type Exporter } from "../../src/exporter.js";
import { createLogger } from "../../src/log.js";
import { createFront, type Front } from "../../src/web/front.js";

export interface ServedFront {
  /** http(s)://127.0.0.1:<port> */
  readonly url: string;
  readonly exporter: Exporter;
  readonly front: Front;
  /** Every log line so far (JSON). */
  readonly logs: string[];
  /** Shutdown as on SIGTERM, without the delay; every test stops what it started (a listening server keeps
   * the test process alive). */
  stop(): Promise<void>;
}

export async function startFront(
  args: readonly string[],
  options: { env?: NodeJS.ProcessEnv; deps?: FleetDependencies } = {},
): Promise<ServedFront> {
  const invocation = parseInvocation(
    ["--web.listen-address=127.0.0.1:0", "--log.format=json", ...args],
    options.env ?? {},
  );
  if (invocation.command !== "serve") throw new Error("not a serve command line");
  const logs: string[] = [];
  const output = new Writable({
    write(chunk: Buffer, _encoding, done) {
      logs.push(
        ...chunk
          .toString("utf8")
          .split("\n")
          .filter((line) => line !== ""),
      );
      done();
    },
  });
  const log = createLogger(invocation.options.logLevel, "json", output);
  const exporter = createExporter(invocation.options, log, options.deps);
  const front = await createFront(invocation.options, exporter, log);
  const url = await front.listen();
  exporter.clients.start();
  let stopped: Promise<void> | undefined;
  return {
    url,
    exporter,
    front,
    logs,
    stop: () =>
      (stopped ??= (async () => {
        front.beginShutdown();
        exporter.clients.stop();
        front.server.closeAllConnections();
        await front.close(1000);
      })()),
  };
}
