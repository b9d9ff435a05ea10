// Every dashboard query as Grafana runs it on opening a dashboard: the
// variables resolved from their label_values() queries and defaults ("All"
// where the variable offers it, else the first value), each panel target as
// an instant or range query over the dashboard's default time range with the
// step Grafana would pick for the panel's width, and each annotation.
import fs from "node:fs";
import path from "node:path";
import type { Dashboard } from "../../dashboards/src/model.js";
import {
  OVER_TIME_PANELS,
  annotationsOf,
  defaultChoice,
  formatChoice,
  interpolate,
  applyVariableRegex,
  queryResultRows,
  variableQuery,
  panelsOf,
  targetsOf,
  variablesOf,
  type ChosenValue,
} from "../../dashboards/src/walk.js";
import type { Measured, Prometheus } from "./prometheus.js";

export interface QueryRun {
  /** The dashboard file, and the variable choice when it is not Grafana's default. */
  readonly dashboard: string;
  /** Panel title, "variable <name>" or "annotation <name>". */
  readonly panel: string;
  readonly row: string | undefined;
  readonly refId: string;
  readonly kind: "instant" | "range" | "label values";
  readonly expr: string;
  readonly runs: readonly Measured[];
}

export interface DashboardRunOptions {
  readonly now: number;
  /** The data source's scrape interval (Grafana's "Scrape interval" / timeInterval), seconds. */
  readonly scrapeSeconds: number;
  readonly repeat: number;
  /** Variable values to use instead of Grafana's defaults, by variable name. */
  readonly choose?: Readonly<Record<string, string>>;
  readonly label?: string;
}

/** Width Grafana gives one of the 24 grid columns on a 1920-pixel screen. */
const PIXELS_PER_COLUMN = 1850 / 24;

export function loadDashboards(dir: string): Map<string, Dashboard> {
  return new Map(
    fs
      .readdirSync(dir)
      .filter((f) => f.endsWith(".json"))
      .sort()
      .map((f) => [f, JSON.parse(fs.readFileSync(path.join(dir, f), "utf8")) as Dashboard]),
  );
}

