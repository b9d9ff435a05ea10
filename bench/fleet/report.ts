// The simulation's results: budgets checked, and a Markdown report (the one
// docs/performance.md keeps under "Fleet scale").
import { describeMachine } from "../machine.js";
import { table } from "../markdown.js";
import { saturated, type CpuShare } from "./cpu.js";
import type { QueryRun } from "./dashboards.js";
import type { HistoryResult } from "./history.js";
import type { SimulatedHost } from "./host.js";
import type { GroupObservation } from "./observe.js";
import type { Measured } from "./prometheus.js";
import type { Templates } from "./templates.js";

export interface Budgets {
  readonly queryMs: number;
  readonly panelSeries: number;
  /** Most samples one query may hold at once (Prometheus' --query.max-samples is 50 M). */
  readonly querySamples: number;
  readonly groupShare: number;
  readonly memoryBytes?: number;
}

export interface RuleRun {
  readonly group: string;
  readonly file: string;
  readonly name: string;
  readonly kind: "alert" | "record";
  readonly expr: string;
  readonly runs: readonly Measured[];
}

export interface HostSeries {
  readonly host: string;
  readonly livepatch: number;
  readonly runtime: number;
  readonly scrape: number;
}

export interface SimulationResult {
  readonly hosts: number;
  readonly seed: number;
  readonly historyHours: number;
  readonly denseMinutes: number;
  readonly sparseStep: number;
  readonly unreadStep: number;
  readonly scrapeSeconds: number;
  readonly history: HistoryResult;
  readonly liveSeconds: number;
  readonly scrapes: number;
  readonly headSeries: number;
  readonly memory: { readonly rss: number; readonly peak: number; readonly heapInuse: number };
  readonly missedIterations: number;
  readonly ruleErrors: readonly string[];
  readonly groups: readonly GroupObservation[];
  /** When every target had been scraped (ms since the epoch): group evaluations count from here. */
  readonly measuredFrom: number;
  readonly rules: readonly RuleRun[];
  readonly dashboards: readonly QueryRun[];
  readonly seriesPerHost: readonly HostSeries[];
  readonly phases: Readonly<Record<string, number>>;
  readonly prometheusVersion: string;
  /** Who had the CPU while the rule groups were watched with the live scrapes. */
  readonly liveCpu: CpuShare;
  /** The same while the rules and dashboard queries ran, scrapes and rule groups stopped. */
  readonly queryCpu: CpuShare;
}

/** Series one host costs: the golden hosts as the simulation completes them, and the fleet's average. */
export function seriesPerHost(templates: Templates, fleet: readonly SimulatedHost[], now: number): HostSeries[] {
  const count = (families: { name: string; samples: readonly unknown[] }[]) => ({
    livepatch: families.filter((f) => f.name.startsWith("livepatch_")).reduce((n, f) => n + f.samples.length, 0),
    runtime: families.filter((f) => /^(process|nodejs)_/.test(f.name)).reduce((n, f) => n + f.samples.length, 0),
    scrape: 5,
  });
  const rows: HostSeries[] = Object.entries(templates.base).map(([os, m]) => ({ host: os, ...count(m.all()) }));
  const canonical = fleet.find((h) => h.plan.canonical !== undefined && h.plan.os === "ubuntu");
  if (canonical !== undefined)
    rows.push({ host: "ubuntu with Canonical Livepatch", ...count(canonical.metricsAt(now).all()) });
  const all = fleet.map((h) => count(h.metricsAt(now).all()));
  const mean = (pick: (c: ReturnType<typeof count>) => number): number =>
    Math.round((all.reduce((n, c) => n + pick(c), 0) / Math.max(1, all.length)) * 10) / 10;
  rows.push({ host: "fleet average", livepatch: mean((c) => c.livepatch), runtime: mean((c) => c.runtime), scrape: 5 });
  return rows;
}

export const median = (runs: readonly Measured[], pick: (m: Measured) => number): number => {
  const sorted = runs.map(pick).sort((a, b) => a - b);
  if (sorted.length === 0) return 0;
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 === 1 ? (sorted[mid] ?? 0) : ((sorted[mid - 1] ?? 0) + (sorted[mid] ?? 0)) / 2;
};

export interface PanelTotal {
  readonly dashboard: string;
  readonly panel: string;
  readonly series: number;
  readonly slowestMs: number;
  readonly samples: number;
}

