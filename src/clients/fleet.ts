// The clients this process runs: chosen at start-up (detected, or forced on
// or off by flags), each with its own background runner.
import os from "node:os";
import type { Logger } from "../log.js";
import { findBinary, isExecutableFile, type IsExecutable } from "./detect.js";
import { CLIENT_NAMES, type ClientName } from "./names.js";
import { CLIENTS } from "./registry.js";
import { ClientRunner } from "./runner.js";

/** auto: enabled when the binary is found; on: always (a missing binary is reported as not_found); off: never. */
export type ClientMode = "auto" | "on" | "off";

export interface ClientOptions {
  readonly mode: ClientMode;
  /** --collector.<name>.path: the binary, instead of the usual paths. */
  readonly path: string | undefined;
  readonly intervalMs: number;
}

export interface ClientsOptions {
  readonly byClient: Readonly<Record<ClientName, ClientOptions>>;
  readonly timeoutMs: number;
  readonly maxOutputBytes: number;
}

export interface FleetDependencies {
  readonly isExecutable?: IsExecutable;
  readonly runningRelease?: string;
  readonly env?: NodeJS.ProcessEnv;
}

export class ClientFleet {
  private constructor(readonly runners: ReadonlyMap<ClientName, ClientRunner>) {}

  /** Chooses the clients to run and creates (does not start) their runners. */
  static create(options: ClientsOptions, log: Logger, deps: FleetDependencies = {}): ClientFleet {
    const runners = new Map<ClientName, ClientRunner>();
    const isExecutable = deps.isExecutable ?? isExecutableFile;
    const binaryOf = (name: ClientName): string | undefined =>
      findBinary(CLIENTS[name], options.byClient[name].path, isExecutable);
    for (const name of CLIENT_NAMES) {
      const client = options.byClient[name];
      if (client.mode === "off") continue;
      const definition = CLIENTS[name];
      const found = binaryOf(name);
      const preferred = definition.supersededBy;
      if (
        found !== undefined &&
        client.mode === "auto" &&
        preferred !== undefined &&
        options.byClient[preferred].mode !== "off" &&
        (options.byClient[preferred].mode === "on" || binaryOf(preferred) !== undefined)
      ) {
        log.info(
          { client: name, binary: found, preferred },
          "client found, but the client it wraps is installed too: only that one runs",
        );
        continue;
      }
      if (found === undefined && client.mode === "auto") {
        if (client.path !== undefined) {
          log.warn(
            { client: name, path: client.path },
            "client binary given by flag is not an executable file; collector disabled",
          );
        } else {
          log.debug({ client: name, paths: definition.usualPaths.join(",") }, "client not installed");
        }
        continue;
      }
      const binary = found ?? client.path ?? definition.usualPaths[0] ?? name;
      log.info(
        { client: name, binary, intervalSeconds: client.intervalMs / 1000, forced: client.mode === "on" },
        found === undefined ? "client enabled by flag but its binary was not found" : "client found",
      );
      runners.set(
        name,
        new ClientRunner({
          definition,
          binary,
          intervalMs: client.intervalMs,
          timeoutMs: options.timeoutMs,
          maxOutputBytes: options.maxOutputBytes,
          context: { runningRelease: deps.runningRelease ?? os.release() },
          log,
          ...(deps.env === undefined ? {} : { env: deps.env }),
        }),
      );
    }
    return new ClientFleet(runners);
  }

  get names(): ClientName[] {
    return [...this.runners.keys()];
  }

  /** Starts every runner's schedule (the first run starts now). */
  start(): void {
    for (const runner of this.runners.values()) runner.start();
  }

  /** Runs every client once, concurrently (the `check` command). */
  async runOnce(): Promise<void> {
    await Promise.all([...this.runners.values()].map((runner) => runner.runOnce()));
  }

  /** Stops every schedule and kills the runs in flight. */
  stop(): void {
    for (const runner of this.runners.values()) runner.stop();
  }
}
