// Command-line flags, node_exporter style. Every flag's environment variable
// is derived from the flag itself (envName): --web.listen-address reads
// LIVEPATCH_EXPORTER_WEB_LISTEN_ADDRESS, --no-collector.taint and
// --collector.taint share LIVEPATCH_EXPORTER_COLLECTOR_TAINT. Boolean
// variables take true/false/1/0/yes/no; a flag given on the command line wins.
import { Command, InvalidArgumentError, Option } from "commander";
import type { ClientMode, ClientOptions } from "./clients/fleet.js";
import { CLIENT_NAMES, isClientName, type ClientName } from "./clients/names.js";
import { CLIENTS } from "./clients/registry.js";
import {
  DEFAULT_CLIENT_COLLECTOR_OPTIONS,
  DEFAULT_FUNCTIONS_OPTIONS,
  DEFAULT_TRANSITION_OPTIONS,
} from "./collectors/options.js";
import { DEFAULT_HOST_PATHS } from "./fs/host-paths.js";
import { LOG_FORMATS, LOG_LEVELS, type LogFormat, type LogLevel } from "./log.js";
import { DEFAULT_PORT, parseListenAddress, type ExporterOptions } from "./options.js";
import { COLLECTOR_NAMES, COLLECTORS, type CollectorName } from "./registry.js";
import { VERSION } from "./version.js";

const ENV_PREFIX = "LIVEPATCH_EXPORTER_";

/** A configuration error found after commander parsed the command line (environment values). */
export class ConfigError extends Error {
  override readonly name = "ConfigError";
}

export type Invocation =
  | { readonly command: "serve"; readonly options: ExporterOptions }
  | { readonly command: "check"; readonly options: ExporterOptions; readonly json: boolean }
  | { readonly command: "textfile"; readonly options: ExporterOptions; readonly output: string };

/** LIVEPATCH_EXPORTER_ + the flag name without --/--no- in upper case, every non-alphanumeric as "_". */
function envName(flag: string): string {
  return (
    ENV_PREFIX +
    flag
      .replace(/^--(no-)?/, "")
      .replace(/[^A-Za-z0-9]/g, "_")
      .toUpperCase()
  );
}

