// How Grafana reads a finished dashboard: its panels (with the row each sits
// under), their Prometheus queries, the annotations, and the text Grafana
// sends to Prometheus once the template variables are filled in. Shared by the
// tests (test/helpers/dashboards.ts) and the fleet simulator (bench/fleet), so
// neither imports the other.
import type { AnnotationQuery, Panel, RowPanel, VariableModel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dashboard } from "./model.js";

export interface PanelInRow {
  readonly panel: Panel;
  /** Title of the row the panel sits under, if any. */
  readonly row: string | undefined;
  /** Whether that row is collapsed (its panels nested inside it). */
  readonly collapsed: boolean;
}

/** Every panel that is not a row, in reading order, with its row. */
export function panelsOf(dashboard: Dashboard): PanelInRow[] {
  const result: PanelInRow[] = [];
  let row: string | undefined;
  for (const item of dashboard.panels ?? []) {
    if (item.type === "row") {
      const rowPanel = item as RowPanel;
      row = rowPanel.title;
      for (const inner of rowPanel.panels) result.push({ panel: inner, row, collapsed: rowPanel.collapsed });
      continue;
    }
    result.push({ panel: item, row, collapsed: false });
  }
  return result;
}

/** Every row and panel, nested ones included. */
export function allPanels(dashboard: Dashboard): (Panel | RowPanel)[] {
  return (dashboard.panels ?? []).flatMap((item) =>
    item.type === "row" ? [item, ...(item as RowPanel).panels] : [item],
  );
}

export interface PromTarget {
  readonly refId?: string;
  readonly expr: string;
  readonly instant?: boolean;
  readonly range?: boolean;
  readonly format?: string;
  readonly legendFormat?: string;
  readonly datasource?: { type?: string; uid?: string };
}

export const targetsOf = (panel: Panel): PromTarget[] => (panel.targets ?? []) as unknown as PromTarget[];

export function annotationsOf(dashboard: Dashboard): AnnotationQuery[] {
  return dashboard.annotations.list ?? [];
}

export function variablesOf(dashboard: Dashboard): VariableModel[] {
  return dashboard.templating.list ?? [];
}

/** Panel types Grafana draws over time: their queries are range queries. */
export const OVER_TIME_PANELS: readonly string[] = ["timeseries", "state-timeline", "status-history"];

/** What a multi-value or single-value variable holds once Grafana has chosen. */
export interface ChosenValue {
  readonly variable: VariableModel;
  /** The selected values; ignored when `all` is set and the variable has an allValue. */
  readonly values: readonly string[];
  readonly all: boolean;
}

/**
 * The value Grafana picks for a query variable nobody has chosen yet: "All"
 * when the variable offers it, else the first option in the variable's sort
 * order (options come from its query, for example label_values()).
 */
export function defaultChoice(variable: VariableModel, options: readonly string[]): ChosenValue {
  if (variable.includeAll === true) return { variable, values: options, all: true };
  const sorted = sortOptions(options, variable.sort);
  return { variable, values: sorted.slice(0, 1), all: false };
}

/** Grafana's VariableSort: 1/2 alphabetical, 3/4 numerical, 5/6 case-insensitive, 7/8 natural. */
function sortOptions(options: readonly string[], sort: number | undefined): string[] {
  const copy = [...options];
  switch (sort) {
    case 1:
    case 5:
      return copy.sort((a, b) => a.localeCompare(b, undefined, { sensitivity: sort === 5 ? "base" : "variant" }));
    case 2:
    case 6:
      return copy.sort((a, b) => b.localeCompare(a, undefined, { sensitivity: sort === 6 ? "base" : "variant" }));
    case 3:
      return copy.sort((a, b) => leadingNumber(a) - leadingNumber(b));
    case 4:
      return copy.sort((a, b) => leadingNumber(b) - leadingNumber(a));
    case 7:
      return copy.sort((a, b) => a.localeCompare(b, undefined, { numeric: true }));
    case 8:
      return copy.sort((a, b) => b.localeCompare(a, undefined, { numeric: true }));
    default:
      return copy; // Disabled: the order the data source returned
  }
}

