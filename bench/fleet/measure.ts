// The measured part: the fleet scraped live by a Prometheus that loads every
// rule file as it is; its rule groups watched on their own first, with who had
// the CPU meanwhile; then the scrapes and rules stopped, and every rule and
// every dashboard query run and timed at the last live instant, with
// Prometheus to themselves (as a Prometheus sized for its fleet would be).
import fs from "node:fs";
import path from "node:path";
import { stringify } from "yaml";
import type { Dashboard } from "../../dashboards/src/model.js";
import { cpuSeconds } from "../processes.js";
import { runDashboard, type QueryRun } from "./dashboards.js";
import type { SimulatedHost } from "./host.js";
import { cpuWindow } from "./cpu.js";
import { serveFleet } from "./live.js";
import { Observer, scrapedTargets } from "./observe.js";
import { Prometheus, selfMetric, sleep, type Measured } from "./prometheus.js";
import type { RuleRun, SimulationResult } from "./report.js";
import { intervalSeconds, type RuleGroup } from "./rules.js";
import type { Run } from "./run.js";

export const JOB = "livepatch";

export type Measurements = Pick<
  SimulationResult,
  | "measuredFrom"
  | "liveSeconds"
  | "scrapes"
  | "headSeries"
  | "memory"
  | "missedIterations"
  | "ruleErrors"
  | "groups"
  | "rules"
  | "dashboards"
  | "prometheusVersion"
  | "liveCpu"
  | "queryCpu"
> & { readonly now: number };

