// What every phase of a simulation shares: its options, its directories, its
// progress log, the time each phase took, and what to stop however it ends.
import type { SimOptions } from "./options.js";

export interface Run {
  readonly options: SimOptions;
  /** The run's own directory (deleted at the end unless --keep). */
  readonly work: string;
  /** Prometheus' data directory, inside `work`. */
  readonly dataDir: string;
  /** Seconds each phase took, by name. */
  readonly phases: Record<string, number>;
  log(line: string): void;
  phase<T>(name: string, body: () => Promise<T>): Promise<T>;
  /** Registers something to stop when the run ends, also on an error or a signal. */
  onCleanup(stop: () => Promise<void>): void;
}
