// The classic dashboard JSON model (the one Grafana 11 and 12 both load and
// provision from files), and the last pass that makes it stable: panel ids,
// query refIds, and nothing the builders add that Grafana 11 would not know.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import {
  DashboardCursorSync,
  type AnnotationQuery,
  type DashboardLink,
  type Panel,
  type RowPanel,
} from "@grafana/grafana-foundation-sdk/dashboard";
import { TAGS } from "./conventions.js";

// The SDK marks the v1 model deprecated in favour of dashboard v2, which only
// Grafana 12 with the dashboard v2 API enabled can load; v1 is what both
// supported majors import and provision.
// eslint-disable-next-line @typescript-eslint/no-deprecated -- see above
export type Dashboard = dashboard.Dashboard;

/** A read-only dashboard with the project's tags, a refresh and a default time range. */
export function newDashboard(title: string, uid: string, description: string) {
  // eslint-disable-next-line @typescript-eslint/no-deprecated -- the v1 model, see above
  return new dashboard.DashboardBuilder(title)
    .uid(uid)
    .description(description)
    .tags(TAGS)
    .readonly()
    .tooltip(DashboardCursorSync.Crosshair)
    .timezone("browser")
    .time({ from: "now-6h", to: "now" })
    .refresh("1m");
}

/** A row of panels, read top-down; a collapsed row keeps its panels folded until opened. */
export interface Row {
  readonly title: string;
  readonly panels: readonly cog.Builder<dashboard.Panel>[];
  readonly collapsed?: boolean;
}

/** The rows, in order, with their panels laid out left to right. */
// eslint-disable-next-line @typescript-eslint/no-deprecated -- the v1 model, see above
export function withRows(builder: dashboard.DashboardBuilder, rows: readonly Row[]): dashboard.DashboardBuilder {
  for (const row of rows) {
    if (row.collapsed === true) {
      const folded = new dashboard.RowBuilder(row.title).collapsed(true);
      for (const panel of row.panels) folded.withPanel(panel);
      builder.withRow(folded);
      continue;
    }
    builder.withRow(new dashboard.RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panel);
  }
  return builder;
}

/**
 * The final JSON: plain data (no builder functions), panels numbered 1..n in
 * reading order (rows and the panels of collapsed rows included), every query
 * with a refId A, B, ... in its panel, and links and annotations without the
 * "inControlsMenu" placement the SDK defaults to (newer Grafana would tuck
 * them into the controls menu; older ones do not know the field).
 */
export function finish(built: Dashboard): Dashboard {
  const json = JSON.parse(JSON.stringify(built)) as Dashboard;
  let id = 0;
  const number = (panel: Panel | RowPanel): void => {
    panel.id = ++id;
    if (panel.type === "row") {
      for (const inner of (panel as RowPanel).panels) number(inner);
      return;
    }
    (panel as Panel).targets?.forEach((target, index) => {
      (target as { refId?: string }).refId = String.fromCharCode(65 + index);
    });
  };
  for (const panel of json.panels ?? []) number(panel);
  for (const link of json.links ?? []) stripPlacement(link);
  for (const annotation of json.annotations.list ?? []) stripPlacement(annotation);
  return json;
}

function stripPlacement(item: DashboardLink | AnnotationQuery): void {
  delete item.placement;
}
