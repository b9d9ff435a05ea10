// Panel factories over the SDK's builders. Each one demands what the
// conventions demand of every panel — a title, a description, a unit and a
// size — and wires the `datasource` variable into the panel and its queries.
import type * as cog from "@grafana/grafana-foundation-sdk/cog";
import * as common from "@grafana/grafana-foundation-sdk/common";
import * as dashboard from "@grafana/grafana-foundation-sdk/dashboard";
import * as bargauge from "@grafana/grafana-foundation-sdk/bargauge";
import * as prometheus from "@grafana/grafana-foundation-sdk/prometheus";
import * as stat from "@grafana/grafana-foundation-sdk/stat";
import * as statetimeline from "@grafana/grafana-foundation-sdk/statetimeline";
import * as table from "@grafana/grafana-foundation-sdk/table";
import * as timeseries from "@grafana/grafana-foundation-sdk/timeseries";
import { DATASOURCE } from "./conventions.js";

/** A query drawn over time (range query). */
export function series(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).range();
}

/** A query for the current value only (instant query), one value per series. */
export function current(expr: string, legend: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder().datasource(DATASOURCE).expr(expr).legendFormat(legend).instant();
}

/** An instant query shaped as a table: one row per series, one column per label. */
export function rows(expr: string): prometheus.DataqueryBuilder {
  return new prometheus.DataqueryBuilder()
    .datasource(DATASOURCE)
    .expr(expr)
    .format(prometheus.PromQueryFormat.Table)
    .instant();
}

export interface PanelSpec {
  readonly title: string;
  readonly description: string;
  /** Grafana unit id; "none" for plain numbers, "string" for text-only panels. */
  readonly unit: string;
  readonly w: number;
  readonly h: number;
  readonly targets: readonly prometheus.DataqueryBuilder[];
  /** What an empty result means, said plainly (otherwise Grafana says "No data"). */
  readonly noValue?: string;
  readonly mappings?: readonly dashboard.ValueMapping[];
  readonly thresholds?: readonly Step[];
}

/** A threshold step: from this value (null = the base) on, this colour. */
export type Step = readonly [number | null, string];

/** The methods every SDK panel builder has in common. */
interface PanelBasics {
  title(title: string): this;
  description(description: string): this;
  unit(unit: string): this;
  span(w: number): this;
  height(h: number): this;
  datasource(datasource: common.DataSourceRef): this;
  withTarget(target: cog.Builder<cog.Dataquery>): this;
  noValue(noValue: string): this;
  mappings(mappings: dashboard.ValueMapping[]): this;
  thresholds(thresholds: cog.Builder<dashboard.ThresholdsConfig>): this;
}

function basics<B extends PanelBasics>(builder: B, spec: PanelSpec): B {
  builder
    .title(spec.title)
    .description(spec.description)
    .unit(spec.unit)
    .span(spec.w)
    .height(spec.h)
    .datasource(DATASOURCE);
  for (const target of spec.targets) builder.withTarget(target);
  if (spec.noValue !== undefined) builder.noValue(spec.noValue);
  if (spec.mappings !== undefined) builder.mappings([...spec.mappings]);
  if (spec.thresholds !== undefined) builder.thresholds(thresholds(spec.thresholds));
  return builder;
}

export function thresholds(steps: readonly Step[]): dashboard.ThresholdsConfigBuilder {
  return new dashboard.ThresholdsConfigBuilder()
    .mode(dashboard.ThresholdsMode.Absolute)
    .steps(steps.map(([value, color]) => ({ value, color })));
}

/** Value mappings: exact value -> [text, colour]. */
export function valueText(map: Readonly<Record<string, readonly [string, string]>>): dashboard.ValueMapping[] {
  const options: Record<string, dashboard.ValueMappingResult> = {};
  Object.entries(map).forEach(([value, [text, color]], index) => {
    options[value] = { text, color, index };
  });
  return [{ type: dashboard.MappingType.ValueToText, options }];
}

/** 1 is good, 0 is bad: for verdicts such as "ready" or "exporter up". */
export const goodBad = (good: string, bad: string): dashboard.ValueMapping[] =>
  valueText({ "1": [good, "green"], "0": [bad, "red"] });

/** 1 is a problem, 0 is fine: for "reboot required", "in transition". */
export const badGood = (bad: string, good: string): dashboard.ValueMapping[] =>
  valueText({ "1": [bad, "orange"], "0": [good, "green"] });

/** A single big value per series. */
export function statPanel(
  spec: PanelSpec & { readonly textMode?: common.BigValueTextMode; readonly reducer?: string },
): stat.PanelBuilder {
  return basics(new stat.PanelBuilder(), spec)
    .graphMode(common.BigValueGraphMode.None)
    .colorMode(common.BigValueColorMode.Background)
    .textMode(spec.textMode ?? common.BigValueTextMode.Auto)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs([spec.reducer ?? "lastNotNull"]).values(false));
}