export async function measure(
  run: Run,
  fleet: readonly SimulatedHost[],
  groups: readonly RuleGroup[],
  dashboards: ReadonlyMap<string, Dashboard>,
): Promise<Measurements> {
  const { options } = run;
  const live = await serveFleet(fleet);
  run.onCleanup(() => live.stop());
  const ruleFiles = fs
    .readdirSync(options.rulesDir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort();
  const prometheus = await run.phase("start the measured Prometheus", () =>
    Prometheus.start({
      dataDir: run.dataDir,
      configDir: path.join(run.work, "config"),
      config: scrapeConfig(ruleFiles, fleet, live.address, options.scrapeSeconds),
      files: Object.fromEntries(ruleFiles.map((f) => [f, fs.readFileSync(path.join(options.rulesDir, f), "utf8")])),
      retention: "30d",
    }),
  );
  run.onCleanup(() => prometheus.stop());
  const liveStart = Date.now();
  const observer = new Observer(prometheus);
  observer.start(5000);

  // Measured from the third round of scrapes on: the first creates every series in memory at once, which a
  // Prometheus in service does not do.
  const measuredFrom = await run.phase("wait for every target's first scrapes", async () => {
    const deadline = Date.now() + 20 * 60_000;
    for (;;) {
      const targets = await scrapedTargets(prometheus);
      if (targets.scraped >= fleet.length) break;
      if (Date.now() > deadline) throw new Error(`only ${targets.scraped} of ${fleet.length} targets scraped`);
      await sleep(5000);
    }
    await sleep(2 * options.scrapeSeconds * 1000);
    return Date.now();
  });
  // The rule groups on their own first, with the live scrapes: who had the CPU meanwhile is measured.
  const watched = cpuWindow(prometheus.pid);
  await run.phase(`observe ${options.minEvaluations} evaluation(s) of every rule group`, async () => {
    const longest = Math.max(...groups.map((g) => intervalSeconds(g, options.scrapeSeconds)));
    const deadline = Date.now() + (options.minEvaluations + 1) * longest * 1000 + 120_000;
    while (!observer.evaluatedSince(measuredFrom, options.minEvaluations)) {
      if (Date.now() > deadline) throw new Error("the rule groups did not evaluate in time");
      await sleep(2000);
    }
  });
  const liveCpu = watched.end();
  await observer.stop();

  // Everything the queries read was scraped by now; from here on nothing else runs.
  const now = Date.now() / 1000;
  await run.phase("stop the scrapes and the rule groups, and wait for Prometheus to settle", async () => {
    await prometheus.reload(quietConfig(options.scrapeSeconds));
    await live.stop();
    await settle(prometheus.pid);
  });
  const queries = cpuWindow(prometheus.pid);
  const rules = await run.phase("run every rule as a query", () => runRules(prometheus, groups, now, options.repeat));
  const dashboardRuns = await run.phase("run every dashboard query as Grafana does", () =>
    runDashboards(prometheus, fleet, dashboards, now, options),
  );
  const queryCpu = queries.end();
  const self = await prometheus.selfMetrics();
  const memory = prometheus.memory();
  const measurements: Measurements = {
    now,
    measuredFrom,
    liveSeconds: (Date.now() - liveStart) / 1000,
    scrapes: live.scrapes(),
    headSeries: selfMetric(self, "prometheus_tsdb_head_series") ?? 0,
    memory: {
      rss: memory.rss,
      peak: Math.max(memory.peak, observer.peakRss),
      heapInuse: selfMetric(self, "go_memstats_heap_inuse_bytes") ?? 0,
    },
    missedIterations: selfMetric(self, "prometheus_rule_group_iterations_missed_total") ?? 0,
    ruleErrors: [...observer.ruleErrors].map(([rule, error]) => `${rule}: ${error}`),
    groups: [...observer.groups.values()],
    rules,
    dashboards: dashboardRuns,
    prometheusVersion: (await prometheus.api<{ version: string }>("status/buildinfo", {})).version,
    liveCpu,
    queryCpu,
  };
  await prometheus.stop();
  await live.stop();
  return measurements;
}

/** No target and no rule file: Prometheus keeps its data and does nothing but answer queries. */
function quietConfig(seconds: number): string {
  return stringify({ global: { scrape_interval: `${seconds}s`, evaluation_interval: `${seconds}s` } });
}

/**
 * Waits until Prometheus uses under a tenth of a core over 5 s (the scrape loops' last staleness markers
 * written, the rule groups stopped), for 3 minutes at most.
 */
async function settle(pid: number): Promise<void> {
  const deadline = Date.now() + 180_000;
  while (Date.now() < deadline) {
    const before = cpuSeconds(pid);
    await sleep(5000);
    if ((cpuSeconds(pid) - before) / 5 < 0.1) return;
  }
}

/** One job whose targets are the hosts' instance names, all scraped from the one loopback server. */
function scrapeConfig(ruleFiles: readonly string[], fleet: readonly SimulatedHost[], address: string, seconds: number) {
  return stringify({
    global: { scrape_interval: `${seconds}s`, scrape_timeout: "10s", evaluation_interval: `${seconds}s` },
    rule_files: ruleFiles,
    scrape_configs: [
      {
        job_name: JOB,
        static_configs: [{ targets: fleet.map((h) => h.plan.instance) }],
        relabel_configs: [
          { source_labels: ["__address__"], target_label: "__param_host" },
          { source_labels: ["__address__"], target_label: "instance" },
          { target_label: "__address__", replacement: address },
        ],
      },
    ],
  });
}

async function runRules(prometheus: Prometheus, groups: readonly RuleGroup[], now: number, repeat: number) {
  const out: RuleRun[] = [];
  for (const group of groups) {
    for (const rule of group.rules) {
      const runs: Measured[] = [];
      for (let i = 0; i < repeat; i++) runs.push(await prometheus.measure(rule.expr, { time: now }));
      out.push({
        group: group.name,
        file: group.file,
        name: rule.alert ?? rule.record ?? "?",
        kind: rule.alert === undefined ? "record" : "alert",
        expr: rule.expr,
        runs,
      });
    }
  }
  return out;
}

/** Each dashboard as Grafana opens it; one whose instance variable is a single host, also on the busiest host. */
async function runDashboards(
  prometheus: Prometheus,
  fleet: readonly SimulatedHost[],
  dashboards: ReadonlyMap<string, Dashboard>,
  now: number,
  options: Run["options"],
): Promise<QueryRun[]> {
  const runs: QueryRun[] = [];
  const base = { now, scrapeSeconds: options.scrapeSeconds, repeat: options.repeat };
  const busiest = fleet
    .filter((h) => h.up(now))
    .sort((a, b) => b.metricsAt(now).sampleCount - a.metricsAt(now).sampleCount)[0];
  for (const [file, dashboard] of dashboards) {
    runs.push(...(await runDashboard(prometheus, file, dashboard, base)));
    const oneHost = dashboard.templating.list?.some((v) => v.name === "instance" && v.includeAll !== true);
    if (oneHost === true && busiest !== undefined) {
      const instance = busiest.plan.instance;
      runs.push(
        ...(await runDashboard(prometheus, file, dashboard, {
          ...base,
          choose: { instance },
          label: `busiest host ${instance}`,
        })),
      );
    }
  }
  return runs;
}
