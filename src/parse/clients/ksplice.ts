// Oracle Ksplice `uptrack-show`: "Installed updates:" (and, with --available,
// "Available updates:") as "[id] description" lines, then "Effective kernel
// version is X". An update may name zero, one or several CVEs. Pure;
// undefined when neither a section nor the effective version is present.
import { cveIds, lines } from "./text.js";

export interface KspliceUpdate {
  readonly id: string;
  readonly description: string;
  readonly cves: readonly string[];
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
    const effective = /^Effective kernel version is (\S+)/i.exec(line);
    if (effective?.[1] !== undefined) {
      effectiveKernel = effective[1].replace(/\.$/, "");
      continue;
    }
    const update = /^\[([^\]\s]+)\]\s*(.*)$/.exec(line);
    if (update?.[1] !== undefined && current !== undefined) {
      const description = update[2] ?? "";
      current.push({ id: update[1], description, cves: cveIds(description) });
    }
  }
  if (sections.size === 0 && effectiveKernel === undefined) return undefined;
  return { sections, effectiveKernel };
}
