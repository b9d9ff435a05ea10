// Runs every query of the committed dashboards against a real Prometheus, as
// Grafana would with "All" selected: each panel target as an instant query,
// and also as a range query when the panel draws it over time; each
// annotation as a range query. A query Prometheus rejects throws.
import type { Dashboard } from "../../dashboards/src/model.js";
import {
  DASHBOARD_FILES,
  annotationsOf,
  loadDashboard,
  panelsOf,
  substituteVariables,
  targetsOf,
} from "./dashboards.js";
import { query, queryRange, type RunningPrometheus } from "./prometheus.js";

export interface QueryOutcome {
  /** "<dashboard uid>/<panel title>" or "<dashboard uid>/annotation <name>". */
  readonly where: string;
  readonly row: string | undefined;
  readonly refId: string;
  readonly kind: "instant" | "range";
  readonly expr: string;
  readonly series: number;
  /** Label names of the result series. */
  readonly labels: readonly string[];
}

/** The time window Grafana would ask for: the last 5 minutes, a point every 15 s. */
const RANGE_SECONDS = 300;
const STEP_SECONDS = 15;
const INTERVALS = { interval: `${STEP_SECONDS}s`, rateInterval: "1m", range: `${RANGE_SECONDS}s` } as const;

export const panelKey = (dashboard: Dashboard, title: string | undefined): string =>
  `${dashboard.uid ?? "?"}/${title ?? "?"}`;

export async function runDashboardQueries(prometheus: RunningPrometheus): Promise<QueryOutcome[]> {
  const end = Math.floor(Date.now() / 1000);
  const range = { start: end - RANGE_SECONDS, end, step: STEP_SECONDS };
  const outcomes: Promise<QueryOutcome>[] = [];
  for (const file of DASHBOARD_FILES) {
    const dashboard = loadDashboard(file);
    for (const { panel, row } of panelsOf(dashboard)) {
      const overTime = ["timeseries", "state-timeline", "status-history"].includes(panel.type);
      for (const target of targetsOf(panel)) {
        const expr = substituteVariables(target.expr, INTERVALS);
        const base = { where: panelKey(dashboard, panel.title), row, refId: target.refId ?? "?", expr };
        outcomes.push(query(prometheus, expr).then((r) => ({ ...base, kind: "instant", ...shape(r) })));
        if (overTime || target.range === true) {
          outcomes.push(queryRange(prometheus, expr, range).then((r) => ({ ...base, kind: "range", ...shape(r) })));
        }
      }
    }
    for (const annotation of annotationsOf(dashboard)) {
      if (annotation.expr === undefined) continue;
      const expr = substituteVariables(annotation.expr, INTERVALS);
      outcomes.push(
        queryRange(prometheus, expr, range).then((r) => ({
          where: `${dashboard.uid ?? "?"}/annotation ${annotation.name}`,
          row: undefined,
          refId: "-",
          kind: "range",
          expr,
          ...shape(r),
        })),
      );
    }
  }
  return Promise.all(outcomes);
}

function shape(result: readonly { metric: Record<string, string> }[]): { series: number; labels: string[] } {
  return { series: result.length, labels: [...new Set(result.flatMap((s) => Object.keys(s.metric)))].sort() };
}

export const describeOutcome = (o: QueryOutcome): string => `${o.where} ${o.refId} (${o.kind}): ${o.expr}`;
