// What a collector looks like as metrics: its metric specs (name, type,
// labels, help, source, when absent) and how one scrape's facts become
// samples. Pure: no prom-client (src/views/metrics.ts renders the samples), no
// I/O. A view can only emit the names and labels it declares.
import type { Fact } from "../fact.js";
import type { Derived } from "../derive/index.js";
import { escapeLabels } from "./escape.js";

export interface MetricSpec {
  readonly type: "gauge" | "counter";
  readonly help: string;
  readonly labels: readonly string[];
  /** Where the value comes from (docs/metrics.md). */
  readonly source: string;
  /** When the series is absent (docs/metrics.md). */
  readonly absentWhen: string;
}

export type MetricSpecs = Readonly<Record<string, MetricSpec>>;

export function spec<const L extends readonly string[]>(
  labels: L,
  help: string,
  source: string,
  absentWhen: string,
  type: MetricSpec["type"] = "gauge",
): MetricSpec & { readonly labels: L } {
  return { type, help, labels, source, absentWhen };
}

export interface Sample {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
  readonly value: number;
}

type LabelsOf<M extends MetricSpecs, N extends keyof M> = M[N]["labels"][number];

/**
 * Collects the samples of one view, typed by its specs, into a scrape's list.
 * Every label value goes through escapeLabels: a host's name with a control
 * character in it is shown escaped, never raw.
 */
export class SampleSink<M extends MetricSpecs> {
  constructor(private readonly out: Sample[]) {}

  emit<N extends keyof M & string>(name: N, labels: Readonly<Record<LabelsOf<M, N>, string>>, value: number): void {
    this.out.push({ name, labels: escapeLabels(labels), value });
  }

  /** Emits the fact's value when known; records why when it is not (with unavailableAs). */
  fact<T, N extends keyof M & string>(
    name: N,
    labels: Readonly<Record<LabelsOf<M, N>, string>>,
    fact: Fact<T>,
    toNumber: (value: T) => number,
    unavailableAs?: string,
  ): void {
    if (fact.state === "ok") this.emit(name, labels, toNumber(fact.value));
    else if (fact.state === "unknown" && unavailableAs !== undefined) this.unavailable(unavailableAs, fact.reason);
  }

  /** livepatch_fact_unavailable{name,reason} 1: a host fact this scrape could not determine. */
  unavailable(name: string, reason: string): void {
    this.out.push({ name: FACT_UNAVAILABLE, labels: escapeLabels({ name, reason }), value: 1 });
  }
}

/** Declared with the exporter's own metrics (src/views/exporter.ts); every view may emit it. */
export const FACT_UNAVAILABLE = "livepatch_fact_unavailable";

export interface View<F, M extends MetricSpecs = MetricSpecs> {
  readonly metrics: M;
  /** Called once per scrape while the collector is enabled and produced its facts. */
  samples(sink: SampleSink<M>, facts: F, derived: Derived): void;
}

export function defineView<F, const M extends MetricSpecs>(
  metrics: M,
  samples: (sink: SampleSink<M>, facts: F, derived: Derived) => void,
): View<F, M> {
  return { metrics, samples };
}

export const bool = (value: boolean): number => (value ? 1 : 0);

/** "a (note), b, c (note)": a list in a help text, built from the code's own constant. */
export function listed<T extends string>(values: readonly T[], notes?: Readonly<Partial<Record<T, string>>>): string {
  return values.map((value) => (notes?.[value] === undefined ? value : `${value} (${notes[value]})`)).join(", ");
}
