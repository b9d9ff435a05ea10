// What the measured Prometheus does on its own while the simulation runs: each
// rule group's evaluations (from /api/v1/rules, polled), its resident memory,
// and the scrape of every target.
import type { Prometheus } from "./prometheus.js";
import { sleep } from "./prometheus.js";

export interface Evaluation {
  /** When it started (ms since the epoch). */
  readonly at: number;
  readonly seconds: number;
  /** Each rule's share of it, in seconds, by position and name ("3. LivepatchNotReady"). */
  readonly rules: Readonly<Record<string, number>>;
}

export interface GroupObservation {
  readonly name: string;
  readonly file: string;
  readonly intervalSeconds: number;
  readonly evaluations: Evaluation[];
  lastEvaluation: string;
}

interface RulesData {
  readonly groups: readonly {
    readonly name: string;
    readonly file: string;
    readonly interval: number;
    readonly evaluationTime: number;
    readonly lastEvaluation: string;
    readonly rules: readonly {
      readonly name: string;
      readonly type: string;
      readonly evaluationTime: number;
      readonly health: string;
      readonly lastError?: string;
    }[];
  }[];
}

const NEVER = "0001-01-01T00:00:00Z";

export class Observer {
  readonly groups = new Map<string, GroupObservation>();
  readonly ruleErrors = new Map<string, string>();
  peakRss = 0;
  private stopped = false;
  private loop: Promise<void> | undefined;

  constructor(private readonly prometheus: Prometheus) {}

  start(everyMs: number): void {
    this.loop = (async () => {
      while (!this.stopped) {
        await this.poll();
        await sleep(everyMs);
      }
    })();
  }

  async stop(): Promise<void> {
    this.stopped = true;
    await this.loop;
    await this.poll();
  }

  async poll(): Promise<void> {
    try {
      this.peakRss = Math.max(this.peakRss, this.prometheus.memory().rss);
    } catch {
      // the process is gone
    }
    const data = await this.prometheus.api<RulesData>("rules", {});
    for (const group of data.groups) {
      const key = `${group.file}/${group.name}`;
      let seen = this.groups.get(key);
      if (seen === undefined) {
        seen = {
          name: group.name,
          file: group.file,
          intervalSeconds: group.interval,
          evaluations: [],
          lastEvaluation: NEVER,
        };
        this.groups.set(key, seen);
      }
      if (group.lastEvaluation === NEVER || group.lastEvaluation === seen.lastEvaluation) continue;
      seen.lastEvaluation = group.lastEvaluation;
      const rules: Record<string, number> = {};
      for (const [index, rule] of group.rules.entries()) {
        rules[`${index + 1}. ${rule.name}`] = rule.evaluationTime;
        if (rule.health === "err") this.ruleErrors.set(`${group.name}: ${rule.name}`, rule.lastError ?? "error");
      }
      seen.evaluations.push({ at: Date.parse(group.lastEvaluation), seconds: group.evaluationTime, rules });
    }
  }

  /** Whether every group has been seen evaluating at least `count` times since `since` (ms). */
  evaluatedSince(since: number, count: number): boolean {
    return (
      this.groups.size > 0 &&
      [...this.groups.values()].every((g) => g.evaluations.filter((e) => e.at > since).length >= count)
    );
  }
}

interface TargetsData {
  readonly activeTargets: readonly { readonly lastScrape: string; readonly health: string }[];
}

/** How many targets Prometheus knows, and how many it has scraped at least once. */
export async function scrapedTargets(prometheus: Prometheus): Promise<{ known: number; scraped: number; up: number }> {
  const data = await prometheus.api<TargetsData>("targets", { state: "active" });
  const scraped = data.activeTargets.filter((t) => t.lastScrape !== NEVER && !t.lastScrape.startsWith("0001"));
  return {
    known: data.activeTargets.length,
    scraped: scraped.length,
    up: scraped.filter((t) => t.health === "up").length,
  };
}
