// `canonical-livepatch status` output: the JSON format (`--format json`, what
// the exporter runs), the YAML format (the default of clients 7.x–8.x, and
// `--format yaml`: what a client that ignores --format json prints) and the
// human format (clients 9.x+ without --format). Every field is optional:
// formats drift between client versions. Pure: text in, facts out; undefined
// when the text is none of these formats.
//
// The YAML parser (the yaml package, ~0.6 MB of heap) is loaded only for
// output that is not JSON: loadYamlParser() before parseCanonicalStatus(),
// when needsYamlParser() says so (the client's runner does, src/clients/).
// The parser stays synchronous, like every other; a dynamic import() rather
// than require() keeps the package in the single binary's bundle.
import type * as Yaml from "yaml";
import { cveIds, fixName, keyValue, lines, stateWord, stripDecoration } from "./text.js";

/** Livepatch.State values documented for client 10.x. */
export const CANONICAL_LIVEPATCH_STATES = [
  "applied",
  "apply-failed",
  "unapplied",
  "needs-check",
  "nothing-to-apply",
  "unknown",
  "check-failed",
  "applied-with-bug",
  "kernel-upgrade-required",
] as const;

/** Supported values documented for client 10.x. */
export const CANONICAL_SUPPORT_STATES = [
  "supported",
  "kernel-upgrade-required",
  "kernel-end-of-life",
  "unsupported",
  "unknown",
] as const;

export interface CanonicalFix {
  /** As printed (lower-case cve-YYYY-NNNN in JSON), normalised by fixName: CVE-YYYY-NNNN. */
  readonly name: string;
  /** Per-fix Patched; undefined when the client did not say (old text lists). */
  readonly patched: boolean | undefined;
}

export interface CanonicalKernel {
  readonly kernel: string | undefined;
  readonly running: boolean | undefined;
  /** Livepatch.State, lower-cased. */
  readonly state: string | undefined;
  /** Livepatch.CheckState, lower-cased (checked, needs-check, check-failed). */
  readonly checkState: string | undefined;
  /** Livepatch.Version, the patch version. */
  readonly version: string | undefined;
  readonly fixes: readonly CanonicalFix[] | undefined;
  /** Supported, lower-cased. */
  readonly supported: string | undefined;
  /** UpgradeRequiredDate as printed (YYYY-MM-DD in JSON). */
  readonly upgradeRequiredDate: string | undefined;
}

export interface CanonicalStatus {
  readonly format: "json" | "yaml" | "text";
  readonly clientVersion: string | undefined;
  readonly tier: string | undefined;
  readonly kernels: readonly CanonicalKernel[];
  /** The running kernel's entry: the one with Running true, or the only entry when no entry says. */
  readonly running: CanonicalKernel | undefined;
}

/**
 * The client's structures are a few levels deep (root, Status, entry,
 * Livepatch, Fixes, fix); anything nested far deeper is not a status, and is
 * refused before a parser spends time or stack on it.
 */
const MAX_NESTING = 16;
/**
 * Statuses in YAML are a few KiB; the YAML parser costs about a millisecond
 * per KiB on the event loop, so a client printing megabytes of YAML-like text
 * is not parsed as YAML at all (JSON is parsed at any size: it is linear and
 * fast).
 */
const MAX_YAML_BYTES = 32 * 1024;

let yaml: typeof Yaml | undefined;

/** Loads the YAML parser, once; parseCanonicalStatus() needs it for text that needsYamlParser(). */
export async function loadYamlParser(): Promise<void> {
  yaml ??= await import("yaml");
}

/** Whether parseCanonicalStatus(text) tries the YAML format: anything but JSON, up to MAX_YAML_BYTES. */
export function needsYamlParser(text: string): boolean {
  const trimmed = text.trim();
  return trimmed !== "" && !trimmed.startsWith("{") && trimmed.length <= MAX_YAML_BYTES;
}

/** Throws when text needsYamlParser() and loadYamlParser() has not finished. */
export function parseCanonicalStatus(text: string): CanonicalStatus | undefined {
  const trimmed = text.trim();
  if (trimmed === "") return undefined;
  if (nestingDepth(trimmed) > MAX_NESTING) return undefined;
  if (trimmed.startsWith("{")) return parseJson(trimmed);
  return (needsYamlParser(trimmed) ? parseYamlStatus(trimmed) : undefined) ?? parseText(text);
}

/**
 * How deep brackets (JSON, YAML flow collections) or block sequence markers
 * ("- - - x") nest, outside quoted strings; a cheap upper bound of the depth
 * a parser would build.
 */
export function nestingDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  let quote: string | undefined;
  let lineStart = true;
  let dashes = 0;
  for (let i = 0; i < text.length; i += 1) {
    const char = text[i];
    if (quote !== undefined) {
      if (char === "\\" && quote === '"') i += 1;
      else if (char === quote) quote = undefined;
      else if (char === "\n") quote = undefined; // an unterminated quote ends with its line
      continue;
    }
    if (char === "\n") {
      lineStart = true;
      dashes = 0;
      continue;
    }
    if (lineStart && char === "-" && (text[i + 1] === " " || text[i + 1] === "\t")) {
      dashes += 1;
      deepest = Math.max(deepest, depth + dashes);
      continue;
    }
    if (char !== " " && char !== "\t") lineStart = false;
    if (char === '"' || char === "'") quote = char;
    else if (char === "[" || char === "{") deepest = Math.max(deepest, (depth += 1));
    else if (char === "]" || char === "}") depth = Math.max(0, depth - 1);
  }
  return deepest;
}

