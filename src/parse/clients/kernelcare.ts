// TuxCare KernelCare `kcarectl --info` ("key: value" lines: kpatch-state,
// kpatch-description "<level>...;<effective version>") and
// `kcarectl --patch-info` (a header block, then one blank-line separated
// block per patch with kpatch-name and kpatch-cve). An unsupported kernel is
// one line instead: "Unknown kernel (<distribution> <release>), no patches
// available". Pure.
import { cveIds, keyValue, lines, stripDecoration } from "./text.js";

/** The states the exporter names; kpatch-state text it does not know is "unknown". */
export const KERNELCARE_STATES = ["applied", "unpatched", "unknown"] as const;
export type KernelcareState = (typeof KERNELCARE_STATES)[number];

export interface KernelcareInfo {
  /** kpatch-state as printed ("patch is applied"). */
  readonly stateText: string | undefined;
  readonly state: KernelcareState | undefined;
  /** The patch level, the number before the first non-digit of kpatch-description. */
  readonly patchLevel: number | undefined;
  /** The effective kernel version, after the ";" of kpatch-description. */
  readonly effectiveKernel: string | undefined;
  readonly buildTime: string | undefined;
}

/** undefined when neither kpatch-state nor kpatch-description is present. */
export function parseKcarectlInfo(text: string): KernelcareInfo | undefined {
  const values = new Map<string, string>();
  for (const line of lines(text)) {
    const pair = keyValue(line);
    if (pair !== undefined && !values.has(pair[0])) values.set(pair[0], pair[1]);
  }
  const stateText = values.get("kpatch-state");
  const description = values.get("kpatch-description");
  if (stateText === undefined && description === undefined) return undefined;
  const [levelPart, effectivePart] = description?.includes(";") ? description.split(";", 2) : [undefined, undefined];
  const level = levelPart === undefined ? undefined : /^\s*(\d+)/.exec(levelPart)?.[1];
  return {
    stateText,
    state: stateText === undefined ? undefined : kernelcareState(stateText),
    patchLevel: level === undefined ? undefined : Number(level),
    effectiveKernel: nonEmpty(effectivePart),
    buildTime: values.get("kpatch-build-time"),
  };
}

function nonEmpty(text: string | undefined): string | undefined {
  const trimmed = text?.trim();
  return trimmed === "" ? undefined : trimmed;
}

function kernelcareState(text: string): KernelcareState {
  const plain = stripDecoration(text).toLowerCase();
  if (/\b(unpatched|not applied|no patch|not loaded|unloaded)\b/.test(plain)) return "unpatched";
  if (/\bapplied\b/.test(plain)) return "applied";
  return "unknown";
}

export interface KernelcarePatch {
  readonly name: string;
  /** CVE ids of kpatch-cve (N/A gives none). */
  readonly cves: readonly string[];
}

/**
 * Every block with a kpatch-name is one applied patch. Empty output is no
 * patch; text with no "key: value" line at all is not kcarectl's output.
 */
export function parseKcarectlPatchInfo(text: string): KernelcarePatch[] | undefined {
  const patches: KernelcarePatch[] = [];
  let sawPair = false;
  let block = new Map<string, string>();
  const flush = (): void => {
    const name = block.get("kpatch-name");
    if (name !== undefined) patches.push({ name, cves: cveIds(block.get("kpatch-cve") ?? "") });
    block = new Map();
  };
  for (const line of lines(text)) {
    if (line.trim() === "") {
      flush();
      continue;
    }
    const pair = keyValue(line);
    if (pair === undefined) continue;
    sawPair = true;
    // A second kpatch-name without a blank line still starts a new patch.
    if (pair[0] === "kpatch-name" && block.has("kpatch-name")) flush();
    if (!block.has(pair[0])) block.set(pair[0], pair[1]);
  }
  flush();
  if (!sawPair && text.trim() !== "") return undefined;
  return patches;
}

/**
 * kcarectl's answer for a kernel it has no patches for (exit status 0 or 1):
 * "Unknown kernel (Ubuntu 5.4.0-1029-raspi), no patches available".
 */
export function parseUnknownKernel(text: string): { readonly kernel: string } | undefined {
  const match = /^\s*Unknown kernel \(([^)]*)\),? no patches available/im.exec(text);
  return match?.[1] === undefined ? undefined : { kernel: match[1].trim() };
}
