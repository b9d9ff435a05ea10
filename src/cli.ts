// Command-line flags, node_exporter style, each with an environment fallback:
// --web.listen-address <-> LIVEPATCH_EXPORTER_WEB_LISTEN_ADDRESS. Boolean
// variables take true/false/1/0; a flag given on the command line wins.
import { Command, InvalidArgumentError, Option } from "commander";
import type { ClientMode, ClientOptions } from "./clients/fleet.js";
import { CLIENT_NAMES, isClientName, type ClientName } from "./clients/names.js";
import { CLIENTS } from "./clients/registry.js";
import { DEFAULT_CLIENT_COLLECTOR_OPTIONS } from "./collectors/client.js";
import { DEFAULT_TRANSITION_OPTIONS } from "./collectors/transition.js";
import { COLLECTOR_NAMES, type CollectorName } from "./collectors/types.js";
import { DEFAULT_HOST_PATHS } from "./fs/host-paths.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log.js";
import { DEFAULT_PORT, parseListenAddress, type ExporterOptions } from "./options.js";
import { VERSION } from "./version.js";

export const ENV_PREFIX = "LIVEPATCH_EXPORTER_";

/** A configuration error found after commander parsed the command line (environment values). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Invocation =
  | { readonly command: "serve"; readonly options: ExporterOptions }
  | { readonly command: "check"; readonly options: ExporterOptions; readonly json: boolean }
  | { readonly command: "textfile"; readonly options: ExporterOptions; readonly output: string };

/** LIVEPATCH_EXPORTER_ + the flag name in upper case with every non-alphanumeric as "_". */
export function envName(flag: string): string {
  return (
    ENV_PREFIX +
    flag
      .replace(/^-+/, "")
      .replace(/[^A-Za-z0-9]/g, "_")
      .toUpperCase()
  );
}

const positiveInt = (value: string): number => {
  if (!/^\d+$/.test(value) || Number(value) < 1) throw new InvalidArgumentError("must be a positive integer");
  return Number(value);
};

const positiveSeconds = (value: string): number => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError("must be a positive number of seconds");
  return n;
};

const nonNegativeInt = (value: string): number => {
  if (!/^\d+$/.test(value)) throw new InvalidArgumentError("must be a whole number (0 for no limit)");
  return Number(value);
};

const nonNegativeSeconds = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n < 0)
    throw new InvalidArgumentError("must be a number of seconds");
  return n;
};

/** Longest interval a Node.js timer can wait: 2^31-1 ms, about 24.8 days. */
const MAX_INTERVAL_MINUTES = Math.floor((2 ** 31 - 1) / 60_000);

const positiveMinutes = (value: string): number => {
  const n = Number(value);
  if (value.trim() === "" || !Number.isFinite(n) || n <= 0 || n > MAX_INTERVAL_MINUTES)
    throw new InvalidArgumentError(`must be a positive number of minutes, at most ${MAX_INTERVAL_MINUTES}`);
  return n;
};

export const DEFAULT_CLIENT_INTERVAL_MINUTES = 5;
export const DEFAULT_CLIENT_TIMEOUT_SECONDS = 30;
export const DEFAULT_CLIENT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

const urlPath = (value: string): string => {
  if (!value.startsWith("/") || /\s/.test(value)) throw new InvalidArgumentError("must be a path starting with /");
  return value;
};

const listenAddress = (value: string): string => {
  if (parseListenAddress(value) === undefined) throw new InvalidArgumentError("must be [host]:port");
  return value;
};

const COLLECTOR_HELP: Readonly<Record<CollectorName, string>> = {
  livepatch: "live patches, objects and functions (/sys/kernel/livepatch)",
  transition: "the transition in progress and the threads blocking it",
  taint: "kernel taint, decoded by bit, and module taint letters",
  modules: "module loading: modules_disabled, sig_enforce, lockdown, ftrace",
  kernel: "kernel release, build, boot time, config; the host's os-release",
  reboot: "reboot required, by reason",
  readiness: "whether a new live patch could be loaded now",
  canonical_livepatch: "Canonical Livepatch: canonical-livepatch status",
  kpatch: "Red Hat kpatch: kpatch list",
  klp: "SUSE klp: klp status, klp -v patches",
  ksplice: "Oracle Ksplice: uptrack-show",
  kernelcare: "TuxCare KernelCare: kcarectl --info, --patch-info",
};

