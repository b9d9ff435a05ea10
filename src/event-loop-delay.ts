// Event loop delay statistics for the nodejs_eventloop_lag_* metrics, cheap
// enough to read on every scrape.
//
// prom-client reads them from perf_hooks.monitorEventLoopDelay(), whose
// histogram (1 ns to 1 h, 3 significant figures) costs ~0.4 ms per scrape to
// summarise: the standard deviation and mean walk ~30,000 buckets. That was
// the largest single cost of a scrape on a host without live patches. This
// records the same thing (the time between ticks of a timer with the same
// 10 ms resolution, so a value includes the resolution, as Node's does),
// keeps count, mean, min and max as plain numbers and the variance with
// Welford's method (exact mean and standard deviation), and only the percentiles in a histogram, with 2
// significant figures (1% precision) so that reading three of them is cheap.
// Like prom-client, each reading starts a new window.
import { createHistogram, type RecordableHistogram } from "node:perf_hooks";

export interface EventLoopDelayStats {
  /** Seconds. With no tick in the window: the values an empty Node.js histogram reports. */
  readonly min: number;
  readonly max: number;
  readonly mean: number;
  readonly stddev: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
}

/** What an empty perf_hooks histogram reports (min is INT64_MAX nanoseconds, 2^63 as a double; mean and stddev NaN). */
const EMPTY: EventLoopDelayStats = {
  min: 2 ** 63 / 1e9,
  max: 0,
  mean: NaN,
  stddev: NaN,
  p50: 0,
  p90: 0,
  p99: 0,
};

const ONE_HOUR_NS = 3_600_000_000_000;

export class EventLoopDelayMonitor {
  private readonly histogram: RecordableHistogram = createHistogram({ lowest: 1, highest: ONE_HOUR_NS, figures: 2 });
  private readonly timer: NodeJS.Timeout;
  private previous = process.hrtime.bigint();
  private count = 0;
  private mean = 0;
  /** Sum of squared differences from the mean (Welford). */
  private squares = 0;
  private min = Infinity;
  private max = 0;

  constructor(resolutionMs = 10) {
    this.timer = setInterval(() => this.tick(), resolutionMs);
    // Never keep the process alive (the check command must exit).
    this.timer.unref();
  }

  /** Statistics since the previous call (or since the start), then a new window. */
  take(): EventLoopDelayStats {
    const stats = this.count === 0 ? EMPTY : this.summary();
    this.histogram.reset();
    this.count = 0;
    this.mean = 0;
    this.squares = 0;
    this.min = Infinity;
    this.max = 0;
    return stats;
  }

  stop(): void {
    clearInterval(this.timer);
  }

  private tick(): void {
    const now = process.hrtime.bigint();
    const delay = Number(now - this.previous);
    this.previous = now;
    if (delay < 1) return;
    this.count += 1;
    const before = delay - this.mean;
    this.mean += before / this.count;
    this.squares += before * (delay - this.mean);
    if (delay < this.min) this.min = delay;
    if (delay > this.max) this.max = delay;
    if (delay <= ONE_HOUR_NS) this.histogram.record(delay);
  }

  private summary(): EventLoopDelayStats {
    return {
      min: this.min / 1e9,
      max: this.max / 1e9,
      mean: this.mean / 1e9,
      // Population standard deviation, as HdrHistogram computes it.
      stddev: Math.sqrt(this.squares / this.count) / 1e9,
      p50: this.histogram.percentile(50) / 1e9,
      p90: this.histogram.percentile(90) / 1e9,
      p99: this.histogram.percentile(99) / 1e9,
    };
  }
}
