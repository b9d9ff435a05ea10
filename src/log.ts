// Logging: pino, as JSON or as logfmt (the format Prometheus' own binaries use).
// The logfmt form is produced by a small synchronous destination that re-encodes
// pino's JSON lines synchronously, so no worker-thread transport is started.
//
// Logged values come from the host (file contents, client output, request
// paths): no control character reaches the log raw, in either format. pino
// escapes C0 controls in JSON strings; DEL, the C1 controls (U+0080-U+009F,
// which some terminals obey as escape sequences) and the Unicode line and
// paragraph separators are escaped here too.
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
  const encode = format === "json" ? escapeJsonLine : toLogfmt;
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

/** Characters JSON.stringify leaves raw that a terminal may act on or that split lines for some readers. */
const UNESCAPED_BY_JSON = /[\u007f-\u009f\u2028\u2029]/g;

const unicodeEscape = (char: string): string => `\\u${char.charCodeAt(0).toString(16).padStart(4, "0")}`;

/** A pino JSON line with those characters escaped: outside strings JSON has none, so the line stays valid. */
export function escapeJsonLine(line: string): string {
  return line.replace(UNESCAPED_BY_JSON, unicodeEscape);
}

/** Bare when it is one plain token; otherwise quoted, with every control character escaped. */
function logfmtValue(value: unknown): string {
  const text = typeof value === "string" ? value : JSON.stringify(value);
  if (/^[^\s"=\\\p{Cc}\u2028\u2029]+$/u.test(text)) return text;
  return JSON.stringify(text).replace(UNESCAPED_BY_JSON, unicodeEscape);
}
