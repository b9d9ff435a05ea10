// The exporter's configuration after flags and environment are parsed.
import type { ClientsOptions } from "./clients/fleet.js";
import type { CollectorOptions } from "./collectors/options.js";
import type { HostPaths } from "./fs/host-paths.js";
import type { LogFormat, LogLevel } from "./log.js";
import type { CollectorName } from "./registry.js";

/** Default listen port: outside the crowded 9100-9999 exporter range. */
export const DEFAULT_PORT = 10027;

export interface ListenAddress {
  /** undefined: every interface. */
  readonly host: string | undefined;
  readonly port: number;
}

/** The HTTP front: TLS and authentication (--web.config.file) and limits. */
export interface WebOptions {
  /** The exporter-toolkit web configuration file; undefined: plain HTTP, no authentication. */
  readonly configFile: string | undefined;
  /** Parallel requests served at once, beyond which 503 (0: no limit). */
  readonly maxRequests: number;
  readonly headersTimeoutMs: number;
  readonly requestTimeoutMs: number;
}

export interface ExporterOptions {
  readonly listen: ListenAddress;
  readonly web: WebOptions;
  readonly telemetryPath: string;
  /** process_* and nodejs_*: false with --web.disable-exporter-metrics. */
  readonly exporterMetrics: boolean;
  /** Every group of prom-client's default metrics, not only those kept by default. */
  readonly extendedExporterMetrics: boolean;
  /** After SIGTERM, how long /-/ready answers 503 before the server closes. */
  readonly shutdownDelayMs: number;
  readonly paths: HostPaths;
  /** Collectors enabled by flags; vendor clients are added when found at start-up (ClientFleet). */
  readonly enabledCollectors: ReadonlySet<CollectorName>;
  readonly collectors: CollectorOptions;
  /** Which vendor clients to run and how. */
  readonly clients: ClientsOptions;
  readonly collectorTimeoutMs: number;
  readonly logLevel: LogLevel;
  readonly logFormat: LogFormat;
}

/** "host:port", ":port", "[::1]:port" -> ListenAddress; undefined when malformed. */
export function parseListenAddress(text: string): ListenAddress | undefined {
  const match = /^(?:\[([0-9a-fA-F:.]+)\]|([^:[\]]*)):(\d{1,5})$/.exec(text);
  if (match === null) return undefined;
  const port = Number(match[3]);
  if (port > 65535) return undefined;
  const host = match[1] ?? match[2];
  return { host: host === undefined || host === "" ? undefined : host, port };
}
