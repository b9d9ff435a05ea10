// os-release(5): shell-compatible KEY=value lines; values may be quoted with
// "..." or '...' and use backslash escapes inside double quotes.

export type OsRelease = ReadonlyMap<string, string>;

export function parseOsRelease(text: string): OsRelease {
  const fields = new Map<string, string>();
  for (const rawLine of text.split("\n")) {
    // Trailing blanks are not part of a value unless escaped ("NAME=a\ ").
    const line = rawLine.replace(/^\s+/, "").replace(/(?<!\\)\s+$/, "");
    if (line.length === 0 || line.startsWith("#")) continue;
    const match = /^([A-Z0-9_]+)=(.*)$/.exec(line);
    if (match?.[1] === undefined || match[2] === undefined) continue;
    const value = unquote(match[2]);
    if (value !== undefined) fields.set(match[1], value);
  }
  return fields;
}

function unquote(raw: string): string | undefined {
  if (raw.startsWith('"')) {
    if (!raw.endsWith('"') || raw.length < 2) return undefined;
    return raw.slice(1, -1).replace(/\\([$"`\\])/g, "$1");
  }
  if (raw.startsWith("'")) {
    if (!raw.endsWith("'") || raw.length < 2) return undefined;
    return raw.slice(1, -1);
  }
  return raw.replace(/\\(.)/g, "$1");
}