/** Series and time per panel: each query's larger result (instant or range), summed over the panel's queries. */
export function panelTotals(runs: readonly QueryRun[]): PanelTotal[] {
  const totals = new Map<
    string,
    { dashboard: string; panel: string; series: Map<string, number>; slowestMs: number; samples: number }
  >();
  for (const run of runs) {
    if (run.kind === "label values") continue;
    const key = `${run.dashboard}\u0000${run.panel}`;
    const total = totals.get(key) ?? {
      dashboard: run.dashboard,
      panel: run.panel,
      series: new Map<string, number>(),
      slowestMs: 0,
      samples: 0,
    };
    const series = Math.max(...run.runs.map((r) => r.series));
    total.series.set(run.refId, Math.max(total.series.get(run.refId) ?? 0, series));
    total.slowestMs = Math.max(
      total.slowestMs,
      median(run.runs, (r) => r.wallMs),
    );
    total.samples = Math.max(
      total.samples,
      median(run.runs, (r) => r.samples),
    );
    totals.set(key, total);
  }
  return [...totals.values()].map((t) => ({
    dashboard: t.dashboard,
    panel: t.panel,
    series: [...t.series.values()].reduce((a, b) => a + b, 0),
    slowestMs: t.slowestMs,
    samples: t.samples,
  }));
}

export interface GroupCost {
  readonly group: string;
  readonly intervalSeconds: number;
  /**
   * Its rules run one after another as instant queries at one instant, with Prometheus to themselves:
   * Prometheus' own evaluation time of each (median of the runs), summed. A group is evaluated that way.
   */
  readonly queriesSeconds: number;
  /** Prometheus' own evaluations of the group with the live scrapes, once every target was scraped. */
  readonly evaluations: number;
  readonly longestSeconds: number | undefined;
  readonly medianSeconds: number | undefined;
}

export function groupCosts(result: SimulationResult): GroupCost[] {
  return result.groups.map((g) => {
    const seen = g.evaluations
      .filter((e) => e.at > result.measuredFrom)
      .map((e) => e.seconds)
      .sort((a, b) => a - b);
    const queriesSeconds = result.rules
      .filter((r) => r.group === g.name)
      .reduce((n, r) => n + median(r.runs, (m) => m.evalMs) / 1000, 0);
    return {
      group: g.name,
      intervalSeconds: g.intervalSeconds,
      queriesSeconds,
      evaluations: seen.length,
      longestSeconds: seen.at(-1),
      medianSeconds: seen[Math.floor(seen.length / 2)],
    };
  });
}

export interface BudgetReport {
  readonly missed: string[];
}

export function checkBudgets(result: SimulationResult, budgets: Budgets): BudgetReport {
  const missed: string[] = [];
  for (const run of result.dashboards) {
    const failed = run.runs.find((r) => !r.ok);
    if (failed !== undefined)
      missed.push(`${run.dashboard} / ${run.panel} ${run.refId} (${run.kind}) failed: ${failed.error ?? "?"}`);
    const ms = median(run.runs, (r) => r.wallMs);
    if (ms > budgets.queryMs)
      missed.push(
        `${run.dashboard} / ${run.panel} ${run.refId} (${run.kind}) took ${ms.toFixed(0)} ms > ${budgets.queryMs} ms`,
      );
    const peak = Math.max(...run.runs.map((r) => r.peakSamples));
    if (peak > budgets.querySamples)
      missed.push(
        `${run.dashboard} / ${run.panel} ${run.refId} (${run.kind}) held ${peak} samples > ${budgets.querySamples}`,
      );
  }
  for (const panel of panelTotals(result.dashboards)) {
    if (panel.series > budgets.panelSeries)
      missed.push(`${panel.dashboard} / ${panel.panel} returned ${panel.series} series > ${budgets.panelSeries}`);
  }
  for (const rule of result.rules) {
    const failed = rule.runs.find((r) => !r.ok);
    if (failed !== undefined) missed.push(`rule ${rule.name} failed as a query: ${failed.error ?? "?"}`);
    const peak = Math.max(...rule.runs.map((r) => r.peakSamples));
    if (peak > budgets.querySamples) missed.push(`rule ${rule.name} held ${peak} samples > ${budgets.querySamples}`);
  }
  for (const error of result.ruleErrors) missed.push(`rule evaluation failed: ${error}`);
  // A group's cost is its rules' work, measured with Prometheus to itself. Its live evaluations count too, unless
  // the machine had no CPU to spare while they ran: then they measured the machine, and the report says so.
  const liveCounts = !saturated(result.liveCpu);
  for (const group of groupCosts(result)) {
    const limit = budgets.groupShare * group.intervalSeconds;
    if (group.queriesSeconds > limit)
      missed.push(
        `group ${group.group}'s rules took ${group.queriesSeconds.toFixed(2)} s > ${limit.toFixed(1)} s (as queries)`,
      );
    if (liveCounts && group.longestSeconds !== undefined && group.longestSeconds > limit)
      missed.push(
        `group ${group.group} took ${group.longestSeconds.toFixed(2)} s > ${limit.toFixed(1)} s (evaluations)`,
      );
  }
  if (result.missedIterations > 0)
    missed.push(
      `${result.missedIterations} rule group evaluation(s) missed${liveCounts ? "" : " while the machine was saturated"}`,
    );
  if (budgets.memoryBytes !== undefined && result.memory.peak > budgets.memoryBytes)
    missed.push(`Prometheus peaked at ${mib(result.memory.peak)} MiB > ${mib(budgets.memoryBytes)} MiB`);
  return { missed };
}

