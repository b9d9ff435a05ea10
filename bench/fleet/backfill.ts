// Everything Prometheus should find on disk before it is measured: the hosts'
// hours of history (promtool create-blocks-from openmetrics), the recording
// rules over those hours (promtool create-blocks-from rules, in rounds),
// merged by Prometheus itself, then the minutes all that took.
import path from "node:path";
import { stringify } from "yaml";
import { writeHistory, type HistoryResult } from "./history.js";
import type { SimulatedHost } from "./host.js";
import { Prometheus, sleep } from "./prometheus.js";
import type { Run } from "./run.js";
import { backfillRound, blocksIn, hasOverlaps, moveBlocks, recordingRounds, type RuleGroup } from "./rules.js";

export async function backfill(
  run: Run,
  fleet: readonly SimulatedHost[],
  groups: readonly RuleGroup[],
  historyEnd: number,
): Promise<HistoryResult> {
  const { options, dataDir, work } = run;
  const historyStart = historyEnd - options.historyHours * 3600;
  const common = {
    denseStep: options.scrapeSeconds,
    sparseStep: options.sparseStep,
    unreadStep: options.unreadStep,
    dataDir,
    workDir: work,
    maxLinesPerFile: 60_000_000,
    log: (line: string) => run.log(line),
  };
  const history = await run.phase("backfill the history (promtool tsdb create-blocks-from openmetrics)", () =>
    writeHistory(fleet, {
      ...common,
      start: historyStart,
      end: historyEnd,
      denseFrom: historyEnd - options.denseMinutes * 60,
    }),
  );

  // A Prometheus with the data and nothing else: promtool evaluates the rules against it, and it merges blocks.
  const plain = async (): Promise<Prometheus> => {
    const prometheus = await Prometheus.start({
      dataDir,
      configDir: path.join(work, "backfill-config"),
      config: stringify({ global: { evaluation_interval: `${options.scrapeSeconds}s` } }),
      retention: "30d",
    });
    run.onCleanup(() => prometheus.stop());
    return prometheus;
  };
  await run.phase("backfill the recording rules (promtool tsdb create-blocks-from rules)", async () => {
    const rounds = recordingRounds(groups);
    for (const [index, round] of rounds.entries()) {
      run.log(`recording rules, round ${index + 1}/${rounds.length}: ${round.flatMap((g) => g.rules).length} rules`);
      const prometheus = await plain();
      const outputDir = path.join(work, `rules-${index + 1}`);
      try {
        await backfillRound(round, {
          url: prometheus.url,
          start: historyStart,
          end: historyEnd,
          workDir: work,
          outputDir,
          defaultInterval: `${options.scrapeSeconds}s`,
        });
      } finally {
        await prometheus.stop();
      }
      moveBlocks(outputDir, dataDir);
    }
  });
  await run.phase("let Prometheus merge the overlapping blocks", async () => {
    if (!hasOverlaps(blocksIn(dataDir))) return;
    const prometheus = await plain();
    try {
      const deadline = Date.now() + Math.max(900_000, options.hosts * 300);
      while (hasOverlaps(blocksIn(dataDir))) {
        if (Date.now() > deadline) throw new Error(`blocks still overlap:\n${prometheus.recentLogs}`);
        await sleep(5000);
      }
    } finally {
      await prometheus.stop();
    }
  });

  // The minutes all that took, so the live scrapes continue the history without a gap (the recording rules'
  // output has one: they are evaluated again from the start of the live part).
  const gap = await run.phase("backfill the minutes since", () =>
    writeHistory(fleet, { ...common, start: historyEnd, end: Math.floor(Date.now() / 1000), denseFrom: historyEnd }),
  );
  return {
    samples: history.samples + gap.samples,
    files: history.files + gap.files,
    bytes: history.bytes + gap.bytes,
    generateSeconds: history.generateSeconds + gap.generateSeconds,
    promtoolSeconds: history.promtoolSeconds + gap.promtoolSeconds,
  };
}
