// npm run fleet:sim -- --hosts N [options]   (--help for all of them)
//
// N simulated hosts in one real Prometheus: hours of history backfilled from
// the golden files with promtool (the recording rules too), live scrapes on
// top, the project's rules evaluating at their intervals, then every alert and
// recording rule and every dashboard panel query run and measured. Prints a
// Markdown report on stdout (progress on stderr); exits 1 when a budget is
// missed. Needs the built exporter (the npm script builds it) and Debian's
// prometheus package (prometheus, promtool).
import fs from "node:fs";
import os from "node:os";
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { stringify } from "yaml";
import { captureExporter } from "./capture.js";
import { loadDashboards, runDashboard, type QueryRun } from "./dashboards.js";
import { writeHistory } from "./history.js";
import { SimulatedHost } from "./host.js";
import { serveFleet } from "./live.js";
import { Observer, scrapedTargets } from "./observe.js";
import { planFleet } from "./plan.js";
import { Prometheus, selfMetric, sleep, type Measured } from "./prometheus.js";
import { checkBudgets, report, seriesPerHost, type Budgets, type SimulationResult } from "./report.js";
import type { Dashboard } from "../../dashboards/src/model.js";
import {
  backfillRound,
  blocksIn,
  hasOverlaps,
  intervalSeconds,
  loadRuleGroups,
  moveBlocks,
  recordingRounds,
  type RuleGroup,
} from "./rules.js";
import { loadTemplates } from "./templates.js";
import { updateDocs } from "./docs.js";

const ROOT = fileURLToPath(new URL("../../", import.meta.url));
const JOB = "livepatch";

