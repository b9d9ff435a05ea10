// SUSE kernel-livepatch-tools: `klp status` (ready | in_progress) and
// `klp -v patches` (one block per patch: name, then indented "key: value"
// lines). SLE 12's kGraft tool `kgr` prints the same (`kgr status`, `kgr -v
// patches`, with kgraft_patch_* names; its first versions print no "active"
// line), and `kgr blocking` lists the processes a transition waits for. Pure;
// undefined when the text is not what klp or kgr prints.
import { cveIds, keyValue, lines } from "./text.js";

export const KLP_STATES = ["ready", "in_progress"] as const;
export type KlpState = (typeof KLP_STATES)[number];

export function parseKlpStatus(text: string): KlpState | undefined {
  const word = text.trim().toLowerCase();
  return (KLP_STATES as readonly string[]).includes(word) ? (word as KlpState) : undefined;
}

export interface KlpPatch {
  readonly name: string;
  /** "active: 1" / "active: 0"; undefined when not printed or not understood. */
  readonly active: boolean | undefined;
  readonly rpm: string | undefined;
  /** CVE ids from the "CVE:" line (none for an initial patch). */
  readonly cves: readonly string[];
}

const ACTIVE: Readonly<Record<string, boolean>> = {
  "1": true,
  "0": false,
  yes: true,
  no: false,
  true: true,
  false: false,
};

/** Empty output is no patch at all; a top-level line that is not a patch name is not klp's output. */
export function parseKlpPatches(text: string): KlpPatch[] | undefined {
  const patches: { name: string; active: boolean | undefined; rpm: string | undefined; cves: string[] }[] = [];
  for (const raw of lines(text)) {
    const line = raw.trimEnd();
    if (line.trim() === "") continue;
    const current = patches.at(-1);
    if (/^\s/.test(line)) {
      const pair = keyValue(line);
      if (current === undefined) return undefined;
      if (pair === undefined) continue;
      const [key, value] = pair;
      if (key === "active") current.active = ACTIVE[value.toLowerCase()];
      else if (key === "rpm") current.rpm = value || undefined;
      else if (key === "cve" || key === "cves") current.cves = cveIds(value);
      continue;
    }
    if (!/^[\w.+-]+$/.test(line)) return undefined;
    patches.push({ name: line, active: undefined, rpm: undefined, cves: [] });
  }
  return patches;
}

/**
 * `kgr blocking` / `klp blocking`: one PID (or "PID TID", or "PID command
 * line" with -v) per blocking process or thread, or "no processes with
 * kgr_in_progress set" / "no threads with klp_in_progress set". The number
 * listed; undefined for other text.
 */
export function parseBlocking(text: string): number | undefined {
  let count = 0;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line === "" || /^\[<[0-9a-f]+>\]/i.test(line)) continue; // stack lines (-vv)
    if (/^no (processes|threads) with \w+ set$/i.test(line)) continue;
    if (!/^\d+(\s|$)/.test(line)) return undefined;
    count += 1;
  }
  return count;
}
