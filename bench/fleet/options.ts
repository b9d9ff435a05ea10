// The simulator's command line: `npm run fleet:sim -- --help`.
import path from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import type { Budgets } from "./report.js";

export const ROOT = fileURLToPath(new URL("../../", import.meta.url));

export const HELP = `Usage: npm run fleet:sim -- [options]

  --hosts N              simulated hosts (default 1000)
  --ci                   the CI run: one evaluation of each rule group is enough, 2 runs of each query;
                         budgets are enforced in every run (exit 1 when one is missed)
  --history-hours H      hours of history backfilled before the live part (default 6)
  --dense-minutes M      the last M minutes of history at the scrape interval (default 60); before, one
                         scrape every --sparse-step seconds (default 120)
  --unread-step S        families no rule or dashboard reads: one sample every S seconds in the history
                         (default 600; they are in every block's index all the same)
  --scrape-interval S    seconds between scrapes and between evaluations of groups without their own
                         interval: the example configuration's 30
  --repeat N             runs of each query; the report gives the median (default 3, CI 2)
  --min-evaluations N    evaluations of every rule group to observe before the queries (default 2, CI 1)
  --seed N               the fleet's random seed (default 20)
  --rules DIR            rule files (default deploy/prometheus/rules)
  --dashboards DIR       dashboard JSON files (default dashboards)
  --golden DIR           golden expositions the hosts are made from (default test/golden)
  --work DIR             where a new directory for the data is made (default $TMPDIR; it needs about
                         10 GB at 10,000 hosts); --keep leaves it there
  --json FILE            also write every measurement as JSON
  --docs                 write the report into docs/performance.md's "Fleet scale" section
  --budget-query-ms MS   slowest allowed dashboard query, median of the runs (default 1000)
  --budget-samples N     most samples one query may hold at once (default 50 M, Prometheus' limit, at
                         10,000 hosts, and in proportion to --hosts below)
  --budget-series N      most series one panel may return (default 500)
  --budget-group-share F longest allowed rule group evaluation, as a share of its interval (default 0.1)
  --budget-memory-mib M  largest allowed Prometheus resident memory (default: reported only)
  --time-limit MIN       stop everything (Prometheus included) and exit 1 when the run takes longer than
                         MIN minutes (default: no limit; CI gives 20)
`;

export interface SimOptions {
  readonly hosts: number;
  readonly ci: boolean;
  readonly historyHours: number;
  readonly denseMinutes: number;
  readonly sparseStep: number;
  readonly unreadStep: number;
  readonly scrapeSeconds: number;
  readonly repeat: number;
  readonly minEvaluations: number;
  readonly seed: number;
  readonly rulesDir: string;
  readonly dashboardsDir: string;
  readonly goldenDir: string;
  readonly workParent: string | undefined;
  readonly keep: boolean;
  readonly json: string | undefined;
  readonly docs: boolean;
  readonly budgets: Budgets;
  /** Milliseconds the whole run may take, or undefined for no limit. */
  readonly timeLimitMs: number | undefined;
}

/** The options, or undefined when --help was asked for. */
export function parseOptions(args: readonly string[]): SimOptions | undefined {
  const { values } = parseArgs({
    args: [...args],
    options: {
      hosts: { type: "string", default: "1000" },
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
      "budget-samples": { type: "string" },
      "budget-series": { type: "string", default: "500" },
      "budget-group-share": { type: "string", default: "0.1" },
      "budget-memory-mib": { type: "string" },
      "time-limit": { type: "string" },
      help: { type: "boolean", default: false },
    },
  });
  if (values.help) return undefined;
  const hosts = positive(values.hosts, "--hosts");
  const memory = values["budget-memory-mib"];
  const limit = values["time-limit"];
  return {
    hosts,
    ci: values.ci,
    historyHours: positive(values["history-hours"], "--history-hours"),
    denseMinutes: positive(values["dense-minutes"], "--dense-minutes"),
    sparseStep: positive(values["sparse-step"], "--sparse-step"),
    unreadStep: positive(values["unread-step"], "--unread-step"),
    scrapeSeconds: positive(values["scrape-interval"], "--scrape-interval"),
    repeat: positive(values.repeat ?? (values.ci ? "2" : "3"), "--repeat"),
    minEvaluations: positive(values["min-evaluations"] ?? (values.ci ? "1" : "2"), "--min-evaluations"),
    seed: positive(values.seed, "--seed"),
    rulesDir: values.rules,
    dashboardsDir: values.dashboards,
    goldenDir: values.golden,
    workParent: values.work,
    keep: values.keep,
    json: values.json,
    docs: values.docs,
    budgets: {
      queryMs: positive(values["budget-query-ms"], "--budget-query-ms"),
      panelSeries: positive(values["budget-series"], "--budget-series"),
      // Prometheus' default --query.max-samples at 10,000 hosts, in proportion below.
      querySamples:
        values["budget-samples"] === undefined
          ? Math.round((50_000_000 * Math.min(hosts, 10_000)) / 10_000)
          : positive(values["budget-samples"], "--budget-samples"),
      groupShare: positive(values["budget-group-share"], "--budget-group-share"),
      ...(memory === undefined ? {} : { memoryBytes: positive(memory, "--budget-memory-mib") * 1024 * 1024 }),
    },
    timeLimitMs: limit === undefined ? undefined : positive(limit, "--time-limit") * 60_000,
  };
}

function positive(text: string, flag: string): number {
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${flag} must be a positive number, not ${text}`);
  return n;
}