/** The environment variable of an option: that of its long flag. */
export function optionEnvName(option: Option): string {
  return envName(option.long ?? option.flags);
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

const urlPath = (value: string): string => {
  if (!value.startsWith("/") || /\s/.test(value)) throw new InvalidArgumentError("must be a path starting with /");
  return value;
};

const listenAddress = (value: string): string => {
  if (parseListenAddress(value) === undefined) throw new InvalidArgumentError("must be [host]:port");
  return value;
};

/** An option whose help names its environment variable (once: --no-x shares the variable of --x). */
function option(flags: string, description: string): Option {
  const made = new Option(flags, description);
  if (!made.negate) made.description = `${description} (env: ${optionEnvName(made)})`;
  return made;
}

function addServeOptions(command: Command): void {
  command
    .addOption(
      option("--web.listen-address <address>", "address to listen on")
        .default(`:${DEFAULT_PORT}`)
        .argParser(listenAddress),
    )
    .addOption(
      option("--web.telemetry-path <path>", "path under which to expose metrics")
        .default("/metrics")
        .argParser(urlPath),
    )
    .addOption(option("--web.disable-exporter-metrics", "exclude process_* and nodejs_* metrics"))
    .addOption(
      option(
        "--web.exporter-metrics.extended",
        "also expose prom-client's other Node.js runtime metrics: event-loop delay (sampled every 10 ms), GC durations, heap spaces, active handles, requests and resources (~80 more series; docs/performance.md)",
      ),
    )
    .addOption(
      option("--web.shutdown-delay <seconds>", "after SIGTERM, answer 503 on /-/ready for this long before closing")
        .default(1)
        .argParser(nonNegativeSeconds),
    )
    .addOption(
      option(
        "--web.config.file <path>",
        "exporter-toolkit web configuration file: TLS, client certificates, basic authentication, headers",
      ),
    )
    .addOption(
      option("--web.max-requests <n>", "parallel requests served at once; more get 503 (0: no limit)")
        .default(40)
        .argParser(nonNegativeInt),
    )
    .addOption(
      option("--web.read-header-timeout <seconds>", "time a client has to send the request headers")
        .default(10)
        .argParser(positiveSeconds),
    )
    .addOption(
      option(
        "--web.request-timeout <seconds>",
        "time a client has to send a whole request; idle connections are closed after it",
      )
        .default(60)
        .argParser(positiveSeconds),
    );
}

const DEFAULT_CLIENT_INTERVAL_MINUTES = 5;
const DEFAULT_CLIENT_TIMEOUT_SECONDS = 30;
const DEFAULT_CLIENT_MAX_OUTPUT_BYTES = 4 * 1024 * 1024;

/** The options `check` shares with the server: what to read and how. */
function addCommonOptions(command: Command): void {
  command
    .addOption(option("--path.procfs <path>", "procfs mount point").default(DEFAULT_HOST_PATHS.procfs))
    .addOption(option("--path.sysfs <path>", "sysfs mount point").default(DEFAULT_HOST_PATHS.sysfs))
    .addOption(
      option("--path.rootfs <path>", "the host's root filesystem (for /etc, /boot, /lib/modules, /run)").default(
        DEFAULT_HOST_PATHS.rootfs,
      ),
    )
    .addOption(
      option("--path.kmsg <path>", "the kernel log device (a container maps the host's /dev/kmsg)").default(
        DEFAULT_HOST_PATHS.kmsg,
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
      option(
        "--collector.functions.limit <n>",
        "list at most this many patched functions one by one (the functions, redirection and probes collectors)",
      )
        .default(DEFAULT_FUNCTIONS_OPTIONS.limit)
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
    const byDefault = isClientName(name)
      ? "enabled when the client is installed"
      : COLLECTORS[name].collector.optIn === true
        ? "disabled"
        : "enabled";
    command.addOption(
      option(
        `--collector.${name}`,
        `enable the ${name} collector: ${COLLECTORS[name].collector.help} (default: ${byDefault})`,
      ),
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
}

/** The whole command line; `select` receives what to do once commander has parsed it. */
export function buildProgram(env: NodeJS.ProcessEnv, select: (invocation: Invocation) => void): Command {
  const program = new Command("livepatch_exporter")
    .description("Prometheus exporter for Linux kernel live patching.")
    .version(VERSION, "--version", "print the version and exit")
    .exitOverride();
  addServeOptions(program);
  addCommonOptions(program);
  program.action(() => {
    select({ command: "serve", options: resolve(program, env) });
  });
  program
    .command("check")
    .description(
      "report whether live patching works on this host and is suitable; exit 0 healthy, 1 problems, 2 unreadable",
    )
    .option("--json", "print the report as JSON")
    .action((checkOptions: { json?: boolean }) => {
      select({ command: "check", options: resolve(program, env), json: checkOptions.json === true });
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
      select({ command: "textfile", options: resolve(program, env), output: textfileOptions.output });
    });
  return program;
}

/** Parses argv (without node and script) into what to do. Throws CommanderError on bad input or --help/--version. */
export function parseInvocation(argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Invocation {
  let invocation: Invocation | undefined;
  buildProgram(env, (selected) => (invocation = selected)).parse([...argv], { from: "user" });
  if (invocation === undefined) throw new Error("no command was selected");
  return invocation;
}

/** `livepatch_exporter --help` and each subcommand's `--help`, at a fixed width (docs/flags.md). */
export function helpTexts(width: number): {
  readonly serve: string;
  readonly check: string;
  readonly textfile: string;
} {
  const program = buildProgram({}, () => undefined);
  const sub = (name: string): Command => {
    const command = program.commands.find((c) => c.name() === name);
    if (command === undefined) throw new Error(`no ${name} command`);
    return command;
  };
  const check = sub("check");
  const textfile = sub("textfile");
  for (const command of [program, check, textfile]) command.configureHelp({ helpWidth: width });
  return { serve: program.helpInformation(), check: check.helpInformation(), textfile: textfile.helpInformation() };
}

/** Sets every option given only by its environment variable, parsed as the flag would be. */
function applyEnvironment(program: Command, env: NodeJS.ProcessEnv): void {
  const done = new Set<string>();
  for (const opt of program.options) {
    const key = opt.attributeName();
    const name = optionEnvName(opt);
    const text = env[name];
    if (done.has(key) || text === undefined) continue;
    done.add(key);
    const source = program.getOptionValueSource(key);
    if (source !== undefined && source !== "default") continue; // the command line wins
    program.setOptionValueWithSource(key, envValue(opt, name, text), "env");
  }
}

function envValue(opt: Option, name: string, text: string): unknown {
  if (!opt.required && !opt.optional) return parseEnvBool(name, text);
  if (opt.parseArg === undefined) return text;
  try {
    return opt.parseArg<unknown>(text, undefined);
  } catch (error) {
    throw new ConfigError(`${name}: ${error instanceof Error ? error.message : String(error)}`);
  }
}

function resolve(program: Command, env: NodeJS.ProcessEnv): ExporterOptions {
  applyEnvironment(program, env);
  const opts = program.opts<Record<string, unknown>>();
  const value = (key: string): unknown => opts[key];

  const disableDefaults = value("collector.disableDefaults") === true;
  // Clients are not in this set: they are enabled when found at start-up (src/clients/fleet.ts).
  const enabled = new Set<CollectorName>();
  for (const name of COLLECTOR_NAMES) {
    if (isClientName(name)) continue;
    const explicit = value(`collector.${name}`);
    const byDefault = !disableDefaults && COLLECTORS[name].collector.optIn !== true;
    if (explicit === true || (explicit === undefined && byDefault)) enabled.add(name);
  }
  const clientInterval = Number(value("collector.clients.interval"));
  const byClient = {} as Record<ClientName, ClientOptions>;
  for (const name of CLIENT_NAMES) {
    const explicit = value(`collector.${name}`);
    const mode: ClientMode = explicit === true ? "on" : explicit === false || disableDefaults ? "off" : "auto";
    const path = value(`collector.${name}.path`);
    const interval = value(`collector.${name}.interval`);
    byClient[name] = {
      mode,
      path: typeof path === "string" && path !== "" ? path : undefined,
      intervalMs: Math.round((interval === undefined ? clientInterval : Number(interval)) * 60_000),
    };
  }
  const listen = parseListenAddress(String(value("web.listenAddress")));
  if (listen === undefined) throw new ConfigError("invalid --web.listen-address");
  const configFile = value("web.config.file");
  const headersTimeoutMs = Math.round(Number(value("web.readHeaderTimeout")) * 1000);
  const requestTimeoutMs = Math.round(Number(value("web.requestTimeout")) * 1000);
  if (headersTimeoutMs > requestTimeoutMs) {
    throw new ConfigError("--web.read-header-timeout must not be longer than --web.request-timeout");
  }
  return {
    listen,
    web: {
      configFile: typeof configFile === "string" && configFile !== "" ? configFile : undefined,
      maxRequests: Number(value("web.maxRequests")),
      headersTimeoutMs,
      requestTimeoutMs,
    },
    telemetryPath: String(value("web.telemetryPath")),
    exporterMetrics: value("web.disableExporterMetrics") !== true,
    extendedExporterMetrics: value("web.exporterMetrics.extended") === true,
    shutdownDelayMs: Math.round(Number(value("web.shutdownDelay")) * 1000),
    paths: {
      procfs: String(value("path.procfs")),
      sysfs: String(value("path.sysfs")),
      rootfs: String(value("path.rootfs")),
      kmsg: String(value("path.kmsg")),
    },
    enabledCollectors: enabled,
    collectors: {
      transition: {
        maxThreads: Number(value("collector.transition.maxThreads")),
        blockingThreads: value("collector.transition.blockingThreads") === true,
        blockingThreadsLimit: Number(value("collector.transition.blockingThreadsLimit")),
      },
      functions: { limit: Number(value("collector.functions.limit")) },
      clients: {
        fixInfo: value("collector.clients.fixInfo") === true,
        fixInfoLimit: Number(value("collector.clients.fixInfoLimit")),
      },
    },
    clients: {
      byClient,
      timeoutMs: Math.round(Number(value("collector.clients.timeout")) * 1000),
      maxOutputBytes: Number(value("collector.clients.maxOutputBytes")),
    },
    collectorTimeoutMs: Math.round(Number(value("collector.timeout")) * 1000),
    logLevel: String(value("log.level")) as LogLevel,
    logFormat: String(value("log.format")) as LogFormat,
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
