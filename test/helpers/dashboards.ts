// The committed dashboards (dashboards/*.json) as data: their panels with the
// row each belongs to, their queries, and those queries with Grafana's
// template variables replaced the way Grafana would for "All". How Grafana
// walks a dashboard lives in dashboards/src/walk.ts, shared with the fleet
// simulator.
import fs from "node:fs";
import type { Dashboard } from "../../dashboards/src/model.js";
import { interpolate } from "../../dashboards/src/walk.js";

export { allPanels, annotationsOf, panelsOf, targetsOf } from "../../dashboards/src/walk.js";
export type { PanelInRow, PromTarget } from "../../dashboards/src/walk.js";

export const DASHBOARD_FILES = ["host.json", "fleet.json"] as const;

export function dashboardPath(file: string): URL {
  return new URL(`../../dashboards/${file}`, import.meta.url);
}

export function loadDashboard(file: string): Dashboard {
  return JSON.parse(fs.readFileSync(dashboardPath(file), "utf8")) as Dashboard;
}

/**
 * What Grafana sends for `expr` with the job and instance variables matching
 * every target (the dashboards' "All", `.*`) and the interval variables at
 * plausible values. An unknown variable throws, so a new one cannot slip
 * through unsubstituted.
 */
export function substituteVariables(
  expr: string,
  intervals: { readonly interval: string; readonly rateInterval: string; readonly range: string },
): string {
  return interpolate(expr, {
    job: ".*",
    instance: ".*",
    __interval: intervals.interval,
    __rate_interval: intervals.rateInterval,
    __range: intervals.range,
  });
}