export async function runDashboard(
  prometheus: Prometheus,
  file: string,
  dashboard: Dashboard,
  options: DashboardRunOptions,
): Promise<QueryRun[]> {
  const rangeSeconds = relativeSeconds(dashboard.time?.from ?? "now-6h");
  const end = options.now;
  const start = end - rangeSeconds;
  const name = options.label === undefined ? file : `${file} (${options.label})`;
  const runs: QueryRun[] = [];
  const repeat = async (measure: () => Promise<Measured>): Promise<Measured[]> => {
    const out: Measured[] = [];
    for (let i = 0; i < options.repeat; i++) out.push(await measure());
    return out;
  };

  // Variables, in order: each query may use the ones before it.
  const values: Record<string, string> = {};
  for (const variable of variablesOf(dashboard)) {
    if ((variable.type as string) !== "query" || typeof variable.query !== "string") continue;
    const parsed = variableQuery(interpolate(variable.query, values));
    let options_: string[] = [];
    const measured = await repeat(async () => {
      const started = performance.now();
      if (parsed.kind === "label values") {
        const params: Record<string, string> = { start: String(start), end: String(end) };
        if (parsed.selector !== undefined) params["match[]"] = parsed.selector;
        options_ = await prometheus.api<string[]>(`label/${parsed.label}/values`, params);
      } else {
        // query_result(): one instant query at the range's end; each series a row the regex picks from.
        const data = await prometheus.api<{ result: Parameters<typeof queryResultRows>[0] }>(
          "query",
          { query: parsed.expr, time: String(end) },
          "POST",
        );
        options_ = queryResultRows(data.result);
      }
      options_ = applyVariableRegex(options_, variable.regex);
      return {
        ok: true,
        wallMs: performance.now() - started,
        evalMs: 0,
        series: options_.length,
        labels: [],
        samples: 0,
        peakSamples: 0,
      };
    });
    runs.push({
      dashboard: name,
      panel: `variable ${variable.name}`,
      row: undefined,
      refId: "-",
      kind: "label values",
      expr: variable.query,
      runs: measured,
    });
    const forced = options.choose?.[variable.name];
    const choice: ChosenValue =
      forced === undefined ? defaultChoice(variable, options_) : { variable, values: [forced], all: false };
    if (choice.values.length === 0 && !choice.all) throw new Error(`${file}: variable ${variable.name} has no value`);
    values[variable.name] = formatChoice(choice);
  }

  const intervals = (widthColumns: number, minStep?: number) => {
    const step = minStep ?? grafanaInterval(rangeSeconds, widthColumns * PIXELS_PER_COLUMN, options.scrapeSeconds);
    const rate = Math.max(step + options.scrapeSeconds, 4 * options.scrapeSeconds);
    return {
      step,
      values: {
        ...values,
        __interval: `${step}s`,
        __interval_ms: String(step * 1000),
        __rate_interval: `${rate}s`,
        __range: `${rangeSeconds}s`,
        __range_s: String(rangeSeconds),
      },
    };
  };

  for (const { panel, row } of panelsOf(dashboard)) {
    const { step, values: vars } = intervals(panel.gridPos?.w ?? 24);
    for (const target of targetsOf(panel)) {
      const expr = interpolate(target.expr, vars);
      const overTime = target.range === true || (target.instant !== true && OVER_TIME_PANELS.includes(panel.type));
      const base = { dashboard: name, panel: panel.title ?? "?", row, refId: target.refId ?? "?", expr };
      if (target.instant === true || !overTime) {
        runs.push({ ...base, kind: "instant", runs: await repeat(() => prometheus.measure(expr, { time: end })) });
      }
      if (overTime) {
        const range = { start: Math.floor(start / step) * step, end: Math.floor(end / step) * step, step };
        runs.push({ ...base, kind: "range", runs: await repeat(() => prometheus.measure(expr, range)) });
      }
    }
  }

  for (const annotation of annotationsOf(dashboard)) {
    if (annotation.expr === undefined) continue;
    const annotationStep = annotation.step === undefined ? 60 : relativeSeconds(`now-${annotation.step}`);
    const { step, values: vars } = intervals(24, annotationStep);
    const expr = interpolate(annotation.expr, vars);
    const range = { start: Math.floor(start / step) * step, end: Math.floor(end / step) * step, step };
    runs.push({
      dashboard: name,
      panel: `annotation ${annotation.name}`,
      row: undefined,
      refId: "-",
      kind: "range",
      expr,
      runs: await repeat(() => prometheus.measure(expr, range)),
    });
  }
  return runs;
}

/** "now-6h" -> 21600. */
function relativeSeconds(text: string): number {
  const match = /^now-(\d+)([smhdw])$/.exec(text);
  if (match?.[1] === undefined || match[2] === undefined) throw new Error(`unsupported relative time ${text}`);
  const units: Record<string, number> = { s: 1, m: 60, h: 3600, d: 86_400, w: 604_800 };
  return Number(match[1]) * (units[match[2]] ?? 0);
}

/** Grafana's interval: the range over the panel's width in pixels, rounded to a nice step, at least the scrape interval. */
export function grafanaInterval(rangeSeconds: number, pixels: number, minSeconds: number): number {
  const raw = rangeSeconds / Math.max(1, Math.floor(pixels));
  const nice = [
    1, 2, 5, 10, 15, 20, 30, 60, 120, 300, 600, 900, 1200, 1800, 3600, 7200, 10_800, 21_600, 43_200, 86_400,
  ];
  let rounded = nice[nice.length - 1] ?? raw;
  for (let i = 0; i < nice.length; i++) {
    const next = nice[i + 1];
    const here = nice[i] ?? raw;
    if (next === undefined || raw < (here + next) / 2) {
      rounded = here;
      break;
    }
  }
  return Math.max(rounded, minSeconds);
}