function addCommonOptions(command: Command): Command {
  const option = (flags: string, description: string): Option => {
    const long = /--[^\s,]+/.exec(flags)?.[0] ?? flags;
    return new Option(flags, `${description} (env: ${envName(long.replace(/^--no-/, "--"))})`);
  };
  command
    .addOption(option("--path.procfs <path>", "procfs mount point").default(DEFAULT_HOST_PATHS.procfs))
    .addOption(option("--path.sysfs <path>", "sysfs mount point").default(DEFAULT_HOST_PATHS.sysfs))
    .addOption(
      option("--path.rootfs <path>", "the host's root filesystem (for /etc, /boot, /lib/modules, /run)").default(
        DEFAULT_HOST_PATHS.rootfs,
      ),
    )
    .addOption(
      option("--collector.disable-defaults", "disable every collector not enabled explicitly with --collector.<name>"),
    )
    .addOption(
      option("--collector.timeout <seconds>", "time limit of one collector in one scrape")
        .default(5)
        .argParser(positiveSeconds),
    )
    .addOption(
      option("--collector.transition.max-threads <n>", "stop the thread walk of a transition after this many threads")
        .default(DEFAULT_TRANSITION_OPTIONS.maxThreads)
        .argParser(positiveInt),
    )
    .addOption(
      option("--collector.transition.blocking-threads", "report pid, tid and comm of threads blocking a transition"),
    )
    .addOption(
      option("--collector.transition.blocking-threads-limit <n>", "report at most this many blocking threads")
        .default(DEFAULT_TRANSITION_OPTIONS.blockingThreadsLimit)
        .argParser(positiveInt),
    )
    .addOption(
      option("--log.level <level>", "only log messages of this level or above").choices(LOG_LEVELS).default("info"),
    )
    .addOption(option("--log.format <format>", "log line format").choices(LOG_FORMATS).default("logfmt"))
    .addOption(
      option(
        "--collector.clients.interval <minutes>",
        "run each installed vendor client in the background every this many minutes",
      )
        .default(DEFAULT_CLIENT_INTERVAL_MINUTES)
        .argParser(positiveMinutes),
    )
    .addOption(
      option("--collector.clients.timeout <seconds>", "kill a client run (all its commands) after this long")
        .default(DEFAULT_CLIENT_TIMEOUT_SECONDS)
        .argParser(positiveSeconds),
    )
    .addOption(
      option("--collector.clients.max-output-bytes <bytes>", "kill a client command that prints more than this")
        .default(DEFAULT_CLIENT_MAX_OUTPUT_BYTES)
        .argParser(positiveInt),
    )
    .addOption(option("--collector.clients.fix-info", "report one series per fix (CVE) a client lists"))
    .addOption(
      option("--collector.clients.fix-info-limit <n>", "report at most this many fixes per client")
        .default(DEFAULT_CLIENT_COLLECTOR_OPTIONS.fixInfoLimit)
        .argParser(positiveInt),
    );
  for (const name of COLLECTOR_NAMES) {
    const byDefault = isClientName(name) ? "enabled when the client is installed" : "enabled";
    command.addOption(
      option(`--collector.${name}`, `enable the ${name} collector: ${COLLECTOR_HELP[name]} (default: ${byDefault})`),
    );
    command.addOption(option(`--no-collector.${name}`, `disable the ${name} collector`));
  }
  for (const name of CLIENT_NAMES) {
    command.addOption(
      option(
        `--collector.${name}.path <path>`,
        `the ${name} binary (default: the first of ${CLIENTS[name].usualPaths.join(", ")})`,
      ),
    );
    command.addOption(
      option(
        `--collector.${name}.interval <minutes>`,
        `run ${name} every this many minutes (default: --collector.clients.interval)`,
      ).argParser(positiveMinutes),
    );
  }
  return command;
}

