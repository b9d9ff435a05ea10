// Oracle Ksplice: `uptrack-show` (and the kernel part of the Enhanced
// client's `ksplice all show` / `ksplice kernel show`): "Installed updates:"
// (and, with --available, "Available updates:") as "[id] description" lines,
// then "Effective kernel version is X". An update may name zero, one or
// several CVEs. "Known exploit detection for CVE-…" updates install a
// detector that logs exploitation attempts; they fix nothing. Pure;
// undefined when neither a section nor the effective version is present.
import { cveIds, lines } from "./text.js";

export interface KspliceUpdate {
  readonly id: string;
  readonly description: string;
  readonly cves: readonly string[];
  /** A known-exploit detector ("Known exploit detection[ for CVE-…]."), not a fix. */
  readonly exploitDetection: boolean;
}

export interface KspliceStatus {
  /** Updates by section, lower-cased: "installed", "available". */
  readonly sections: ReadonlyMap<string, readonly KspliceUpdate[]>;
  readonly effectiveKernel: string | undefined;
}

export function parseUptrackShow(text: string): KspliceStatus | undefined {
  const sections = new Map<string, KspliceUpdate[]>();
  let current: KspliceUpdate[] | undefined;
  let effectiveKernel: string | undefined;
  for (const raw of lines(text)) {
    const line = raw.trim();
    if (line === "") continue;
    const header = /^(\w+) updates:$/i.exec(line);
    if (header?.[1] !== undefined) {
      current = [];
      sections.set(header[1].toLowerCase(), current);
      continue;
    }
    // Another heading ("Ksplice user-space updates:", "Ksplice kernel updates:")
    // ends the section: user-space updates are not the kernel's.
    if (/^[^[\s].*:$/.test(raw)) {
      current = undefined;
      continue;
    }
    const effective = /^Effective kernel version is (\S+)/i.exec(line);
    if (effective?.[1] !== undefined) {
      effectiveKernel = effective[1].replace(/\.$/, "");
      continue;
    }
    const update = /^\[([^\]\s]+)\]\s*(.*)$/.exec(line);
    if (update?.[1] !== undefined && current !== undefined) {
      const description = update[2] ?? "";
      current.push({
        id: update[1],
        description,
        cves: cveIds(description),
        exploitDetection: /^known exploit detection\b/i.test(description),
      });
    }
  }
  if (sections.size === 0 && effectiveKernel === undefined) return undefined;
  return { sections, effectiveKernel };
}