/**
 * The running kernel when the client refuses it: `cannot use livepatch: your
 * kernel "4.15.0-1010-kvm" is not eligible for livepatch updates` (clients of
 * 2018: every command, exit status 1). A support answer, not a failure.
 */
export function parseNotEligible(text: string): { readonly kernel: string } | undefined {
  const match = /cannot use livepatch: your kernel "([^"]*)" is not eligible for livepatch updates/i.exec(text);
  return match?.[1] === undefined ? undefined : { kernel: match[1] };
}

// --- JSON ---------------------------------------------------------------

type Json = null | boolean | number | string | Json[] | { [key: string]: Json };
type JsonObject = Readonly<Record<string, Json>>;

const isObject = (value: Json | undefined): value is JsonObject =>
  typeof value === "object" && value !== null && !Array.isArray(value);

/** Key lookup that ignores case and punctuation: "UpgradeRequiredDate" = "upgrade-required-date". */
function field(object: JsonObject, ...names: string[]): Json | undefined {
  const wanted = new Set(names.map(normalKey));
  for (const [key, value] of Object.entries(object)) if (wanted.has(normalKey(key))) return value;
  return undefined;
}

const normalKey = (key: string): string => key.toLowerCase().replace(/[^a-z0-9]/g, "");

function text(value: Json | undefined): string | undefined {
  if (typeof value === "string") return value.trim() === "" ? undefined : value.trim();
  if (typeof value === "number") return String(value);
  return undefined;
}

const word = (value: Json | undefined): string | undefined => {
  const t = text(value);
  return t === undefined ? undefined : stateWord(t);
};

const flag = (value: Json | undefined): boolean | undefined => (typeof value === "boolean" ? value : undefined);

function parseJson(source: string): CanonicalStatus | undefined {
  let root: Json;
  try {
    root = JSON.parse(source) as Json;
  } catch {
    return undefined;
  }
  return isObject(root) ? statusOf(root, "json") : undefined;
}

/**
 * The JSON and YAML formats carry the same tree; keys differ in case and
 * punctuation only. Without the Status list of kernel entries (objects) it is
 * not a status but some other JSON: undefined. Within an entry every key is
 * optional.
 */
function statusOf(root: JsonObject, format: "json" | "yaml"): CanonicalStatus | undefined {
  const status = field(root, "Status");
  if (!Array.isArray(status)) return undefined;
  const entries = status.filter(isObject);
  if (entries.length !== status.length) return undefined;
  const kernels = entries.map(jsonKernel);
  return {
    format,
    clientVersion: text(field(root, "Client-Version")),
    tier: text(field(root, "tier")),
    kernels,
    running: runningKernel(kernels),
  };
}

// --- YAML ---------------------------------------------------------------

/**
 * The YAML format: a mapping with a `status` list (clients 7.23+), or the
 * first clients' flat `kernel` / `fully-patched` / `version` mapping (7.x,
 * 2017). undefined for anything else (the human format is "key: value" lines
 * too, but has neither key).
 */
function parseYamlStatus(source: string): CanonicalStatus | undefined {
  if (yaml === undefined) throw new Error("the YAML parser is not loaded (loadYamlParser)");
  let root: unknown;
  try {
    // No aliases in a status: refusing them bounds the work an odd output can cause.
    root = yaml.parse(source, { maxAliasCount: 0, uniqueKeys: false, prettyErrors: false, logLevel: "error" });
  } catch {
    return undefined;
  }
  if (!isObject(root as Json)) return undefined;
  const mapping = root as JsonObject;
  if (Array.isArray(field(mapping, "status"))) return statusOf(mapping, "yaml");
  const fullyPatched = flag(field(mapping, "fully-patched"));
  if (fullyPatched === undefined || text(field(mapping, "kernel")) === undefined) return undefined;
  const kernel: CanonicalKernel = {
    kernel: text(field(mapping, "kernel")),
    running: true, // the flat format describes the running kernel only
    // Not fully patched: the client holds patches it has not applied yet.
    state: fullyPatched ? "applied" : "unapplied",
    checkState: undefined,
    version: text(field(mapping, "version")),
    fixes: undefined,
    supported: undefined,
    upgradeRequiredDate: undefined,
  };
  return { format: "yaml", clientVersion: undefined, tier: undefined, kernels: [kernel], running: kernel };
}

function jsonKernel(entry: JsonObject): CanonicalKernel {
  const livepatch = field(entry, "Livepatch");
  const lp: JsonObject = isObject(livepatch) ? livepatch : {};
  return {
    kernel: text(field(entry, "Kernel")),
    running: flag(field(entry, "Running")),
    state: word(field(lp, "State", "PatchState")),
    checkState: word(field(lp, "CheckState")),
    version: text(field(lp, "Version")),
    fixes: jsonFixes(field(lp, "Fixes")),
    supported: word(field(entry, "Supported")),
    upgradeRequiredDate: text(field(entry, "UpgradeRequiredDate")),
  };
}

