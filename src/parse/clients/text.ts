// Shared helpers for the vendor clients' text: lines, "key: value" pairs,
// decoration marks, CVE identifiers. Pure functions, no I/O.

/** The text's lines without their line ends (CRLF or LF). */
export function lines(text: string): string[] {
  return text.split(/\r?\n/);
}

/**
 * Drops the marks clients put before a message (✓ ✗ ⧗, bullets, colour
 * remnants): everything before the first letter or digit.
 */
export function stripDecoration(text: string): string {
  return text.replace(/^[^\p{L}\p{N}]+/u, "").trim();
}

/** "key: value" (the first colon splits), the key lower-cased; undefined for other lines. */
export function keyValue(line: string): [key: string, value: string] | undefined {
  const match = /^\s*([^:]+?)\s*:\s?(.*)$/.exec(line);
  if (match?.[1] === undefined || match[2] === undefined) return undefined;
  return [match[1].toLowerCase(), match[2].trim()];
}

const CVE = /\bCVE-(\d{4})-(\d{4,})\b/gi;

/** The CVE identifiers in a text, upper-cased (CVE-2023-6270), each once, in order of appearance. */
export function cveIds(text: string): string[] {
  const found = new Set<string>();
  for (const match of text.matchAll(CVE)) found.add(`CVE-${match[1] ?? ""}-${match[2] ?? ""}`);
  return [...found];
}

/** A fix name as one vocabulary across vendors: CVE ids upper-cased, anything else as given. */
export function fixName(name: string): string {
  const trimmed = name.trim();
  return /^cve-\d{4}-\d{4,}$/i.test(trimmed) ? trimmed.toUpperCase() : trimmed;
}

/** A vendor's state word as a label value: trimmed, lower-cased, at most 64 characters. */
export function stateWord(text: string): string {
  return text.trim().toLowerCase().slice(0, 64);
}
