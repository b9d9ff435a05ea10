// One simulated host at any moment: its plan applied to its template gives the
// families it exposes; rendered once per state (a host changes state a handful
// of times), then stamped with values and timestamps for each scrape — as
// OpenMetrics lines with instance and job for the backfill, or as the text a
// live scrape gets.
import { seriesText, valueText } from "./exposition.js";
import type { HostMetrics, ModelSample, Motion } from "./metrics.js";
import type { HostPlan } from "./plan.js";
import {
  canonicalFailing,
  inTransition,
  modulesDisabled,
  rebootPending,
  sysfsGone,
  unpatched,
  withCanonical,
  withForcedTransition,
  withKernelLag,
  withTaint,
  type Templates,
} from "./templates.js";

/** How long a reboot keeps the exporter unreachable, on each side of the reboot time. */
const REBOOT_GAP_SECONDS = 60;

interface Moving {
  readonly head: string;
  readonly sample: ModelSample;
  readonly motion: Motion;
}

/** Text as is, or a sample whose value is computed at scrape time. */
type LivePart = string | Moving;

interface Lines {
  /** Lines whose value never changes in this state, without the trailing timestamp. */
  readonly fixed: string[];
  /** Samples whose value moves: the series text and how it moves. */
  readonly moving: Moving[];
}

interface Rendered {
  /** Samples of the families some rule or dashboard reads. */
  readonly read: Lines;
  /** The others: in the history, only every few scrapes. */
  readonly unread: Lines;
  readonly samples: number;
}

export class SimulatedHost {
  private readonly states = new Map<string, HostMetrics>();
  private readonly history = new Map<string, Rendered>();
  private readonly live = new Map<string, readonly LivePart[]>();
  private readonly target: { readonly instance: string; readonly job: string };

  constructor(
    readonly plan: HostPlan,
    private readonly templates: Templates,
    job: string,
    /** Whether some rule or dashboard reads this family (the others are thinned in the history). */
    private readonly isRead: (family: string) => boolean = () => true,
  ) {
    this.target = { instance: plan.instance, job };
  }

  /** Whether the exporter answers a scrape at `t`. */
  up(t: number): boolean {
    const { down, rebootAt } = this.plan;
    if (down !== undefined && t >= down.from && t < down.to) return false;
    return rebootAt === undefined || Math.abs(t - rebootAt) >= REBOOT_GAP_SECONDS;
  }

  /** The families the host exposes at `t`. */
  metricsAt(t: number): HostMetrics {
    const key = this.stateKey(t);
    let state = this.states.get(key);
    if (state === undefined) {
      state = this.build(t);
      assertUniqueSeries(state, `${this.plan.instance} (state ${key})`);
      this.states.set(key, state);
    }
    return state;
  }

  /**
   * The OpenMetrics lines of one scrape at `t` (seconds), with the series
   * Prometheus adds itself; families no query reads only when `all`.
   */
  historyLines(t: number, all: boolean): string {
    const ts = ` ${timestampText(t)}\n`;
    const scrape = (up: number, duration: number, samples: number): string =>
      [
        `up{${this.targetLabels}} ${up}`,
        `scrape_duration_seconds{${this.targetLabels}} ${duration.toFixed(4)}`,
        `scrape_samples_scraped{${this.targetLabels}} ${samples}`,
        `scrape_samples_post_metric_relabeling{${this.targetLabels}} ${samples}`,
        `scrape_series_added{${this.targetLabels}} 0`,
      ].join(ts) + ts;
    if (!this.up(t)) return scrape(0, 0.001 + 0.001 * noise(this.plan.index, 1, t), 0);
    const key = this.stateKey(t);
    let rendered = this.history.get(key);
    if (rendered === undefined) {
      rendered = render(this.metricsAt(t), this.target, this.isRead);
      this.history.set(key, rendered);
    }
    const lines = (part: Lines): string =>
      (part.fixed.length === 0 ? "" : part.fixed.join(ts) + ts) + this.movingLines(part, t, ts);
    return (
      lines(rendered.read) +
      (all ? lines(rendered.unread) : "") +
      scrape(1, 0.008 + 0.01 * noise(this.plan.index, 2, t), rendered.samples)
    );
  }

  /** The exposition a live scrape at `t` gets, or undefined when the exporter is down. */
  liveText(t: number): string | undefined {
    if (!this.up(t)) return undefined;
    const key = this.stateKey(t);
    let parts = this.live.get(key);
    if (parts === undefined) {
      parts = renderLive(this.metricsAt(t));
      this.live.set(key, parts);
    }
    let out = "";
    for (const part of parts) {
      out += typeof part === "string" ? part : `${part.head} ${valueText(this.valueAt(part.sample, part.motion, t))}\n`;
    }
    return out;
  }

  private get targetLabels(): string {
    return `instance="${this.target.instance}",job="${this.target.job}"`;
  }

  private movingLines(part: Lines, t: number, ts: string): string {
    let out = "";
    for (const m of part.moving) out += `${m.head} ${valueText(this.valueAt(m.sample, m.motion, t))}${ts}`;
    return out;
  }

