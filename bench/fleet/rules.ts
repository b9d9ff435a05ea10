// The project's rules (every file in deploy/prometheus/rules), and their
// recording rules backfilled over the simulated hours with `promtool tsdb
// create-blocks-from rules`. promtool evaluates rules against a running
// Prometheus, so a rule that reads another rule's output is backfilled in a
// later round, once that output is in the data directory.
import fs from "node:fs";
import path from "node:path";
import { parse, stringify } from "yaml";
import { run } from "./history.js";

export interface Rule {
  readonly alert?: string;
  readonly record?: string;
  readonly expr: string;
  readonly for?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly annotations?: Readonly<Record<string, string>>;
}

export interface RuleGroup {
  readonly file: string;
  readonly name: string;
  readonly interval?: string;
  readonly rules: readonly Rule[];
}

export function loadRuleGroups(dir: string): RuleGroup[] {
  return fs
    .readdirSync(dir)
    .filter((f) => /\.ya?ml$/.test(f))
    .sort()
    .flatMap((file) => {
      const doc = parse(fs.readFileSync(path.join(dir, file), "utf8")) as {
        groups: { name: string; interval?: string; rules: Rule[] }[];
      };
      return doc.groups.map((g) => ({
        file,
        name: g.name,
        ...(g.interval === undefined ? {} : { interval: g.interval }),
        rules: g.rules,
      }));
    });
}

/** A group's evaluation interval in seconds (the global default when it has none). */
export function intervalSeconds(group: RuleGroup, defaultSeconds: number): number {
  return group.interval === undefined ? defaultSeconds : durationSeconds(group.interval);
}

export function durationSeconds(text: string): number {
  const units: Record<string, number> = { ms: 0.001, s: 1, m: 60, h: 3600, d: 86_400, w: 604_800, y: 31_536_000 };
  let total = 0;
  const re = /(\d+)(ms|s|m|h|d|w|y)/g;
  let matched = "";
  for (const match of text.matchAll(re)) {
    total += Number(match[1]) * (units[match[2] ?? ""] ?? 0);
    matched += match[0];
  }
  if (matched !== text) throw new Error(`not a duration: ${text}`);
  return total;
}

/**
 * The recording rules in rounds: a rule is in round 1 when it reads only
 * scraped series, and one round after the last rule whose output it reads.
 */
export function recordingRounds(groups: readonly RuleGroup[]): RuleGroup[][] {
  const records = groups.flatMap((g) => g.rules.flatMap((r) => (r.record === undefined ? [] : [r])));
  const round = new Map<string, number>();
  const roundOf = (rule: Rule, seen: readonly string[] = []): number => {
    const name = rule.record ?? "";
    const known = round.get(name);
    if (known !== undefined) return known;
    if (seen.includes(name))
      throw new Error(`recording rules read each other in a cycle: ${[...seen, name].join(" -> ")}`);
    let deepest = 0;
    for (const other of records) {
      if (other.record !== undefined && other !== rule && reads(rule.expr, other.record))
        deepest = Math.max(deepest, roundOf(other, [...seen, name]));
    }
    round.set(name, deepest + 1);
    return deepest + 1;
  };
  for (const rule of records) roundOf(rule);
  const last = Math.max(0, ...round.values());
  const rounds: RuleGroup[][] = [];
  for (let r = 1; r <= last; r++) {
    rounds.push(
      groups
        .map((g) => ({
          ...g,
          rules: g.rules.filter((rule) => rule.record !== undefined && round.get(rule.record) === r),
        }))
        .filter((g) => g.rules.length > 0),
    );
  }
  return rounds;
}

/** Whether `expr` reads the series `name` (the name as a whole token). */
export function reads(expr: string, name: string): boolean {
  const escaped = name.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`(^|[^a-zA-Z0-9_:])${escaped}($|[^a-zA-Z0-9_:])`).test(expr);
}

/** promtool's rule backfill of one round into `outputDir`, evaluated against the Prometheus at `url`. */
export async function backfillRound(
  round: readonly RuleGroup[],
  options: { url: string; start: number; end: number; workDir: string; outputDir: string; defaultInterval: string },
): Promise<void> {
  const file = path.join(options.workDir, "backfill-rules.yml");
  fs.writeFileSync(
    file,
    stringify({
      groups: round.map((g) => ({
        name: g.name,
        ...(g.interval === undefined ? {} : { interval: g.interval }),
        rules: g.rules.map((r) => ({
          record: r.record,
          expr: r.expr,
          ...(r.labels === undefined ? {} : { labels: r.labels }),
        })),
      })),
    }),
  );
  fs.mkdirSync(options.outputDir, { recursive: true });
  await run("promtool", [
    "tsdb",
    "create-blocks-from",
    "rules",
    "--quiet",
    `--url=${options.url}`,
    `--start=${Math.ceil(options.start)}`,
    `--end=${Math.floor(options.end)}`,
    `--eval-interval=${options.defaultInterval}`,
    `--output-dir=${options.outputDir}`,
    file,
  ]);
}

/** Moves every block (a directory with a meta.json) from `from` into `to`. */
export function moveBlocks(from: string, to: string): number {
  let moved = 0;
  for (const entry of fs.readdirSync(from)) {
    const dir = path.join(from, entry);
    if (!fs.existsSync(path.join(dir, "meta.json"))) continue;
    fs.renameSync(dir, path.join(to, entry));
    moved++;
  }
  return moved;
}

export interface BlockMeta {
  readonly ulid: string;
  readonly minTime: number;
  readonly maxTime: number;
  readonly stats?: { readonly numSamples?: number; readonly numSeries?: number };
}

export function blocksIn(dataDir: string): BlockMeta[] {
  const blocks: BlockMeta[] = [];
  for (const entry of fs.readdirSync(dataDir)) {
    let meta: string;
    try {
      meta = fs.readFileSync(path.join(dataDir, entry, "meta.json"), "utf8");
    } catch (error) {
      // Not a block (wal, lock, chunks_head), or one a running Prometheus deleted after compacting it
      // between the listing and this read.
      const code = (error as NodeJS.ErrnoException).code;
      if (code === "ENOENT" || code === "ENOTDIR") continue;
      throw error;
    }
    blocks.push(JSON.parse(meta) as BlockMeta);
  }
  return blocks;
}

/** Whether two blocks of the data directory cover the same time (Prometheus compacts them into one). */
export function hasOverlaps(blocks: readonly BlockMeta[]): boolean {
  let reach = Number.NEGATIVE_INFINITY;
  for (const block of [...blocks].sort((a, b) => a.minTime - b.minTime)) {
    if (block.minTime < reach) return true;
    reach = Math.max(reach, block.maxTime);
  }
  return false;
}
