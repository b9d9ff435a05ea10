// Prometheus text exposition (format 0.0.4) as data: families with their HELP
// and TYPE and samples with their labels, parsed from a golden file or a live
// /metrics, and series rendered back as `name{label="value",...}`.

export type Labels = Readonly<Record<string, string>>;

export interface Sample {
  /** The sample's own name (a histogram's `_bucket`, `_sum`, `_count` included). */
  readonly name: string;
  readonly labels: Labels;
  readonly value: number;
}

export interface Family {
  readonly name: string;
  readonly help: string;
  readonly type: string;
  readonly samples: readonly Sample[];
}

const SAMPLE = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(\{.*\})?\s+(\S+)(?:\s+-?\d+)?$/;

/** Families in the order they appear; samples without a HELP or TYPE line form a family of their own name. */
export function parseExposition(text: string): Family[] {
  const families = new Map<string, { name: string; help: string; type: string; samples: Sample[] }>();
  let current: { name: string; help: string; type: string; samples: Sample[] } | undefined;
  const family = (name: string) => {
    let found = families.get(name);
    if (found === undefined) {
      found = { name, help: "", type: "untyped", samples: [] };
      families.set(name, found);
    }
    return found;
  };
  for (const line of text.split("\n")) {
    if (line.trim() === "") continue;
    const meta = /^# (HELP|TYPE) (\S+) ?(.*)$/.exec(line);
    if (meta !== null) {
      const [, kind, name = "", rest = ""] = meta;
      current = family(name);
      if (kind === "HELP") current.help = rest;
      else current.type = rest;
      continue;
    }
    if (line.startsWith("#")) continue;
    const match = SAMPLE.exec(line);
    if (match === null) throw new Error(`not a sample line: ${line}`);
    const [, name = "", labelText, valueText = ""] = match;
    const owner = current !== undefined && belongsTo(name, current.name) ? current : family(name);
    owner.samples.push({ name, labels: parseLabels(labelText ?? ""), value: parseValue(valueText) });
  }
  return [...families.values()];
}

/** Whether a sample named `name` is part of family `family` (histogram and summary suffixes). */
function belongsTo(name: string, family: string): boolean {
  return name === family || ["_bucket", "_sum", "_count", "_total", "_created"].some((s) => name === family + s);
}

function parseValue(text: string): number {
  if (text === "+Inf") return Number.POSITIVE_INFINITY;
  if (text === "-Inf") return Number.NEGATIVE_INFINITY;
  const value = Number(text);
  if (Number.isNaN(value) && text !== "NaN") throw new Error(`not a sample value: ${text}`);
  return value;
}

function parseLabels(text: string): Labels {
  const labels: Record<string, string> = {};
  const body = text.slice(1, -1);
  let i = 0;
  while (i < body.length) {
    const eq = body.indexOf("=", i);
    const name = body.slice(i, eq).trim();
    if (body[eq + 1] !== '"') throw new Error(`bad labels: ${text}`);
    let value = "";
    let j = eq + 2;
    for (; j < body.length && body[j] !== '"'; j++) {
      if (body[j] === "\\") {
        j++;
        value += body[j] === "n" ? "\n" : (body[j] ?? "");
      } else value += body[j] ?? "";
    }
    labels[name] = value;
    i = j + 1;
    if (body[i] === ",") i++;
  }
  return labels;
}

const escape = (value: string): string => value.replace(/\\/g, "\\\\").replace(/\n/g, "\\n").replace(/"/g, '\\"');

/** `name{a="1",b="2"}`, labels in the given order; `name` alone without labels. */
export function seriesText(name: string, labels: Labels): string {
  const pairs = Object.entries(labels).map(([k, v]) => `${k}="${escape(v)}"`);
  return pairs.length === 0 ? name : `${name}{${pairs.join(",")}}`;
}

/** A sample value as the exposition formats write it. */
export function valueText(value: number): string {
  if (value === Number.POSITIVE_INFINITY) return "+Inf";
  if (value === Number.NEGATIVE_INFINITY) return "-Inf";
  return String(value);
}
