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
import type { Dashboard } from "../../dashboards/src/model.js";
import { backfill } from "./backfill.js";
import { captureExporter } from "./capture.js";
import { loadDashboards } from "./dashboards.js";
import { updateDocs } from "./docs.js";
import { SimulatedHost } from "./host.js";
import { JOB, measure } from "./measure.js";
import { HELP, ROOT, parseOptions, type SimOptions } from "./options.js";
import { planFleet } from "./plan.js";
import { checkBudgets, report, seriesPerHost, type SimulationResult } from "./report.js";
import { loadRuleGroups, type RuleGroup } from "./rules.js";
import type { Run } from "./run.js";
import { loadTemplates } from "./templates.js";

async function main(): Promise<void> {
  const options = parseOptions(process.argv.slice(2));
  if (options === undefined) {
    process.stdout.write(HELP);
    return;
  }
  const parent = options.workParent ?? os.tmpdir();
  fs.mkdirSync(parent, { recursive: true });
  const work = fs.mkdtempSync(path.join(parent, "fleet-sim-"));
  const run = newRun(options, work);
  // A bounded run (CI): past the limit, stop Prometheus and the fleet, clean up, and fail.
  const limitMs = options.timeLimitMs;
  const limit =
    limitMs === undefined
      ? undefined
      : setTimeout(() => {
          run.log(`time limit of ${limitMs / 60_000} minutes reached; stopping`);
          void run.stopAll().finally(() => {
            if (!options.keep) fs.rmSync(work, { recursive: true, force: true });
            process.exit(1);
          });
        }, options.timeLimitMs);
  try {
    await simulate(run);
  } finally {
    clearTimeout(limit);
    await run.stopAll();
    if (options.keep) run.log(`kept ${work}`);
    else fs.rmSync(work, { recursive: true, force: true });
  }
}

async function simulate(run: Run): Promise<void> {
  const { options } = run;
  const captured = await run.phase("capture the exporter's own families", () => captureExporter(run.work));
  const templates = loadTemplates(options.goldenDir, captured);
  const historyEnd = Math.floor(Date.now() / 1000);
  const plan = planFleet({
    hosts: options.hosts,
    seed: options.seed,
    start: historyEnd - options.historyHours * 3600,
    end: historyEnd + 1800,
    scrapeIntervalSeconds: options.scrapeSeconds,
  });
  const groups = loadRuleGroups(options.rulesDir);
  const dashboards = loadDashboards(options.dashboardsDir);
  const read = namesRead(groups, dashboards);
  const isRead = (family: string): boolean =>
    read.has(family) || ["_bucket", "_sum", "_count"].some((suffix) => read.has(family + suffix));
  const fleet = plan.map((p) => new SimulatedHost(p, templates, JOB, isRead));

  const history = await backfill(run, fleet, groups, historyEnd);
  const measured = await measure(run, fleet, groups, dashboards);
  const result: SimulationResult = {
    ...measured,
    hosts: options.hosts,
    seed: options.seed,
    historyHours: options.historyHours,
    denseMinutes: options.denseMinutes,
    sparseStep: options.sparseStep,
    unreadStep: options.unreadStep,
    scrapeSeconds: options.scrapeSeconds,
    history,
    seriesPerHost: seriesPerHost(templates, fleet, measured.now),
    phases: run.phases,
  };
  const budgets = checkBudgets(result, options.budgets);
  const markdown = report(result, options.budgets, budgets);
  process.stdout.write(`${markdown}\n`);
  if (options.json !== undefined)
    fs.writeFileSync(
      options.json,
      `${JSON.stringify({ result, budgets: options.budgets, missed: budgets.missed }, null, 2)}\n`,
    );
  if (options.docs) {
    updateDocs(path.join(ROOT, "docs/performance.md"), markdown);
    run.log("wrote docs/performance.md (Fleet scale)");
  }
  if (budgets.missed.length > 0) {
    run.log(`budgets missed:\n  ${budgets.missed.join("\n  ")}`);
    process.exitCode = 1;
  }
}

function newRun(options: SimOptions, work: string): Run & { stopAll(): Promise<void> } {
  const stops: (() => Promise<void>)[] = [];
  const stopAll = async (): Promise<void> => {
    await Promise.all(stops.splice(0).map((stop) => stop().catch(() => undefined)));
  };
  const onSignal = (): void => {
    void stopAll().finally(() => process.exit(130));
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  const log = (line: string): void => {
    process.stderr.write(`[fleet:sim ${new Date().toISOString().slice(11, 19)}] ${line}\n`);
  };
  const phases: Record<string, number> = {};
  const dataDir = path.join(work, "data");
  fs.mkdirSync(dataDir);
  return {
    options,
    work,
    dataDir,
    phases,
    log,
    async phase<T>(name: string, body: () => Promise<T>): Promise<T> {
      const started = performance.now();
      log(`${name}...`);
      try {
        return await body();
      } finally {
        phases[name] = (performance.now() - started) / 1000;
      }
    },
    onCleanup: (stop) => stops.push(stop),
    stopAll,
  };
}

/** Every name a rule (its expression and annotation queries) or a dashboard query mentions. */
function namesRead(groups: readonly RuleGroup[], dashboards: ReadonlyMap<string, Dashboard>): Set<string> {
  const texts = [
    ...groups.flatMap((g) => g.rules.flatMap((r) => [r.expr, ...Object.values(r.annotations ?? {})])),
    ...[...dashboards.values()].map((d) => JSON.stringify(d)),
  ];
  return new Set(texts.flatMap((text) => text.match(/[a-zA-Z_:][a-zA-Z0-9_:]*/g) ?? []));
}

main().catch((error: unknown) => {
  process.stderr.write(
    `fleet:sim failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`,
  );
  process.exit(2);
});