const mib = (bytes: number): string => (bytes / 1024 / 1024).toFixed(0);
const ms = (value: number): string => (value < 10 ? value.toFixed(1) : value.toFixed(0));
const int = (value: number): string => Math.round(value).toLocaleString("en-US");

export function report(result: SimulationResult, budgets: Budgets, budgetReport: BudgetReport): string {
  const machine = describeMachine();
  const when = new Date().toISOString().slice(0, 16).replace("T", " ");
  const out: string[] = [];
  out.push(`#### ${int(result.hosts)} hosts, ${when} UTC`);
  out.push("");
  out.push(
    `${int(result.hosts)} simulated hosts (seed ${result.seed}) in Prometheus ${result.prometheusVersion}: ` +
      `${result.historyHours} h of history backfilled (${int(result.history.samples / 1e6)} M samples; the last ` +
      `${result.denseMinutes} min at the ${result.scrapeSeconds} s scrape interval, one scrape in ${result.sparseStep} s before; ` +
      `families no rule or dashboard reads, one in ${result.unreadStep} s), ` +
      `the recording rules backfilled too, then ${int(result.liveSeconds)} s of live scrapes ` +
      `(${int(result.scrapes)} scrapes) with the rules evaluating; then the scrapes and rule groups stopped and every ` +
      `rule and dashboard query run at the last live instant. Machine: ${machine.cpu}, ${machine.cores} cores (shared), ` +
      `${machine.memory}, load average ${machine.loadAverage} at the end.`,
  );
  out.push("");
  out.push(
    `**Prometheus:** ${int(result.headSeries)} series in the head; resident memory ${mib(result.memory.rss)} MiB at the end, ` +
      `${mib(result.memory.peak)} MiB at its peak; Go heap in use ${mib(result.memory.heapInuse)} MiB.`,
  );
  out.push("");
  out.push(
    budgetReport.missed.length === 0
      ? `**Budgets met:** every dashboard query under ${budgets.queryMs} ms (median of its runs) and ${int(budgets.querySamples)} samples, no panel over ${budgets.panelSeries} series, every rule group under ${budgets.groupShare * 100}% of its interval (${saturated(result.liveCpu) ? "its rules as queries; the live evaluations waited for a saturated machine" : "its rules as queries, and its live evaluations"}).`
      : `**Budgets missed (${budgetReport.missed.length}):**\n\n${budgetReport.missed.map((m) => `- ${m}`).join("\n")}`,
  );
  out.push("");
  out.push("##### Rule groups");
  out.push("");
  const live = result.liveCpu;
  out.push(
    `While the groups were watched with the live scrapes (${int(live.seconds)} s), Prometheus used ${live.prometheusCores.toFixed(2)} ` +
      `of the ${live.cores} cores and the simulator (the plan and its answers to the scrapes) ${live.simulatorCores.toFixed(2)}; ` +
      `the machine was ${(live.idleShare * 100).toFixed(0)}% idle. ` +
      (saturated(live)
        ? "With under a fifth of it idle, a group's evaluations waited for a CPU as much as they worked: the budget is " +
          "checked on its rules run as queries, one after another at the last live instant, with the scrapes and the " +
          "rule groups stopped (Prometheus then used " +
          `${result.queryCpu.prometheusCores.toFixed(2)} cores on average, the machine ${(result.queryCpu.idleShare * 100).toFixed(0)}% idle).`
        : "The budget is checked on both: the live evaluations, and the group's rules run as queries one after another " +
          "at the last live instant with the scrapes and the rule groups stopped."),
  );
  out.push("");
  out.push(
    table(
      [
        "Group",
        "Interval",
        "Its rules as queries",
        "Share of interval",
        "Live evaluations seen",
        "Longest",
        "Median",
        "Share of interval",
      ],
      groupCosts(result).map((g) => [
        g.group,
        `${g.intervalSeconds} s`,
        `${ms(g.queriesSeconds * 1000)} ms`,
        `${((g.queriesSeconds / g.intervalSeconds) * 100).toFixed(1)}%`,
        String(g.evaluations),
        g.longestSeconds === undefined ? "—" : `${ms(g.longestSeconds * 1000)} ms`,
        g.medianSeconds === undefined ? "—" : `${ms(g.medianSeconds * 1000)} ms`,
        g.longestSeconds === undefined ? "—" : `${((g.longestSeconds / g.intervalSeconds) * 100).toFixed(1)}%`,
      ]),
    ),
  );
  out.push("");
  out.push("##### Rules, each run as an instant query (median)");
  out.push("");
  // From the evaluations the groups' budget counts (once every target was scraped), as the group table.
  const evaluated = new Map<string, number>();
  for (const g of result.groups) {
    for (const evaluation of g.evaluations.filter((e) => e.at > result.measuredFrom)) {
      for (const [name, seconds] of Object.entries(evaluation.rules)) {
        const key = `${g.name}/${name}`;
        evaluated.set(key, Math.max(evaluated.get(key) ?? 0, seconds));
      }
    }
  }
  out.push(
    table(
      ["Group", "Rule", "Query time", "Longest evaluation seen", "Series", "Samples"],
      result.rules.map((r, i) => {
        const index = result.rules.filter((o, j) => j < i && o.group === r.group).length + 1;
        const seen = evaluated.get(`${r.group}/${index}. ${r.name}`);
        return [
          r.group,
          `${r.kind === "alert" ? "alert" : "record"} ${r.name}`,
          `${ms(median(r.runs, (m) => m.evalMs))} ms`,
          seen === undefined ? "—" : `${ms(seen * 1000)} ms`,
          int(median(r.runs, (m) => m.series)),
          int(median(r.runs, (m) => m.samples)),
        ];
      }),
    ),
  );
  out.push("");
  out.push("##### Dashboard panels, slowest first");
  out.push("");
  out.push(
    "Each panel's slowest query (median of its runs, wall time as Grafana waits for it), the series of all its queries, " +
      "and the samples its largest query loaded. Variables as Grafana sets them on opening the dashboard.",
  );
  out.push("");
  const panels = panelTotals(result.dashboards).sort((a, b) => b.slowestMs - a.slowestMs);
  out.push(
    table(
      ["Dashboard", "Panel", "Slowest query", "Series", "Samples"],
      panels.map((p) => [p.dashboard, p.panel, `${ms(p.slowestMs)} ms`, int(p.series), int(p.samples)]),
    ),
  );
  out.push("");
  out.push("##### Variables");
  out.push("");
  out.push(
    table(
      ["Dashboard", "Variable", "Time", "Values"],
      result.dashboards
        .filter((r) => r.kind === "label values")
        .map((r) => [
          r.dashboard,
          r.panel.replace(/^variable /, ""),
          `${ms(median(r.runs, (m) => m.wallMs))} ms`,
          int(median(r.runs, (m) => m.series)),
        ]),
    ),
  );
  out.push("");
  out.push("##### Series per host");
  out.push("");
  out.push(
    table(
      ["Host", "livepatch_*", "process_* and nodejs_*", "Prometheus' own (up, scrape_*)", "Total"],
      result.seriesPerHost.map((h) => [
        h.host,
        String(h.livepatch),
        String(h.runtime),
        String(h.scrape),
        String(Math.round((h.livepatch + h.runtime + h.scrape) * 10) / 10),
      ]),
    ),
  );
  out.push("");
  out.push("##### Phases");
  out.push("");
  out.push(
    table(
      ["Phase", "Seconds"],
      Object.entries(result.phases).map(([name, s]) => [name, int(s)]),
    ),
  );
  return out.join("\n");
}