const HELP = `Usage: npm run fleet:sim -- [options]

  --hosts N              simulated hosts (default 1000)
  --ci                   the CI run: 1,000 hosts unless --hosts says otherwise, one evaluation of each rule
                         group is enough, budgets enforced (exit 1 when one is missed)
  --history-hours H      hours of history backfilled before the live part (default 6)
  --dense-minutes M      the last M minutes of history at the scrape interval (default 60); before, one
                         scrape every --sparse-step seconds (default 120)
  --unread-step S        families no rule or dashboard reads: one sample every S seconds in the history
                         (default 600; they are in every block's index all the same)
  --scrape-interval S    seconds between scrapes and between evaluations of groups without their own
                         interval: the example configuration's 30
  --repeat N             runs of each query; the report gives the median (default 3, CI 2)
  --min-evaluations N    evaluations of every rule group to observe before stopping (default 2, CI 1)
  --seed N               the fleet's random seed (default 20)
  --rules DIR            rule files (default deploy/prometheus/rules)
  --dashboards DIR       dashboard JSON files (default dashboards)
  --golden DIR           golden expositions the hosts are made from (default test/golden)
  --work DIR             where a new directory for the data is made (default $TMPDIR; it needs about
                         10 GB at 10,000 hosts); --keep leaves it there
  --json FILE            also write every measurement as JSON
  --docs                 write the report into docs/performance.md's "Fleet scale" section
  --budget-query-ms MS   slowest allowed dashboard query, median of the runs (default 1000)
  --budget-series N      most series one panel may return (default 500)
  --budget-samples N     most samples one query may hold at once (default 50 M, Prometheus' limit, at
                         10,000 hosts, and in proportion to --hosts below)
  --budget-group-share F longest allowed rule group evaluation, as a share of its interval (default 0.1)
  --budget-memory-mib M  largest allowed Prometheus resident memory (default: reported only)
`;

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      hosts: { type: "string" },
      ci: { type: "boolean", default: false },
      "history-hours": { type: "string", default: "6" },
      "dense-minutes": { type: "string", default: "60" },
      "sparse-step": { type: "string", default: "120" },
      "unread-step": { type: "string", default: "600" },
      "scrape-interval": { type: "string", default: "30" },
      repeat: { type: "string" },
      "min-evaluations": { type: "string" },
      seed: { type: "string", default: "20" },
      rules: { type: "string", default: path.join(ROOT, "deploy/prometheus/rules") },
      dashboards: { type: "string", default: path.join(ROOT, "dashboards") },
      golden: { type: "string", default: path.join(ROOT, "test/golden") },
      work: { type: "string" },
      keep: { type: "boolean", default: false },
      json: { type: "string" },
      docs: { type: "boolean", default: false },
      "budget-query-ms": { type: "string", default: "1000" },
      "budget-series": { type: "string", default: "500" },
      "budget-samples": { type: "string" },
      "budget-group-share": { type: "string", default: "0.1" },
      "budget-memory-mib": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) {
    process.stdout.write(HELP);
    return;
  }
  const ci = values.ci;
  const hosts = positive(values.hosts ?? "1000", "--hosts");
  const scrapeSeconds = positive(values["scrape-interval"], "--scrape-interval");
  const repeat = positive(values.repeat ?? (ci ? "2" : "3"), "--repeat");
  const minEvaluations = positive(values["min-evaluations"] ?? (ci ? "1" : "2"), "--min-evaluations");
  const budgets: Budgets = {
    queryMs: positive(values["budget-query-ms"], "--budget-query-ms"),
    panelSeries: positive(values["budget-series"], "--budget-series"),
    // Prometheus' default --query.max-samples at 10,000 hosts, in proportion below.
    querySamples:
      values["budget-samples"] === undefined
        ? Math.round((50_000_000 * Math.min(hosts, 10_000)) / 10_000)
        : positive(values["budget-samples"], "--budget-samples"),
    groupShare: Number(values["budget-group-share"]),
    ...(values["budget-memory-mib"] === undefined
      ? {}
      : { memoryBytes: positive(values["budget-memory-mib"], "--budget-memory-mib") * 1024 * 1024 }),
  };
  const parent = values.work ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  const work = fs.mkdtempSync(path.join(parent, "fleet-sim-"));
  const log = (line: string): void => {
    process.stderr.write(`[fleet:sim ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const phases: Record<string, number> = {};
  const phase = async <T>(name: string, body: () => Promise<T>): Promise<T> => {
    const started = performance.now();
    log(`${name}...`);
    try {
      return await body();
    } finally {
      phases[name] = (performance.now() - started) / 1000;
    }
  };

  const cleanup: (() => Promise<void>)[] = [];
  const onSignal = (): void => {
    void Promise.all(cleanup.map((c) => c())).finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    const captured = await phase("capture the exporter's own families", () => captureExporter(work));
    const templates = loadTemplates(values.golden, captured);
    const historySeconds = Number(values["history-hours"]) * 3600;
    const historyEnd = Math.floor(Date.now() / 1000);
    const historyStart = historyEnd - historySeconds;
    const plan = planFleet({
      hosts,
      seed: positive(values.seed, "--seed"),
      start: historyStart,
      end: historyEnd + 1800,
      scrapeIntervalSeconds: scrapeSeconds,
    });
    const groups = loadRuleGroups(values.rules);
    const dashboards = loadDashboards(values.dashboards);
    const read = namesRead(groups, dashboards);
    const isRead = (family: string): boolean =>
      read.has(family) || ["_bucket", "_sum", "_count"].some((suffix) => read.has(family + suffix));
    const fleet = plan.map((p) => new SimulatedHost(p, templates, JOB, isRead));

    const dataDir = path.join(work, "data");
    fs.mkdirSync(dataDir, { recursive: true });
    const historyOptions = {
      denseStep: scrapeSeconds,
      sparseStep: positive(values["sparse-step"], "--sparse-step"),
      dataDir,
      workDir: work,
      maxLinesPerFile: 60_000_000,
      unreadStep: positive(values["unread-step"], "--unread-step"),
      log,
    };
    const history = await phase("backfill the history (promtool tsdb create-blocks-from openmetrics)", () =>
      writeHistory(fleet, {
        ...historyOptions,
        start: historyStart,
        end: historyEnd,
        denseFrom: historyEnd - Number(values["dense-minutes"]) * 60,
      }),
    );

    const rounds = recordingRounds(groups);
    const plainConfig = stringify({
      global: { scrape_interval: `${scrapeSeconds}s`, evaluation_interval: `${scrapeSeconds}s` },
    });
    const startPlain = (): Promise<Prometheus> =>
      Prometheus.start({
        dataDir,
        configDir: path.join(work, "backfill-config"),
        config: plainConfig,
        retention: "30d",
      });
    await phase("backfill the recording rules (promtool tsdb create-blocks-from rules)", async () => {
      for (const [index, round] of rounds.entries()) {
        const prometheus = await startPlain();
        cleanup.push(() => prometheus.stop());
        try {
          log(`recording rules, round ${index + 1}/${rounds.length}: ${round.flatMap((g) => g.rules).length} rules`);
          const outputDir = path.join(work, `rules-${index + 1}`);
          await backfillRound(round, {
            url: prometheus.url,
            start: historyStart,
            end: historyEnd,
            workDir: work,
            outputDir,
            defaultInterval: `${scrapeSeconds}s`,
          });
          await prometheus.stop();
          moveBlocks(outputDir, dataDir);
        } finally {
          await prometheus.stop();
        }
      }
    });
    await phase("let Prometheus merge the overlapping blocks", async () => {
      if (!hasOverlaps(blocksIn(dataDir))) return;
      const prometheus = await startPlain();
      cleanup.push(() => prometheus.stop());
      try {
        const deadline = Date.now() + Math.max(900_000, hosts * 300);
        while (hasOverlaps(blocksIn(dataDir))) {
          if (Date.now() > deadline) throw new Error(`blocks still overlap:\n${prometheus.recentLogs}`);
          await sleep(5000);
        }
      } finally {
        await prometheus.stop();
      }
    });

    // The minutes the backfill took: written too, so the live scrapes continue the history without a gap
    // (the recording rules' output has one; they are evaluated again from here).
    const gapEnd = Math.floor(Date.now() / 1000);
    const gap = await phase("backfill the minutes since", () =>
      writeHistory(fleet, { ...historyOptions, start: historyEnd, end: gapEnd, denseFrom: historyEnd }),
    );

    const live = await serveFleet(fleet);
    cleanup.push(() => live.stop());
    const ruleFiles = fs
      .readdirSync(values.rules)
      .filter((f) => /\.ya?ml$/.test(f))
      .sort();
    const config = stringify({
      global: {
        scrape_interval: `${scrapeSeconds}s`,
        scrape_timeout: "10s",
        evaluation_interval: `${scrapeSeconds}s`,
      },
      rule_files: ruleFiles,
      scrape_configs: [
        {
          job_name: JOB,
          static_configs: [{ targets: plan.map((p) => p.instance) }],
          relabel_configs: [
            { source_labels: ["__address__"], target_label: "__param_host" },
            { source_labels: ["__address__"], target_label: "instance" },
            { target_label: "__address__", replacement: live.address },
          ],
        },
      ],
    });
    const files = Object.fromEntries(ruleFiles.map((f) => [f, fs.readFileSync(path.join(values.rules, f), "utf8")]));
    const prometheus = await phase("start the measured Prometheus", () =>
      Prometheus.start({ dataDir, configDir: path.join(work, "config"), config, files, retention: "30d" }),
    );
    cleanup.push(() => prometheus.stop());
    const liveStart = Date.now() / 1000;
    const observer = new Observer(prometheus);
    observer.start(5000);
    // Measured from the third round of scrapes on: the first creates every series in memory at once, which a
    // Prometheus in service does not do.
    const measuredFrom = await phase("wait for every target's first scrapes", async () => {
      const deadline = Date.now() + 20 * 60_000;
      for (;;) {
        const targets = await scrapedTargets(prometheus);
        if (targets.scraped >= hosts) break;
        if (Date.now() > deadline) throw new Error(`only ${targets.scraped} of ${hosts} targets scraped`);
        await sleep(5000);
      }
      await sleep(2 * scrapeSeconds * 1000);
      return Date.now();
    });
    // Rule groups on their own first: the simulation's queries would compete with them for the CPU.
    await phase(`observe ${minEvaluations} evaluation(s) of every rule group`, async () => {
      const longest = Math.max(...groups.map((g) => intervalSeconds(g, scrapeSeconds)));
      const deadline = Date.now() + (minEvaluations + 1) * longest * 1000 + 120_000;
      while (!observer.evaluatedSince(measuredFrom, minEvaluations)) {
        if (Date.now() > deadline) throw new Error("the rule groups did not evaluate in time");
        await sleep(2000);
      }
    });
    observer.busy = true;
    const now = Date.now() / 1000;
    const ruleRuns = await phase("run every rule as a query", async () => {
      const out: {
        group: string;
        file: string;
        name: string;
        kind: "alert" | "record";
        expr: string;
        runs: Measured[];
      }[] = [];
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
    });

    const dashboardRuns = await phase("run every dashboard query as Grafana does", async () => {
      const runs: QueryRun[] = [];
      const busiest = [...fleet]
        .filter((h) => h.up(now))
        .sort((a, b) => b.metricsAt(now).sampleCount - a.metricsAt(now).sampleCount)[0];
      for (const [file, dashboard] of dashboards) {
        runs.push(...(await runDashboard(prometheus, file, dashboard, { now, scrapeSeconds, repeat })));
        // A dashboard whose instance variable is one host: also the busiest host.
        const single = dashboard.templating.list?.some((v) => v.name === "instance" && v.includeAll !== true);
        if (single === true && busiest !== undefined) {
          runs.push(
            ...(await runDashboard(prometheus, file, dashboard, {
              now,
              scrapeSeconds,
              repeat,
              choose: { instance: busiest.plan.instance },
              label: `busiest host ${busiest.plan.instance}`,
            })),
          );
        }
      }
      return runs;
    });

    await observer.stop();
    const self = await prometheus.selfMetrics();
    const memory = prometheus.memory();
    const result: SimulationResult = {
      hosts,
      seed: Number(values.seed),
      historyHours: historySeconds / 3600,
      denseMinutes: Number(values["dense-minutes"]),
      sparseStep: Number(values["sparse-step"]),
      scrapeSeconds,
      history: {
        samples: history.samples + gap.samples,
        files: history.files + gap.files,
        bytes: history.bytes + gap.bytes,
        generateSeconds: history.generateSeconds + gap.generateSeconds,
        promtoolSeconds: history.promtoolSeconds + gap.promtoolSeconds,
      },
      measuredFrom,
      liveSeconds: Date.now() / 1000 - liveStart,
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
      rules: ruleRuns,
      dashboards: dashboardRuns,
      seriesPerHost: seriesPerHost(templates, fleet, now),
      phases,
      prometheusVersion: (await prometheus.api<{ version: string }>("status/buildinfo", {})).version,
    };
    await prometheus.stop();
    await live.stop();
    const budgetReport = checkBudgets(result, budgets);
    const markdown = report(result, budgets, budgetReport);
    process.stdout.write(`${markdown}\n`);
    if (values.json !== undefined)
      fs.writeFileSync(values.json, `${JSON.stringify({ result, budgets, budgetReport }, null, 2)}\n`);
    if (values.docs) {
      updateDocs(path.join(ROOT, "docs/performance.md"), markdown);
      log("wrote docs/performance.md (Fleet scale)");
    }
    if (budgetReport.missed.length > 0) {
      log(`budgets missed:\n  ${budgetReport.missed.join("\n  ")}`);
      process.exitCode = 1;
    }
  } finally {
    await Promise.all(cleanup.map((c) => c().catch(() => undefined)));
    if (values.keep) log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

/** Every name a rule (its expression and annotation queries) or a dashboard query mentions. */
function namesRead(groups: readonly RuleGroup[], dashboards: ReadonlyMap<string, Dashboard>): Set<string> {
  const texts = [
    ...groups.flatMap((g) => g.rules.flatMap((r) => [r.expr, ...Object.values(r.annotations ?? {})])),
    ...[...dashboards.values()].map((d) => JSON.stringify(d)),
  ];
  return new Set(texts.flatMap((text) => text.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []));
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, not ${text}`);
  return n;
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fleet:sim failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
