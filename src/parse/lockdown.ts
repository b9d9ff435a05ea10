// /sys/kernel/security/lockdown: every level the kernel knows, the active one
// in brackets: "none [integrity] confidentiality\n".

export const LOCKDOWN_MODES = ["none", "integrity", "confidentiality"] as const;

export interface Lockdown {
  readonly active: string;
  readonly available: readonly string[];
}

export function parseLockdown(text: string): Lockdown | undefined {
  const words = text
    .trim()
    .split(/\s+/)
    .filter((w) => w.length > 0);
  const available: string[] = [];
  let active: string | undefined;
  for (const word of words) {
    const bracketed = /^\[([a-z]+)\]$/.exec(word);
    if (bracketed?.[1] !== undefined) {
      if (active !== undefined) return undefined; // two active levels: garbage
      active = bracketed[1];
      available.push(active);
    } else if (/^[a-z]+$/.test(word)) {
      available.push(word);
    } else {
      return undefined;
    }
  }
  return active === undefined ? undefined : { active, available };
}
