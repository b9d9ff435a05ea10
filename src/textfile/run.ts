// Textfile mode: one collection, rendered exactly as /metrics renders it (less
// process_* and nodejs_*, which node_exporter serves for itself, and the HTTP
// front's own series), written for node_exporter's textfile collector. For
// hosts that will not open another port: a systemd timer runs this, and
// node_exporter serves the file (deploy/systemd/livepatch_exporter-textfile.*).
import { createExporter } from "../exporter.js";
import type { Logger } from "../log.js";
import type { ExporterOptions } from "../options.js";
import { REVISION, VERSION } from "../version.js";
import { MetricsRenderer } from "../views/metrics.js";
import { snapshotSamples } from "../views/samples.js";
import {
  removeStaleTempFiles,
  resolveTextfileTarget,
  TextfileOutputError,
  writeTextfileAtomically,
  type TextfileTarget,
} from "./output.js";

/** --output value that prints to standard output instead (for a look, or a pipe). */
export const STDOUT_OUTPUT = "-";

/** Exit codes: 0 written, 1 collected but not written, 2 unusable --output. */
export async function runTextfile(options: ExporterOptions, output: string, log: Logger): Promise<number> {
  let target: TextfileTarget | undefined;
  if (output !== STDOUT_OUTPUT) {
    try {
      target = resolveTextfileTarget(output);
    } catch (error) {
      if (!(error instanceof TextfileOutputError)) throw error;
      log.error({ output }, error.message);
      return 2;
    }
  }
  const exporter = createExporter(options, log);
  let text: string;
  try {
    // Vendor clients run once each, within --collector.clients.timeout, as `check` runs them.
    await exporter.clients.runOnce();
    const snapshot = await exporter.source.snapshot();
    const renderer = new MetricsRenderer({ exporterMetrics: false });
    text = await renderer.render(snapshotSamples(snapshot, { version: VERSION, revision: REVISION }));
  } finally {
    exporter.clients.stop();
  }
  if (target === undefined) {
    process.stdout.write(text);
    return 0;
  }
  for (const name of await removeStaleTempFiles(target)) {
    log.info({ directory: target.directory, name }, "removed a temporary file left by an interrupted run");
  }
  try {
    await writeTextfileAtomically(target, text);
  } catch (error) {
    log.error(
      { file: target.file, err: error instanceof Error ? error.message : String(error) },
      "cannot write the textfile; node_exporter keeps serving the previous one, if any",
    );
    return 1;
  }
  log.debug({ file: target.file, bytes: Buffer.byteLength(text) }, "textfile written");
  return 0;
}
