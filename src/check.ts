// The `check` command: one snapshot of the host with every host collector,
// whatever the flags say (the opt-in ones when their flag is given), and each
// detected vendor client run once (within its timeout), as a report in text or
// JSON with its exit code.
import { isClientName } from "./clients/names.js";
import { createExporter } from "./exporter.js";
import { createLogger, silentLogger } from "./log.js";
import type { ExporterOptions } from "./options.js";
import { COLLECTOR_NAMES, COLLECTORS } from "./registry.js";
import { reportJson } from "./views/check-json.js";
import { reportText } from "./views/check-text.js";
import { buildReport } from "./views/report.js";

export interface CheckResult {
  readonly output: string;
  /** 0 healthy, 1 a problem was found, 2 the host could not be read. */
  readonly exitCode: 0 | 1 | 2;
}

export async function runCheck(options: ExporterOptions, json: boolean): Promise<CheckResult> {
  const hosts = COLLECTOR_NAMES.filter(
    (name) => !isClientName(name) && (COLLECTORS[name].collector.optIn !== true || options.enabledCollectors.has(name)),
  );
  const all = { ...options, enabledCollectors: new Set(hosts) };
  const log = options.logLevel === "debug" ? createLogger("debug", options.logFormat) : silentLogger;
  const exporter = createExporter(all, log);
  try {
    await exporter.clients.runOnce();
    const report = buildReport(await exporter.source.snapshot());
    return { output: json ? reportJson(report) : reportText(report), exitCode: report.exitCode };
  } finally {
    exporter.clients.stop();
  }
}
