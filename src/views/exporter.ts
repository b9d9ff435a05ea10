// The exporter's own metrics: its build, how each collector's run went, the
// facts it could not determine, and the HTTP front's state.
import { FILE_ERROR_REASONS } from "../fs/file-access.js";
import type { CollectorRun } from "../snapshot/snapshot.js";
import { REJECTION_REASONS, type RejectionReason } from "../web/gate.js";
import type { WebConfigStatus } from "../web/reload.js";
import { bool, FACT_UNAVAILABLE, listed, SampleSink, spec, type Sample } from "./view.js";

const REJECTION_NOTES: Readonly<Record<RejectionReason, string>> = {
  max_requests: "503, --web.max-requests",
  rate_limit: "429, rate_limit of the web config",
  unauthorized: "401, basic authentication",
  auth_busy: "429, the budget of password checks is spent: a flood of unknown credentials",
  request_body: "413",
};

export const EXPORTER_METRICS = {
  livepatch_exporter_build_info: spec(
    ["version", "revision", "nodejs_version"],
    "A metric with a constant '1' value labeled by the exporter's version, git revision and Node.js version.",
    "package.json, build",
    "never",
  ),
  livepatch_exporter_web_config_reload_success: spec(
    [],
    "Whether the last reading of --web.config.file (at start or after the file or a certificate it names changed) was valid and is in force (1), or was invalid and the previous configuration is still in force (0).",
    "--web.config.file",
    "--web.config.file is not set",
  ),
  livepatch_exporter_web_config_last_reload_success_timestamp_seconds: spec(
    [],
    "When the web configuration in force was read, in seconds since the epoch.",
    "--web.config.file",
    "--web.config.file is not set",
  ),
  livepatch_exporter_http_requests_rejected_total: spec(
    ["reason"],
    `HTTP requests refused before reaching an endpoint, by reason: ${listed(REJECTION_REASONS, REJECTION_NOTES)}.`,
    "exporter",
    "never",
    "counter",
  ),
  livepatch_scrape_collector_success: spec(
    ["collector"],
    "Whether the collector produced its facts in this scrape (1) or failed (0).",
    "exporter",
    "the collector is disabled",
  ),
  livepatch_scrape_collector_duration_seconds: spec(
    ["collector"],
    "Time the collector took in this scrape, in seconds.",
    "exporter",
    "the collector is disabled",
  ),
  livepatch_scrape_collector_file_errors: spec(
    ["collector", "reason"],
    `Files the collector could not use in this scrape, by reason (${listed(FILE_ERROR_REASONS)}). Missing files the kernel does not provide are not errors.`,
    "exporter",
    "no file failed for that reason",
  ),
  [FACT_UNAVAILABLE]: spec(
    ["name", "reason"],
    "1 for each host fact the exporter could not determine in this scrape, with the reason (unreadable, not_mounted, not_found, invalid, ...); its own series are then absent, not 0.",
    "exporter",
    "the fact is known",
  ),
} as const;

export interface BuildInfo {
  readonly version: string;
  readonly revision: string;
}

/** Build info, then each enabled collector's success, duration and file errors. */
export function runSamples(out: Sample[], runs: readonly CollectorRun[], build: BuildInfo): void {
  const sink = new SampleSink<typeof EXPORTER_METRICS>(out);
  sink.emit("livepatch_exporter_build_info", { ...build, nodejs_version: process.version }, 1);
  for (const run of runs) {
    if (!run.enabled) continue;
    sink.emit("livepatch_scrape_collector_success", { collector: run.name }, bool(run.success));
    sink.emit("livepatch_scrape_collector_duration_seconds", { collector: run.name }, run.durationSeconds);
    for (const [reason, count] of run.fileErrors) {
      sink.emit("livepatch_scrape_collector_file_errors", { collector: run.name, reason }, count);
    }
  }
}

/** The HTTP front's own state: the web config file and refused requests. */
export interface WebStatus {
  /** undefined without --web.config.file. */
  readonly configFile: WebConfigStatus | undefined;
  readonly rejected: ReadonlyMap<RejectionReason, number>;
}

export function webSamples(status: WebStatus): Sample[] {
  const out: Sample[] = [];
  const sink = new SampleSink<typeof EXPORTER_METRICS>(out);
  if (status.configFile !== undefined) {
    sink.emit("livepatch_exporter_web_config_reload_success", {}, bool(status.configFile.lastReloadSuccess));
    sink.emit(
      "livepatch_exporter_web_config_last_reload_success_timestamp_seconds",
      {},
      status.configFile.lastSuccessAtMs / 1000,
    );
  }
  for (const [reason, count] of status.rejected) {
    sink.emit("livepatch_exporter_http_requests_rejected_total", { reason }, count);
  }
  return out;
}
