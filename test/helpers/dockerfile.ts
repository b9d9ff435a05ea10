// Just enough of Dockerfile and .dockerignore syntax to check an image statically, without a
// container engine: instructions by stage, and which build-context files reach the builder.

export interface Instruction {
  readonly keyword: string;
  /** The text after the keyword, continuation lines joined. */
  readonly args: string;
}

export interface Stage {
  readonly from: string;
  readonly name: string | undefined;
  readonly instructions: readonly Instruction[];
}

export interface Dockerfile {
  /** ARGs declared before the first FROM, with their defaults. */
  readonly globalArgs: ReadonlyMap<string, string>;
  readonly stages: readonly Stage[];
}

export function parseDockerfile(text: string): Dockerfile {
  const logical: string[] = [];
  let current = "";
  for (const raw of text.split("\n")) {
    const line = raw.trim();
    if (current === "" && (line === "" || line.startsWith("#"))) continue;
    if (line.startsWith("#")) continue; // comments inside a continued instruction
    if (line.endsWith("\\")) {
      current += `${line.slice(0, -1)} `;
      continue;
    }
    logical.push(current + line);
    current = "";
  }
  const globalArgs = new Map<string, string>();
  const stages: { from: string; name: string | undefined; instructions: Instruction[] }[] = [];
  for (const line of logical) {
    const match = /^(\w+)\s+([\s\S]*)$/.exec(line);
    if (match === null) throw new Error(`cannot parse Dockerfile line: ${line}`);
    const keyword = (match[1] ?? "").toUpperCase();
    const args = (match[2] ?? "").trim();
    if (keyword === "FROM") {
      const from = /^(\S+)(?:\s+AS\s+(\S+))?$/i.exec(args);
      if (from === null) throw new Error(`cannot parse FROM ${args}`);
      stages.push({ from: from[1] ?? "", name: from[2], instructions: [] });
    } else if (stages.length === 0) {
      if (keyword !== "ARG") throw new Error(`${keyword} before the first FROM`);
      const [name = "", value = ""] = args.split("=", 2);
      globalArgs.set(name, value);
    } else {
      stages.at(-1)?.instructions.push({ keyword, args });
    }
  }
  return { globalArgs, stages };
}

/** Arguments of an instruction in exec (JSON) or shell form, as words. */
export function words(args: string): string[] {
  if (args.startsWith("[")) return JSON.parse(args) as string[];
  return args.split(/\s+/).filter(Boolean);
}

/** COPY/ADD: options (--from=...), sources and destination. */
export function copyParts(args: string): { from: string | undefined; sources: string[]; destination: string } {
  const parts = words(args);
  const options = parts.filter((p) => p.startsWith("--"));
  const paths = parts.filter((p) => !p.startsWith("--"));
  const destination = paths.pop();
  if (destination === undefined || paths.length === 0) throw new Error(`COPY ${args}: no source`);
  const from = options.find((o) => o.startsWith("--from="))?.slice("--from=".length);
  return { from, sources: paths, destination };
}

/** LABEL key="value" ... pairs. */
export function labels(args: string): Map<string, string> {
  return new Map([...args.matchAll(/([\w.-]+)="([^"]*)"/g)].map((m) => [m[1] ?? "", m[2] ?? ""]));
}

function patternRegExp(pattern: string): RegExp {
  let source = "";
  for (let i = 0; i < pattern.length; i++) {
    const c = pattern[i] ?? "";
    if (c === "*" && pattern[i + 1] === "*") {
      source += ".*";
      i++;
      if (pattern[i + 1] === "/") i++;
    } else if (c === "*") source += "[^/]*";
    else if (c === "?") source += "[^/]";
    else source += c.replace(/[.+^${}()|[\]\\]/g, "\\$&");
  }
  return new RegExp(`^${source}$`);
}

/**
 * Whether .dockerignore keeps a context path (relative, "/"-separated) out of the build, with the
 * builder's rules: patterns in order, the last one that matches the path or one of its parent
 * directories wins, "!" re-includes.
 */
export function dockerIgnored(dockerignore: string, file: string): boolean {
  const patterns = dockerignore
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const negated = line.startsWith("!");
      const body = (negated ? line.slice(1) : line).replace(/^\/+/, "").replace(/\/+$/, "");
      return { negated, regexp: patternRegExp(body) };
    });
  const segments = file.split("/");
  const candidates = segments.map((_, i) => segments.slice(0, i + 1).join("/"));
  let ignored = false;
  for (const { negated, regexp } of patterns) {
    if (candidates.some((candidate) => regexp.test(candidate))) ignored = !negated;
  }
  return ignored;
}
