// nodejs_gc_duration_seconds: the histogram of garbage collection pauses by
// kind that prom-client's default metrics keep, fed the same way (a
// PerformanceObserver on "gc" entries) and written in the same form
// (cumulative buckets with "le" first, then +Inf, _sum and _count per kind,
// kinds in the order they first occurred).
import { constants, PerformanceObserver } from "node:perf_hooks";
import { appendFamily, appendSeries, familyHeader, type Series } from "./exposition.js";

const NAME = "nodejs_gc_duration_seconds";
const HEADER = familyHeader(
  NAME,
  "Garbage collection duration by kind, one of major, minor, incremental or weakcb.",
  "histogram",
);
const BUCKETS = [0.001, 0.01, 0.1, 1, 2, 5];
const BUCKET_LABELS = BUCKETS.map(String);

const KINDS: Record<number, string> = {
  [constants.NODE_PERFORMANCE_GC_MAJOR]: "major",
  [constants.NODE_PERFORMANCE_GC_MINOR]: "minor",
  [constants.NODE_PERFORMANCE_GC_INCREMENTAL]: "incremental",
  [constants.NODE_PERFORMANCE_GC_WEAKCB]: "weakcb",
};

interface KindCounts {
  /** Observations per bucket (not cumulative); above the last bound only in count. */
  readonly buckets: number[];
  sum: number;
  count: number;
}

export class GcDurations {
  private readonly kinds = new Map<string, KindCounts>();
  private readonly observer = new PerformanceObserver((list) => {
    // As prom-client: one entry per callback is what Node.js delivers for "gc".
    const entry = list.getEntries()[0];
    if (entry === undefined) return;
    const detail = (entry as { readonly detail?: { readonly kind?: number } }).detail;
    this.observe(KINDS[detail?.kind ?? -1] ?? "undefined", entry.duration / 1000);
  });

  constructor() {
    this.observer.observe({ entryTypes: ["gc"] });
  }

  observe(kind: string, seconds: number): void {
    let counts = this.kinds.get(kind);
    if (counts === undefined) {
      counts = { buckets: BUCKETS.map(() => 0), sum: 0, count: 0 };
      this.kinds.set(kind, counts);
    }
    const bucket = BUCKETS.findIndex((bound) => seconds <= bound);
    if (bucket !== -1) counts.buckets[bucket] = (counts.buckets[bucket] ?? 0) + 1;
    counts.sum += seconds;
    counts.count += 1;
  }

  /** Appends the family to `text` (see appendFamily). */
  appendTo(text: string): string {
    let out = appendFamily(text, HEADER, `${NAME}_bucket`, []);
    for (const [kind, counts] of this.kinds) {
      const buckets: Series[] = [];
      let cumulative = 0;
      counts.buckets.forEach((n, i) => {
        cumulative += n;
        buckets.push({ labels: { le: BUCKET_LABELS[i] ?? "", kind }, value: cumulative });
      });
      buckets.push({ labels: { le: "+Inf", kind }, value: counts.count });
      out = appendSeries(out, `${NAME}_bucket`, buckets);
      out = appendSeries(out, `${NAME}_sum`, [{ labels: { kind }, value: counts.sum }]);
      out = appendSeries(out, `${NAME}_count`, [{ labels: { kind }, value: counts.count }]);
    }
    return out;
  }

  stop(): void {
    this.observer.disconnect();
  }
}
