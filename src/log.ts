// Logging: pino, as JSON or as logfmt (the format Prometheus' own binaries use).
// The logfmt form is produced by a small synchronous destination that re-encodes
// pino's JSON lines synchronously, so no worker-thread transport is started.
import { pino, type DestinationStream } from "pino";

export const LOG_LEVELS = ["debug", "info", "warn", "error"] as const;
export type LogLevel = (typeof LOG_LEVELS)[number];
export const LOG_FORMATS = ["logfmt", "json"] as const;
export type LogFormat = (typeof LOG_FORMATS)[number];

/** The subset of pino's Logger the rest of the code uses (collectors stay testable with a fake). */
export interface Logger {
  debug(fields: object, message: string): void;
  info(fields: object, message: string): void;
  warn(fields: object, message: string): void;
  error(fields: object, message: string): void;
  child(bindings: Record<string, string>): Logger;
}

export function createLogger(
  level: LogLevel,
  format: LogFormat,
  output: NodeJS.WritableStream = process.stderr,
): Logger {
  const encode = format === "json" ? (line: string) => line : toLogfmt;
  const destination: DestinationStream = { write: (line: string) => void output.write(encode(line)) };
  return pino(
    {
      level,
      base: null,
      messageKey: "msg",
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
    },
    destination,
  );
}

/** A logger that drops everything (tests, and the `check` command's quiet mode). */
export const silentLogger: Logger = {
  debug: () => undefined,
  info: () => undefined,
  warn: () => undefined,
  error: () => undefined,
  child: () => silentLogger,
};

/** Re-encodes one pino JSON line as logfmt: ts, level, msg first, then the rest. */
export function toLogfmt(jsonLine: string): string {
  let record: Record<string, unknown>;
  try {
    record = JSON.parse(jsonLine) as Record<string, unknown>;
  } catch {
    return jsonLine;
  }
  const { time, level, msg, ...rest } = record;
  const pairs: string[] = [];
  const push = (key: string, value: unknown): void => {
    if (value !== undefined) pairs.push(`${key}=${logfmtValue(value)}`);
  };
  push("ts", time);
  push("level", level);
  push("msg", msg);
  for (const [key, value] of Object.entries(rest)) push(key, value);
  return `${pairs.join(" ")}\n`;
}

function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  return /^[^\s"=\\]+$/.test(text) ? text : JSON.stringify(text);
}