  private valueAt(sample: ModelSample, motion: Motion, t: number): number {
    const since = Math.max(0, t - this.plan.startedAt);
    switch (motion.kind) {
      case "counter":
        return Math.round((sample.value + motion.perSecond * since) * 1000) / 1000;
      case "steps":
        return Math.floor(since / motion.every) + 1;
      case "last-step":
        return this.plan.startedAt + Math.floor(since / motion.every) * motion.every;
      case "jitter":
        return Number(
          (sample.value * (1 + motion.spread * (noise(this.plan.index, sample.value, t) - 0.5) * 2)).toPrecision(4),
        );
    }
  }

  /** Which of the plan's conditions hold at `t`: the host's state is a function of this key. */
  private stateKey(t: number): string {
    const p = this.plan;
    const after = (at: number | undefined): boolean => at !== undefined && t >= at;
    const rebooted = after(p.rebootAt);
    const rollout =
      p.rolloutAt === undefined ? "-" : t < p.rolloutAt ? "u" : t < p.rolloutAt + p.rolloutSeconds ? "t" : "p";
    return [
      rebooted ? "R" : "-",
      rollout,
      after(p.stuckFrom) ? "S" : "-",
      after(p.taint?.at) && !(rebooted && (p.rebootAt ?? 0) > (p.taint?.at ?? 0)) ? "T" : "-",
      after(p.rebootPending?.at) && !rebooted ? "P" : "-",
      after(p.canonical?.failingFrom) ? "F" : "-",
      after(p.sysfsGoneFrom) ? "G" : "-",
      after(p.forcedAt) && !(rebooted && (p.rebootAt ?? 0) > (p.forcedAt ?? 0)) ? "X" : "-",
    ].join("");
  }

  private build(t: number): HostMetrics {
    const p = this.plan;
    const key = this.stateKey(t);
    const t8 = this.templates;
    let m = t8.base[p.os];
    if (p.canonical !== undefined) m = withCanonical(m, t8, p.canonical.coverageEnd);
    const rebooted = key.startsWith("R");
    m = withKernelLag(m, rebooted ? 0 : p.lag);
    if (p.modulesDisabled) m = modulesDisabled(m);
    if (key[1] === "u") m = unpatched(m);
    if (key[1] === "t") m = inTransition(unpatched(m), t8);
    if (key[2] === "S") m = inTransition(m, t8);
    if (key[3] === "T" && p.taint !== undefined) m = withTaint(m, [p.taint.letter]);
    if (key[4] === "P" && p.rebootPending !== undefined)
      m = rebootPending(m, t8, p.rebootPending.since, p.os !== "rhel");
    if (key[5] === "F") m = canonicalFailing(m);
    if (key[6] === "G") m = sysfsGone(m);
    if (key[7] === "X") m = withForcedTransition(m);
    return m.set("livepatch_boot_time_seconds", {}, rebooted ? Math.floor(p.rebootAt ?? 0) : Math.floor(p.bootTime));
  }
}

/** Every sample as an OpenMetrics series with the target's instance and job. */
function render(
  metrics: HostMetrics,
  target: { readonly instance: string; readonly job: string },
  isRead: (family: string) => boolean,
): Rendered {
  const read: Lines = { fixed: [], moving: [] };
  const unread: Lines = { fixed: [], moving: [] };
  let samples = 0;
  for (const family of metrics.all()) {
    const lines = isRead(family.name) ? read : unread;
    for (const sample of family.samples) {
      samples++;
      const head = seriesText(sample.name, { ...sample.labels, ...target });
      if (sample.motion === undefined) lines.fixed.push(`${head} ${valueText(sample.value)}`);
      else lines.moving.push({ head, sample, motion: sample.motion });
    }
  }
  return { read, unread, samples };
}

/** HELP, TYPE and samples of each family, as the exporter prints them (no instance or job: Prometheus adds them). */
function renderLive(metrics: HostMetrics): LivePart[] {
  const parts: LivePart[] = [];
  for (const family of metrics.all()) {
    let text = `# HELP ${family.name} ${family.help}\n# TYPE ${family.name} ${family.type}\n`;
    for (const sample of family.samples) {
      const head = seriesText(sample.name, sample.labels);
      if (sample.motion === undefined) {
        text += `${head} ${valueText(sample.value)}\n`;
        continue;
      }
      parts.push(text, { head, sample, motion: sample.motion });
      text = "";
    }
    parts.push(text);
  }
  return parts;
}

/** promtool rejects a file where one series has two samples at a time: catch a model error here, clearly. */
function assertUniqueSeries(metrics: HostMetrics, where: string): void {
  const seen = new Set<string>();
  for (const family of metrics.all()) {
    for (const sample of family.samples) {
      const series = seriesText(sample.name, sample.labels);
      if (seen.has(series)) throw new Error(`${where} exposes ${series} twice`);
      seen.add(series);
    }
  }
}

/** Seconds with milliseconds, as OpenMetrics writes timestamps. */
function timestampText(t: number): string {
  return (Math.round(t * 1000) / 1000).toFixed(3);
}

/** A repeatable number in [0, 1) from three others. */
function noise(a: number, b: number, c: number): number {
  let h = 2166136261 ^ Math.floor(a * 7919 + b * 104729 + c * 13);
  h = Math.imul(h ^ (h >>> 16), 2246822507);
  h = Math.imul(h ^ (h >>> 13), 3266489909);
  return ((h ^ (h >>> 16)) >>> 0) / 4_294_967_296;
}