/** Horizontal bars, one per series. */
export function barsPanel(spec: PanelSpec): bargauge.PanelBuilder {
  return basics(new bargauge.PanelBuilder(), spec)
    .orientation(common.VizOrientation.Horizontal)
    .displayMode(common.BarGaugeDisplayMode.Basic)
    .showUnfilled(true)
    .min(0)
    .reduceOptions(new common.ReduceDataOptionsBuilder().calcs(["lastNotNull"]).values(false));
}

/** Lines over time. */
export function timeSeriesPanel(spec: PanelSpec & { readonly stacked?: boolean }): timeseries.PanelBuilder {
  const builder = basics(new timeseries.PanelBuilder(), spec)
    .lineWidth(1)
    .fillOpacity(10)
    .showPoints(common.VisibilityMode.Never)
    .legend(
      new common.VizLegendOptionsBuilder()
        .displayMode(common.LegendDisplayMode.List)
        .placement(common.LegendPlacement.Bottom)
        .showLegend(true),
    )
    .tooltip(
      new common.VizTooltipOptionsBuilder().mode(common.TooltipDisplayMode.Multi).sort(common.SortOrder.Descending),
    );
  if (spec.stacked === true) {
    builder.stacking(new common.StackingConfigBuilder().mode(common.StackingMode.Normal)).fillOpacity(40);
  }
  return builder;
}

/** A value's history as coloured bands: every change of value starts a new band. */
export function stateTimelinePanel(spec: PanelSpec): statetimeline.PanelBuilder {
  return basics(new statetimeline.PanelBuilder(), spec)
    .showValue(common.VisibilityMode.Auto)
    .mergeValues(true)
    .rowHeight(0.8)
    .legend(new common.VizLegendOptionsBuilder().showLegend(false).displayMode(common.LegendDisplayMode.Hidden));
}

export interface TableSpec extends PanelSpec {
  /** Columns to show, in order, by their name after renaming; every other column is hidden. */
  readonly columns: readonly string[];
  /** Column renames: query column (a label or "Value #<refId>") -> header. */
  readonly rename?: Readonly<Record<string, string>>;
  /** Per-column field properties (unit, mappings, links), by header. */
  readonly columnProperties?: Readonly<Record<string, dashboard.DynamicConfigValue[]>>;
  readonly sortBy?: string;
  /** Sort descending (largest first) rather than ascending. */
  readonly sortDescending?: boolean;
}

/**
 * A table of instant results. Several queries are merged into one row per
 * shared label set (for example job, instance, patch), then only the named
 * columns are kept.
 *
 * Grafana names a table query's value column "Value #<refId>" when several
 * of the panel's queries return data, and plain "Value" when only one does.
 * Each table's first query (A) is the one its rows come from, so "Value" is
 * given A's header too: the column stays right when the others are empty.
 */
export function tablePanel(spec: TableSpec): table.PanelBuilder {
  const builder = basics(new table.PanelBuilder(), spec).cellHeight(common.TableCellHeight.Sm);
  const rename: Record<string, string> = { ...spec.rename };
  if (spec.targets.length > 1) {
    builder.withTransformation({ id: "merge", options: {} });
    const anchor = rename["Value #A"];
    if (anchor !== undefined) rename["Value"] = anchor;
  }
  const original = spec.columns.flatMap((header) => originalNames(header, rename));
  builder
    .withTransformation({ id: "filterFieldsByName", options: { include: { names: original } } })
    .withTransformation({
      id: "organize",
      options: {
        excludeByName: {},
        renameByName: rename,
        indexByName: Object.fromEntries(original.map((name, index) => [name, index])),
      },
    });
  for (const [column, properties] of Object.entries(spec.columnProperties ?? {})) {
    builder.overrideByName(column, properties);
  }
  if (spec.sortBy !== undefined) {
    const sort = new common.TableSortByFieldStateBuilder().displayName(spec.sortBy);
    if (spec.sortDescending === true) sort.desc(true);
    builder.sortBy([sort]);
  }
  return builder;
}

/** The query columns shown under `header`: those renamed to it, or the column of that name. */
function originalNames(header: string, rename: Readonly<Record<string, string>>): string[] {
  const renamed = Object.entries(rename)
    .filter(([, to]) => to === header)
    .map(([from]) => from);
  return renamed.length > 0 ? renamed : [header];
}

/** Field properties for a column. */
export const unit = (id: string): dashboard.DynamicConfigValue => ({ id: "unit", value: id });
export const mappings = (m: dashboard.ValueMapping[]): dashboard.DynamicConfigValue => ({ id: "mappings", value: m });
export const colored = (): dashboard.DynamicConfigValue => ({
  id: "custom.cellOptions",
  value: { type: common.TableCellDisplayMode.ColorBackground },
});
export const links = (title: string, url: string): dashboard.DynamicConfigValue => ({
  id: "links",
  value: [{ title, url }],
});