/** Parses argv (without node and script) into what to do. Throws CommanderError on bad input or --help/--version. */
export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Invocation {
  let invocation: Invocation | undefined;
  const program = addCommonOptions(new Command("livepatch_exporter"))
    .description("Prometheus exporter for Linux kernel live patching.")
    .version(VERSION, "--version", "print the version and exit")
    .exitOverride()
    .addOption(
      new Option("--web.listen-address <address>", `address to listen on (env: ${envName("web.listen-address")})`)
        .default(`:${DEFAULT_PORT}`)
        .argParser(listenAddress),
    )
    .addOption(
      new Option(
        "--web.telemetry-path <path>",
        `path under which to expose metrics (env: ${envName("web.telemetry-path")})`,
      )
        .default("/metrics")
        .argParser(urlPath),
    )
    .addOption(
      new Option(
        "--web.disable-exporter-metrics",
        `exclude process_* and nodejs_* metrics (env: ${envName("web.disable-exporter-metrics")})`,
      ),
    )
    .addOption(
      new Option(
        "--web.shutdown-delay <seconds>",
        `after SIGTERM, answer 503 on /-/ready for this long before closing (env: ${envName("web.shutdown-delay")})`,
      )
        .default(1)
        .argParser(nonNegativeSeconds),
    )
    .addOption(
      new Option(
        "--web.config.file <path>",
        `exporter-toolkit web configuration file: TLS, client certificates, basic authentication, headers (env: ${envName("web.config.file")})`,
      ),
    )
    .addOption(
      new Option(
        "--web.max-requests <n>",
        `parallel requests served at once; more get 503 (0: no limit) (env: ${envName("web.max-requests")})`,
      )
        .default(40)
        .argParser(nonNegativeInt),
    )
    .addOption(
      new Option(
        "--web.read-header-timeout <seconds>",
        `time a client has to send the request headers (env: ${envName("web.read-header-timeout")})`,
      )
        .default(10)
        .argParser(positiveSeconds),
    )
    .addOption(
      new Option(
        "--web.request-timeout <seconds>",
        `time a client has to send a whole request; idle connections are closed after it (env: ${envName("web.request-timeout")})`,
      )
        .default(60)
        .argParser(positiveSeconds),
    )
    .action(() => {
      invocation = { command: "serve", options: resolve(program, env) };
    });
  program
    .command("check")
    .description(
      "report whether live patching works on this host and is suitable; exit 0 healthy, 1 problems, 2 unreadable",
    )
    .option("--json", "print the report as JSON")
    .action((checkOptions: { json?: boolean }) => {
      invocation = { command: "check", options: resolve(program, env), json: checkOptions.json === true };
    });
  program
    .command("textfile")
    .description(
      "collect once and write the metrics atomically for node_exporter's textfile collector " +
        "(--collector.textfile.directory); exit 0 written, 1 not written, 2 bad --output",
    )
    .requiredOption(
      "--output <path>",
      `a directory (livepatch_exporter.prom is written in it), a file ending in .prom, or - for standard output`,
    )
    .action((textfileOptions: { output: string }) => {
      invocation = { command: "textfile", options: resolve(program, env), output: textfileOptions.output };
    });
  program.parse([...argv], { from: "user" });
  if (invocation === undefined) throw new Error("no command was selected");
  return invocation;
}

