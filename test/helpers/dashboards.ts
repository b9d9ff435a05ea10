// The committed dashboards (dashboards/*.json) as data: their panels with the
// row each belongs to, their queries, and those queries with Grafana's
// template variables replaced the way Grafana would for "All".
import fs from "node:fs";
import type { AnnotationQuery, Panel, RowPanel } from "@grafana/grafana-foundation-sdk/dashboard";
import type { Dashboard } from "../../dashboards/src/model.js";

export const DASHBOARD_FILES = ["host.json", "fleet.json"] as const;

export function dashboardPath(file: string): URL {
  return new URL(`../../dashboards/${file}`, import.meta.url);
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(fs.readFileSync(dashboardPath(file), "utf8")) as Dashboard;
}

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

/**
 * What Grafana sends for `expr` with every multi-value variable at "All"
 * (its allValue, `.+`) and the interval variables at plausible values. An
 * unknown variable throws, so a new one cannot slip through unsubstituted.
 */
export function substituteVariables(
  expr: string,
  intervals: { readonly interval: string; readonly rateInterval: string; readonly range: string },
): string {
  const values: Record<string, string> = {
    job: ".+",
    instance: ".+",
    __interval: intervals.interval,
    __rate_interval: intervals.rateInterval,
    __range: intervals.range,
  };
  // $name or ${name}; "$1" in label_replace is not a variable (names do not start with a digit).
  return expr.replace(
    /\$\{(\w+)\}|\$([A-Za-z_]\w*)/g,
    (whole, braced: string | undefined, bare: string | undefined) => {
      const name = braced ?? bare ?? "";
      const value = values[name];
      if (value === undefined) throw new Error(`unknown template variable ${whole} in ${expr}`);
      return value;
    },
  );
}
