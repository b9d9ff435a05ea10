// Samples -> Prometheus text exposition format (version 0.0.4), written
// directly instead of through a prom-client Registry of Gauges.
//
// Why: building a registry and one Gauge per family on every scrape, then
// letting prom-client hash, validate and re-escape every series, cost ~30 ms
// for 1,000 patches (12,000 series); this costs ~1/20 of that (bench/).
//
// The output is byte for byte what prom-client 15 printed for the same
// samples (test/unit/exposition.test.ts renders every fixture both ways):
// families in order of their first sample, series in order, labels in the
// order of the sample's object, "# HELP" then "# TYPE", families separated by
// a blank line, one trailing newline. Two things prom-client did are not
// redone per series: validating names and labels (the compiler checks the
// samples against the catalog, and the catalog test checks the catalog), and
// merging two samples with the same label set (samples.ts never emits one
// twice: the samples test checks every fixture; keeping a map of 12,000
// series keys cost more than the rest of the rendering).
import { METRICS, type MetricName } from "./catalog.js";
import type { Sample } from "./samples.js";

/** One series of a family: its labels in output order, and its value. */
export interface Series {
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

/** The catalog's samples as exposition text. */
export function renderExposition(samples: readonly Sample[]): string {
  const families = new Map<MetricName, Sample[]>();
  for (const sample of samples) {
    const family = families.get(sample.name);
    if (family === undefined) families.set(sample.name, [sample]);
    else family.push(sample);
  }
  let text = "";
  for (const [name, family] of families) {
    text = appendFamily(text, header(name), name, family);
  }
  return `${text}\n`;
}

const headers = new Map<MetricName, string>();

/** "# HELP" and "# TYPE" lines of a catalog family, computed once per process. */
function header(name: MetricName): string {
  let lines = headers.get(name);
  if (lines === undefined) {
    const spec = METRICS[name];
    lines = familyHeader(name, spec.help, spec.type);
    headers.set(name, lines);
  }
  return lines;
}

export function familyHeader(name: string, help: string, type: "gauge" | "counter" | "histogram"): string {
  return `# HELP ${name} ${escapeHelp(help)}\n# TYPE ${name} ${type}`;
}

/**
 * Appends a family (its header, then one line per series) to `text`, after a
 * blank line unless it is the first. No trailing newline: the caller ends the
 * exposition with one.
 */
export function appendFamily(text: string, header: string, name: string, series: Iterable<Series>): string {
  return appendSeries(text === "" ? header : `${text}\n\n${header}`, name, series);
}

/** Appends series lines named `name` (a histogram's _bucket, _sum, _count) to a family already begun. */
export function appendSeries(text: string, name: string, series: Iterable<Series>): string {
  let out = text;
  for (const { labels, value } of series) out += `\n${name}${formatLabels(labels)} ${formatValue(value)}`;
  return out;
}

function formatLabels(labels: Readonly<Record<string, string>>): string {
  let out = "";
  for (const key in labels) out += `${out === "" ? "{" : ","}${key}="${escapeLabelValue(labels[key] ?? "")}"`;
  return out === "" ? "" : `${out}}`;
}

const NEEDS_ESCAPE_HELP = /[\\\n]/;
const NEEDS_ESCAPE_LABEL = /[\\\n"]/;

function escapeHelp(text: string): string {
  return NEEDS_ESCAPE_HELP.test(text) ? text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n") : text;
}

function escapeLabelValue(text: string): string {
  return NEEDS_ESCAPE_LABEL.test(text) ? text.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"') : text;
}

/** prom-client's spelling, including its "Nan". */
function formatValue(value: number): string {
  if (Number.isNaN(value)) return "Nan";
  if (value === Infinity) return "+Inf";
  if (value === -Infinity) return "-Inf";
  return `${value}`;
}
