// A strict reader of the Prometheus text exposition format (0.0.4), for
// checking every output of the fuzz suites (promtool checks a sample of them).
// Throws on anything a Prometheus server would reject or that this exporter
// must never produce: unknown syntax, bad names or escapes, samples without a
// TYPE, families split apart, duplicate series, unparsable values.

const METRIC_NAME = /^[a-zA-Z_:][a-zA-Z0-9_:]*$/;
const LABEL_NAME = /^[a-zA-Z_][a-zA-Z0-9_]*$/;
const TYPES = new Set(["counter", "gauge", "histogram", "summary", "untyped"]);

export interface Exposition {
  /** Series key (name{labels} as written) -> value. */
  readonly series: ReadonlyMap<string, number>;
  /** Family name -> type. */
  readonly types: ReadonlyMap<string, string>;
}

export function parseExposition(text: string): Exposition {
  if (text.length > 0 && !text.endsWith("\n")) throw new Error("exposition does not end with a newline");
  const series = new Map<string, number>();
  const types = new Map<string, string>();
  const helps = new Set<string>();
  const finished = new Set<string>();
  let current: string | undefined;
  const enter = (family: string, line: number): void => {
    if (family === current) return;
    if (finished.has(family)) throw new Error(`line ${line}: family ${family} is split`);
    if (current !== undefined) finished.add(current);
    current = family;
  };
  text.split("\n").forEach((raw, index) => {
    const line = index + 1;
    if (raw === "") return;
    if (raw.startsWith("#")) {
      const help = /^# HELP (\S+) (.*)$/.exec(raw);
      const type = /^# TYPE (\S+) (\S+)$/.exec(raw);
      const name = help?.[1] ?? type?.[1];
      if (name === undefined) {
        if (raw.startsWith("# HELP") || raw.startsWith("# TYPE")) throw new Error(`line ${line}: malformed ${raw}`);
        return; // a plain comment
      }
      if (!METRIC_NAME.test(name)) throw new Error(`line ${line}: bad metric name ${name}`);
      enter(name, line);
      if (help !== null) {
        if (helps.has(name)) throw new Error(`line ${line}: second HELP for ${name}`);
        if (/\\[^\\n]|\\$/.test(help[2] ?? "")) throw new Error(`line ${line}: bad escape in HELP`);
        helps.add(name);
      } else {
        const kind = type?.[2] ?? "";
        if (!TYPES.has(kind)) throw new Error(`line ${line}: unknown type ${kind}`);
        if (types.has(name)) throw new Error(`line ${line}: second TYPE for ${name}`);
        if (series.size > 0 && [...series.keys()].some((k) => familyOf(k, types) === name)) {
          throw new Error(`line ${line}: TYPE after samples of ${name}`);
        }
        types.set(name, kind);
      }
      return;
    }
    const { name, labels, rest } = readSample(raw, line);
    const family = familyOf(name, types);
    if (family === undefined) throw new Error(`line ${line}: sample ${name} has no TYPE`);
    enter(family, line);
    const fields = rest.trim().split(/ +/);
    if (fields.length < 1 || fields.length > 2) throw new Error(`line ${line}: expected value [timestamp]`);
    const value = parseValue(fields[0] ?? "", `${line} (${name})`);
    if (fields[1] !== undefined && !/^-?\d+$/.test(fields[1])) throw new Error(`line ${line}: bad timestamp`);
    const key = `${name}{${labels.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(",")}}`;
    if (series.has(key)) throw new Error(`line ${line}: duplicate series ${key}`);
    series.set(key, value);
  });
  return { series, types };
}

function familyOf(name: string, types: ReadonlyMap<string, string>): string | undefined {
  if (types.has(name)) return name;
  for (const suffix of ["_bucket", "_sum", "_count"]) {
    const base = name.endsWith(suffix) ? name.slice(0, -suffix.length) : undefined;
    const type = base === undefined ? undefined : types.get(base);
    if (type === "histogram" || type === "summary") return base;
  }
  return undefined;
}

function readSample(raw: string, line: number): { name: string; labels: [string, string][]; rest: string } {
  const name = /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(raw)?.[0];
  if (name === undefined) throw new Error(`line ${line}: no metric name in ${JSON.stringify(raw.slice(0, 80))}`);
  let i = name.length;
  const labels: [string, string][] = [];
  if (raw[i] === "{") {
    i += 1;
    const seen = new Set<string>();
    while (raw[i] !== "}") {
      const label = /^[^=]*/.exec(raw.slice(i))?.[0] ?? "";
      if (!LABEL_NAME.test(label)) throw new Error(`line ${line}: bad label name ${JSON.stringify(label)}`);
      if (seen.has(label)) throw new Error(`line ${line}: repeated label ${label}`);
      seen.add(label);
      i += label.length;
      if (raw.slice(i, i + 2) !== '="') throw new Error(`line ${line}: expected =" after ${label}`);
      i += 2;
      let value = "";
      for (;;) {
        const c = raw[i];
        if (c === undefined) throw new Error(`line ${line}: unterminated label value`);
        i += 1;
        if (c === '"') break;
        if (c === "\\") {
          const escaped = raw[i];
          i += 1;
          if (escaped === "n") value += "\n";
          else if (escaped === "\\" || escaped === '"') value += escaped;
          else throw new Error(`line ${line}: bad escape \\${String(escaped)} in label ${label}`);
        } else {
          value += c;
        }
      }
      labels.push([label, value]);
      if (raw[i] === ",") i += 1;
      else if (raw[i] !== "}") throw new Error(`line ${line}: expected , or } after label ${label}`);
    }
    i += 1;
  }
  if (raw[i] !== " ") throw new Error(`line ${line}: expected a space before the value`);
  return { name, labels, rest: raw.slice(i) };
}

function parseValue(text: string, line: string): number {
  // As Prometheus reads values (Go's strconv.ParseFloat): NaN and Inf in any case; prom-client writes "Nan".
  const special = text.toLowerCase();
  if (special === "nan") return Number.NaN;
  if (special === "+inf" || special === "inf" || special === "+infinity" || special === "infinity") {
    return Number.POSITIVE_INFINITY;
  }
  if (special === "-inf" || special === "-infinity") return Number.NEGATIVE_INFINITY;
  if (!/^[-+]?(?:\d+\.?\d*|\.\d+)(?:[eE][-+]?\d+)?$/.test(text)) throw new Error(`line ${line}: bad value ${text}`);
  return Number(text);
}