function resolve(program: Command, env: NodeJS.ProcessEnv): ExporterOptions {
  const value = (key: string, flag: string): unknown => {
    const source = program.getOptionValueSource(key);
    const fromEnv = env[envName(flag)];
    if ((source === undefined || source === "default") && fromEnv !== undefined) {
      const option = program.options.find((o) => o.attributeName() === key && !o.negate);
      if (option !== undefined && !option.required) return parseEnvBool(envName(flag), fromEnv);
      const parse = option?.parseArg;
      if (parse === undefined) return fromEnv;
      try {
        return parse<unknown>(fromEnv, undefined);
      } catch (error) {
        throw new ConfigError(`${envName(flag)}: ${error instanceof Error ? error.message : String(error)}`);
      }
    }
    return program.getOptionValue(key);
  };
  const flag = (name: string): unknown => value(name, name);

  const disableDefaults = flag("collector.disableDefaults") === true;
  // Clients are not in this set: they are enabled when found at start-up (src/clients/fleet.ts).
  const enabled = new Set<CollectorName>();
  for (const name of COLLECTOR_NAMES) {
    if (isClientName(name)) continue;
    const explicit = value(`collector.${name}`, `collector.${name}`);
    if (explicit === true || (explicit === undefined && !disableDefaults)) enabled.add(name);
  }
  const clientInterval = Number(value("collector.clients.interval", "collector.clients.interval"));
  const byClient = {} as Record<ClientName, ClientOptions>;
  for (const name of CLIENT_NAMES) {
    const explicit = value(`collector.${name}`, `collector.${name}`);
    const mode: ClientMode = explicit === true ? "on" : explicit === false || disableDefaults ? "off" : "auto";
    const path = value(`collector.${name}.path`, `collector.${name}.path`);
    const interval = value(`collector.${name}.interval`, `collector.${name}.interval`);
    byClient[name] = {
      mode,
      path: typeof path === "string" && path !== "" ? path : undefined,
      intervalMs: Math.round((interval === undefined ? clientInterval : Number(interval)) * 60_000),
    };
  }
  const listen = parseListenAddress(String(value("web.listenAddress", "web.listen-address")));
  if (listen === undefined) throw new ConfigError("invalid --web.listen-address");
  const configFile = value("web.config.file", "web.config.file");
  const headersTimeoutMs = Math.round(Number(value("web.readHeaderTimeout", "web.read-header-timeout")) * 1000);
  const requestTimeoutMs = Math.round(Number(value("web.requestTimeout", "web.request-timeout")) * 1000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError("--web.read-header-timeout must not be longer than --web.request-timeout");
  }
  return {
    listen,
    web: {
      configFile: typeof configFile === "string" && configFile !== "" ? configFile : undefined,
      maxRequests: Number(value("web.maxRequests", "web.max-requests")),
      headersTimeoutMs,
      requestTimeoutMs,
    },
    telemetryPath: String(value("web.telemetryPath", "web.telemetry-path")),
    exporterMetrics: value("web.disableExporterMetrics", "web.disable-exporter-metrics") !== true,
    shutdownDelayMs: Math.round(Number(value("web.shutdownDelay", "web.shutdown-delay")) * 1000),
    paths: {
      procfs: String(flag("path.procfs")),
      sysfs: String(flag("path.sysfs")),
      rootfs: String(flag("path.rootfs")),
    },
    enabledCollectors: enabled,
    collectors: {
      transition: {
        maxThreads: Number(value("collector.transition.maxThreads", "collector.transition.max-threads")),
        blockingThreads:
          value("collector.transition.blockingThreads", "collector.transition.blocking-threads") === true,
        blockingThreadsLimit: Number(
          value("collector.transition.blockingThreadsLimit", "collector.transition.blocking-threads-limit"),
        ),
      },
      clients: {
        fixInfo: value("collector.clients.fixInfo", "collector.clients.fix-info") === true,
        fixInfoLimit: Number(value("collector.clients.fixInfoLimit", "collector.clients.fix-info-limit")),
      },
    },
    clients: {
      byClient,
      timeoutMs: Math.round(Number(value("collector.clients.timeout", "collector.clients.timeout")) * 1000),
      maxOutputBytes: Number(value("collector.clients.maxOutputBytes", "collector.clients.max-output-bytes")),
    },
    collectorTimeoutMs: Math.round(Number(value("collector.timeout", "collector.timeout")) * 1000),
    logLevel: String(value("log.level", "log.level")) as LogLevel,
    logFormat: String(value("log.format", "log.format")) as LogFormat,
  };
}

function parseEnvBool(name: string, text: string): boolean {
  switch (text.trim().toLowerCase()) {
    case "1":
    case "true":
    case "yes":
      return true;
    case "0":
    case "false":
    case "no":
      return false;
    default:
      throw new ConfigError(`${name} must be true or false, not ${JSON.stringify(text)}`);
  }
}