function jsonFixes(value: Json | undefined): CanonicalFix[] | undefined {
  if (Array.isArray(value)) {
    const fixes: CanonicalFix[] = [];
    for (const item of value) {
      if (!isObject(item)) continue;
      const name = text(field(item, "Name"));
      if (name !== undefined) fixes.push({ name: fixName(name), patched: flag(field(item, "Patched")) });
    }
    return fixes;
  }
  // Older clients print the fixes as a text block of "* cve-..." lines.
  if (typeof value === "string") return cveIds(value).map((name) => ({ name, patched: undefined }));
  return undefined;
}

function runningKernel(kernels: readonly CanonicalKernel[]): CanonicalKernel | undefined {
  const flagged = kernels.find((k) => k.running === true);
  if (flagged !== undefined) return flagged;
  const [only] = kernels;
  return kernels.length === 1 && only?.running === undefined ? only : undefined;
}

// --- human text ---------------------------------------------------------

/**
 * Known "patch state" messages and the Livepatch.State each stands for, from
 * the client's status documentation of 2021 (10.x) and 2025 (11.x); a message
 * not listed is "unknown" ("✓ kernel upgraded after a reboot" says nothing
 * about patches).
 */
const PATCH_STATE_TEXTS: readonly [RegExp, string][] = [
  [/all applicable livepatch (kernel )?modules (inserted|applied)/i, "applied"],
  [/installed, but the module is not yet applied|downloaded, but the kernel module is not yet inserted/i, "unapplied"],
  [/patching the kernel/i, "unapplied"],
  [/no livepatches (needed|available)/i, "nothing-to-apply"],
  [/kernel bug detected/i, "applied-with-bug"],
  [/\bcrash/i, "apply-failed"],
  [/failed to (verify|extract|load|confirm)/i, "apply-failed"],
  [/no longer available|cannot be livepatched/i, "kernel-upgrade-required"],
  [/unknown error/i, "unknown"],
];

/**
 * Known "kernel state" messages and the Supported value each stands for; order
 * matters ("no longer covered" before "not covered"). Clients up to 10.x said
 * "supported by Canonical", later ones "covered by Livepatch".
 */
const KERNEL_STATE_TEXTS: readonly [RegExp, string][] = [
  [/coverage (has )?ended|support ended/i, "kernel-upgrade-required"],
  [/no longer (covered|supported)/i, "kernel-end-of-life"],
  [/not (covered|supported)/i, "unsupported"],
  [/unable to determine/i, "unknown"],
  [/is (covered|supported)/i, "supported"],
];

const TEXT_KEYS = new Set(["kernel", "server check-in", "kernel state", "patch state", "patch version", "last check"]);

function parseText(source: string): CanonicalStatus | undefined {
  const values = new Map<string, string>();
  const fixes: CanonicalFix[] = [];
  for (const line of lines(source)) {
    const bullet = /^\s*[*-]\s*(cve-\d{4}-\d{4,})\b/i.exec(line);
    if (bullet?.[1] !== undefined) {
      fixes.push({ name: fixName(bullet[1]), patched: undefined });
      continue;
    }
    const pair = keyValue(line);
    if (pair !== undefined && !values.has(pair[0])) values.set(pair[0], pair[1]);
  }
  if (![...values.keys()].some((key) => TEXT_KEYS.has(key))) return undefined;

  const kernelState = values.get("kernel state");
  const patchState = values.get("patch state");
  const checkIn = values.get("server check-in");
  const kernel: CanonicalKernel = {
    kernel: values.get("kernel"),
    running: true, // the human format describes the running kernel only
    state: patchState === undefined ? undefined : (lookup(PATCH_STATE_TEXTS, patchState) ?? "unknown"),
    checkState:
      checkIn === undefined
        ? undefined
        : /succeeded/i.test(checkIn)
          ? "checked"
          : /fail/i.test(checkIn)
            ? "check-failed"
            : stateWord(stripDecoration(checkIn)),
    version: values.get("patch version"),
    fixes: fixes.length > 0 ? fixes : undefined,
    supported: kernelState === undefined ? undefined : (lookup(KERNEL_STATE_TEXTS, kernelState) ?? "unknown"),
    // "covered … until 2025-03-07", "supported by Canonical until …", "coverage ended 2024-06-23".
    upgradeRequiredDate:
      kernelState === undefined ? undefined : /\b(?:until|ended)\s+(\d{4}-\d{2}-\d{2})/i.exec(kernelState)?.[1],
  };
  return {
    format: "text",
    clientVersion: values.get("client version"),
    tier: values.get("tier")?.split(/\s+/)[0],
    kernels: [kernel],
    running: kernel,
  };
}

function lookup(table: readonly [RegExp, string][], message: string): string | undefined {
  const plain = stripDecoration(message);
  return table.find(([pattern]) => pattern.test(plain))?.[1];
}