function leadingNumber(text: string): number {
  const match = /\d+/.exec(text);
  return match === null ? Number.NaN : Number(match[0]);
}

/**
 * The text of one variable in a Prometheus query, as Grafana's Prometheus
 * data source writes it: "All" is the allValue verbatim (or every option as a
 * regex alternation when there is none); a multi-value or includeAll variable
 * is regex-escaped; a plain single value only has \ and ' escaped.
 */
export function formatChoice(choice: ChosenValue): string {
  const { variable } = choice;
  if (choice.all && typeof variable.allValue === "string" && variable.allValue !== "") return variable.allValue;
  if (variable.multi !== true && variable.includeAll !== true) return regularEscape(choice.values[0] ?? "");
  const escaped = choice.values.map(regexEscape);
  return escaped.length === 1 ? (escaped[0] ?? "") : `(${escaped.join("|")})`;
}

const regularEscape = (value: string): string => value.replace(/\\/g, "\\\\").replace(/'/g, "\\\\'");
const regexEscape = (value: string): string => value.replace(/\\/g, "\\\\\\\\").replace(/[$^*{}[\]'+?.()|]/g, "\\\\$&");

/**
 * `expr` with every `$name` and `${name}` replaced from `values`. An unknown
 * variable throws, so a new one cannot slip through unsubstituted; `$1` in
 * label_replace is not a variable (names do not start with a digit).
 */
export function interpolate(expr: string, values: Readonly<Record<string, string>>): string {
  return expr.replace(
    /\$\{(\w+)(?::\w+)?\}|\$([A-Za-z_]\w*)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const value = values[braced ?? bare ?? ""];
      if (value === undefined) throw new Error(`unknown template variable ${whole} in ${expr}`);
      return value;
    },
  );
}

/** A query variable's query, as Grafana's Prometheus data source reads it. */
export type VariableQuery =
  | { readonly kind: "label values"; readonly selector: string | undefined; readonly label: string }
  | { readonly kind: "query result"; readonly expr: string };

/** `label_values(…)` (label values over the dashboard's range) or `query_result(expr)` (an instant query at its end). */
export function variableQuery(query: string): VariableQuery {
  const result = /^\s*query_result\((.*)\)\s*$/s.exec(query);
  if (result?.[1] !== undefined) return { kind: "query result", expr: result[1].trim() };
  return { kind: "label values", ...labelValuesQuery(query) };
}

/**
 * The rows query_result() offers, as Grafana prints each series of the instant query's result:
 * `name{label="value",…} value timestamp-in-ms`.
 */
export function queryResultRows(
  result: readonly { readonly metric: Readonly<Record<string, string>>; readonly value: readonly [number, string] }[],
): string[] {
  return result.map(({ metric, value }) => {
    const labels = Object.entries(metric)
      .filter(([name]) => name !== "__name__")
      .map(([name, text]) => `${name}="${text}"`)
      .join(",");
    return `${metric["__name__"] ?? ""}{${labels}} ${value[1]} ${value[0] * 1000}`;
  });
}

/** A variable's regex applied as Grafana applies it: rows it does not match are dropped; a group picks the value. */
export function applyVariableRegex(rows: readonly string[], regex: string | undefined): string[] {
  if (regex === undefined || regex === "") return [...new Set(rows)];
  const literal = /^\/(.*)\/([gimsuy]*)$/s.exec(regex);
  const pattern = new RegExp(literal?.[1] ?? regex, literal?.[2] ?? "");
  const values = rows.flatMap((row) => {
    const match = pattern.exec(row);
    if (match === null) return [];
    return [match.groups?.["value"] ?? match.groups?.["text"] ?? match[1] ?? match[0]];
  });
  return [...new Set(values)];
}

/** The selector and label of a `label_values(selector, label)` or `label_values(label)` variable query. */
export function labelValuesQuery(query: string): { selector: string | undefined; label: string } {
  const match = /^\s*label_values\(\s*(?:(.*\S)\s*,\s*)?(\w+)\s*\)\s*$/.exec(query);
  if (match?.[2] === undefined) throw new Error(`not a label_values() query: ${query}`);
  return { selector: match[1], label: match[2] };
}
