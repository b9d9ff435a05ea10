// One host's /metrics as an editable value: families in exposition order, and
// the edits the fleet model makes to them (a taint bit set, a reboot pending,
// a collector failing...). Every edit returns a new value; templates are shared.
import { METRICS } from "../../src/views/catalog.js";
import type { Family, Labels, Sample } from "./exposition.js";

/**
 * How a sample's value moves over time, from the host exporter's start: a
 * counter growing at a steady rate, a count of runs every `every` seconds, the
 * time of the last such run, or noise around the sample's value.
 */
export type Motion =
  | { readonly kind: "counter"; readonly perSecond: number }
  | { readonly kind: "steps"; readonly every: number }
  | { readonly kind: "last-step"; readonly every: number }
  | { readonly kind: "jitter"; readonly spread: number };

export interface ModelSample extends Sample {
  readonly motion?: Motion;
}

export interface ModelFamily extends Family {
  readonly samples: readonly ModelSample[];
}

export class HostMetrics {
  private constructor(private readonly families: ReadonlyMap<string, ModelFamily>) {}

  static of(families: Iterable<ModelFamily>): HostMetrics {
    return new HostMetrics(new Map([...families].map((f) => [f.name, f])));
  }

  get(name: string): ModelFamily | undefined {
    return this.families.get(name);
  }

  all(): ModelFamily[] {
    return [...this.families.values()];
  }

  samplesOf(name: string): readonly ModelSample[] {
    return this.families.get(name)?.samples ?? [];
  }

  /** The value of the first sample of `name` whose labels include `match`. */
  value(name: string, match: Labels = {}): number | undefined {
    return this.samplesOf(name).find((s) => matches(s.labels, match))?.value;
  }

  /** Replaces (or appends) families, keeping the position of those that exist. */
  with(...families: readonly ModelFamily[]): HostMetrics {
    const next = new Map(this.families);
    for (const family of families) {
      if (family.samples.length === 0) next.delete(family.name);
      else next.set(family.name, family);
    }
    return new HostMetrics(next);
  }

  /** Families of `other` named in `names`, in place of ours (dropping ours that `other` lacks). */
  from(other: HostMetrics, names: readonly string[]): HostMetrics {
    const next = new Map(this.families);
    for (const name of names) {
      const family = other.get(name);
      if (family === undefined) next.delete(name);
      else next.set(name, family);
    }
    return new HostMetrics(next);
  }

  without(...names: readonly string[]): HostMetrics {
    const next = new Map(this.families);
    for (const name of names) next.delete(name);
    return new HostMetrics(next);
  }

  /** Every sample of `name` passed through `edit`; `undefined` drops the sample. */
  map(name: string, edit: (sample: ModelSample) => ModelSample | undefined): HostMetrics {
    const family = this.families.get(name);
    if (family === undefined) return this;
    const samples = family.samples.flatMap((s) => edit(s) ?? []);
    return this.with({ ...family, samples });
  }

  /** Sets the value of the samples of `name` whose labels include `match`. */
  set(name: string, match: Labels, value: number): HostMetrics {
    return this.map(name, (s) => (matches(s.labels, match) ? { ...s, value } : s));
  }

  /** Adds samples to family `name` (created with the catalog's help and type when absent). */
  add(name: string, samples: readonly ModelSample[]): HostMetrics {
    const spec = (METRICS as Readonly<Record<string, { help: string; type: string } | undefined>>)[name];
    if (spec === undefined) throw new Error(`${name} is not in the metric catalog`);
    const family = this.families.get(name) ?? { name, help: spec.help, type: spec.type, samples: [] };
    return this.with({ ...family, samples: [...family.samples, ...samples] });
  }

  /** Every label value equal to `from`, in every family, becomes `to` (a kernel release, say). */
  replaceLabelText(from: string, to: string): HostMetrics {
    if (from === to) return this;
    const next = new Map<string, ModelFamily>();
    for (const [name, family] of this.families) {
      next.set(name, {
        ...family,
        samples: family.samples.map((s) => {
          if (!Object.values(s.labels).some((v) => v.includes(from))) return s;
          const labels = Object.fromEntries(Object.entries(s.labels).map(([k, v]) => [k, v.split(from).join(to)]));
          return { ...s, labels };
        }),
      });
    }
    return new HostMetrics(next);
  }

  get sampleCount(): number {
    let count = 0;
    for (const family of this.families.values()) count += family.samples.length;
    return count;
  }
}

export function matches(labels: Labels, match: Labels): boolean {
  return Object.entries(match).every(([k, v]) => labels[k] === v);
}
